"""The Dagster UI for real: `dagster dev` on 127.0.0.1, a job submitted over GraphQL, its
materializations and check results read back, everything shut down."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import dagster as dg
import matplotlib.image as plt_image
import numpy as np
import pytest
import requests
from dagster_graphql import DagsterGraphQLClient, DagsterGraphQLClientError

from qb_assets.defs.partitions import add_partitions
from qb_assets.synthetic.season import generate_season
from tests.conftest import REPO_ROOT
from tests.integration.production_stack import stop_session
from tests.s3_server import free_port

STARTUP_TIMEOUT_S = 180
RUN_TIMEOUT_S = 300


@pytest.fixture(scope="module")
def dagster_dev(tmp_path_factory: pytest.TempPathFactory):
    root = tmp_path_factory.mktemp("ui")
    generate_season(root / "source", season=2024, weeks=[1], games_per_week=2, seed=7)
    home = root / "dagster_home"
    home.mkdir()
    shutil.copyfile(REPO_ROOT / "dagster.yaml", home / "dagster.yaml")
    with dg.DagsterInstance.from_config(str(home)) as instance:
        add_partitions(instance, [(2024, 1)])  # seasons are dynamic partitions: the run's must exist
    port = free_port()
    env = {
        **os.environ,
        "DAGSTER_HOME": str(home),
        "QB_SOURCE": str(root / "source"),
        "QB_LAKE": str(root / "lake"),
        "QB_MODELS": str(root / "models"),
        "QB_WAREHOUSE": str(root / "warehouse.duckdb"),
    }
    log = (root / "dagster_dev.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "dagster", "dev", "-w", "workspace.yaml", "-h", "127.0.0.1", "-p", str(port)],
        cwd=REPO_ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT_S
        while time.monotonic() < deadline:
            try:
                if requests.get(f"http://127.0.0.1:{port}/server_info", timeout=2).ok:
                    break
            except requests.RequestException:
                pass
            assert process.poll() is None, (root / "dagster_dev.log").read_text()[-3000:]
            time.sleep(1)
        else:
            pytest.fail("dagster dev did not start: " + (root / "dagster_dev.log").read_text()[-3000:])
        yield {"port": port, "home": home, "root": root}
    finally:
        # dagster dev can take over a minute to stop after a run; its temporary home is not reused.
        stop_session(process, grace_s=10)
        log.close()


def test_job_submitted_over_graphql_succeeds(dagster_dev) -> None:
    client = DagsterGraphQLClient("127.0.0.1", port_number=dagster_dev["port"])
    deadline = time.monotonic() + 60
    while True:  # the code location may still be loading right after the webserver answers
        try:
            run_id = client.submit_job_execution(
                "weekly_refresh",
                # A multi-partition run also needs one tag per dimension (Dagster warns about the key format).
                tags={
                    "dagster/partition": "2024|1",
                    "dagster/partition/season": "2024",
                    "dagster/partition/week": "1",
                },
                asset_selection=["raw_tracking", "play_features"],
            )
            break
        except DagsterGraphQLClientError:
            if time.monotonic() > deadline:
                raise
            time.sleep(2)
    deadline = time.monotonic() + RUN_TIMEOUT_S
    status = None
    while time.monotonic() < deadline:
        status = client.get_run_status(run_id)
        if status in (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED):
            break
        time.sleep(2)
    assert status == dg.DagsterRunStatus.SUCCESS, status

    with dg.DagsterInstance.from_config(str(dagster_dev["home"])) as instance:
        for asset in ("raw_tracking", "play_features"):
            event = instance.get_latest_materialization_event(dg.AssetKey(asset))
            assert event is not None and event.run_id == run_id
            assert event.asset_materialization.partition == "2024|1"
        metadata = instance.get_latest_materialization_event(
            dg.AssetKey("raw_tracking")
        ).asset_materialization.metadata
        assert metadata["plays_in"].value == metadata["plays_accepted"].value > 100
        checks = {
            name: instance.event_log_storage.get_latest_asset_check_execution_by_key(
                [dg.AssetCheckKey(dg.AssetKey(asset), name)]
            )
            for asset, name in (
                ("raw_tracking", "tracking_expectations"),
                ("raw_tracking", "plays_expectations"),
                ("play_features", "feature_expectations"),
            )
        }
        for name, by_key in checks.items():
            execution = next(iter(by_key.values()))
            assert execution.run_id == run_id and execution.status.value == "SUCCEEDED", name


CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_asset_graph_page_renders_in_headless_chromium(dagster_dev, tmp_path: Path) -> None:
    base = f"http://127.0.0.1:{dagster_dev['port']}/locations/qb_assets/asset-groups"
    flags = [
        "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        f"--user-data-dir={tmp_path / 'profile'}", "--window-size=1400,900", "--virtual-time-budget=20000",
    ]  # fmt: skip
    groups = {"ingestion": ["raw_tracking"], "features": ["play_features"],
              "model": ["training_set", "sbp_model", "baseline_models", "model_evaluation", "promoted_model"],
              "scores": ["play_scores", "warehouse"]}  # fmt: skip
    for group, assets in groups.items():
        command = [CHROMIUM, *flags, "--dump-dom", f"{base}/{group}"]
        dom = subprocess.run(command, capture_output=True, text=True, timeout=120, check=False).stdout
        for asset in assets:
            assert asset in dom, f"{asset} missing from the rendered {group} asset graph"
    shot = tmp_path / "asset_graph.png"
    command = [CHROMIUM, *flags, f"--screenshot={shot}", f"{base}/model"]
    subprocess.run(command, capture_output=True, timeout=120, check=False)
    image = plt_image.imread(shot)
    assert image.shape[0] >= 800 and image.shape[1] >= 1300
    # A rendered graph page has many colours; a blank or error page has a handful.
    assert len(np.unique((image[..., :3] * 255).astype(np.uint8).reshape(-1, 3), axis=0)) > 200
