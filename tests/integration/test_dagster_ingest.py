"""The Dagster code location: loadable definitions and the raw_tracking asset with blocking GX checks."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from qb_assets.defs.definitions import defs
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.partitions import materialize_partition
from qb_assets.defs.resources import LakeResource, TrackingSourceResource
from tests.conftest import REPO_ROOT, write_csv
from tests.integration.dagster_runs import check_outcomes, materialize_week_14


def test_definitions_are_loadable() -> None:
    dg.Definitions.validate_loadable(defs)
    assert defs.get_assets_def("raw_tracking").partitions_def is not None


def test_dagster_cli_validates_the_workspace() -> None:
    result = subprocess.run(
        [sys.executable, "-m", "dagster", "definitions", "validate", "-w", "workspace.yaml"],
        cwd=REPO_ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_raw_tracking_materializes_a_partition(real_source: Path, tmp_path: Path) -> None:
    result = materialize_week_14([raw_tracking], real_source, tmp_path / "lake")
    assert result.success
    metadata = result.asset_materializations_for_node("raw_tracking")[0].metadata
    assert metadata["plays_in"].value == 73
    assert metadata["plays_accepted"].value + metadata["plays_quarantined"].value == 73
    assert metadata["quarantine_reasons"].value == {"too_few_players": 1}
    assert check_outcomes(result) == {
        "tracking_expectations": True,
        "plays_expectations": True,
        "plays_accounted_for": True,
    }


def test_blocking_check_fails_on_impossible_speeds(real_game: pl.DataFrame, tmp_path: Path) -> None:
    # A player at 20 yd/s is not a reason to quarantine a play, but the suite must flag the partition.
    fast = real_game.with_columns(
        pl.when((pl.col("playId") == "83") & (pl.col("nflId") == "2557870"))
        .then(pl.lit("20.0"))
        .otherwise("s")
        .alias("s")
    )
    source = write_csv(fast, tmp_path / "src" / "week14.csv").parent
    result = materialize_week_14([raw_tracking], source, tmp_path / "lake")
    assert not result.success
    checks = check_outcomes(result)
    assert checks["tracking_expectations"] is False
    assert checks["plays_expectations"] is True
    failed = next(e for e in result.get_asset_check_evaluations() if e.check_name == "tracking_expectations")
    failures = failed.metadata["failures"].value
    assert [f["column"] for f in failures] == ["player_s"]


def test_partition_without_files_fails_loudly(real_source: Path, tmp_path: Path) -> None:
    result = materialize_partition(
        [raw_tracking],
        2018,
        3,
        resources={
            "tracking_source": TrackingSourceResource(uri=str(real_source)),
            "lake": LakeResource(root=str(tmp_path)),
        },
        raise_on_error=False,
    )
    assert not result.success
    message = str(result.get_step_failure_events()[0].step_failure_data.error)
    assert "no tracking files for partition(s) [(2018, 3)]" in message


@pytest.mark.parametrize("bad_layout", ["bdb1999"])
def test_resource_rejects_unknown_layout(bad_layout: str, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="bdb1999"):
        TrackingSourceResource(uri=str(tmp_path), layout=bad_layout).open()


def test_accounting_check_blocks_a_partition_that_lost_a_play(
    real_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from qb_assets.ingest import normalize  # noqa: PLC0415 - patched for this test only

    infer_direction = normalize.infer_direction
    monkeypatch.setattr(
        normalize,
        "infer_direction",
        lambda tracking, plays: infer_direction(tracking, plays).filter(pl.col("play_id") != 83),
    )
    result = materialize_week_14([raw_tracking], real_source, tmp_path / "lake")
    assert not result.success
    assert check_outcomes(result)["plays_accounted_for"] is False
    check = next(e for e in result.get_asset_check_evaluations() if e.check_name == "plays_accounted_for")
    assert check.metadata["plays_in"].value == 73
    assert check.metadata["plays_unaccounted"].value == 1
