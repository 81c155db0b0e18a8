"""``qb-score explain``: the picture of one play's predicted distribution and where its result fell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.features.store import FEATURES_TABLE, training_data
from qb_assets.io import lake as lake_io
from qb_assets.scoring.plots import play_distribution


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

    from ml.artifacts import load_artifact  # noqa: PLC0415
    from ml.inference import predict_raw, sbp_distribution, to_tensors  # noqa: PLC0415
    from ml.score import score_plays  # noqa: PLC0415

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
