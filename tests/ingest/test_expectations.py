"""The great-expectations suites catch what they promise to, on real canonical data."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.common.expectations import gx_module, pandas_batch, run_suite
from qb_assets.ingest.expectations import plays_suite, tracking_suite
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io


@pytest.fixture(scope="module")
def canonical(real_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[pl.DataFrame, pl.DataFrame]:
    root = tmp_path_factory.mktemp("suites")
    (root / "src").mkdir()
    (root / "src" / "week14.csv").write_bytes((real_dir / "bdb2021_week14_game2018120600.csv").read_bytes())
    ingest_source(root / "src", root / "lake")
    return lake_io.scan_table(root / "lake", "tracking").collect(), lake_io.scan_table(
        root / "lake", "plays"
    ).collect()


def _failed_columns(outcome) -> list[str]:
    return sorted(f["column"] for f in outcome.failures)


def test_real_game_passes(canonical) -> None:
    tracking, plays = canonical
    assert tracking_suite(tracking, "bdb2021").success
    assert plays_suite(plays).success


def test_players_per_side_applies_where_all_22_are_tracked(canonical) -> None:
    tracking, _ = canonical
    # BDB 2021 tracks no linemen; the same frames claimed as a full-22 layout fail the rule.
    outcome = tracking_suite(tracking, "bdb2023")
    assert _failed_columns(outcome) == ["defense_players", "offense_players"]


def test_frame_gaps_and_duplicate_keys_fail(canonical) -> None:
    tracking, _ = canonical
    gap = tracking.filter(
        ~((pl.col("play_id") == 83) & (pl.col("frame_id") == 30) & (pl.col("nfl_id") == 2557870))
    )
    duplicated = pl.concat([tracking, tracking.head(1)])
    assert _failed_columns(tracking_suite(gap, "bdb2021")) == ["frame_step"]
    assert "game_id,play_id,entity,frame_id" in _failed_columns(tracking_suite(duplicated, "bdb2021"))


def test_plays_suite_flags_keys_and_missing_releases(canonical) -> None:
    _, plays = canonical
    broken = pl.concat([plays, plays.head(1)]).with_columns(
        pl.when(pl.col("play_id") == 83)
        .then(None)
        .otherwise(pl.col("release_frame_id"))
        .alias("release_frame_id")
    )
    assert _failed_columns(plays_suite(broken)) == ["game_id,play_id", "release_frame_if_attempt"]


def test_plays_suite_flags_a_season_type_and_negative_games_remaining(canonical) -> None:
    _, plays = canonical
    negative = pl.when(pl.col("play_id") == 83).then(-1).otherwise(pl.col("games_remaining"))
    broken = plays.with_columns(negative.alias("games_remaining"), pl.lit("PRE").alias("season_type"))
    assert _failed_columns(plays_suite(broken)) == ["games_remaining", "season_type"]


def test_suites_hand_gx_int64_and_float64_and_still_catch_out_of_range_values() -> None:
    """GX's range check is vectorized only for int64 and float64 (any other dtype runs Python per
    value): narrower and unsigned numbers are widened, nulls and text untouched, and a count stored as
    UInt32 (the players-per-side columns) out of range still fails."""
    frame = pl.DataFrame(
        {
            "players": pl.Series([11, 11, 12], dtype=pl.UInt32),
            "frame": pl.Series([1, None, 3], dtype=pl.Int32),
            "speed": pl.Series([0.5, 1.5, None], dtype=pl.Float32),
            "side": ["offense", "defense", "football"],
        }
    )
    batch = pandas_batch(frame)
    assert [str(t) for t in batch.dtypes] == ["int64", "float64", "float64", "str"]  # nulls: NaN floats
    assert batch["players"].tolist() == [11, 11, 12]
    expect = gx_module().expectations
    outcome = run_suite(
        "widened",
        frame,
        [
            expect.ExpectColumnValuesToBeBetween(column="players", min_value=11, max_value=11),
            expect.ExpectColumnValuesToBeBetween(column="frame", min_value=1, max_value=3),
        ],
    )
    assert [(f["column"], f["unexpected_count"], f["examples"]) for f in outcome.failures] == [
        ("players", 1, ["12"])
    ]
