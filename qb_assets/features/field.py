"""Field-level release features for the passing model: the receiving options, whoever was targeted.

Eligible receivers are the offensive players tracked at the release, other than the passer, who are
not linemen: by position where the partition's ``players`` table (or the tracking rows) knows it
(``schema.LINEMAN_POSITIONS``: C, G, T, OG, OT, OL, ...; WR, TE, RB, FB, HB and the rest are eligible),
else by alignment at the snap: a player within ``LINE_HALF_WIDTH_YD`` (3.5 yd) of the ball laterally
and at most ``LINE_DEPTH_YD`` (2.5 yd) behind the line of scrimmage is a lineman. Guards and tackles
line up within about 2.6 yd of the ball, an inline tight end at about 4.2 yd, backs 5 yd or more
deep; a player untracked at the snap cannot be placed and counts as eligible. By position, a back or
tight end who stays in to block is still an option (an eligible receiver by rule): his depth, speed
and separation at the release tell the model he is not running a route.

Options: up to ``OPTION_COUNT`` eligible receivers, the farthest downfield at the release; option 1
is the deepest (ties by nfl_id). Per option, at the release: presence, depth beyond the line of
scrimmage, separation (nearest defender, capped at 30 yd; 30 with no tracked defender), defenders
within 2 yd, speed, downfield speed, distance to the nearer sideline and the throw distance from the
QB. Missing options take ``OPTION_DEFAULTS`` (zeros, ``option_k_present`` false). Summaries: the
number of options, the best separation among them, how many have at least ``OPEN_SEPARATION_YD``
(2.5 yd) and the deepest option's depth (0 when there is none). A play with no option is featurized
with the defaults, never quarantined.
"""

from __future__ import annotations

import polars as pl

from qb_assets.features.derived import DISTANCE_CAP_YD, defenders_around
from qb_assets.features.schema import (
    FIELD_SUMMARY_DEFAULTS,
    LINE_DEPTH_YD,
    LINE_HALF_WIDTH_YD,
    LINEMAN_POSITIONS,
    OPEN_SEPARATION_YD,
    OPTION_COUNT,
    OPTION_DEFAULTS,
    OPTION_FIELDS,
)
from qb_assets.ingest.events import PLAY_KEY, rows_at_frame
from qb_assets.ingest.schema import FIELD_WIDTH_YD, SIDE_OFFENSE

# Counts (Int32); the other option and summary columns are yd or yd/s (Float64) or presence flags.
_COUNT_COLUMNS = ("defenders_within_2yd_at_release", "receiving_options", "open_options_at_release")


def player_positions(tracking: pl.DataFrame, players: pl.DataFrame | None = None) -> pl.DataFrame:
    """One row per player with a known position: ``nfl_id``, ``position`` (upper case, trimmed), from
    the partition's ``players`` table when given, else from the tracking rows' ``position``."""
    source = tracking if players is None else players
    position = pl.col("position").str.strip_chars().str.to_uppercase()
    return (
        source.select("nfl_id", position.replace("", None))
        .drop_nulls()
        .unique("nfl_id", keep="first", maintain_order=True)
    )


def receiving_options(tracking: pl.DataFrame, plays: pl.DataFrame, positions: pl.DataFrame) -> pl.DataFrame:
    """Per play and receiving option: PLAY_KEY, ``nfl_id``, ``option`` (1 = deepest at the release),
    the option's x, y, s, vx at the release and ``identified_by`` (``position`` or ``alignment``).

    ``plays`` needs PLAY_KEY, ``passer_nfl_id``, snap and release frames, ``line_of_scrimmage_x`` and
    ``ball_y_at_snap``; ``positions`` is ``player_positions``' frame (may be empty)."""
    offense = pl.col("side") == SIDE_OFFENSE
    at_snap = (
        rows_at_frame(tracking, plays, "snap_frame_id")
        .filter(offense)
        .select(*PLAY_KEY, "nfl_id", pl.col("x").alias("snap_x"), pl.col("y").alias("snap_y"))
    )
    on_the_line = (
        ((pl.col("snap_y") - pl.col("ball_y_at_snap")).abs() <= LINE_HALF_WIDTH_YD)
        & (pl.col("snap_x") >= pl.col("line_of_scrimmage_x") - LINE_DEPTH_YD)
    ).fill_null(False)
    known = pl.col("position").is_not_null()
    lineman = pl.when(known).then(pl.col("position").is_in(LINEMAN_POSITIONS)).otherwise(on_the_line)
    deepest_first = pl.struct((-pl.col("x")).alias("minus_x"), "nfl_id").rank("ordinal").over(PLAY_KEY)
    return (
        rows_at_frame(tracking, plays, "release_frame_id")
        .filter(offense)
        .select(*PLAY_KEY, "nfl_id", "x", "y", "s", "vx")
        .join(plays.select(*PLAY_KEY, "passer_nfl_id", "line_of_scrimmage_x", "ball_y_at_snap"), on=PLAY_KEY)
        .filter(pl.col("nfl_id") != pl.col("passer_nfl_id"))
        .join(at_snap, on=[*PLAY_KEY, "nfl_id"], how="left")
        .join(positions, on="nfl_id", how="left")
        .filter(~lineman)
        .with_columns(
            deepest_first.cast(pl.Int32).alias("option"),
            pl.when(known).then(pl.lit("position")).otherwise(pl.lit("alignment")).alias("identified_by"),
        )
        .filter(pl.col("option") <= OPTION_COUNT)
        .select(*PLAY_KEY, "nfl_id", "option", "x", "y", "s", "vx", "identified_by")
        .sort([*PLAY_KEY, "option"])
    )


def _option_values(tracking: pl.DataFrame, features: pl.DataFrame, options: pl.DataFrame) -> pl.DataFrame:
    """Per play and option: the OPTION_FIELDS values at the release."""
    at_release = rows_at_frame(tracking, features, "release_frame_id")
    anchor = options.select(*PLAY_KEY, "option", pl.col("x").alias("option_x"), pl.col("y").alias("option_y"))
    around = defenders_around(at_release, anchor, "option", by=[*PLAY_KEY, "option"])
    return (
        options.join(features.select(*PLAY_KEY, "line_of_scrimmage_x", "qb_x", "qb_y"), on=PLAY_KEY)
        .join(around, on=[*PLAY_KEY, "option"], how="left")
        .select(
            *PLAY_KEY,
            "option",
            pl.lit(True).alias("present"),
            (pl.col("x") - pl.col("line_of_scrimmage_x")).alias("depth_at_release_yd"),
            pl.col("nearest")
            .clip(upper_bound=DISTANCE_CAP_YD)
            .fill_null(DISTANCE_CAP_YD)
            .alias("separation_at_release_yd"),
            pl.col("near").fill_null(0).cast(pl.Int32).alias("defenders_within_2yd_at_release"),
            pl.col("s").fill_null(0.0).alias("speed_at_release_yd_s"),
            pl.col("vx").fill_null(0.0).alias("downfield_speed_at_release_yd_s"),
            pl.min_horizontal(pl.col("y"), FIELD_WIDTH_YD - pl.col("y"))
            .clip(lower_bound=0.0)
            .alias("sideline_distance_at_release_yd"),
            ((pl.col("x") - pl.col("qb_x")) ** 2 + (pl.col("y") - pl.col("qb_y")) ** 2)
            .sqrt()
            .alias("throw_distance_at_release_yd"),
        )
    )


def _default(name: str, value: object) -> pl.Expr:
    """A missing option's or summary's default, in the column's type."""
    if isinstance(value, bool):
        return pl.col(name).fill_null(value)
    if name.endswith(_COUNT_COLUMNS):
        return pl.col(name).fill_null(value).cast(pl.Int32)
    return pl.col(name).cast(pl.Float64).fill_null(float(value))


def field_features(
    tracking: pl.DataFrame, features: pl.DataFrame, positions: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(``features`` plus the option columns and field summaries, the options of ``receiving_options``).

    ``features`` is ``derived_features``' frame (one row per featurized play, with ``qb_x``/``qb_y`` at
    the release); its row order is kept."""
    options = receiving_options(tracking, features, positions)
    values = _option_values(tracking, features, options)
    option_k = pl.col("option")
    separation = pl.col("separation_at_release_yd")
    wide = values.group_by(PLAY_KEY).agg(
        *[
            pl.col(name).filter(option_k == k).first().alias(f"option_{k}_{name}")
            for k in range(1, OPTION_COUNT + 1)
            for name in OPTION_FIELDS
        ],
        pl.len().cast(pl.Int32).alias("receiving_options"),
        separation.max().alias("best_option_separation_at_release_yd"),
        (separation >= OPEN_SEPARATION_YD).sum().cast(pl.Int32).alias("open_options_at_release"),
        pl.col("depth_at_release_yd").max().alias("deepest_option_depth_at_release_yd"),
    )
    defaults = [
        _default(f"option_{k}_{name}", value)
        for k in range(1, OPTION_COUNT + 1)
        for name, value in OPTION_DEFAULTS.items()
    ]
    defaults += [_default(name, value) for name, value in FIELD_SUMMARY_DEFAULTS.items()]
    return features.join(wide, on=PLAY_KEY, how="left", maintain_order="left").with_columns(defaults), options
