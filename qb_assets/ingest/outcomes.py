"""Pass result, target, yards gained and air yards from normalized tracking (docs/data.md section 3).

All positions are normalized (offense toward +x), so "forward" is +x for the offense.

* pass result: the first outcome event (caught / touchdown -> C, incomplete -> I, interception -> IN);
  a release with no outcome event but a later tackle/out of bounds/touchdown is a completion; no release
  with a sack event -> S; no release, a ``run`` event or the passer carrying past the line -> R; anything
  else -> 'other'. A plays table's result wins when present (the checks quarantine contradictions).
* target: the offensive non-passer nearest the ball at arrival (his closest approach over the last
  0.5 s of the flight, so an overthrow still finds its man); none when he is more than 5 yd away
  (a throwaway).
* yards gained (the label, offense's point of view):
  - completion: the receiver's forward-progress spot minus the line of scrimmage: his max x from the
    catch to the end of the play, cut at the first frame he is within 0.5 yd of a sideline (the tag
    sits on his shoulder pads, so his feet are out first), capped at the goal line;
  - incompletion: 0;
  - interception: MINUS the return yards: the interceptor (defender nearest the ball at the
    interception) moves toward the offense's end zone (-x); return = his x at the interception minus
    his x at the end of the play (same sideline cut), floored at the offense's goal line: where he is
    downed, not his furthest point, since a returner gives ground voluntarily (the sample's one
    interception: 14.6 yd measured, 14 official).
    Official tables record 0 for interceptions, so this is always measured from tracking;
  - sack: the ball's x at the sack minus the line of scrimmage;
  - scramble: the passer's forward-progress spot minus the line of scrimmage.
  The official yardage from a plays table replaces the tracking value for C, S and R when present;
  every label is rounded to whole yards as the official stats keep them.
* air yards: the ball's x at arrival minus the line of scrimmage, into the end zone as NGS counts it.
"""

from __future__ import annotations

import polars as pl

from qb_assets.ingest.events import (
    CATCH_EVENTS,
    INCOMPLETE_EVENTS,
    INTERCEPTION_EVENTS,
    PLAY_KEY,
    ball_at_frame,
)
from qb_assets.ingest.schema import (
    FIELD_WIDTH_YD,
    FRAME_SECONDS,
    OPPONENT_GOAL_LINE_X,
    OWN_GOAL_LINE_X,
    SIDE_DEFENSE,
    SIDE_FOOTBALL,
    SIDE_OFFENSE,
)

TARGET_MAX_DISTANCE_YD = 5.0
# Overthrows are past their man at arrival: take each receiver's closest approach over the last 0.5 s.
TARGET_WINDOW_FRAMES = 5
SIDELINE_MARGIN_YD = 0.5
SCRAMBLE_MIN_GAIN_YD = 1.0


def tracking_pass_result() -> pl.Expr:
    """The pass result from events, over a frame with the event-frame columns and passer_gain_yd."""
    released = pl.col("release_frame_id").is_not_null()
    return (
        pl.when(released & pl.col("outcome_event").is_in(CATCH_EVENTS))
        .then(pl.lit("C"))
        .when(released & pl.col("outcome_event").is_in(INCOMPLETE_EVENTS))
        .then(pl.lit("I"))
        .when(released & pl.col("outcome_event").is_in(INTERCEPTION_EVENTS))
        .then(pl.lit("IN"))
        .when(released & pl.col("has_end_event"))
        .then(pl.lit("C"))
        .when(~released & pl.col("sack_frame_id").is_not_null())
        .then(pl.lit("S"))
        .when(
            ~released
            & pl.col("handoff_frame_id").is_null()
            & (pl.col("scramble_frame_id").is_not_null() | (pl.col("passer_gain_yd") >= SCRAMBLE_MIN_GAIN_YD))
        )
        .then(pl.lit("R"))
        .otherwise(pl.lit("other"))
    )


def _nearest_to_ball_at(
    tracking: pl.DataFrame,
    frames: pl.DataFrame,
    frame_column: str,
    candidates: pl.Expr,
    name: str,
    *,
    window_frames: int = 0,
) -> pl.DataFrame:
    """Per play: the ``candidates`` player closest to the ball at ``frame_column``, or at his closest
    approach over the ``window_frames`` frames before it (columns {name}_nfl_id, {name}_distance_yd)."""
    at = (
        frames.select(
            *PLAY_KEY,
            "passer_nfl_id",
            pl.int_ranges(
                pl.col(frame_column) - window_frames, pl.col(frame_column) + 1, dtype=pl.Int32
            ).alias("frame_id"),
        )
        .explode("frame_id")
        .drop_nulls("frame_id")
    )
    # Lazy: the joins carry only the columns the distances read, not every tracking column.
    rows = tracking.lazy().join(at.lazy(), on=[*PLAY_KEY, "frame_id"])
    ball = rows.filter(pl.col("side") == SIDE_FOOTBALL).select(
        *PLAY_KEY, "frame_id", pl.col("x").alias("ball_x"), pl.col("y").alias("ball_y")
    )
    return (
        rows.filter(candidates)
        .join(ball.unique([*PLAY_KEY, "frame_id"]), on=[*PLAY_KEY, "frame_id"])
        .with_columns(
            ((pl.col("x") - pl.col("ball_x")) ** 2 + (pl.col("y") - pl.col("ball_y")) ** 2).sqrt().alias("d")
        )
        .sort("d", "frame_id", descending=[False, True])
        .group_by(PLAY_KEY, maintain_order=True)
        .first()
        .select(*PLAY_KEY, pl.col("nfl_id").alias(f"{name}_nfl_id"), pl.col("d").alias(f"{name}_distance_yd"))
        .collect()
    )


def _progress(
    tracking: pl.DataFrame, carriers: pl.DataFrame, from_column: str, *, toward_plus_x: bool
) -> pl.DataFrame:
    """Forward-progress spot of a carrier (``carriers``: PLAY_KEY, carrier_nfl_id, from frame, end frame):
    the extreme x in the direction he runs, over his frames from ``from_column`` to the end of play, cut at
    the first frame within SIDELINE_MARGIN_YD of a sideline."""
    near_sideline = (pl.col("y") < SIDELINE_MARGIN_YD) | (pl.col("y") > FIELD_WIDTH_YD - SIDELINE_MARGIN_YD)
    rows = (  # lazy: the join carries only the columns the spot reads
        tracking.lazy()
        .join(carriers.lazy(), left_on=[*PLAY_KEY, "nfl_id"], right_on=[*PLAY_KEY, "carrier_nfl_id"])
        .filter(pl.col("frame_id").is_between(pl.col(from_column), pl.col("end_frame_id")))
        .sort([*PLAY_KEY, "frame_id"])
    )
    first_out = (
        rows.filter(near_sideline).group_by(PLAY_KEY).agg(pl.col("frame_id").min().alias("out_frame_id"))
    )
    kept = rows.join(first_out, on=PLAY_KEY, how="left").filter(
        pl.col("out_frame_id").is_null() | (pl.col("frame_id") <= pl.col("out_frame_id"))
    )
    extreme = pl.col("x").max() if toward_plus_x else pl.col("x").min()
    start = pl.col("x").sort_by("frame_id").first()
    end = pl.col("x").sort_by("frame_id").last()
    spots = kept.group_by(PLAY_KEY).agg(extreme.alias("spot_x"), start.alias("start_x"), end.alias("end_x"))
    return spots.collect()


def _carrier_spot(
    tracking: pl.DataFrame,
    frames: pl.DataFrame,
    id_column: str,
    from_column: str,
    *,
    toward_plus_x: bool,
    keep: dict[str, str],
) -> pl.DataFrame:
    """``_progress`` of the player named by ``id_column`` from ``from_column`` to the end of the play;
    the ``keep`` columns (spot_x, start_x, end_x) renamed as given."""
    carriers = frames.select(
        *PLAY_KEY, pl.col(id_column).alias("carrier_nfl_id"), from_column, "end_frame_id"
    )
    progress = _progress(tracking, carriers, from_column, toward_plus_x=toward_plus_x)
    return progress.select(*PLAY_KEY, *[pl.col(old).alias(new) for old, new in keep.items()])


def play_outcomes(tracking: pl.DataFrame, frames: pl.DataFrame) -> pl.DataFrame:
    """Per play: target_nfl_id, air_yards, passer_gain_yd, yards_gained_tracking and the tracking pass
    result. ``tracking`` is normalized; ``frames`` has the event frames, passer_nfl_id and
    line_of_scrimmage_x."""
    offense_non_passer = (pl.col("side") == SIDE_OFFENSE) & (pl.col("nfl_id") != pl.col("passer_nfl_id"))
    target = _nearest_to_ball_at(
        tracking, frames, "arrival_frame_id", offense_non_passer, "target", window_frames=TARGET_WINDOW_FRAMES
    ).with_columns(
        pl.when(pl.col("target_distance_yd") <= TARGET_MAX_DISTANCE_YD)
        .then(pl.col("target_nfl_id"))
        .alias("target_nfl_id")
    )
    catch_frame = pl.coalesce("outcome_frame_id", "arrival_frame_id", "end_frame_id")
    frames = frames.with_columns(catch_frame.alias("catch_frame_id"))
    receiver = _nearest_to_ball_at(tracking, frames, "catch_frame_id", offense_non_passer, "receiver")
    interceptor = _nearest_to_ball_at(
        tracking, frames, "outcome_frame_id", pl.col("side") == SIDE_DEFENSE, "interceptor"
    )
    ball_arrival = ball_at_frame(tracking, frames, "arrival_frame_id", "x", "ball_arrival_x")
    ball_sack = ball_at_frame(tracking, frames, "sack_frame_id", "x", "ball_sack_x")
    frames = (
        frames.join(target, on=PLAY_KEY, how="left")
        .join(receiver, on=PLAY_KEY, how="left")
        .join(interceptor, on=PLAY_KEY, how="left")
        .join(ball_arrival, on=PLAY_KEY, how="left")
        .join(ball_sack, on=PLAY_KEY, how="left")
    )
    receiver_spot = _carrier_spot(
        tracking,
        frames,
        "receiver_nfl_id",
        "catch_frame_id",
        toward_plus_x=True,
        keep={"spot_x": "receiver_spot_x"},
    )
    passer_spot = _carrier_spot(
        tracking,
        frames,
        "passer_nfl_id",
        "snap_frame_id",
        toward_plus_x=True,
        keep={"spot_x": "passer_spot_x"},
    )
    return_spot = _carrier_spot(
        tracking,
        frames,
        "interceptor_nfl_id",
        "outcome_frame_id",
        toward_plus_x=False,
        keep={"end_x": "return_spot_x", "start_x": "interception_x"},
    )
    los = pl.col("line_of_scrimmage_x")
    frames = (
        frames.join(receiver_spot, on=PLAY_KEY, how="left")
        .join(passer_spot, on=PLAY_KEY, how="left")
        .join(return_spot, on=PLAY_KEY, how="left")
        .with_columns(
            (pl.min_horizontal("passer_spot_x", OPPONENT_GOAL_LINE_X) - los).alias("passer_gain_yd"),
            (pl.col("ball_arrival_x") - los).alias("air_yards"),
            ((pl.col("release_frame_id") - pl.col("snap_frame_id")) * FRAME_SECONDS)
            .round(1)
            .alias("time_to_throw_s"),
        )
        .with_columns(tracking_pass_result().alias("pass_result_tracking"))
    )
    yards = (
        pl.when(pl.col("pass_result") == "C")
        .then(pl.min_horizontal("receiver_spot_x", OPPONENT_GOAL_LINE_X) - los)
        .when(pl.col("pass_result") == "I")
        .then(0.0)
        .when(pl.col("pass_result") == "IN")
        .then(pl.max_horizontal("return_spot_x", OWN_GOAL_LINE_X) - pl.col("interception_x"))
        .when(pl.col("pass_result") == "S")
        .then(pl.col("ball_sack_x") - los)
        .when(pl.col("pass_result") == "R")
        .then(pl.col("passer_gain_yd"))
    )
    return frames.with_columns(
        pl.coalesce("pass_result_official", "pass_result_tracking").alias("pass_result")
    ).with_columns(yards.alias("yards_gained_tracking"))
