"""``qb-score explain``: the picture of one play's predicted distributions and where its result fell."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.features.store import FEATURES_TABLE
from qb_assets.io import lake as lake_io
from qb_assets.scoring.plots import ModelCurve, PlayPicture, play_distributions
from qb_assets.scoring.score import partition_predictions

RESULTS = {"C": "complete", "I": "incomplete", "IN": "intercepted"}
ORDINALS = {1: "1st", 2: "2nd", 3: "3rd", 4: "4th"}


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


def passer_name(lake: str, season: int, week: int, nfl_id: int | None) -> str:
    """The passer's display name from the partition's players table (``nflId N`` when it has none)."""
    names = (
        lake_io.scan_table(lake, "players", partitions=[(season, week)])
        .filter(pl.col("nfl_id") == nfl_id)
        .select("display_name")
        .collect()
    )
    name = names.item(0, 0) if names.height else None
    return name or f"nflId {nfl_id}"


def field_position(yards_to_endzone: float, offense: str | None, defense: str | None) -> str:
    """Where the snap was, as a broadcast says it: "at KC 25" on the offense's half, "at LV 30" on the
    defense's, "at midfield" (own/opp when the teams are unknown)."""
    to_go = round(yards_to_endzone)
    if to_go == 50:
        return "at midfield"
    if to_go > 50:
        return f"at {offense or 'own'} {100 - to_go}"
    return f"at {defense or 'opp'} {to_go}"


def play_title(play: dict, passer: str, numbers: dict) -> str:
    """Two lines: who and when; the situation, the result and the play's three numbers. A tracking-only
    source has no down, distance or quarter (the features impute them): the title says so."""
    offense, defense = play["possession_team"], play["defensive_team"]
    teams = f" ({offense} vs {defense})" if offense and defense else ""
    if play["situation_known"]:
        when = f", Q{play['quarter']}"
        down = f"{ORDINALS.get(play['down'], play['down'])} & {play['yards_to_go']}"
    else:
        when, down = "", "down and distance unknown"
    return (
        f"{passer}{teams}, {play['season']} week {play['week']}{when}: game {play['game_id']} play "
        f"{play['play_id']}\n{down} {field_position(play['yards_to_endzone'], offense, defense)}, "
        f"{RESULTS.get(play['pass_result'], play['pass_result'])} for {play['yards_gained']:+.0f} yd | "
        f"passing percentile {numbers['passing_percentile']:.2f}, execution "
        f"{numbers['execution_percentile']:.2f}, decision {numbers['decision_value']:+.3f} | "
        f"time to throw {play['time_to_throw_s']:.1f} s"
    )


def explain_picture(
    lake: str, version_dir: str | Path, game_id: int, play_id: int
) -> tuple[PlayPicture, dict]:
    """What the explain picture of one play shows (its two predicted distributions, passing and
    execution, capped at the goal lines), and the numbers in its title: the three per-play numbers of
    the score, each model's median and expected yards, the passer."""
    import torch  # noqa: PLC0415

    from ml.evaluate import YARD_GRID  # noqa: PLC0415
    from ml.score import capped_scores, decision_values  # noqa: PLC0415

    season, week = find_play_partition(lake, game_id, play_id)
    predictions, plays = partition_predictions(lake, version_dir, (season, week))
    row = int(np.flatnonzero(((plays["game_id"] == game_id) & (plays["play_id"] == play_id)).to_numpy())[0])
    play = plays.row(row, named=True)
    grid = torch.as_tensor(YARD_GRID, dtype=torch.float32)
    numbers, curves, ranges = {}, {}, {}
    for name, (capped, _) in predictions.items():
        one = capped.select(row)
        scores = capped_scores(one, np.array([play["yards_gained"]]), np.array([play["pass_result"] == "IN"]))
        numbers[f"{name}_percentile"] = float(scores["percentile"][0])
        numbers[f"{name}_median_yd"] = float(scores["predicted_median"][0])
        numbers[f"{name}_expected_yd"] = float(scores["expected_yards"][0])
        ranges[name] = (float(scores["q05"][0]), float(scores["q95"][0]))
        with torch.inference_mode():
            pmf = one.integer_log_prob(grid[:, None]).exp()[:, 0].numpy()
        curves[name] = ModelCurve(pmf, numbers[f"{name}_median_yd"], numbers[f"{name}_expected_yd"])
    numbers["decision_value"] = float(
        decision_values(predictions["passing"][0].select(row), predictions["execution"][0].select(row))[0]
    )
    passer = passer_name(lake, season, week, play["passer_nfl_id"])
    result = RESULTS.get(play["pass_result"], play["pass_result"])
    picture = PlayPicture(
        title=play_title(play, passer, numbers),
        yards=YARD_GRID,
        curves=curves,
        goal_line_yd=float(max(round(play["yards_to_endzone"]), 1)),
        actual_yd=float(play["yards_gained"]),
        actual_label=f"{result}, {play['yards_gained']:+.0f} yd",
        range_90_yd=ranges["passing"],
    )
    return picture, {**numbers, "passer": passer, "season": season, "week": week, "title": picture.title}


def explain_play(lake: str, version_dir: str | Path, game_id: int, play_id: int) -> tuple[bytes, dict]:
    """(PNG, numbers) of ``explain_picture``."""
    picture, numbers = explain_picture(lake, version_dir, game_id, play_id)
    return play_distributions(picture), numbers
