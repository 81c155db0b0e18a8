"""Big Data Bowl event names (docs/data.md section 1.6) and the per-play frames they mark."""

from __future__ import annotations

import polars as pl

from qb_assets.ingest.schema import SIDE_FOOTBALL

PLAY_KEY = ["game_id", "play_id"]

SNAP_EVENTS = ("ball_snap", "snap_direct", "autoevent_ballsnap")
RELEASE_EVENTS = ("pass_forward", "pass_shovel", "autoevent_passforward")
ARRIVAL_EVENTS = ("pass_arrived",)
CATCH_EVENTS = ("pass_outcome_caught", "pass_outcome_touchdown")
INCOMPLETE_EVENTS = ("pass_outcome_incomplete",)
INTERCEPTION_EVENTS = ("pass_outcome_interception",)
OUTCOME_EVENTS = CATCH_EVENTS + INCOMPLETE_EVENTS + INTERCEPTION_EVENTS
SACK_EVENTS = ("qb_sack", "qb_strip_sack")
SCRAMBLE_EVENTS = ("run",)
HANDOFF_EVENTS = ("handoff",)
END_EVENTS = (
    "tackle",
    "out_of_bounds",
    "touchdown",
    "pass_outcome_touchdown",
    "fumble_offense_recovered",
    "fumble_defense_recovered",
    "safety",
)


def frame_events(tracking: pl.DataFrame) -> pl.DataFrame:
    """One row per (play, frame) that carries an event: game_id, play_id, frame_id, event, n_events.

    Events are repeated on every entity's row of a frame; ``n_events`` > 1 means the rows of one frame
    disagree, which the quality checks quarantine as inconsistent events.
    """
    return (
        tracking.lazy()
        .filter(pl.col("event").is_not_null())
        .group_by([*PLAY_KEY, "frame_id"])
        .agg(pl.col("event").first(), pl.col("event").n_unique().alias("n_events"))
        .sort([*PLAY_KEY, "frame_id"])
        .collect()
    )


def _first_frame(events: tuple[str, ...]) -> pl.Expr:
    return pl.col("frame_id").filter(pl.col("event").is_in(events)).min()


def event_frames(events: pl.DataFrame, plays: pl.DataFrame) -> pl.DataFrame:
    """Per play (every play in ``plays``, a frame of ``PLAY_KEY`` plus ``last_frame_id``): the frames of
    snap, release, arrival, outcome, sack, scramble, handoff and end of play, and the outcome event.

    arrival = ``pass_arrived``, else the first outcome event after the release (docs/data.md section 1.6).
    end = the first end-of-play event at or after the outcome/sack/scramble; an incompletion ends at its
    outcome event; a play with no such event ends at its last tracked frame.
    """
    per_play = events.group_by(PLAY_KEY).agg(
        _first_frame(SNAP_EVENTS).alias("snap_frame_id"),
        pl.col("frame_id").filter(pl.col("event").is_in(SNAP_EVENTS)).n_unique().alias("n_snaps"),
        _first_frame(RELEASE_EVENTS).alias("release_frame_id"),
        _first_frame(ARRIVAL_EVENTS).alias("pass_arrived_frame_id"),
        _first_frame(OUTCOME_EVENTS).alias("outcome_frame_id"),
        pl.col("event").filter(pl.col("event").is_in(OUTCOME_EVENTS)).first().alias("outcome_event"),
        _first_frame(SACK_EVENTS).alias("sack_frame_id"),
        _first_frame(SCRAMBLE_EVENTS).alias("scramble_frame_id"),
        _first_frame(HANDOFF_EVENTS).alias("handoff_frame_id"),
        pl.col("n_events").max().alias("max_events_per_frame"),
    )
    frames = plays.join(per_play, on=PLAY_KEY, how="left").with_columns(
        pl.coalesce("pass_arrived_frame_id", "outcome_frame_id").alias("arrival_frame_id"),
        pl.coalesce(
            "outcome_frame_id", "sack_frame_id", "scramble_frame_id", "release_frame_id", "snap_frame_id"
        )
        .fill_null(0)
        .alias("_end_search_from"),
    )
    ends = (
        events.filter(pl.col("event").is_in(END_EVENTS))
        .join(frames.select(*PLAY_KEY, "_end_search_from"), on=PLAY_KEY)
        .filter(pl.col("frame_id") >= pl.col("_end_search_from"))
        .group_by(PLAY_KEY)
        .agg(pl.col("frame_id").min().alias("_end_event_frame_id"))
    )
    incomplete = pl.col("outcome_event").is_in(INCOMPLETE_EVENTS)
    return (
        frames.join(ends, on=PLAY_KEY, how="left")
        .with_columns(
            pl.when(incomplete)
            .then(pl.col("outcome_frame_id"))
            .otherwise(pl.coalesce("_end_event_frame_id", "last_frame_id"))
            .cast(pl.Int32)
            .alias("end_frame_id"),
            pl.col("_end_event_frame_id").is_not_null().alias("has_end_event"),
        )
        .drop("_end_search_from", "_end_event_frame_id")
    )


def rows_at_frame(tracking: pl.DataFrame, plays: pl.DataFrame, frame_column: str) -> pl.DataFrame:
    """Tracking rows of every play at the frame in its ``frame_column`` (plays where it is null drop out)."""
    at = plays.select(*PLAY_KEY, pl.col(frame_column).alias("frame_id")).drop_nulls()
    return tracking.join(at, on=[*PLAY_KEY, "frame_id"])


def ball_at_frame(
    tracking: pl.DataFrame, plays: pl.DataFrame, frame_column: str, coordinate: str, alias: str
) -> pl.DataFrame:
    """One row per play: the ball's ``coordinate`` at the frame in its ``frame_column``, named ``alias``."""
    return (
        rows_at_frame(tracking, plays, frame_column)
        .filter(pl.col("side") == SIDE_FOOTBALL)
        .select(*PLAY_KEY, pl.col(coordinate).alias(alias))
        .unique(PLAY_KEY)
    )
