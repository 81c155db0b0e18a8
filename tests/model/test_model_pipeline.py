"""The tracking model end to end on a small synthetic season: CLI train/evaluate, the artifact, and the
Dagster model assets with their blocking regression check."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.model import baseline_models, model_evaluation, sbp_model, training_set
from qb_assets.defs.partitions import partition_key
from qb_assets.defs.resources import LakeResource, ModelStoreResource, TrackingSourceResource
from qb_assets.defs.scoring import play_scores
from qb_assets.features.schema import schema_hash
from qb_assets.features.store import build_features
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.model.training import train_model
from qb_assets.scoring.score import score_lake
from qb_assets.scoring.validity import validity_report
from qb_assets.synthetic.oracle import oracle_ceilings
from qb_assets.synthetic.season import generate_season
from qb_assets.warehouse.load import load_lake


@pytest.fixture(scope="module")
def small_season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    root = tmp_path_factory.mktemp("model_season")
    generate_season(root / "source", season=2024, weeks=[1, 2, 3], games_per_week=8, seed=3)
    ingest_source(root / "source", root / "lake")
    build_features(str(root / "lake"))
    return root / "source", root / "lake"


def _cli(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "qb_assets.cli", *args], capture_output=True, text=True, check=False
    )


def test_cli_train_writes_a_complete_artifact_and_evaluate_compares(small_season, tmp_path: Path) -> None:
    source, lake = small_season
    model = tmp_path / "sbp"
    result = _cli("train", "--lake", str(lake), "--model", str(model), "--epochs", "6", "--test-weeks", "3")
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["feature_schema_hash"] == schema_hash() and summary["device"] == "cpu"
    assert {p.name for p in model.iterdir()} == {"model.pt", "config.json", "metrics.json"}
    record = json.loads((model / "config.json").read_text())
    assert record["feature_schema_hash"] == schema_hash()
    assert record["train_config"]["test_weeks"] == [3] and record["data"]["weeks"] == [1, 2, 3]
    assert record["feature_schema"]["tensor"]["max_frames"] == 60
    assert "epoch 1/6" in result.stderr  # progress output

    result = _cli(
        "evaluate",
        "--lake",
        str(lake),
        "--model",
        str(model),
        "--truth",
        str(source / "truth.parquet"),
        "--json",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    table = json.loads(result.stdout)
    models = table["models"]
    assert set(models) == {"sbp", "gaussian", "trees", "marginal", "oracle"}
    assert table["n_test"] == summary["split_plays"]["test"]
    # The truth the outcomes were drawn from is the floor every model is measured against.
    assert models["oracle"]["nll"] < models["sbp"]["nll"] and models["oracle"]["crps"] < models["sbp"]["crps"]
    assert models["oracle"]["pit_ks"] < 0.1


def test_scoring_refuses_an_artifact_of_another_feature_schema(small_season, tmp_path: Path) -> None:
    _, lake = small_season
    model = tmp_path / "sbp"
    assert _cli("train", "--lake", str(lake), "--model", str(model), "--epochs", "1").returncode == 0
    config = json.loads((model / "config.json").read_text())
    config["feature_schema_hash"] = "0000000000000000"
    (model / "config.json").write_text(json.dumps(config))
    result = _cli("evaluate", "--lake", str(lake), "--model", str(model))
    assert result.returncode == 1
    assert "trained on feature schema 0000000000000000" in result.stderr and "Traceback" not in result.stderr


def test_dagster_model_assets(small_season, tmp_path: Path) -> None:
    source, _ = small_season
    instance = dg.DagsterInstance.ephemeral()
    resources = {
        "tracking_source": TrackingSourceResource(uri=str(source)),
        "lake": LakeResource(root=str(tmp_path / "lake")),
        "model_store": ModelStoreResource(root=str(tmp_path / "models"), epochs=6, test_weeks="3"),
    }
    for week in (1, 2, 3):
        result = dg.materialize(
            [raw_tracking, play_features],
            partition_key=partition_key(2024, week),
            instance=instance,
            resources=resources,
        )
        assert result.success
    result = dg.materialize(
        [training_set, sbp_model, baseline_models, model_evaluation],
        instance=instance,
        resources=resources,
        selection=[training_set, sbp_model, baseline_models, model_evaluation],
    )
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"model_not_regressed": True}
    metadata = result.asset_materializations_for_node("model_evaluation")[0].metadata
    assert "| sbp |" in metadata["metrics"].value and "| oracle |" in metadata["metrics"].value
    assert metadata["pit_histograms"].value.startswith("![PIT histograms](data:image/png;base64,")
    assert (tmp_path / "models" / "accepted_model.json").exists()

    scored = dg.materialize(
        [play_scores], partition_key=partition_key(2024, 3), instance=instance, resources=resources
    )
    assert scored.success
    checks = {e.check_name: e.passed for e in scored.get_asset_check_evaluations()}
    assert checks == {"percentiles_in_unit_interval": True, "heldout_percentiles_uniform": True}
    score_metadata = scored.asset_materializations_for_node("play_scores")[0].metadata
    assert score_metadata["heldout_plays"].value > 0
    assert score_metadata["best_play"].value.startswith(
        "![the week's best-scored play](data:image/png;base64,"
    )
    # Scoring only uses a model that passed the regression check.
    (tmp_path / "models" / "accepted_model.json").unlink()
    refused = dg.materialize(
        [play_scores],
        partition_key=partition_key(2024, 3),
        instance=instance,
        resources=resources,
        raise_on_error=False,
    )
    assert not refused.success
    assert "has not passed model_not_regressed" in str(
        refused.get_step_failure_events()[0].step_failure_data.error
    )


@pytest.fixture(scope="module")
def trained_model(small_season, tmp_path_factory: pytest.TempPathFactory) -> Path:
    _, lake = small_season
    model = tmp_path_factory.mktemp("trained") / "sbp"
    train_model(str(lake), model, epochs=6, test_weeks=(3,))
    return model


def test_play_scores(small_season, trained_model: Path) -> None:
    _, lake = small_season
    summary = score_lake(str(lake), trained_model)
    scores = lake_io.scan_table(lake, "play_scores").collect()
    features = lake_io.scan_table(lake, "features").collect()
    assert summary["plays_scored"] == scores.height == features.height
    assert scores["percentile"].is_between(0.0, 1.0).all()
    ordered = scores.select(
        (pl.col("q05") <= pl.col("q25"))
        & (pl.col("q25") <= pl.col("predicted_median"))
        & (pl.col("predicted_median") <= pl.col("q75"))
        & (pl.col("q75") <= pl.col("q95"))
    )
    assert ordered.to_series().all()
    assert scores["heldout"].to_list() == (scores["week"] == 3).to_list()
    record = json.loads((trained_model / "config.json").read_text())
    assert scores["model_version"].unique().to_list() == [record["model_version"]]
    # An incompletion's percentile is where 0 yards falls: below every completion of 1+ yards in the
    # same play's distribution, so incompletions score lower than completions on average.
    by_result = dict(scores.group_by("pass_result").agg(pl.col("percentile").mean()).iter_rows())
    assert by_result["I"] < by_result["C"]
    assert scores.filter(pl.col("pass_result") == "IN")["percentile"].max() < by_result["C"]


def test_explain_draws_the_play(small_season, trained_model: Path, tmp_path: Path) -> None:
    _, lake = small_season
    game_id, play_id = (
        lake_io.scan_table(lake, "features").select("game_id", "play_id").head(1).collect().row(0)
    )
    out = tmp_path / "play.png"
    result = _cli(
        "explain",
        str(game_id),
        str(play_id),
        "--lake",
        str(lake),
        "--model",
        str(trained_model),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    info = json.loads(result.stdout)
    assert 0.0 <= info["percentile"] <= 1.0 and f"play {play_id}" in info["title"]


def test_validity_report_on_the_small_season(small_season, trained_model: Path, tmp_path: Path) -> None:
    source, lake = small_season
    score_lake(str(lake), trained_model)
    load_lake(str(lake), tmp_path / "warehouse.duckdb")
    report = validity_report(tmp_path / "warehouse.duckdb", source / "skills.parquet", 2024, min_attempts=40)
    assert report["starters_ranked"] >= 12 and report["qbs_in_both_halves"] >= 8
    # Three weeks are too few to rank QBs well, but better QBs must already score higher on average.
    assert report["spearman_score_vs_true_skill"] > 0.2
    for name in ("score", "passer_rating", "completion_pct", "yards_per_attempt"):
        assert -1.0 <= report[f"split_half_{name}"] <= 1.0
    # The truth's own percentile score is the ceiling: it must rank QBs better than chance.
    assert 0.0 < oracle_ceilings(source / "truth.parquet", source / "skills.parquet")["realised"] <= 1.0
