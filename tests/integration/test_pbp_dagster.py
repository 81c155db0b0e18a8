"""The play-by-play path in Dagster: the jobs a play-by-play source gets, the sensor's partitions, the
blocking checks on a staged week, and `qb-score demo --pbp` through the jobs on a real subset."""

from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import dagster as dg
import duckdb
import polars as pl
import pytest

from qb_assets.defs.automation import new_tracking_files
from qb_assets.defs.definitions import build_definitions
from qb_assets.defs.ingest import StagedChecks
from qb_assets.defs.pbp import pbp_plays_check_results
from qb_assets.defs.resources import TrackingSourceResource, default_resources
from qb_assets.ingest.pbp_ingest import pbp_tables
from qb_assets.io import lake as lake_io
from tests.conftest import qb_score

# One week of 2017 (fitted) and two of 2018 (the last season: scored out of sample).
WEEKS = [(2017, 1), (2018, 1), (2018, 2)]


@pytest.fixture(scope="module")
def pbp_file(real_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pbp_source") / "pbp.parquet"
    wanted = pl.DataFrame(WEEKS, schema={"season": pl.Int32, "week": pl.Int32}, orient="row")
    frame = pl.read_parquet(real_dir / "nflfastr_pbp_2017_2019.parquet")
    frame.join(wanted, on=["season", "week"], how="semi").write_parquet(path)
    return path


def _definitions(uri: Path) -> dg.Definitions:
    return build_definitions({**default_resources(), "tracking_source": TrackingSourceResource(uri=str(uri))})


def _job_assets(defs: dg.Definitions, job: str) -> set[str]:
    return {key.to_user_string() for key in defs.resolve_job_def(job).asset_layer.executable_asset_keys}


def test_a_play_by_play_source_gets_the_pbp_jobs(pbp_file: Path, tmp_path: Path) -> None:
    pbp = _definitions(pbp_file)
    assert _job_assets(pbp, "weekly_refresh") == {"pbp_plays", "pbp_scores", "warehouse"}
    assert _job_assets(pbp, "train_model") == {"situation_model"}
    assert _job_assets(pbp, "full_refresh") == {"pbp_plays", "situation_model", "pbp_scores", "warehouse"}
    tracking = _definitions(tmp_path)
    assert _job_assets(tracking, "weekly_refresh") == {
        "raw_tracking",
        "play_features",
        "play_scores",
        "warehouse",
    }
    assert not _job_assets(tracking, "full_refresh") & {"pbp_plays", "situation_model", "pbp_scores"}


def _sensor_tick(instance: dg.DagsterInstance, pbp_file: Path, cursor: str | None = None):
    """The sensor evaluated as the daemon does, which then adds the partitions it requested."""
    with dg.build_sensor_context(
        instance=instance,
        instance_ref=instance.get_ref(),
        cursor=cursor,
        resources={"tracking_source": TrackingSourceResource(uri=str(pbp_file))},
        definitions=_definitions(pbp_file),
    ) as context:
        tick = new_tracking_files.evaluate_tick(context)
    for request in tick.dynamic_partitions_requests or []:
        instance.add_dynamic_partitions(request.partitions_def_name, request.partition_keys)
    return tick


def test_the_sensor_requests_the_weeks_of_the_file(pbp_file: Path) -> None:
    with dg.instance_for_test() as instance:
        tick = _sensor_tick(instance, pbp_file)
        assert sorted(r.partition_key for r in tick.run_requests) == ["2017|1", "2018|1", "2018|2"]
        added = {(r.partitions_def_name, tuple(r.partition_keys)) for r in tick.dynamic_partitions_requests}
        assert added == {("season", ("2017", "2018")), ("week", ("1", "2"))}
        assert _sensor_tick(instance, pbp_file, tick.cursor).skip_message  # unchanged file: nothing to do


def test_the_blocking_checks_keep_a_bad_week_unpublished(pbp_file: Path, tmp_path: Path) -> None:
    tables, accounting = pbp_tables(pbp_file, [(2018, 1)])
    part = accounting["partitions"][0]
    week = tables[(2018, 1)]
    bad_down = {**week, "plays": week["plays"].with_columns(pl.lit(5, pl.Int32).alias("down"))}
    for staged_tables, counts, failing in (
        (bad_down, part, ["pbp_plays_expectations"]),
        (week, {**part, "plays_in": part["plays_in"] + 1}, ["pbp_plays_accounted_for"]),  # a play lost
    ):
        checks = StagedChecks(pbp_plays_check_results)
        with pytest.raises(lake_io.PartitionRejected):
            lake_io.publish_partition(tmp_path, 2018, 1, staged_tables, verify=partial(checks, part=counts))
        assert [r.check_name for r in checks.results if not r.passed] == failing
        assert lake_io.list_partitions(tmp_path, "plays") == []
    checks = StagedChecks(pbp_plays_check_results)
    lake_io.publish_partition(tmp_path, 2018, 1, week, verify=partial(checks, part=part))
    assert all(r.passed for r in checks.results) and len(checks.results) == 2


def test_demo_pbp_trains_on_all_but_the_last_season_and_scores_it(pbp_file: Path, tmp_path: Path) -> None:
    result = qb_score("demo", "--pbp", str(pbp_file), "--epochs", "1", "--workdir", str(tmp_path))
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout.split("season 2018 (out of sample: the model fitted [2017])")[1].splitlines()
    header = table[1].split()
    assert header == [
        "passer",
        "attempts",
        "out_of_sample",
        "score",
        "passing_score",
        "passer_rating",
        "anya",
        "epa_per_play",
    ]
    rows = [line.split() for line in table[3:13]]
    assert len(rows) == 10 and table[13] == "(10 rows)"
    assert all(row[1] == row[2] for row in rows)  # every 2018 attempt scored out of sample
    scores = [float(row[3]) for row in rows]
    assert scores == sorted(scores, reverse=True)
    record = json.loads((tmp_path / "models/situation/accepted.json").read_text())
    config = json.loads((tmp_path / "models/situation" / record["model_version"] / "config.json").read_text())
    assert config["data"]["fitted_seasons"] == [2017]
    con = duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True)
    try:
        seasons = con.execute(
            "SELECT season, count(*), count(DISTINCT week), sum(out_of_sample::INT), "
            "count(execution_percentile) FROM play_scores GROUP BY season ORDER BY season"
        ).fetchall()
        qualified_2018 = con.execute(
            "SELECT count(*) FROM qb_season_scores WHERE season = 2018 AND qualified"
        )
        qualified_2018 = qualified_2018.fetchone()[0]
    finally:
        con.close()
    # 2017 fitted (in sample), 2018 all out of sample, no execution component from play-by-play.
    assert [(s, weeks, oos, ex) for s, _, weeks, oos, ex in seasons] == [
        (2017, 1, 0, 0),
        (2018, 2, seasons[1][1], 0),
    ]
    assert qualified_2018 >= 10
