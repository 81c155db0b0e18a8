"""Jobs, the nightly season refresh and the new-files sensor, evaluated against a real tracking folder."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import dagster as dg
import pytest
import yaml

from qb_assets.defs.automation import current_season, new_tracking_files, nightly_season_refresh
from qb_assets.defs.definitions import defs
from qb_assets.defs.resources import TrackingSourceResource
from qb_assets.synthetic.season import generate_season
from tests.conftest import REPO_ROOT


@pytest.fixture(scope="module")
def source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    folder = tmp_path_factory.mktemp("automation") / "source"
    generate_season(folder, season=2024, weeks=[1, 2, 3], games_per_week=1, seed=5)
    return folder


def _resources(source: Path) -> dict:
    return {"tracking_source": TrackingSourceResource(uri=str(source))}


def test_jobs_schedule_and_sensor_are_defined_and_stopped() -> None:
    for name in ("weekly_refresh", "train_model", "full_refresh"):
        assert defs.resolve_job_def(name) is not None
    weekly = defs.resolve_job_def("weekly_refresh")
    assert weekly.partitions_def is not None
    assert nightly_season_refresh.default_status == dg.DefaultScheduleStatus.STOPPED
    assert new_tracking_files.default_status == dg.DefaultSensorStatus.STOPPED


def test_current_season_spans_the_new_year() -> None:
    assert current_season(dt.date(2024, 9, 8)) == 2024
    assert current_season(dt.date(2025, 1, 12)) == 2024
    assert current_season(dt.date(2025, 3, 1)) == 2025


def test_nightly_refresh_requests_the_latest_weeks(source: Path) -> None:
    when = dt.datetime(2024, 11, 20, 6, tzinfo=dt.UTC)
    with dg.build_schedule_context(scheduled_execution_time=when, resources=_resources(source)) as context:
        requests = nightly_season_refresh(context)
    assert [r.partition_key for r in requests] == ["2024|2", "2024|3"]
    assert len({r.run_key for r in requests}) == 2
    off_season = dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC)
    with dg.build_schedule_context(
        scheduled_execution_time=off_season, resources=_resources(source)
    ) as context:
        skipped = nightly_season_refresh(context)
    assert isinstance(skipped, dg.SkipReason) and "season 2026" in skipped.skip_message


def test_sensor_requests_new_and_changed_weeks_once(source: Path) -> None:
    with dg.build_sensor_context(resources=_resources(source)) as context:
        first = new_tracking_files(context)
        cursor = context.cursor
    assert sorted(r.partition_key for r in first) == ["2024|1", "2024|2", "2024|3"]
    assert len(json.loads(cursor)) == len(list(source.iterdir()))
    with dg.build_sensor_context(cursor=cursor, resources=_resources(source)) as context:
        assert isinstance(new_tracking_files(context), dg.SkipReason)
    week_3 = source / "tracking_week_3.csv"
    stat = week_3.stat()
    os.utime(week_3, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
    with dg.build_sensor_context(cursor=cursor, resources=_resources(source)) as context:
        changed = new_tracking_files(context)
    assert [r.partition_key for r in changed] == ["2024|3"]
    assert changed[0].run_key not in {r.run_key for r in first}


def test_single_writer_pools() -> None:
    """The DuckDB writer and the GPU each take a pool whose limit is one slot in the instance config."""
    assert defs.get_assets_def("warehouse").op.pool == "duckdb"
    assert defs.get_assets_def("sbp_model").op.pool == "gpu"
    config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1
