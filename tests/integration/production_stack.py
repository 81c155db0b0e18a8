"""The production profile on one machine, for tests/integration/test_production_end_to_end.py: the
instance of deploy/dagster.production.yaml with the default run launcher in place of ECS (each run a
subprocess, as each would be an ECS task), and its services as processes: a code server (``dagster api
grpc``), the webserver (GraphQL, where backfills are launched) and the daemon (the queued run coordinator
and the backfill daemon). Runs are read back from the instance's PostgreSQL run storage."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import dagster as dg
import requests
import yaml
from dagster._core.execution.backfill import BulkActionStatus

from qb_assets.defs.pools import POOL_LIMITS
from tests.conftest import REPO_ROOT
from tests.s3_server import free_port

PRODUCTION_YAML = REPO_ROOT / "deploy" / "dagster.production.yaml"
LOCATION = "qb_assets"
REPOSITORY = "__repository__"  # the name Dagster gives the repository of a Definitions object
STARTUP_TIMEOUT_S = 240
RUN_TIMEOUT_S = 600
BACKFILL_TAG = "dagster/backfill"
TERMINAL = (dg.DagsterRunStatus.SUCCESS, dg.DagsterRunStatus.FAILURE, dg.DagsterRunStatus.CANCELED)
# Each run's steps form a chain: in one process they skip a Python start per step (about 3 s each).
IN_PROCESS = {"execution": {"config": {"in_process": {}}}}

LAUNCH_BACKFILL = """
mutation ($params: LaunchBackfillParams!) {
  launchPartitionBackfill(backfillParams: $params) {
    __typename
    ... on LaunchBackfillSuccess { backfillId }
    ... on PythonError { message stack }
    ... on PartitionSetNotFoundError { message }
    ... on PartitionKeysNotFoundError { message }
  }
}"""
LAUNCH_RUN = """
mutation ($params: ExecutionParams!) {
  launchRun(executionParams: $params) {
    __typename
    ... on LaunchRunSuccess { run { runId } }
    ... on PythonError { message stack }
    ... on RunConfigValidationInvalid { errors { message } }
  }
}"""


def production_instance_yaml() -> dict:
    """deploy/dagster.production.yaml with the default run launcher in place of the ECS one (storage,
    compute logs, the coordinator and pools stay as written; the queue is polled more often)."""
    config = yaml.safe_load(PRODUCTION_YAML.read_text())
    config["run_launcher"] = {"module": "dagster.core.launcher", "class": "DefaultRunLauncher"}
    # The queue is polled every second instead of every 5: waiting time, not what the test checks.
    config["run_coordinator"].setdefault("config", {})["dequeue_interval_seconds"] = 1
    return config


@dataclass
class Stack:
    """The running services: ``home`` (DAGSTER_HOME), the webserver's ``port``, each log file."""

    home: Path
    port: int
    logs: dict[str, Path]

    def instance(self) -> dg.DagsterInstance:
        return dg.DagsterInstance.from_config(str(self.home))

    def graphql(self, query: str, variables: Mapping[str, Any]) -> dict:
        response = requests.post(f"http://127.0.0.1:{self.port}/graphql",
                                 json={"query": query, "variables": variables}, timeout=120)  # fmt: skip
        response.raise_for_status()
        body = response.json()
        assert "errors" not in body, body["errors"]
        return body["data"]

    def launch_backfill(
        self, job: str, partitions: list[str], assets: list[str], run_config: Mapping[str, Any]
    ) -> str:
        """A backfill of ``job`` over ``partitions`` materializing ``assets``, as the UI's backfill
        dialog launches it; the backfill daemon submits its runs. Returns the backfill id."""
        params = {
            "selector": {"partitionSetName": f"{job}_partition_set",
                         "repositorySelector": {"repositoryName": REPOSITORY,
                                                "repositoryLocationName": LOCATION}},
            "partitionNames": partitions,
            "assetSelection": [{"path": [asset]} for asset in assets],
            "runConfigData": dict(run_config),
        }  # fmt: skip
        result = self.graphql(LAUNCH_BACKFILL, {"params": params})["launchPartitionBackfill"]
        assert result["__typename"] == "LaunchBackfillSuccess", result
        return result["backfillId"]

    def launch_run(self, job: str, run_config: Mapping[str, Any]) -> str:
        """One run of ``job``, as the UI's launchpad launches it (queued, then launched by the daemon)."""
        params = {
            "selector": {"repositoryName": REPOSITORY, "repositoryLocationName": LOCATION, "jobName": job},
            "runConfigData": dict(run_config),
        }
        result = self.graphql(LAUNCH_RUN, {"params": params})["launchRun"]
        assert result["__typename"] == "LaunchRunSuccess", result
        return result["run"]["runId"]

    def wait_for_backfill(
        self, instance: dg.DagsterInstance, backfill_id: str, count: int
    ) -> list[dg.RunRecord]:
        """The ``count`` runs of the backfill once all have ended; a failed run's error, a failed backfill
        or a timeout (with the services' log tails) fails the test."""
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while True:
            backfill = instance.get_backfill(backfill_id)
            assert backfill is not None and backfill.status != BulkActionStatus.FAILED, backfill
            records = instance.get_run_records(dg.RunsFilter(tags={BACKFILL_TAG: backfill_id}))
            if len(records) == count and all(r.dagster_run.status in TERMINAL for r in records):
                break
            waiting = f"backfill {backfill_id}: {len(records)} of {count} runs, not all ended: "
            assert time.monotonic() < deadline, waiting + self.tails()
            time.sleep(1)
        for record in records:
            assert record.dagster_run.status == dg.DagsterRunStatus.SUCCESS, run_failure(instance, record)
        return records

    def wait_for_run(self, instance: dg.DagsterInstance, run_id: str) -> dg.RunRecord:
        """The run's record once it has succeeded; a failure or a timeout fails the test."""
        deadline = time.monotonic() + RUN_TIMEOUT_S
        while (record := instance.get_run_record_by_id(run_id)).dagster_run.status not in TERMINAL:
            assert time.monotonic() < deadline, f"run {run_id} did not end" + self.tails()
            time.sleep(1)
        assert record.dagster_run.is_success, run_failure(instance, record)
        return record

    def tails(self, chars: int = 2000) -> str:
        return "".join(f"\n--- {name}\n{path.read_text()[-chars:]}" for name, path in self.logs.items())


def run_failure(instance: dg.DagsterInstance, record: dg.RunRecord) -> str:
    """Every error a run logged (failed steps, a failed start or resource, the run's failure), for an
    assertion message: a run can fail with no failed step (its worker or executor failed first)."""
    run = record.dagster_run
    errors = []
    for entry in instance.all_logs(run.run_id):
        event = entry.dagster_event
        error = entry.error_info or getattr(event and event.event_specific_data, "error", None)
        failed = event is not None and event.event_type in (
            dg.DagsterEventType.STEP_FAILURE, dg.DagsterEventType.RUN_FAILURE
        )  # fmt: skip
        if error is not None or failed:
            detail = error.to_string() if error is not None else ""
            errors.append(f"{entry.step_key or 'run'}: {entry.user_message or event.message}\n{detail}")
    partition = run.tags.get("dagster/partition")
    return f"run {run.run_id} ({run.job_name} {partition}) {run.status}:\n" + "\n".join(errors)


def _wait_until_serving(port: int, process: subprocess.Popen, log: Path, path: str = "/server_info") -> None:
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            if requests.get(f"http://127.0.0.1:{port}{path}", timeout=2).ok:
                return
        except requests.RequestException:
            pass
        time.sleep(0.5)
    raise AssertionError(f"not serving after {STARTUP_TIMEOUT_S} s: " + log.read_text()[-3000:])


def _wait_for_grpc(port: int, process: subprocess.Popen, log: Path) -> None:
    from dagster._grpc.client import DagsterGrpcClient  # noqa: PLC0415 - the code server's own ping

    client = DagsterGrpcClient(port=port, host="127.0.0.1")
    deadline = time.monotonic() + STARTUP_TIMEOUT_S
    while time.monotonic() < deadline:
        assert process.poll() is None, log.read_text()[-3000:]
        try:
            client.ping("")
            return
        except Exception:  # not up yet
            time.sleep(0.5)
    raise AssertionError(f"code server not up after {STARTUP_TIMEOUT_S} s: " + log.read_text()[-3000:])


@contextmanager
def _service(name: str, command: list[str], env: Mapping[str, str], logs: dict[str, Path], folder: Path):
    log_path = folder / f"{name}.log"
    logs[name] = log_path
    log: IO[str] = log_path.open("w")
    process = subprocess.Popen(command, cwd=REPO_ROOT, env=dict(env), stdout=log, stderr=subprocess.STDOUT,
                               start_new_session=True)  # fmt: skip
    try:
        yield process
    finally:
        stop_session(process)
        log.close()


def stop_session(process: subprocess.Popen, grace_s: float = 60.0) -> None:
    """Stop a service started with ``start_new_session``: its session holds the service and what it
    started (the code server's run workers); SIGTERM lets Dagster shut down, SIGKILL after ``grace_s``."""
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=grace_s)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=30)


def set_pool_limits(bin_dir: Path, env: Mapping[str, str]) -> None:
    """The deployment's one-off step (README "Scale-out"): each pool's limit set explicitly with the
    dagster CLI, so that no two runs race to create a pool's default limit in PostgreSQL."""
    for pool, limit in POOL_LIMITS.items():
        command = [str(bin_dir / "dagster"), "instance", "concurrency", "set", pool, str(limit)]
        done = subprocess.run(command, env=dict(env), capture_output=True, text=True, timeout=120)  # noqa: PLW1510
        assert done.returncode == 0, done.stdout + done.stderr


# ``dagster-daemon``, with the backfill daemon looping every 2 s instead of every 30: Dagster 1.13 fixes
# that loop at DEFAULT_DAEMON_INTERVAL_SECONDS (no instance setting), and waiting for its next loop was a
# third of this test's time. Only the wait changes: the same daemon picks up and runs the backfills.
FAST_TICK_DAEMON = (
    "import sys; import dagster._daemon.controller as controller; "
    "controller.DEFAULT_DAEMON_INTERVAL_SECONDS = 2; "
    "from dagster._daemon.cli import main; sys.exit(main())"
)


@contextmanager
def production_stack(folder: Path, env: Mapping[str, str]) -> Iterator[Stack]:
    """DAGSTER_HOME under ``folder`` with the local production instance, and the code server, webserver
    and daemon running with ``env`` (which must hold DAGSTER_HOME = ``folder / "dagster_home"``)."""
    home = folder / "dagster_home"
    home.mkdir(parents=True, exist_ok=True)
    assert env["DAGSTER_HOME"] == str(home)
    (home / "dagster.yaml").write_text(yaml.safe_dump(production_instance_yaml()))
    grpc_port, web_port = free_port(), free_port()
    workspace = folder / "workspace.yaml"
    grpc = {"host": "127.0.0.1", "port": grpc_port, "location_name": LOCATION}
    workspace.write_text(yaml.safe_dump({"load_from": [{"grpc_server": grpc}]}))
    bin_dir = Path(sys.executable).parent
    set_pool_limits(bin_dir, env)
    logs: dict[str, Path] = {}
    with ExitStack() as stack:
        code_server = stack.enter_context(_service(
            "code_server",
            [sys.executable, "-m", "dagster", "api", "grpc", "-m", "qb_assets.defs.definitions",
             "-d", str(REPO_ROOT), "-h", "127.0.0.1", "-p", str(grpc_port), "--location-name", LOCATION],
            env, logs, folder))  # fmt: skip
        _wait_for_grpc(grpc_port, code_server, logs["code_server"])
        web = [str(bin_dir / "dagster-webserver"), "-w", str(workspace), "-h", "127.0.0.1"]
        web += ["-p", str(web_port)]
        webserver = stack.enter_context(_service("webserver", web, env, logs, folder))
        daemon = [sys.executable, "-c", FAST_TICK_DAEMON, "run", "-w", str(workspace)]
        stack.enter_context(_service("daemon", daemon, env, logs, folder))
        _wait_until_serving(web_port, webserver, logs["webserver"])
        yield Stack(home, web_port, logs)
