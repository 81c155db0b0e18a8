"""Canonical schemas shared by every stage: the tracking table, the play table and the quarantine table.

Every Big Data Bowl layout is mapped onto these by `formats.py`; the lake stores exactly these columns
(season and week are Hive partition keys, not file columns).
"""

from __future__ import annotations

import polars as pl

FRAME_RATE_HZ = 10
FRAME_SECONDS = 1.0 / FRAME_RATE_HZ

# Field geometry (yards). x runs 0-120 including both end zones, goal lines at 10 and 110.
FIELD_LENGTH_YD = 120.0
FIELD_WIDTH_YD = 160.0 / 3.0
OWN_GOAL_LINE_X = 10.0
OPPONENT_GOAL_LINE_X = 110.0

SIDE_OFFENSE = "offense"
SIDE_DEFENSE = "defense"
SIDE_FOOTBALL = "football"

TRACKING_SCHEMA: dict[str, pl.DataType] = {
    "game_id": pl.Int64(),
    "play_id": pl.Int64(),
    "nfl_id": pl.Int64(),  # null for the football
    "frame_id": pl.Int32(),
    "time": pl.Datetime("us", "UTC"),
    "side": pl.String(),  # offense | defense | football
    "club": pl.String(),  # team abbreviation when known, else home/away
    "position": pl.String(),
    "display_name": pl.String(),
    "x": pl.Float64(),  # yd, offense moves toward +x after normalization
    "y": pl.Float64(),
    "s": pl.Float64(),  # yd/s
    "a": pl.Float64(),  # yd/s^2 magnitude; null where the layout has none (BDB 2019)
    "dis": pl.Float64(),
    "o": pl.Float64(),  # degrees clockwise from +y; null where the layout has none
    "dir": pl.Float64(),
    "vx": pl.Float64(),  # yd/s, s * sin(dir)
    "vy": pl.Float64(),  # yd/s, s * cos(dir)
    "ax": pl.Float64(),  # yd/s^2, a * sin(dir): treats a as tangential (ngscleanR's approximation)
    "ay": pl.Float64(),
    "event": pl.String(),  # null when none
}

PLAY_SCHEMA: dict[str, pl.DataType] = {
    "game_id": pl.Int64(),
    "play_id": pl.Int64(),
    "season": pl.Int32(),
    "week": pl.Int32(),
    "season_type": pl.String(),  # REG | POST (the games table's, else by week: season_calendar.py)
    "layout": pl.String(),
    "possession_team": pl.String(),
    "defensive_team": pl.String(),
    "play_direction": pl.String(),  # as recorded or inferred, before normalization
    "down": pl.Int32(),
    "yards_to_go": pl.Int32(),
    "yards_to_endzone": pl.Float64(),
    "quarter": pl.Int32(),
    "game_clock_s": pl.Int32(),  # seconds left in the quarter
    "half_seconds_remaining": pl.Int32(),
    "score_difference": pl.Int32(),  # offense minus defense before the snap
    "games_remaining": pl.Int32(),  # regular-season weeks left after this one; 0 in the postseason
    "passer_nfl_id": pl.Int64(),
    "target_nfl_id": pl.Int64(),
    "snap_frame_id": pl.Int32(),
    "release_frame_id": pl.Int32(),
    "arrival_frame_id": pl.Int32(),
    "end_frame_id": pl.Int32(),
    "line_of_scrimmage_x": pl.Float64(),
    "pass_result": pl.String(),  # C, I, IN, S, R, other
    "yards_gained": pl.Float64(),  # the label: integral yards, see outcomes.py
    "yards_gained_tracking": pl.Float64(),  # unrounded, measured from tracking
    "yards_source": pl.String(),  # plays_table | tracking
    "air_yards": pl.Float64(),  # ball x at arrival minus LOS, into the end zone (NGS convention)
    "time_to_throw_s": pl.Float64(),  # (release frame - snap frame) / 10
    "epa": pl.Float64(),  # expected points added, from the plays table where the release has it
}

QUARANTINE_SCHEMA: dict[str, pl.DataType] = {
    "game_id": pl.Int64(),
    "play_id": pl.Int64(),
    "season": pl.Int32(),
    "week": pl.Int32(),
    "reason": pl.String(),
    "detail": pl.String(),
    "source_file": pl.String(),
}

PASS_ATTEMPT_RESULTS = ("C", "I", "IN")
PASS_RESULTS = ("C", "I", "IN", "S", "R", "other")
