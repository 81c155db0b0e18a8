"""The production profile end to end on one machine: Dagster's runs, events and
schedules and the DuckLake's catalog in PostgreSQL; the landing zone, lake, model store, DuckLake data
and compute logs on S3 (moto); the instance of deploy/dagster.production.yaml with the default run
launcher in place of ECS; a code server, the webserver and the daemon as their own processes
(tests/integration/production_stack.py). As an operator would: a backfill of ``weekly_refresh``
(ingest and features) over four weeks, ``train_model``, then a rescoring backfill (scores and the
warehouse), each launched over GraphQL and run by the daemon; an analyst's ``qb-score query`` while a
load is held open inside its transaction (``QB_TEST_HOLD_LOADS``, qb_assets/warehouse/hold.py)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import boto3
import dagster as dg
import polars as pl
import pytest

from qb_assets.defs.automation import TRAIN_MODEL, WEEKLY_REFRESH
from qb_assets.defs.partitions import add_partitions, partition_key
from qb_assets.io import lake as lake_io
from qb_assets.io.storage import open_storage
from qb_assets.synthetic.season import generate_season
from qb_assets.warehouse.hold import HOLD_LOADS_ENV, held_file, hold_file
from qb_assets.warehouse.query import run_query
from tests.conftest import REPO_ROOT, new_postgres_database
from tests.integration.production_stack import (
    BACKFILL_TAG,
    IN_PROCESS,
    RUN_TIMEOUT_S,
    Stack,
    production_stack,
    run_failure,
)

pytestmark = pytest.mark.production_profile

BUCKET, LOG_BUCKET = "qb-data", "qb-compute-logs"
SEASON, WEEKS, GAMES_PER_WEEK, SEED = 2024, (1, 2, 3, 4), 2, 5
HELD_WEEK = 4  # its warehouse load is held open while the analyst queries
# Two epochs, no refit: the run must stay short; week 4 is the held-out test week.
TRAINING = {"resources": {"model_store": {"config": {"epochs": 2, "refit": False, "test_weeks": "4"}}}}


@pytest.fixture
def environment(s3_endpoint: str, postgres: int, tmp_path: Path, monkeypatch) -> Iterator[dict[str, str]]:
    """Every variable the services and runs read (README, "Scale-out"), set here too so that this
    process opens the same instance and warehouse."""
    s3 = boto3.client("s3")
    for bucket in (BUCKET, LOG_BUCKET):
        s3.create_bucket(Bucket=bucket)
    suffix = tmp_path.name.replace("-", "_").lower()
    dagster_db, catalog_db = f"dagster_{suffix}", f"warehouse_{suffix}"
    new_postgres_database(postgres, dagster_db)
    catalog = new_postgres_database(postgres, catalog_db)
    env = {
        "DAGSTER_HOME": str(tmp_path / "dagster_home"),
        "DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_PORT": str(postgres), "DAGSTER_PG_USER": "postgres",
        "DAGSTER_PG_PASSWORD": "unused", "DAGSTER_PG_DB": dagster_db,
        "DAGSTER_COMPUTE_LOG_BUCKET": LOG_BUCKET,
        "QB_SOURCE": f"s3://{BUCKET}/landing", "QB_LAKE": f"s3://{BUCKET}/lake",
        "QB_MODELS": f"s3://{BUCKET}/models",
        "QB_WAREHOUSE": f"ducklake:postgres:{catalog}", "QB_WAREHOUSE_DATA": f"s3://{BUCKET}/warehouse",
        "QB_CACHE": str(tmp_path / "cache"),
        HOLD_LOADS_ENV: str(tmp_path / "holds"),
        "PYTHONPATH": str(REPO_ROOT),  # this checkout, whatever the environment has installed
    }  # fmt: skip
    (tmp_path / "holds").mkdir()
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    yield {**os.environ, **env}


def _keys() -> list[str]:
    return [str(partition_key(SEASON, week)) for week in WEEKS]


def _overlapping(records: list[dg.RunRecord]) -> int:
    """The most runs in flight at one moment, from their start and end times in run storage."""
    spans = [(r.start_time, r.end_time) for r in records if r.start_time and r.end_time]
    return max(sum(start <= moment < end for start, end in spans) for moment, _ in spans)


def _materialized(instance: dg.DagsterInstance, asset: str, run_ids: set[str]) -> list[dg.EventLogRecord]:
    records = instance.fetch_materializations(dg.AssetKey(asset), limit=100).records
    return [r for r in records if r.run_id in run_ids]


def _analyst_query(env: dict[str, str]) -> subprocess.CompletedProcess:
    """``qb-score query`` as an analyst runs it: only the warehouse's catalog is named."""
    sql = "SELECT week, count(*) AS plays FROM play_scores GROUP BY week ORDER BY week"
    command = [sys.executable, "-m", "qb_assets.cli", "query", sql, "--warehouse", env["QB_WAREHOUSE"],
               "--format", "json"]  # fmt: skip
    analyst = {k: v for k, v in env.items() if not k.startswith(("DAGSTER_", "QB_"))}
    return subprocess.run(command, cwd=REPO_ROOT, env=analyst, capture_output=True, text=True, check=False)


def _query_while_held(stack: Stack, instance: dg.DagsterInstance, env: dict, backfill: str) -> list[dict]:
    """Wait for the held week's load (inside its transaction), check its run is in progress, ask the
    analyst's query, then let the load commit. Returns the query's rows."""
    holds = Path(env[HOLD_LOADS_ENV])
    deadline = time.monotonic() + RUN_TIMEOUT_S
    while not held_file(holds, SEASON, HELD_WEEK).exists():
        assert time.monotonic() < deadline, "the held load never started" + stack.tails()
        failed = instance.get_run_records(dg.RunsFilter(tags={BACKFILL_TAG: backfill},
                                                        statuses=[dg.DagsterRunStatus.FAILURE]))  # fmt: skip
        assert not failed, run_failure(instance, failed[0])
        time.sleep(0.5)
    try:
        tags = {BACKFILL_TAG: backfill, "dagster/partition": str(partition_key(SEASON, HELD_WEEK))}
        runs = instance.get_runs(dg.RunsFilter(tags=tags))
        assert [run.status for run in runs] == [dg.DagsterRunStatus.STARTED]
        answer = _analyst_query(env)
        assert answer.returncode == 0, answer.stderr[-3000:]
        assert instance.get_run_by_id(runs[0].run_id).status == dg.DagsterRunStatus.STARTED  # still loading
        return json.loads(answer.stdout)
    finally:
        hold_file(holds, SEASON, HELD_WEEK).unlink()


def test_production_profile_end_to_end(environment: dict[str, str], tmp_path: Path) -> None:
    env, seconds = environment, {}
    started = time.perf_counter()

    def phase(name: str) -> None:
        seconds[name] = time.perf_counter() - started - sum(seconds.values())

    generate_season(tmp_path / "season", season=SEASON, weeks=WEEKS, games_per_week=GAMES_PER_WEEK, seed=SEED)
    open_storage(env["QB_SOURCE"]).upload_folder(tmp_path / "season", "")
    shutil.rmtree(tmp_path / "season")  # the runs read the landing zone on S3, nothing local
    phase("landing zone (generate, upload)")
    with production_stack(tmp_path, env) as stack, stack.instance() as instance:
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
        assert type(instance.run_launcher).__name__ == "DefaultRunLauncher"
        add_partitions(instance, [(SEASON, week) for week in WEEKS])  # the UI's "Add partition"
        phase("services up")

        ingest = stack.launch_backfill(WEEKLY_REFRESH, _keys(), ["raw_tracking", "play_features"], IN_PROCESS)
        ingest_runs = stack.wait_for_backfill(instance, ingest, len(WEEKS))
        phase("ingest backfill (4 runs)")

        train_id = stack.launch_run(TRAIN_MODEL, {**TRAINING, **IN_PROCESS})
        stack.wait_for_run(instance, train_id)
        phase("train_model")

        # Each ECS task starts with an empty disk: so do the scoring runs (no local copy of a version).
        shutil.rmtree(env["QB_CACHE"], ignore_errors=True)
        hold_file(env[HOLD_LOADS_ENV], SEASON, HELD_WEEK).touch()
        rescore = stack.launch_backfill(WEEKLY_REFRESH, _keys(), ["play_scores", "warehouse"], IN_PROCESS)
        during_load = _query_while_held(stack, instance, env, rescore)
        rescore_runs = stack.wait_for_backfill(instance, rescore, len(WEEKS))
        phase("rescoring backfill (4 runs)")

        _check_results(instance, env, ingest_runs, train_id, rescore_runs, during_load)
        _check_compute_logs(train_id)
        phase("checks")
    total = time.perf_counter() - started
    most = _overlapping(ingest_runs), _overlapping(rescore_runs)
    in_flight = f"most runs in flight: {most[0]} ingest, {most[1]} rescoring"
    print("production profile end to end: " + ", ".join(f"{k} {v:.1f} s" for k, v in seconds.items())
          + f"; total {total:.1f} s; {in_flight}")  # fmt: skip


def _check_results(  # noqa: PLR0917 - the phases' results, checked together
    instance: dg.DagsterInstance,
    env: dict[str, str],
    ingest_runs: list[dg.RunRecord],
    train_id: str,
    rescore_runs: list[dg.RunRecord],
    during_load: list[dict],
) -> None:
    # Partitions fan out: at least two of the backfill's runs were in flight at once.
    assert _overlapping(ingest_runs) >= 2, [(r.start_time, r.end_time) for r in ingest_runs]
    # The accepted model: promoted by the training run, recorded on S3, read from S3 by every scoring run.
    promoted = _materialized(instance, "promoted_model", {train_id})
    accepted = promoted[0].asset_materialization.metadata["model_version"].value
    models = open_storage(env["QB_MODELS"])
    assert json.loads(models.read_bytes("sbp/accepted.json"))["model_version"] == accepted
    assert models.exists(f"sbp/{accepted}/model.pt") and models.exists(f"sbp/{accepted}/config.json")
    scored = _materialized(instance, "play_scores", {r.dagster_run.run_id for r in rescore_runs})
    assert sorted(e.asset_materialization.partition for e in scored) == _keys()
    assert {e.asset_materialization.metadata["model_version"].value for e in scored} == {accepted}
    copies = [p for p in Path(env["QB_CACHE"]).iterdir() if p.name.startswith(f"{accepted}-")]
    assert copies and (copies[0] / "model.pt").exists()  # downloaded by the scoring runs: the cache was empty
    # Every partition's plays exactly once in the warehouse, as many as the lake's scored attempts.
    lake = env["QB_LAKE"]

    def per_week(table: str) -> list[tuple[int, int]]:
        return lake_io.scan_table(lake, table).group_by("week").agg(pl.len()).sort("week").collect().rows()

    expected, attempts = per_week("play_scores"), per_week("features")
    assert [week for week, _ in expected] == list(WEEKS) and expected == attempts
    # The lake's plays are what the ingest runs accepted (their materialization metadata).
    ingested = _materialized(instance, "raw_tracking", {r.dagster_run.run_id for r in ingest_runs})
    accepted_plays = {int(e.asset_materialization.partition.split("|")[1]):
                      e.asset_materialization.metadata["plays_accepted"].value for e in ingested}  # fmt: skip
    assert sorted(accepted_plays.items()) == per_week("plays")
    plays_sql = "SELECT week, count(*) AS n, count(DISTINCT (game_id, play_id)) AS d FROM plays GROUP BY week"
    warehouse_plays = json.loads(run_query(plays_sql + " ORDER BY week", env["QB_WAREHOUSE"], "json"))
    assert [(r["week"], r["n"], r["d"]) for r in warehouse_plays] == [(w, n, n) for w, n in per_week("plays")]
    sql = (
        "SELECT week, count(*) AS plays, count(DISTINCT (game_id, play_id)) AS distinct_plays, "
        "count(DISTINCT model_version) AS versions, min(model_version) AS version "
        "FROM play_scores GROUP BY week ORDER BY week"
    )
    loaded = json.loads(run_query(sql, env["QB_WAREHOUSE"], "json"))
    assert [(r["week"], r["plays"], r["distinct_plays"]) for r in loaded] == [(w, n, n) for w, n in expected]
    assert all(r["versions"] == 1 and r["version"] == accepted for r in loaded)
    # The analyst's query answered while week 4's load was open: the committed weeks, never week 4.
    committed = {row["week"]: row["plays"] for row in during_load}
    assert HELD_WEEK not in committed and all(committed[w] == dict(expected)[w] for w in committed)


def _check_compute_logs(train_id: str) -> None:
    """The steps' stdout and stderr in the compute-log bucket (the production instance's S3 manager)."""
    keys = [o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=LOG_BUCKET).get("Contents", [])]
    assert any(train_id in key for key in keys) and all(k.startswith("compute-logs/") for k in keys)
