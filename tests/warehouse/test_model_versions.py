"""A season scored by more than one model version is flagged: ``qb_season_scores.model_versions`` per
passer, ``season_model_versions`` for the season, and the warehouse asset's metadata."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.defs.partitions import materialize_partition
from qb_assets.defs.resources import LakeResource, WarehouseResource
from qb_assets.defs.warehouse import warehouse as warehouse_asset
from qb_assets.io import lake as lake_io
from qb_assets.warehouse import load as wh
from tests.warehouse.fabricated import QBS, SCORES, SEASON, partition_tables, query, same_rows

# Week 1 was scored by one model, week 2 after a retrain by another.
VERSION_OF_WEEK = {1: "sbp-2024-09-01", 2: "sbp-2024-09-14"}


def scored_by(week: int, version: str) -> dict[str, pl.DataFrame]:
    tables = partition_tables(week)
    tables["play_scores"] = tables["play_scores"].with_columns(model_version=pl.lit(version))
    return tables


@pytest.fixture
def mixed_warehouse(tmp_path: Path) -> Path:
    path = tmp_path / "mixed.duckdb"
    for week, version in VERSION_OF_WEEK.items():
        wh.load_partition(path, SEASON, week, scored_by(week, version))
    return path


def model_versions_by_passer(path: Path) -> dict[int, int]:
    rows = query(
        path, "SELECT passer_nfl_id, model_versions FROM qb_season_scores WHERE season = ?", [SEASON]
    )
    return {r["passer_nfl_id"]: r["model_versions"] for r in rows}


def plays_of_week(week: int) -> int:
    return SCORES.filter(pl.col("week") == week).height


def test_one_version_per_season(warehouse: Path) -> None:
    assert model_versions_by_passer(warehouse) == dict.fromkeys(QBS, 1)
    assert wh.season_model_versions(warehouse, SEASON) == {"test": SCORES.height}
    assert wh.season_model_versions(warehouse, SEASON + 1) == {}


def test_a_season_mixing_versions_is_flagged(mixed_warehouse: Path) -> None:
    # 101-103 threw in both weeks; 104 only in week 1, 105 only in week 2.
    assert model_versions_by_passer(mixed_warehouse) == {101: 2, 102: 2, 103: 2, 104: 1, 105: 1}
    assert wh.season_model_versions(mixed_warehouse, SEASON) == {
        version: plays_of_week(week) for week, version in VERSION_OF_WEEK.items()
    }
    # Rescoring week 2 with the first model makes the season whole again.
    wh.load_partition(mixed_warehouse, SEASON, 2, scored_by(2, VERSION_OF_WEEK[1]))
    assert model_versions_by_passer(mixed_warehouse) == dict.fromkeys(QBS, 1)
    assert wh.season_model_versions(mixed_warehouse, SEASON) == {VERSION_OF_WEEK[1]: SCORES.height}


def test_mixed_versions_leave_the_scores_and_aggregates_alone(mixed_warehouse: Path, warehouse: Path) -> None:
    columns = "passer_nfl_id, attempts, mean_passing_percentile, passing_score, score_50_99, qualified"
    season = f"SELECT {columns} FROM qb_season_scores ORDER BY passer_nfl_id"
    assert query(mixed_warehouse, season) == query(warehouse, season)
    for live, materialized in (
        ("qb_split_stats", "split_aggregates"),
        ("league_seasons", "season_aggregates"),
    ):
        rows = query(mixed_warehouse, f"SELECT * FROM {live} ORDER BY ALL")
        assert rows
        assert same_rows(rows, query(mixed_warehouse, f"SELECT * FROM {materialized} ORDER BY ALL"))
        assert same_rows(rows, query(warehouse, f"SELECT * FROM {materialized} ORDER BY ALL"))


def test_the_warehouse_asset_reports_a_mixed_season(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    for week, version in VERSION_OF_WEEK.items():
        for table, frame in scored_by(week, version).items():
            lake_io.write_partition(lake, table, SEASON, week, frame)
    resources = {
        "lake": LakeResource(root=str(lake)),
        "duckdb_warehouse": WarehouseResource(path=str(tmp_path / "warehouse.duckdb")),
    }
    reported = {}
    for week in VERSION_OF_WEEK:
        result = materialize_partition([warehouse_asset], SEASON, week, resources=resources)
        metadata = result.asset_materializations_for_node("warehouse")[0].metadata
        reported[week] = (
            metadata["season_model_versions"].value,
            metadata["season_mixes_model_versions"].value,
        )
    first, second = VERSION_OF_WEEK[1], VERSION_OF_WEEK[2]
    assert reported[1] == ({first: plays_of_week(1)}, False)
    assert reported[2] == ({first: plays_of_week(1), second: plays_of_week(2)}, True)
