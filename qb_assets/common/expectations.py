"""Great Expectations 1.x suites on the canonical tables, run directly (dagster-ge predates GX 1.x).

Each suite runs on one partition's frame and returns a ``SuiteOutcome`` that the Dagster asset turns
into a blocking asset check and the CLI prints. Bounds, with why:

* x in [-20, 140], y in [-20, 73.3]: the field plus 20 yd; sideline players and dead balls are
  legitimately off the field (real 2017 data reach x = -16 and 130), only far-off values are errors.
* players' s <= 13 yd/s (the fastest ball carriers reach ~11 yd/s) and a in [0, 25] yd/s^2 (a magnitude);
  the ball is exempt: a pass flies at 20+ yd/s.
* o and dir in [0, 360): clockwise from +y after normalization.
* unique (play, player, frame) keys; frames step by exactly 1 per player.
* 11 players per side on every frame where the layout tracks all 22 (not BDB 2021, which tracks no
  linemen); at least 99% of frames, since a player can briefly drop out of a real feed.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field

import numpy as np
import polars as pl

from qb_assets.ingest.schema import PASS_RESULTS, SIDE_DEFENSE, SIDE_FOOTBALL, SIDE_OFFENSE

LAYOUTS_WITHOUT_LINEMEN = ("bdb2021",)
PLAYERS_PER_SIDE = 11
FAILED_EXAMPLES = 5


@dataclass
class SuiteOutcome:
    suite: str
    success: bool
    evaluated: int
    failures: list[dict] = field(default_factory=list)

    @property
    def description(self) -> str:
        if self.success:
            return f"{self.suite}: all {self.evaluated} expectations passed"
        return f"{self.suite}: {len(self.failures)} of {self.evaluated} expectations failed: " + "; ".join(
            f"{f['expectation']}({f['column']}) "
            + (
                f"raised: {f['error']}"
                if f["error"]
                else f"{f['unexpected_count']} unexpected, e.g. {f['examples']}"
            )
            for f in self.failures
        )


def _gx():
    import great_expectations as gx  # noqa: PLC0415 - 3 s import, only when a suite runs

    logging.getLogger("great_expectations").setLevel(logging.ERROR)
    return gx


def _exception_message(info: dict | None) -> str | None:
    """GX reports an expectation that raised either directly or per metric: find the first message."""
    if not info:
        return None
    if info.get("raised_exception"):
        return info.get("exception_message")
    nested = [v for v in info.values() if isinstance(v, dict) and v.get("raised_exception")]
    return nested[0].get("exception_message") if nested else None


def _run(name: str, frame: pl.DataFrame, expectations: list) -> SuiteOutcome:
    gx = _gx()
    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = {"globally": False}
    batch_definition = (
        context.data_sources.add_pandas(name)
        .add_dataframe_asset(name)
        .add_batch_definition_whole_dataframe(name)
    )
    suite = gx.ExpectationSuite(name=name)
    for expectation in expectations:
        suite.add_expectation(expectation)
    batch = batch_definition.get_batch(batch_parameters={"dataframe": frame.to_pandas()})
    result = batch.validate(suite)
    failures = []
    for item in result.results:
        if item.success:
            continue
        config = item.expectation_config
        kwargs = config.kwargs
        failures.append(
            {
                "expectation": config.type,
                "column": kwargs.get("column") or ",".join(kwargs.get("column_list", [])),
                "unexpected_count": item.result.get("unexpected_count"),
                "examples": [
                    str(v) for v in (item.result.get("partial_unexpected_list") or [])[:FAILED_EXAMPLES]
                ],
                "error": _exception_message(item.exception_info),
            }
        )
    return SuiteOutcome(name, bool(result.success), len(result.results), failures)


def tracking_suite(tracking: pl.DataFrame, layout: str) -> SuiteOutcome:
    """Validate one partition of canonical tracking (``layout`` decides the players-per-side rule)."""
    gx = _gx()
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
    if layout not in LAYOUTS_WITHOUT_LINEMEN:
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
    return _run("tracking", frame, expectations)


def plays_suite(plays: pl.DataFrame) -> SuiteOutcome:
    """Validate one partition of the play table."""
    gx = _gx()
    E = gx.expectations
    attempt = pl.col("pass_result").is_in(["C", "I", "IN"])
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
        E.ExpectColumnValuesToBeBetween(column="line_of_scrimmage_x", min_value=0.0, max_value=120.0),
        E.ExpectColumnValuesToBeBetween(column="time_to_throw_s", min_value=0.0, max_value=15.0),
        E.ExpectColumnValuesToBeBetween(column="yards_gained", min_value=-110.0, max_value=110.0),
        E.ExpectColumnValuesToBeBetween(column="air_yards", min_value=-30.0, max_value=80.0),
    ]
    return _run("plays", frame, expectations)


def features_suite(features: pl.DataFrame) -> SuiteOutcome:
    """Validate one partition of the feature table: complete model inputs, ranges, tensor layout."""
    from qb_assets.features.schema import CHANNELS, DERIVED_INPUTS, MAX_FRAMES, SLOTS, STATIC_INPUTS  # noqa: PLC0415

    gx = _gx()
    E = gx.expectations
    tensor = features["tensor"].to_numpy()
    frame_index = np.arange(MAX_FRAMES)[None, :]
    padding = frame_index >= features["n_frames"].to_numpy()[:, None]
    checked = features.select(*STATIC_INPUTS, *DERIVED_INPUTS, "n_frames").with_columns(
        pl.Series("tensor_shape", ["x".join(map(str, tensor.shape[1:]))] * features.height),
        pl.Series("tensor_abs_max", np.abs(tensor).max(axis=(1, 2, 3)) if features.height else []),
        pl.Series(
            "padding_abs_max",
            np.abs(np.where(padding[:, :, None, None], tensor, 0)).max(axis=(1, 2, 3))
            if features.height
            else [],
        ),
        pl.col("situation_known").cast(pl.Int8),
        pl.col("under_pressure").cast(pl.Int8),
    )
    ranges = {
        "down": (1, 4),
        "yards_to_go": (0, 99),
        "yards_to_endzone": (0, 110),
        "quarter": (1, 5),
        "half_seconds_remaining": (0, 1800),
        "games_remaining": (0, 18),
        "time_to_throw_s": (0.0, 15.0),
        "defenders_within_2yd_of_target_at_release": (0, 11),
        "target_separation_at_release_yd": (0.0, 30.0),
        "qb_nearest_defender_at_release_yd": (0.0, 30.0),
        "pass_rushers": (0, 11),
        "qb_speed_at_release": (0.0, 13.0),
        "target_depth_at_release_yd": (-30.0, 90.0),
        "target_speed_at_release_yd_s": (0.0, 13.0),
        "target_downfield_speed_at_release_yd_s": (-13.0, 13.0),
        "target_sideline_distance_at_release_yd": (0.0, 27.0),
        "defenders_within_5yd_of_target_at_release": (0, 11),
        "throw_distance_at_release_yd": (0.0, 100.0),
        "n_frames": (1, MAX_FRAMES),
        "tensor_abs_max": (0.0, 150.0),
        "padding_abs_max": (0.0, 0.0),
    }
    expectations = [E.ExpectColumnValuesToNotBeNull(column=c) for c in (*STATIC_INPUTS, *DERIVED_INPUTS)]
    expectations += [
        E.ExpectColumnValuesToBeBetween(column=c, min_value=lo, max_value=hi)
        for c, (lo, hi) in ranges.items()
    ]
    expectations.append(
        E.ExpectColumnValuesToBeInSet(
            column="tensor_shape", value_set=[f"{MAX_FRAMES}x{len(SLOTS)}x{len(CHANNELS)}"]
        )
    )
    return _run("features", checked, expectations)
