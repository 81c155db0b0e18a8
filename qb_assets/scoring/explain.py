"""``qb-score explain``: the picture of one play's predicted distribution and where its result fell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.features.store import FEATURES_TABLE
from qb_assets.io import lake as lake_io
from qb_assets.scoring.plots import play_distributions
from qb_assets.scoring.score import partition_predictions


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


def explain_play(lake: str, version_dir: str | Path, game_id: int, play_id: int) -> tuple[bytes, dict]:
    """The picture of one play's two predicted distributions (passing and execution, capped at the goal
    lines) and the numbers in its title: the three per-play numbers of the score."""
    import torch  # noqa: PLC0415

    from ml.evaluate import YARD_GRID  # noqa: PLC0415
    from ml.score import capped_scores, decision_values  # noqa: PLC0415

    season, week = find_play_partition(lake, game_id, play_id)
    predictions, plays = partition_predictions(lake, Path(version_dir), (season, week))
    row = int(np.flatnonzero(((plays["game_id"] == game_id) & (plays["play_id"] == play_id)).to_numpy())[0])
    play = plays.row(row, named=True)
    grid = torch.as_tensor(YARD_GRID, dtype=torch.float32)
    numbers, pmfs = {}, {}
    for name, (capped, _) in predictions.items():
        one = capped.select(row)
        scores = capped_scores(one, np.array([play["yards_gained"]]), np.array([play["pass_result"] == "IN"]))
        numbers[f"{name}_percentile"] = float(scores["percentile"][0])
        with torch.inference_mode():
            pmfs[name] = one.integer_log_prob(grid[:, None]).exp()[:, 0].numpy()
    numbers["decision_value"] = float(
        decision_values(predictions["passing"][0].select(row), predictions["execution"][0].select(row))[0]
    )
    title = (
        f"game {game_id} play {play_id}: {play['pass_result']} for {play['yards_gained']:+.0f} yd | passing "
        f"{numbers['passing_percentile']:.2f}, execution {numbers['execution_percentile']:.2f}, decision "
        f"{numbers['decision_value']:+.3f} | {play['down']} & {play['yards_to_go']}, "
        f"{play['yards_to_endzone']:.0f} yd from the end zone, Q{play['quarter']}, "
        f"time to throw {play['time_to_throw_s']:.1f} s"
    )
    goal_line = float(max(round(play["yards_to_endzone"]), 1))
    png = play_distributions(YARD_GRID, pmfs, goal_line, float(play["yards_gained"]), title)
    return png, {**numbers, "season": season, "week": week, "title": title}
