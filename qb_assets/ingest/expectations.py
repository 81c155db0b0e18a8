"""Great Expectations suites on one ingested partition: canonical tracking and the play table.

Bounds, with why:

* x in [-20, 140], y in [-20, 73.3]: the field plus 20 yd; sideline players and dead balls are
  legitimately off the field (real 2017 data reach x = -16 and 130), only far-off values are errors.
* players' s <= 13 yd/s (the fastest ball carriers reach ~11 yd/s) and a in [0, 25] yd/s^2 (a magnitude);
  the ball is exempt: a pass flies at 20+ yd/s.
* o and dir in [0, 360): clockwise from +y after normalization.
* unique (play, player, frame) keys; frames step by exactly 1 per player.
* season_type REG or POST; games_remaining (regular-season weeks left) never negative.
* 11 players per side on every frame where the layout tracks all 22 (not BDB 2021, which tracks no
  linemen, nor a partition mixing a BDB 2021 file with others); at least 99% of frames, since a
  player can briefly drop out of a real feed.
"""

from __future__ import annotations

import polars as pl

from qb_assets.common.expectations import SuiteOutcome, gx_module, run_suite
from qb_assets.ingest.schema import (
    PASS_ATTEMPT_RESULTS,
    PASS_RESULTS,
    SIDE_DEFENSE,
    SIDE_FOOTBALL,
    SIDE_OFFENSE,
)
from qb_assets.ingest.season_calendar import MAX_WEEK, SEASON_TYPES

LAYOUTS_WITHOUT_LINEMEN = ("bdb2021",)
PLAYERS_PER_SIDE = 11


def tracking_suite(tracking: pl.DataFrame, layout: str) -> SuiteOutcome:
    """Validate one partition of canonical tracking (``layout`` decides the players-per-side rule)."""
    gx = gx_module()
    E = gx.expectations
    entity = pl.coalesce(pl.col("nfl_id"), pl.lit(-1, dtype=pl.Int64))
    frame = tracking.with_columns(entity.alias("entity")).with_columns(
        pl.col("frame_id").sort().diff().over(["game_id", "play_id", "entity"]).alias("frame_step")
    )
    # Speed and acceleration bounds are for players: a thrown ball flies at 20+ yd/s.
    player = pl.col("side") != SIDE_FOOTBALL
    frame = frame.select(
        "game_id",
        "play_id",
        "entity",
        "frame_id",
        "frame_step",
        "side",
        "x",
        "y",
        "o",
        "dir",
        pl.when(player).then(pl.col("s")).alias("player_s"),
        pl.when(player).then(pl.col("a")).alias("player_a"),
    )
    expectations = [
        E.ExpectColumnValuesToNotBeNull(column="x"),
        E.ExpectColumnValuesToNotBeNull(column="y"),
        E.ExpectColumnValuesToBeBetween(column="x", min_value=-20.0, max_value=140.0),
        E.ExpectColumnValuesToBeBetween(column="y", min_value=-20.0, max_value=73.3),
        E.ExpectColumnValuesToBeBetween(column="player_s", min_value=0.0, max_value=13.0),
        E.ExpectColumnValuesToBeBetween(column="player_a", min_value=0.0, max_value=25.0),
        E.ExpectColumnValuesToBeBetween(column="o", min_value=0.0, max_value=360.0, strict_max=True),
        E.ExpectColumnValuesToBeBetween(column="dir", min_value=0.0, max_value=360.0, strict_max=True),
        E.ExpectColumnValuesToBeInSet(column="side", value_set=[SIDE_OFFENSE, SIDE_DEFENSE, SIDE_FOOTBALL]),
        E.ExpectCompoundColumnsToBeUnique(column_list=["game_id", "play_id", "entity", "frame_id"]),
        E.ExpectColumnValuesToBeInSet(column="frame_step", value_set=[1]),
    ]
    # A partition read from files of several layouts names them joined by "+": one file of a layout
    # without linemen (a generated season mixing vintages) exempts the partition from the rule.
    if not set(layout.split("+")) & set(LAYOUTS_WITHOUT_LINEMEN):
        per_frame = (
            tracking.filter(pl.col("side") != SIDE_FOOTBALL)
            .group_by("game_id", "play_id", "frame_id")
            .agg(
                (pl.col("side") == SIDE_OFFENSE).sum().alias("offense_players"),
                (pl.col("side") == SIDE_DEFENSE).sum().alias("defense_players"),
            )
        )
        for column in ("offense_players", "defense_players"):
            frame = frame.join(
                per_frame.select("game_id", "play_id", "frame_id", column),
                on=["game_id", "play_id", "frame_id"],
                how="left",
            )
            expectations.append(
                E.ExpectColumnValuesToBeBetween(
                    column=column, min_value=PLAYERS_PER_SIDE, max_value=PLAYERS_PER_SIDE, mostly=0.99
                )
            )
    return run_suite("tracking", frame, expectations)


def plays_suite(plays: pl.DataFrame) -> SuiteOutcome:
    """Validate one partition of the play table."""
    gx = gx_module()
    E = gx.expectations
    attempt = pl.col("pass_result").is_in(PASS_ATTEMPT_RESULTS)
    frame = plays.with_columns(
        pl.when(attempt)
        .then(pl.col("release_frame_id"))
        .otherwise(pl.lit(0))
        .alias("release_frame_if_attempt"),
    )
    expectations = [
        E.ExpectCompoundColumnsToBeUnique(column_list=["game_id", "play_id"]),
        E.ExpectColumnValuesToNotBeNull(column="snap_frame_id"),
        E.ExpectColumnValuesToNotBeNull(column="passer_nfl_id"),
        E.ExpectColumnValuesToNotBeNull(column="release_frame_if_attempt"),
        E.ExpectColumnValuesToBeInSet(column="pass_result", value_set=list(PASS_RESULTS)),
        E.ExpectColumnValuesToNotBeNull(column="season_type"),
        E.ExpectColumnValuesToBeInSet(column="season_type", value_set=list(SEASON_TYPES)),
        E.ExpectColumnValuesToBeBetween(column="games_remaining", min_value=0, max_value=MAX_WEEK),
        E.ExpectColumnValuesToBeBetween(column="line_of_scrimmage_x", min_value=0.0, max_value=120.0),
        E.ExpectColumnValuesToBeBetween(column="time_to_throw_s", min_value=0.0, max_value=15.0),
        E.ExpectColumnValuesToBeBetween(column="yards_gained", min_value=-110.0, max_value=110.0),
        E.ExpectColumnValuesToBeBetween(column="air_yards", min_value=-30.0, max_value=80.0),
    ]
    return run_suite("plays", frame, expectations)


def pbp_plays_suite(plays: pl.DataFrame) -> SuiteOutcome:
    """Validate one play-by-play partition of the play table (``source = 'pbp'``): the play-table rules
    play-by-play can meet (it has no frames, line of scrimmage x or time to throw) and the situation's
    ranges the situation model reads (down 1-4, 1-99 yards to go and to the end zone, quarter 1-5)."""
    gx = gx_module()
    E = gx.expectations
    expectations = [
        E.ExpectCompoundColumnsToBeUnique(column_list=["game_id", "play_id"]),
        E.ExpectColumnValuesToNotBeNull(column="passer_nfl_id"),
        E.ExpectColumnValuesToBeInSet(column="pass_result", value_set=list(PASS_RESULTS)),
        E.ExpectColumnValuesToNotBeNull(column="season_type"),
        E.ExpectColumnValuesToBeInSet(column="season_type", value_set=list(SEASON_TYPES)),
        E.ExpectColumnValuesToBeInSet(column="source", value_set=["pbp"]),
        E.ExpectColumnValuesToBeBetween(column="games_remaining", min_value=0, max_value=MAX_WEEK),
        E.ExpectColumnValuesToBeBetween(column="down", min_value=1, max_value=4),
        E.ExpectColumnValuesToBeBetween(column="yards_to_go", min_value=1, max_value=99),
        E.ExpectColumnValuesToBeBetween(column="yards_to_endzone", min_value=1.0, max_value=99.0),
        E.ExpectColumnValuesToBeBetween(column="quarter", min_value=1, max_value=5),
        E.ExpectColumnValuesToBeBetween(column="yards_gained", min_value=-110.0, max_value=110.0),
        E.ExpectColumnValuesToBeBetween(column="air_yards", min_value=-30.0, max_value=80.0),
    ]
    return run_suite("pbp_plays", plays, expectations)
