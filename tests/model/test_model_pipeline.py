"""The tracking model end to end on a small synthetic season: CLI train/evaluate, the artifact, and the
Dagster model assets with their blocking regression check (scoring: tests/scoring)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg

from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.model import baseline_models, model_evaluation, sbp_model, training_set
from qb_assets.defs.partitions import partition_key
from qb_assets.defs.resources import LakeResource, ModelStoreResource, TrackingSourceResource
from qb_assets.defs.scoring import play_scores
from qb_assets.features.schema import schema_hash
from tests.conftest import qb_score


def test_cli_train_writes_a_complete_artifact_and_evaluate_compares(small_season, tmp_path: Path) -> None:
    source, lake = small_season
    model = tmp_path / "sbp"
    result = qb_score(
        "train", "--lake", str(lake), "--model", str(model), "--epochs", "6", "--test-weeks", "3"
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["feature_schema_hash"] == schema_hash() and summary["device"] == "cpu"
    assert {p.name for p in model.iterdir()} == {"model.pt", "config.json", "metrics.json"}
    record = json.loads((model / "config.json").read_text())
    assert record["feature_schema_hash"] == schema_hash()
    assert record["train_config"]["test_weeks"] == [3] and record["data"]["weeks"] == [1, 2, 3]
    assert record["feature_schema"]["tensor"]["max_frames"] == 60
    assert "epoch 1/6" in result.stderr  # progress output

    result = qb_score(
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
    assert qb_score("train", "--lake", str(lake), "--model", str(model), "--epochs", "1").returncode == 0
    config = json.loads((model / "config.json").read_text())
    config["feature_schema_hash"] = "0000000000000000"
    (model / "config.json").write_text(json.dumps(config))
    result = qb_score("evaluate", "--lake", str(lake), "--model", str(model))
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
