"""play_scores: every featurized pass attempt scored by the trained model, one lake partition per week.

Columns: the play's keys and teams, the result and yards, the score (``percentile``), the predicted
median, 5/25/75/95% quantiles and expected yards, the model version and feature schema hash, whether
the play was held out of training (the model's test split), and the analysis columns the splits need.
``is_touchdown`` is a completion whose yards reach the end zone (yards gained >= yards to the end zone).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
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

    from ml.artifacts import load_artifact  # noqa: PLC0415
    from ml.inference import to_tensors  # noqa: PLC0415
    from ml.score import score_plays  # noqa: PLC0415
    from ml.train import config_split  # noqa: PLC0415

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
    progress: Progress | None = None,
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


def invalid_scores(scores: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``scores`` whose percentile leaves [0, 1] or whose quantiles are out of order."""
    return scores.filter(
        ~pl.col("percentile").is_between(0.0, 1.0)
        | (pl.col("q05") > pl.col("predicted_median"))
        | (pl.col("predicted_median") > pl.col("q95"))
    )


HELDOUT_KS_LIMIT = 0.05
KS_CRITICAL_1PCT = 1.63


def heldout_uniformity(lake: str, seed: int = 0) -> tuple[float | None, int, float]:
    """(KS distance, plays, limit) of the randomized PIT of every held-out play scored in the lake.

    The mid-point percentile of an integer outcome is not uniform even under the true distribution (an
    incompletion's jump is one value), so the check draws u ~ U(F(y - 0.5), F(y + 0.5)), which is. The
    limit is 0.05, or the 1% KS critical value 1.63 / sqrt(n) when fewer plays make 0.05 too strict."""
    from ml.evaluate import ks_distance  # noqa: PLC0415 - torch only when scoring

    heldout = (
        lake_io.scan_table(lake, PLAY_SCORES_TABLE)
        .filter(pl.col("heldout"))
        .select("cdf_lower", "cdf_upper")
        .collect()
    )
    if heldout.is_empty():
        return None, 0, HELDOUT_KS_LIMIT
    lower, upper = heldout["cdf_lower"].to_numpy(), heldout["cdf_upper"].to_numpy()
    pit = lower + np.random.default_rng(seed).uniform(size=len(lower)) * (upper - lower)
    return ks_distance(pit), len(pit), max(HELDOUT_KS_LIMIT, KS_CRITICAL_1PCT / math.sqrt(len(pit)))
