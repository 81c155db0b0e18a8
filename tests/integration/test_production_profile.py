"""The scale-out profile: the production dagster.yaml validates, and its PostgreSQL storage works
against a real PostgreSQL server (Debian's, started here as the postgres user on 127.0.0.1)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import dagster as dg
import pytest
import yaml
from dagster._core.instance.config import dagster_instance_config

from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.partitions import materialize_partition
from qb_assets.defs.resources import LakeResource, TrackingSourceResource
from tests.conftest import REPO_ROOT

PRODUCTION_YAML = REPO_ROOT / "deploy" / "dagster.production.yaml"
PG_ENV = {"DAGSTER_PG_HOST": "127.0.0.1", "DAGSTER_PG_USER": "postgres", "DAGSTER_PG_PASSWORD": "unused",
          "DAGSTER_PG_DB": "postgres", "DAGSTER_COMPUTE_LOG_BUCKET": "compute-logs"}  # fmt: skip


def test_production_config_validates(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    for key, value in {**PG_ENV, "DAGSTER_PG_PORT": "5432"}.items():
        monkeypatch.setenv(key, value)
    shutil.copyfile(PRODUCTION_YAML, tmp_path / "dagster.yaml")
    config, _ = dagster_instance_config(str(tmp_path))
    assert config["storage"]["postgres"]["postgres_db"]["hostname"] == {"env": "DAGSTER_PG_HOST"}
    assert config["run_launcher"]["class"] == "EcsRunLauncher"
    assert config["compute_logs"]["class"] == "S3ComputeLogManager"
    assert config["concurrency"]["pools"]["default_limit"] == 1


def test_runs_are_stored_in_postgres(postgres: int, real_source: Path, tmp_path: Path, monkeypatch) -> None:
    for key, value in {**PG_ENV, "DAGSTER_PG_PORT": str(postgres)}.items():
        monkeypatch.setenv(key, value)
    home = tmp_path / "home"
    home.mkdir()
    production = yaml.safe_load(PRODUCTION_YAML.read_text())
    # The production storage as written; ECS and S3 compute logs need AWS and stay out of this test.
    (home / "dagster.yaml").write_text(yaml.safe_dump({"storage": production["storage"]}))
    with dg.DagsterInstance.from_config(str(home)) as instance:
        result = materialize_partition(
            [raw_tracking], 2018, 14, instance=instance,
            resources={"tracking_source": TrackingSourceResource(uri=str(real_source)),
                       "lake": LakeResource(root=str(tmp_path / "lake"))},
        )  # fmt: skip
        assert result.success
        assert type(instance.run_storage).__name__ == "PostgresRunStorage"
    with dg.DagsterInstance.from_config(str(home)) as reopened:  # a second process would see the same
        runs = reopened.get_runs()
        assert [run.run_id for run in runs] == [result.run_id] and runs[0].is_success
        event = reopened.get_latest_materialization_event(dg.AssetKey("raw_tracking"))
        assert event.asset_materialization.metadata["plays_in"].value == 73
    assert os.environ["DAGSTER_PG_PORT"] == str(postgres)


PARTIAL_RUN_CONFIG = """
import json
import dagster as dg
from qb_assets.defs.definitions import defs
config = {"resources": {"model_store": {"config": {"epochs": 2}},
                        "duckdb_warehouse": {"config": {"path": "ducklake:other.ducklake"}}}}
resolved = dg.validate_run_config(defs.resolve_job_def("weekly_refresh"), config)["resources"]
print(json.dumps({name: resolved[name]["config"] for name in ("model_store", "duckdb_warehouse", "lake")}))
"""


def test_a_run_configured_in_part_keeps_the_deployments_locations(tmp_path: Path) -> None:
    """Launchpad config for one field of a resource (the model store's epochs) leaves the others at the
    deployment's QB_* values, not at the local work/ folders (the code location reads them as it loads)."""
    env = {**os.environ, "QB_MODELS": "s3://models-bucket/store", "QB_LAKE": "s3://lake-bucket/lake",
           "QB_WAREHOUSE_DATA": "s3://warehouse-bucket/data", "PYTHONPATH": str(REPO_ROOT)}  # fmt: skip
    result = subprocess.run([sys.executable, "-c", PARTIAL_RUN_CONFIG], cwd=tmp_path, env=env,
                            capture_output=True, text=True, check=False)  # fmt: skip
    assert result.returncode == 0, result.stderr[-3000:]
    resolved = json.loads(result.stdout.strip().splitlines()[-1])
    assert resolved["model_store"]["root"] == "s3://models-bucket/store"
    assert resolved["model_store"]["epochs"] == 2
    warehouse = {"path": "ducklake:other.ducklake", "data_path": "s3://warehouse-bucket/data"}
    assert resolved["duckdb_warehouse"] == warehouse
    assert resolved["lake"] == {"root": "s3://lake-bucket/lake"}
