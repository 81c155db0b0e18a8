"""play_scores: every featurized pass attempt scored by the trained model, one lake partition per week.

Columns: the play's keys and teams, the result and yards, the score (``percentile``), the predicted
median, 5/25/75/95% quantiles and expected yards, the model version and feature schema hash, whether
the play was held out of training (the model's test split), and the analysis columns the splits need.
``is_touchdown`` is a completion whose yards reach the end zone (yards gained >= yards to the end zone).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.features.store import FEATURES_TABLE, training_data
from qb_assets.io import lake as lake_io

PLAY_SCORES_TABLE = "play_scores"
ANALYSIS_COLUMNS = [
    "under_pressure",
    "time_to_throw_s",
    "time_to_throw_bucket",
    "air_yards",
    "is_deep",
    "down",
    "yards_to_go",
    "yards_to_endzone",
    "quarter",
    "defenders_within_2yd_of_target_at_release",
]


def score_partition(lake: str, model_dir: str | Path, season: int, week: int) -> pl.DataFrame:
    """Score one feature partition with the artifact in ``model_dir`` and write it; returns the scores.

    Refuses an artifact whose feature schema hash differs from the features' (``ArtifactError``)."""
    import torch  # noqa: PLC0415 - torch only when scoring

    from ml.score import score_plays  # noqa: PLC0415
    from ml.train import config_split, load_artifact, to_tensors  # noqa: PLC0415

    data, plays = training_data(lake, [(season, week)])
    model, config, record = load_artifact(model_dir, data.meta["feature_schema_hash"])
    scores = score_plays(
        model, config, to_tensors(data, np.arange(len(data.label)), torch.device("cpu")), data.label
    )
    heldout = config_split(data, config)
    frame = plays.select(
        "game_id",
        "play_id",
        "season",
        "week",
        "passer_nfl_id",
        "target_nfl_id",
        "possession_team",
        "defensive_team",
        "pass_result",
        pl.col("yards_gained").cast(pl.Float64),
        *ANALYSIS_COLUMNS,
    ).with_columns(
        *[pl.Series(name, values) for name, values in scores.items()],
        pl.lit(record["model_version"]).alias("model_version"),
        pl.lit(record["feature_schema_hash"]).alias("feature_schema_hash"),
        (
            (pl.col("pass_result") == "C") & (pl.col("yards_gained") >= pl.col("yards_to_endzone").round(0))
        ).alias("is_touchdown"),
        pl.Series("heldout", heldout == "test"),
    )
    lake_io.write_partition(lake, PLAY_SCORES_TABLE, season, week, frame)
    return frame


def score_lake(
    lake: str,
    model_dir: str | Path,
    partitions: Iterable[tuple[int, int]] | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Score every feature partition (or the given ones)."""
    keys = list(partitions) if partitions is not None else lake_io.list_partitions(lake, FEATURES_TABLE)
    started, scored = time.perf_counter(), 0
    for index, (season, week) in enumerate(keys, 1):
        frame = score_partition(lake, model_dir, season, week)
        scored += frame.height
        if progress:
            progress(f"[{index}/{len(keys)}] season {season} week {week}: {frame.height} plays scored")
    return {
        "plays_scored": scored,
        "partitions": len(keys),
        "seconds": round(time.perf_counter() - started, 2),
    }


def find_play_partition(lake: str, game_id: int, play_id: int) -> tuple[int, int]:
    found = (
        lake_io.scan_table(lake, FEATURES_TABLE)
        .filter((pl.col("game_id") == game_id) & (pl.col("play_id") == play_id))
        .select("season", "week")
        .collect()
    )
    if found.is_empty():
        raise ValueError(f"{lake}: play {play_id} of game {game_id} is not a featurized pass attempt")
    return found.row(0)


def explain_play(lake: str, model_dir: str | Path, game_id: int, play_id: int) -> tuple[bytes, dict]:
    """The picture of one play's predicted distribution and the numbers in its title."""
    import torch  # noqa: PLC0415

    from ml.score import score_plays  # noqa: PLC0415
    from ml.train import load_artifact, predict_raw, sbp_distribution, to_tensors  # noqa: PLC0415
    from qb_assets.scoring.plots import play_distribution  # noqa: PLC0415

    season, week = find_play_partition(lake, game_id, play_id)
    data, plays = training_data(lake, [(season, week)])
    row = np.flatnonzero(((plays["game_id"] == game_id) & (plays["play_id"] == play_id)).to_numpy())
    model, config, _ = load_artifact(model_dir, data.meta["feature_schema_hash"])
    tensors = to_tensors(data, row, torch.device("cpu"))
    score = {k: float(v[0]) for k, v in score_plays(model, config, tensors, data.label[row]).items()}
    with torch.inference_mode():
        distribution = sbp_distribution(predict_raw(model, tensors), config)
        grid = torch.linspace(-25.0, 100.0, 1001)[:, None]
        density = distribution.log_prob(grid).exp()[:, 0].numpy()
        thresholds = (float(distribution.lower_threshold[0]), float(distribution.upper_threshold[0]))
    play = plays.row(int(row[0]), named=True)
    title = (
        f"game {game_id} play {play_id}: {play['pass_result']} for {play['yards_gained']:+.0f} yd, "
        f"percentile {score['percentile']:.2f} | {play['down']} & {play['yards_to_go']}, "
        f"{play['yards_to_endzone']:.0f} yd from the end zone, Q{play['quarter']}, "
        f"time to throw {play['time_to_throw_s']:.1f} s"
    )
    png = play_distribution(grid[:, 0].numpy(), density, thresholds, float(play["yards_gained"]), title)
    return png, {**score, "season": season, "week": week, "title": title}
