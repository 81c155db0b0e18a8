"""Play-level quarantine rules: every play that enters is accepted or quarantined with a reason.

Reason codes (first match by the order below wins; ``detail`` lists every problem found):

=============================  ==========================================================================
truncated_file                 the play's file ends in the middle of a line (a cut copy): the play was
                               still being written, so its tracking is incomplete
unparseable_value              a field that should be a number, id, clock or flag is not, in the tracking
                               or in the plays table (file, line, column, value)
conflicting_table_rows         the plays table has different rows for the play (file and lines)
conflicting_duplicate_frames   one player (or the ball) has two different rows for the same frame
null_position                  x or y is null or NaN
off_field                      a position more than OFF_FIELD_MARGIN_YD outside the field
non_monotone_frames            a player's frames skip ids, or time runs backwards as frames advance
inconsistent_events            two different events on one frame, several snaps, or events out of order
no_snap                        no snap event (kickoffs, punts, truncated plays)
release_missing                a pass outcome (or a plays-table pass result) with no release event
too_few_players                fewer than MIN_PLAYERS_PER_SIDE tracked players on a side at the snap
no_passer                      nobody on offense could be identified as the passer
=============================  ==========================================================================

Identical duplicate rows are not a reason: they are dropped (and counted, in the tracking).
"""

from __future__ import annotations

from typing import NamedTuple

import polars as pl

from qb_assets.ingest.events import PLAY_KEY
from qb_assets.ingest.schema import FIELD_LENGTH_YD, FIELD_WIDTH_YD, PASS_ATTEMPT_RESULTS

OFF_FIELD_MARGIN_YD = 20.0  # real data reach x = -16 and 130 (sideline players, dead balls): never clip those
MIN_PLAYERS_PER_SIDE = 3  # ngscleanR drops plays with fewer; BDB 2021 tracks no linemen
REASONS = (
    "truncated_file",
    "unparseable_value",
    "conflicting_table_rows",
    "conflicting_duplicate_frames",
    "null_position",
    "off_field",
    "non_monotone_frames",
    "inconsistent_events",
    "no_snap",
    "release_missing",
    "too_few_players",
    "no_passer",
)
ENTITY = pl.coalesce(pl.col("nfl_id"), pl.lit(-1, dtype=pl.Int64)).alias("entity")


def _where(file: pl.Expr, row: pl.Expr) -> pl.Expr:
    return pl.format("{} line {}", file, row)


def play_issues(frame: pl.DataFrame, reason: str, detail: pl.Expr) -> pl.DataFrame:
    """One row per play with ``reason`` and the first offending row's detail."""
    return (
        frame.group_by(PLAY_KEY, maintain_order=True)
        .agg(detail.first().alias("detail"), pl.len().alias("n"))
        .select(
            *PLAY_KEY,
            pl.lit(reason).alias("reason"),
            pl.when(pl.col("n") > 1)
            .then(pl.format("{} (+{} more)", "detail", pl.col("n") - 1))
            .otherwise("detail")
            .alias("detail"),
        )
    )


def parse_issues(errors: pl.DataFrame) -> pl.DataFrame:
    """``unparseable_value`` per play from ``formats.split_value_errors`` rows (with game_id, play_id,
    source_file, source_row); rows whose own ids are bad are left to the caller."""
    text = pl.format(
        "{}: column {} value '{}' is not {}",
        _where(pl.col("source_file"), pl.col("source_row")),
        "column",
        "value",
        "expected",
    )
    return play_issues(
        errors.filter(pl.col("game_id").is_not_null() & pl.col("play_id").is_not_null()),
        "unparseable_value",
        text,
    )


def entity_frames(tracking: pl.DataFrame) -> pl.DataFrame:
    """One row per play and entity (a player, or the ball) of the rows as read: nfl_id, source_file,
    its first source_row, first_frame, last_frame, frames (distinct frame ids), rows, and backwards
    (whether its time runs backwards in frame order).

    One aggregation serves three rules: a frame id repeats when rows > frames (``drop_identical_duplicates``
    hashes whole rows only then), a gap shows as more frame ids spanned than present, and time running
    backwards as a negative step in frame order (``row_issues``); identical duplicate rows change none of
    the frame-order columns."""
    return (
        tracking.lazy()
        .group_by([*PLAY_KEY, ENTITY])
        .agg(
            pl.col("nfl_id").first(),
            pl.col("source_file").first(),
            pl.col("source_row").min(),
            pl.col("frame_id").min().alias("first_frame"),
            pl.col("frame_id").max().alias("last_frame"),
            pl.col("frame_id").n_unique().alias("frames"),
            pl.len().alias("rows"),
            (pl.col("time").sort_by("frame_id").diff().dt.total_milliseconds() < 0).any().alias("backwards"),
        )
        .collect()
    )


def row_issues(
    tracking: pl.DataFrame, repeated_keys: pl.DataFrame, entities: pl.DataFrame
) -> list[pl.DataFrame]:
    """Row-level problems: conflicting duplicates, null/NaN positions, off-field positions, frame order.

    ``tracking`` has identical duplicate rows removed already and ``repeated_keys`` are its rows whose
    key still repeats (``drop_identical_duplicates``): the conflicts are found among those alone.
    ``entities``: ``entity_frames`` of the rows."""
    where = _where(pl.col("source_file"), pl.col("source_row"))
    who = (
        pl.when(pl.col("nfl_id").is_null())
        .then(pl.lit("the ball"))
        .otherwise(pl.format("nflId {}", "nfl_id"))
    )
    entity_frame = [*PLAY_KEY, "entity", "frame_id"]
    conflicts = repeated_keys.with_columns(ENTITY)
    bad_xy = pl.col("x").is_null() | pl.col("y").is_null() | pl.col("x").is_nan() | pl.col("y").is_nan()
    # NaN compares above every number, so a NaN x/y is outside any range: it is a null position only.
    off = ~bad_xy & (
        ~pl.col("x").is_between(-OFF_FIELD_MARGIN_YD, FIELD_LENGTH_YD + OFF_FIELD_MARGIN_YD)
        | ~pl.col("y").is_between(-OFF_FIELD_MARGIN_YD, FIELD_WIDTH_YD + OFF_FIELD_MARGIN_YD)
    )
    per_entity = entities.filter(
        (pl.col("last_frame") - pl.col("first_frame") + 1 > pl.col("frames"))
        | pl.col("backwards").fill_null(False)
    )
    return [
        play_issues(
            conflicts,
            "conflicting_duplicate_frames",
            pl.format(
                "{}: {} has {} different rows for frame {}",
                where,
                who,
                pl.len().over(entity_frame),
                "frame_id",
            ),
        ),
        play_issues(
            tracking.filter(bad_xy),
            "null_position",
            pl.format("{}: {} has a null or NaN x/y at frame {}", where, who, "frame_id"),
        ),
        play_issues(
            tracking.filter(off.fill_null(False)),
            "off_field",
            pl.format(
                "{}: {} at x={}, y={} in frame {} is far off the field", where, who, "x", "y", "frame_id"
            ),
        ),
        play_issues(
            per_entity,
            "non_monotone_frames",
            pl.format(
                "{}: {} has {} of the frames {}-{}{}",
                where,
                who,
                "frames",
                "first_frame",
                "last_frame",
                pl.when(pl.col("backwards"))
                .then(pl.lit(" and its time runs backwards"))
                .otherwise(pl.lit("")),
            ),
        ),
    ]


class Deduplicated(NamedTuple):
    """``drop_identical_duplicates``' result: the rows kept, how many were dropped, and the kept rows
    whose (play, entity, frame) key still repeats (the only candidates for conflicting duplicates)."""

    tracking: pl.DataFrame
    dropped: int
    repeated_keys: pl.DataFrame


def drop_identical_duplicates(
    tracking: pl.DataFrame, data_columns: list[str], entities: pl.DataFrame
) -> Deduplicated:
    """Drop rows identical to an earlier one in every data column (``entities``: ``entity_frames`` of
    ``tracking``).

    Only rows whose (play, entity, frame) key repeats can be duplicates, so the full-row comparison
    runs on that (usually empty) subset instead of hashing every column of every row; and no key
    repeats unless an entity has more rows than frames."""
    if not (entities["rows"] > entities["frames"]).any():
        return Deduplicated(tracking, 0, tracking.clear())
    key = pl.struct([*PLAY_KEY, ENTITY, "frame_id"])
    repeated = tracking.select(key.is_duplicated()).to_series()
    suspects = tracking.filter(repeated)
    kept = suspects.unique(subset=data_columns, keep="first", maintain_order=True)
    still_repeated = kept.filter(key.is_duplicated())
    deduplicated = pl.concat([tracking.filter(~repeated), kept]).sort("source_file", "source_row")
    return Deduplicated(deduplicated, suspects.height - kept.height, still_repeated)


def event_issues(frames: pl.DataFrame, file_of_play: pl.DataFrame) -> list[pl.DataFrame]:
    """Event-level problems over the per-play event frames (``events.event_frames`` output)."""
    frames = frames.join(file_of_play, on=PLAY_KEY, how="left")
    src = pl.col("source_file")
    out_of_order = (
        (pl.col("release_frame_id") < pl.col("snap_frame_id"))
        | (pl.col("outcome_frame_id") < pl.col("release_frame_id"))
        | (pl.col("pass_arrived_frame_id") < pl.col("release_frame_id"))
    ).fill_null(False)
    inconsistent = (
        (pl.col("max_events_per_frame") > 1).fill_null(False)
        | (pl.col("n_snaps") > 1).fill_null(False)
        | out_of_order
    )
    pass_claimed = pl.col("outcome_frame_id").is_not_null() | pl.col("pass_result_official").is_in(
        PASS_ATTEMPT_RESULTS
    )
    return [
        play_issues(
            frames.filter(inconsistent),
            "inconsistent_events",
            pl.format(
                "{}: column event: {} snaps, up to {} different events on one frame, "
                "snap/release/arrival/outcome frames {}/{}/{}/{}",
                src,
                pl.col("n_snaps").fill_null(0),
                "max_events_per_frame",
                "snap_frame_id",
                "release_frame_id",
                "pass_arrived_frame_id",
                "outcome_frame_id",
            ),
        ),
        play_issues(
            frames.filter(pl.col("snap_frame_id").is_null()),
            "no_snap",
            pl.format("{}: column event: no snap event in the play", src),
        ),
        play_issues(
            frames.filter(pass_claimed & pl.col("release_frame_id").is_null()),
            "release_missing",
            pl.format(
                "{}: column event: pass outcome '{}' (plays table '{}') "
                "but no pass_forward/pass_shovel event",
                src,
                pl.col("outcome_event").fill_null("none"),
                pl.col("pass_result_official").fill_null("none"),
            ),
        ),
    ]


def player_count_issues(
    tracking: pl.DataFrame, frames: pl.DataFrame, file_of_play: pl.DataFrame
) -> pl.DataFrame:
    """Plays with fewer than MIN_PLAYERS_PER_SIDE players of either club at the snap."""
    counts = (
        tracking.lazy()  # lazy: the join and filter carry only the columns the count reads
        .join(frames.lazy().select(*PLAY_KEY, "snap_frame_id"), on=PLAY_KEY)
        .filter((pl.col("frame_id") == pl.col("snap_frame_id")) & ~pl.col("is_football"))
        .group_by([*PLAY_KEY, "club"])
        .agg(pl.col("nfl_id").n_unique().alias("players"))
        .collect()
    )
    per_play = (
        frames.select(PLAY_KEY)
        .join(counts, on=PLAY_KEY, how="left")
        .group_by(PLAY_KEY)
        .agg(
            pl.col("players").drop_nulls().len().alias("clubs"),
            pl.col("players").min().fill_null(0).alias("fewest"),
            pl.format("{}={}", pl.col("club"), pl.col("players")).str.join(", ").alias("by_club"),
        )
        .join(file_of_play, on=PLAY_KEY, how="left")
    )
    return play_issues(
        per_play.filter((pl.col("clubs") < 2) | (pl.col("fewest") < MIN_PLAYERS_PER_SIDE)),
        "too_few_players",
        pl.format(
            "{}: column nflId: players per club at the snap: {} (need {} per side)",
            "source_file",
            "by_club",
            pl.lit(MIN_PLAYERS_PER_SIDE),
        ),
    )


def first_reason(issues: list[pl.DataFrame]) -> pl.DataFrame:
    """Combine issue frames into one row per play: the first reason in REASONS order, every detail."""
    issues = [i for i in issues if i.height]
    if not issues:
        return pl.DataFrame(
            schema={"game_id": pl.Int64, "play_id": pl.Int64, "reason": pl.String, "detail": pl.String}
        )
    rank = {reason: i for i, reason in enumerate(REASONS)}
    return (
        pl.concat(issues)
        .with_columns(pl.col("reason").replace_strict(rank, return_dtype=pl.Int32).alias("rank"))
        .sort([*PLAY_KEY, "rank"])
        .group_by(PLAY_KEY, maintain_order=True)
        .agg(
            pl.col("reason").first(),
            pl.format("{}: {}", "reason", "detail").str.join("; ").alias("detail"),
        )
    )
