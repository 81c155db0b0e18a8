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
    # Training ends with the promotion step, gated by the blocking model_not_regressed check.
    training = defs.resolve_job_def("train_model").asset_layer.executable_asset_keys
    assert {key.to_user_string() for key in training} == {
        "training_set",
        "sbp_model",
        "baseline_models",
        "model_evaluation",
        "promoted_model",
    }
    assert nightly_season_refresh.default_status == dg.DefaultScheduleStatus.STOPPED
    assert new_tracking_files.default_status == dg.DefaultSensorStatus.STOPPED


def test_current_season_spans_the_new_year() -> None:
    assert current_season(dt.date(2024, 9, 8)) == 2024
    assert current_season(dt.date(2025, 1, 12)) == 2024
    assert current_season(dt.date(2025, 3, 1)) == 2025


def _schedule_tick(instance: dg.DagsterInstance, source: Path, when: dt.datetime):
    """The nightly schedule evaluated as the daemon does: its run requests resolved against the job's
    partitions in ``instance`` (an unknown partition key raises)."""
    with dg.build_schedule_context(
        instance=instance,
        scheduled_execution_time=when,
        resources=_resources(source),
        repository_def=defs.get_repository_def(),
    ) as context:
        return nightly_season_refresh.evaluate_tick(context)


def _sensor_tick(instance: dg.DagsterInstance, source: Path, cursor: str | None = None):
    """The sensor evaluated as the daemon does, which then adds the partitions it requested."""
    with dg.build_sensor_context(
        instance=instance,
        instance_ref=instance.get_ref(),
        cursor=cursor,
        resources=_resources(source),
        definitions=defs,
    ) as context:
        tick = new_tracking_files.evaluate_tick(context)
    for request in tick.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return tick


def _existing_partitions(instance: dg.DagsterInstance) -> set[str]:
    partitions = defs.resolve_job_def("weekly_refresh").partitions_def
    return set(partitions.get_partition_keys(dynamic_partitions_store=instance))


def test_nightly_refresh_requests_the_latest_weeks(source: Path) -> None:
    when = dt.datetime(2024, 11, 20, 6, tzinfo=dt.UTC)
    with dg.instance_for_test() as instance:
        requests = _schedule_tick(instance, source, when).run_requests
        assert [r.partition_key for r in requests] == ["2024|2", "2024|3"]
        assert len({r.run_key for r in requests}) == 2
        off_season = dt.datetime(2026, 7, 1, 6, tzinfo=dt.UTC)
        skipped = _schedule_tick(instance, source, off_season)
    assert not skipped.run_requests and "season 2026" in skipped.skip_message


def test_sensor_requests_new_and_changed_weeks_once(source: Path) -> None:
    with dg.instance_for_test() as instance:
        first = _sensor_tick(instance, source)
        assert sorted(r.partition_key for r in first.run_requests) == ["2024|1", "2024|2", "2024|3"]
        assert len(json.loads(first.cursor)) == len(list(source.iterdir()))
        assert _sensor_tick(instance, source, first.cursor).skip_message
        week_3 = source / "tracking_week_3.csv"
        stat = week_3.stat()
        os.utime(week_3, ns=(stat.st_atime_ns, stat.st_mtime_ns + 1_000_000_000))
        changed = _sensor_tick(instance, source, first.cursor)
    assert [r.partition_key for r in changed.run_requests] == ["2024|3"]
    assert changed.run_requests[0].run_key not in {r.run_key for r in first.run_requests}
    # The season was added on the first tick: the second asks for nothing new.
    assert not changed.dynamic_partitions_requests


@pytest.fixture(scope="module")
def new_season_source(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A season no fixed range foresaw (2030), with its last regular-season week and its wild card week."""
    folder = tmp_path_factory.mktemp("automation_2030") / "source"
    generate_season(folder, season=2030, weeks=[18, 19], games_per_week=1, seed=6)
    return folder


def test_sensor_adds_the_seasons_it_requests(new_season_source: Path) -> None:
    with dg.instance_for_test() as instance:
        tick = _sensor_tick(instance, new_season_source)
        requested = sorted(r.partition_key for r in tick.run_requests)
        assert requested == ["2030|18", "2030|19"]
        assert set(requested) <= _existing_partitions(instance)
        assert instance.get_dynamic_partitions("season") == ["2030"]


def test_nightly_refresh_adds_the_season_it_requests(new_season_source: Path) -> None:
    january = dt.datetime(2031, 1, 20, 6, tzinfo=dt.UTC)  # season 2030's postseason
    with dg.instance_for_test() as instance:
        tick = _schedule_tick(instance, new_season_source, january)
        requested = [r.partition_key for r in tick.run_requests]
        assert requested == ["2030|18", "2030|19"]
        assert set(requested) <= _existing_partitions(instance)


def test_single_writer_pools() -> None:
    """The DuckDB writer and the GPU each take a pool whose limit is one slot in the instance config."""
    assert defs.get_assets_def("warehouse").op.pool == "duckdb"
    assert defs.get_assets_def("sbp_model").op.pool == "gpu"
    config = yaml.safe_load((REPO_ROOT / "dagster.yaml").read_text())
    assert config["concurrency"]["pools"]["default_limit"] == 1
    assert config["concurrency"]["runs"]["max_concurrent_runs"] == 1


def test_the_partitions_are_the_seasons_and_weeks_found(source: Path) -> None:
    """A source of weeks 1-3 shows 3 partitions, not every week of the season."""
    with dg.instance_for_test() as instance:
        _sensor_tick(instance, source)
        assert _existing_partitions(instance) == {"2024|1", "2024|2", "2024|3"}
        assert instance.get_dynamic_partitions("week") == ["1", "2", "3"]
