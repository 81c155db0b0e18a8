"""Write-audit-publish in Dagster: ``raw_tracking`` and ``play_features`` run their blocking checks on the
staged partition and publish it only when they pass; a failed check leaves the previous partition in
service, every table of it."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.features import store
from tests.conftest import write_csv
from tests.integration.dagster_runs import WEEK_14, check_outcomes, materialize_week_14
from tests.lake_content import INGEST_TABLES, partition_hashes

FEATURE_TABLES = ("features", "feature_quarantine")


def test_a_failed_tracking_suite_keeps_the_previous_partition(
    real_source: Path, real_game: pl.DataFrame, tmp_path: Path
) -> None:
    lake = tmp_path / "lake"
    assert materialize_week_14([raw_tracking], real_source, lake).success
    before = partition_hashes(lake, WEEK_14)

    # New data for the partition, with one player at an impossible 20 yd/s on one play.
    fast = real_game.with_columns(
        pl.when((pl.col("playId") == "83") & (pl.col("nflId") == "2557870"))
        .then(pl.lit("20.0"))
        .otherwise("s")
        .alias("s")
    )
    result = materialize_week_14(
        [raw_tracking], write_csv(fast, tmp_path / "fast" / "week14.csv").parent, lake
    )

    assert not result.success
    assert check_outcomes(result) == {
        "tracking_expectations": False,
        "plays_expectations": True,
        "plays_accounted_for": True,
    }
    assert partition_hashes(lake, WEEK_14, INGEST_TABLES) == before
    assert result.asset_materializations_for_node("raw_tracking") == []
    message = str(result.get_step_failure_events()[0].step_failure_data.error)
    assert "tracking_expectations" in message and "not published" in message


def test_a_failed_feature_suite_keeps_the_previous_features(
    real_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake = tmp_path / "lake"
    assert materialize_week_14([raw_tracking, play_features], real_source, lake).success
    before = partition_hashes(lake, WEEK_14, FEATURE_TABLES)

    build = store.build_partition_features

    def fifth_down(*tables: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
        features, quarantine, stats = build(*tables)
        return features.with_columns(pl.lit(5).cast(features["down"].dtype).alias("down")), quarantine, stats

    monkeypatch.setattr(store, "build_partition_features", fifth_down)
    result = materialize_week_14([play_features], real_source, lake)

    assert not result.success
    assert check_outcomes(result) == {"feature_expectations": False, "features_accounted_for": True}
    assert partition_hashes(lake, WEEK_14, FEATURE_TABLES) == before
    assert result.asset_materializations_for_node("play_features") == []
