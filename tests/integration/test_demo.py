"""`qb-score demo`: every partition materialized through a real Dagster instance in the work dir."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import dagster as dg


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
    assert "dagster dev -w workspace.yaml" in result.stderr
    # The runs are in the SQLite instance under the work dir, where the UI will find them.
    home = workdir / "dagster_home"
    assert (home / "dagster.yaml").exists()
    with dg.DagsterInstance.from_config(str(home)) as instance:
        records = instance.fetch_materializations(dg.AssetKey("raw_tracking"), limit=10).records
        assert [r.partition_key for r in records] == ["2018|14"]
        runs = instance.get_runs()
        assert len(runs) == 1 and runs[0].is_success


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
        loaded = instance.get_latest_materialization_event(dg.AssetKey("warehouse")).asset_materialization
        assert loaded.metadata["season_leader_by_week"].value.startswith(
            "![the season's leader](data:image/png"
        )
