"""Situation-only mode on the real play-by-play: the model comparison on real yards."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import polars as pl

from qb_assets.scoring.validity import real_split_half

PBP_FILE = "nflfastr_pbp_2017_2019.parquet"


def test_evaluate_pbp_sbp_beats_gaussian_on_real_yards(real_dir: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "qb_assets.cli",
            "evaluate-pbp",
            str(real_dir / PBP_FILE),
            "--train-seasons",
            "2017-2018",
            "--test-seasons",
            "2019",
            "--epochs",
            "12",
            "--json",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = json.loads(result.stdout)
    models = table["models"]
    assert set(models) == {"sbp", "gaussian", "trees", "marginal"}
    assert table["n_test"] > 15_000 and table["test_seasons"] == [2019]
    sbp, gaussian = models["sbp"], models["gaussian"]
    assert sbp["nll"] < gaussian["nll"] and sbp["crps"] < gaussian["crps"]
    assert sbp["pit_ks"] < 0.03
    assert sbp["nll"] < models["marginal"]["nll"]  # the situation carries information
    assert models["trees"]["nll"] is None and models["trees"]["mae_median"] > 0


def test_evaluate_pbp_rejects_a_file_without_the_columns(tmp_path: Path) -> None:
    pl.DataFrame({"game_id": [1], "season": [2019]}).write_parquet(tmp_path / "x.parquet")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "qb_assets.cli",
            "evaluate-pbp",
            str(tmp_path / "x.parquet"),
            "--train-seasons",
            "2017",
            "--test-seasons",
            "2019",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert "not an nflfastR play-by-play file, missing columns: down" in result.stderr


def test_real_split_half_reliability_of_qb_efficiency(real_dir: Path) -> None:
    """The yardstick for the synthetic league's skill spread: how repeatable real QB efficiency is."""
    real = real_split_half(real_dir / PBP_FILE)
    # Three seasons of starters with 150+ attempts in both halves; the description names the passer of
    # every attempt but spikes.
    assert 60 <= real["passer_seasons"] <= 110
    assert real["passer_named_share"] > 0.98
    assert real["mean_attempts_per_half"] > 200
    # Efficiency repeats (skill), but far from perfectly in a half season (noise).
    for stat in ("split_half_completion_pct", "split_half_yards_per_attempt"):
        assert 0.1 < real[stat] < 0.8, (stat, real[stat])
