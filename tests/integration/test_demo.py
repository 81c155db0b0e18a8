"""`qb-score demo`: every partition materialized through the project's named jobs on a real Dagster
instance in the work dir; a leaderboard of qualified passers; commands that run as printed."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import dagster as dg
import duckdb

README = Path(__file__).resolve().parents[2] / "README.md"


def _printed_command(stderr: str, after: str) -> str:
    """The command the demo printed on the line after ``after``."""
    lines = stderr.splitlines()
    return lines[lines.index(after) + 1].strip()


def _without_the_venv() -> dict[str, str]:
    """A shell environment whose PATH holds no virtual environment, as in a new terminal."""
    env = {k: v for k, v in os.environ.items() if k not in ("DAGSTER_HOME", "VIRTUAL_ENV")}
    return env | {"PATH": "/usr/bin:/bin"}


def test_demo_on_a_tracking_folder(real_source: Path, tmp_path: Path) -> None:
    workdir = tmp_path / "work"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "qb_assets.cli",
            "demo",
            "--workdir",
            str(workdir),
            "--source",
            str(real_source),
        ],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout)
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"] == 73
    # Dagster is started from DAGSTER_HOME (no other dagster.yaml there to warn about), by full path.
    assert f"cd {workdir / 'dagster_home'} && " in result.stderr
    assert f"/dagster dev -w {Path(__file__).parents[2] / 'workspace.yaml'}" in result.stderr
    # The runs are in the SQLite instance under the work dir, where the UI will find them.
    home = workdir / "dagster_home"
    assert (home / "dagster.yaml").exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(dg.AssetKey("raw_tracking"), limit=10).records
        assert [r.partition_key for r in records] == ["2018|14"]
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].is_success and runs[0].job_name == "weekly_refresh"
        assert instance.get_dynamic_partitions("week") == ["14"]  # 1 of 1 partitions, not 1 of 22


def test_demo_embedded_default_runs_the_whole_graph(tmp_path: Path) -> None:
    """The README's first command: a synthetic season through ingestion, features, training and evaluation."""
    workdir = tmp_path / "work"
    env = {k: v for k, v in os.environ.items() if k != "DAGSTER_HOME"}
    result = subprocess.run(
        [sys.executable, "-m", "qb_assets.cli", "demo", "--workdir", str(workdir)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    summary = json.loads(result.stdout[: result.stdout.index("\n}") + 2])
    assert summary["plays_in"] == summary["plays_accepted"] > 2000
    assert summary["feature_rows"] + summary["feature_quarantined"] < summary["plays_in"]  # attempts only
    for row in ("| passing |", "| passing_oracle |", "| execution |", "| execution_oracle |"):
        assert row in result.stdout
    # The evaluation belongs to the model version, which the demo promoted to the accepted one.
    accepted = json.loads((workdir / "models" / "sbp" / "accepted.json").read_text())["model_version"]
    evaluation = json.loads((workdir / "models" / "sbp" / accepted / "evaluation.json").read_text())
    for name in ("passing", "execution"):
        assert evaluation["models"][f"{name}_oracle"]["nll"] < evaluation["models"]["marginal"]["nll"]
    assert f"| {accepted} (candidate) |" in result.stdout  # the model versions table
    with dg.DagsterInstance.from_config(str(workdir / "dagster_home")) as instance:
        for asset in (
            "raw_tracking",
            "play_features",
            "training_set",
            "sbp_model",
            "baseline_models",
            "model_evaluation",
            "promoted_model",
        ):
            assert instance.get_latest_materialization_event(dg.AssetKey(asset)) is not None, asset
        assert all(run.is_success for run in instance.get_runs())
        assert {run.job_name for run in instance.get_runs()} == {"weekly_refresh", "train_model"}
        assert instance.get_dynamic_partitions("week") == ["1", "2", "3", "4"]
        loaded = instance.get_latest_materialization_event(dg.AssetKey("warehouse")).asset_materialization
        assert loaded.metadata["season_leader_by_week"].value.startswith(
            "![the season's leader](data:image/png"
        )
    _leaderboard_shows_qualified_passers(result.stdout, workdir / "warehouse.duckdb")
    _printed_commands_run_as_printed(result.stderr, tmp_path)


def _leaderboard_shows_qualified_passers(stdout: str, warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    passers = con.execute("SELECT display_name, qualified FROM qb_season_scores").fetchall()
    con.close()
    qualified = {name for name, ok in passers if ok}
    hidden = {name for name, ok in passers if not ok} - qualified
    assert qualified and hidden  # a demo season has part-time passers: else this could not fail
    board = stdout.split("season leaderboard, qualified passers")[1].split("split leaders", maxsplit=1)[0]
    assert not [name for name in hidden if name in board]
    assert f"{sum(not ok for _, ok in passers)} of {len(passers)} passers are not shown" in board
    # The README's example queries name a passer of the demo's season.
    named = set(re.findall(r"display_name = '([^']+)'", README.read_text()))
    assert named and named <= qualified


def _printed_commands_run_as_printed(stderr: str, folder: Path) -> None:
    """The query and chart commands the demo printed, in a shell whose PATH has no virtual environment."""
    for after, expected in (
        ("query the scores with:", "score_50_99"),
        ("and chart the leader's season by week:", "leader.png"),
    ):
        command = _printed_command(stderr, after)
        ran = subprocess.run(
            command,
            shell=True,
            cwd=folder,
            env=_without_the_venv(),
            capture_output=True,
            text=True,
            check=False,
        )
        assert ran.returncode == 0, (command, ran.stderr[-2000:])
        assert expected in ran.stdout
