"""The tracking model end to end on a small synthetic season: CLI train/evaluate, the artifact version,
and the Dagster model assets: the blocking regression check gates promotion, and scoring uses the
accepted version (scoring: tests/scoring; the model store alone: test_store.py)."""

from __future__ import annotations

import json
from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.model import (
    baseline_models,
    model_evaluation,
    promoted_model,
    sbp_model,
    training_set,
)
from qb_assets.defs.partitions import materialize_partition
from qb_assets.defs.resources import LakeResource, ModelStoreResource, TrackingSourceResource
from qb_assets.defs.scoring import play_scores
from qb_assets.features.schema import schema_hash
from qb_assets.io import lake as lake_io
from qb_assets.model import evaluation
from qb_assets.model.applicability import PROFILE_FILE
from qb_assets.model.store import accepted_record, list_versions, read_evaluation
from tests.conftest import qb_score


def test_cli_train_writes_a_complete_artifact_and_evaluate_compares(small_season, tmp_path: Path) -> None:
    source, lake = small_season
    root = tmp_path / "sbp"
    result = qb_score(
        "train",
        "--lake",
        str(lake),
        "--model",
        str(root),
        "--epochs",
        "6",
        "--test-weeks",
        "3",
        "--baselines",
    )
    assert result.returncode == 0, result.stderr[-2000:]
    summary = json.loads(result.stdout)
    assert summary["feature_schema_hash"] == schema_hash() and summary["device"] == "cpu"
    # --model is the model root: the run published one version folder there, named by its version.
    model = Path(summary["model_dir"])
    assert model == root / summary["model_version"]
    assert {p.name for p in root.iterdir()} == {summary["model_version"], "candidate.json"}
    # The passing model at the version's root, the execution model in execution/, one shared split, the
    # training profile the applicability guard compares scored partitions with, and (--baselines) the
    # baselines trained on that split.
    artifact = {"model.pt", "config.json", "metrics.json"}
    assert {p.name for p in model.iterdir()} == {
        *artifact,
        "split.parquet",
        PROFILE_FILE,
        "execution",
        "baselines",
    }
    assert summary["baselines_dir"] == str(model / "baselines")
    assert {p.name for p in (model / "execution").iterdir()} == artifact
    record = json.loads((model / "config.json").read_text())
    execution = json.loads((model / "execution" / "config.json").read_text())
    assert record["model_version"] == execution["model_version"] == summary["model_version"]
    assert record["data"]["input_set"] == "passing" and execution["data"]["input_set"] == "execution"
    assert record["feature_schema_hash"] == schema_hash()
    assert record["train_config"]["test_weeks"] == [3] and record["data"]["weeks"] == [1, 2, 3]
    assert record["feature_schema"]["tensor"]["max_frames"] == 60
    # The split travels with the model: week 3's games are its test games.
    games = lake_io.scan_table(lake, "features").select("game_id", "week").unique().collect()
    split = games.join(pl.read_parquet(model / "split.parquet"), on="game_id", how="left")
    assert split.filter((pl.col("week") == 3) != (pl.col("split") == "test")).is_empty()
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
    assert list(models) == [
        "passing",
        "passing_oracle",
        "execution",
        "execution_oracle",
        "gaussian",
        "trees",
        "marginal",
    ]
    assert table["n_test"] == summary["split_plays"]["test"]
    # The truth the outcomes were drawn from is the floor every model is measured against.
    for name in ("passing", "execution"):
        oracle = models[f"{name}_oracle"]
        assert oracle["nll"] < models[name]["nll"] and oracle["crps"] < models[name]["crps"]
        assert oracle["pit_ks"] < 0.1
    # Knowing the target, the execution truth is sharper than the field-conditioned one.
    assert models["execution_oracle"]["nll"] < models["passing_oracle"]["nll"]
    # The model root has no accepted version (only the Dagster train_model job promotes): scoring it says so.
    refused = qb_score("score", "--lake", str(lake), "--model", str(root))
    assert refused.returncode == 1 and "no accepted model" in refused.stderr


def test_retraining_is_idempotent_and_scoring_refuses_another_feature_schema(
    small_season, tmp_path: Path
) -> None:
    _, lake = small_season
    root = tmp_path / "sbp"
    runs = [qb_score("train", "--lake", str(lake), "--model-root", str(root), "--epochs", "1") for _ in "ab"]
    assert [run.returncode for run in runs] == [0, 0], runs[-1].stderr[-2000:]
    first, second = (json.loads(run.stdout) for run in runs)
    # Same data, same seed, same weights: the same version, published once.
    assert first["model_version"] == second["model_version"]
    assert {p.name for p in root.iterdir()} == {first["model_version"], "candidate.json"}
    model = Path(first["model_dir"])
    # Evaluation never trains: without stored baselines it evaluates the two models and says how to get them.
    alone = qb_score("evaluate", "--lake", str(lake), "--model", str(model), "--json")
    assert alone.returncode == 0, alone.stderr[-2000:]
    assert list(json.loads(alone.stdout)["models"]) == ["passing", "execution"]
    assert "no stored baselines" in alone.stderr and "qb-score train --baselines" in alone.stderr
    assert not (model / "baselines").exists()
    config = json.loads((model / "config.json").read_text())
    config["feature_schema_hash"] = "0000000000000000"
    (model / "config.json").write_text(json.dumps(config))
    result = qb_score("evaluate", "--lake", str(lake), "--model", str(model))
    assert result.returncode == 1
    assert "trained on feature schema 0000000000000000" in result.stderr and "Traceback" not in result.stderr


MODEL_ASSETS = [training_set, sbp_model, baseline_models, model_evaluation, promoted_model]


def _materialized_version(result: dg.ExecuteInProcessResult, asset: str) -> str:
    return result.asset_materializations_for_node(asset)[0].metadata["model_version"].value


def test_dagster_model_assets(small_season, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    source, _ = small_season
    instance = dg.DagsterInstance.ephemeral()
    store = ModelStoreResource(root=str(tmp_path / "models"), epochs=6, test_weeks="3")
    resources = {
        "tracking_source": TrackingSourceResource(uri=str(source)),
        "lake": LakeResource(root=str(tmp_path / "lake")),
        "model_store": store,
    }
    for week in (1, 2, 3):
        result = materialize_partition(
            [raw_tracking, play_features],
            2024,
            week,
            instance=instance,
            resources=resources,
        )
        assert result.success
    result = dg.materialize(MODEL_ASSETS, instance=instance, resources=resources)
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks == {"model_not_regressed": True}
    metadata = result.asset_materializations_for_node("model_evaluation")[0].metadata
    for row in ("| passing |", "| passing_oracle |", "| execution |", "| execution_oracle |"):
        assert row in metadata["metrics"].value
    assert metadata["pit_histograms"].value.startswith("![PIT histograms](data:image/png;base64,")
    accepted = _materialized_version(result, "promoted_model")
    assert (
        accepted
        == _materialized_version(result, "sbp_model")
        == accepted_record(store.sbp_root)["model_version"]
    )
    version_dir = Path(store.sbp_root) / accepted
    assert (version_dir / "baselines" / "trees.txt").exists()
    assert read_evaluation(version_dir)["verdict"]["passed"] is True

    # Week 1 holds no test game: the held-out calibration check warns that it tested nothing.
    week_1 = materialize_partition([play_scores], 2024, 1, instance=instance, resources=resources)
    checks = {e.check_name: e for e in week_1.get_asset_check_evaluations()}
    assert checks["percentiles_in_unit_interval"].passed
    assert not checks["heldout_percentiles_uniform"].passed
    assert checks["heldout_percentiles_uniform"].metadata["no_heldout_plays"].value is True
    scored = materialize_partition([play_scores], 2024, 3, instance=instance, resources=resources)
    assert scored.success
    checks = {e.check_name: e.passed for e in scored.get_asset_check_evaluations()}
    # A generated week is inside what the model learned: the applicability guard passes.
    assert checks == {
        "percentiles_in_unit_interval": True,
        "heldout_percentiles_uniform": True,
        "model_applicability": True,
    }
    score_metadata = scored.asset_materializations_for_node("play_scores")[0].metadata
    assert score_metadata["heldout_plays"].value > 0 and score_metadata["model_version"].value == accepted
    assert score_metadata["best_play"].value.startswith(
        "![the week's best-scored play](data:image/png;base64,"
    )

    # A candidate worse than the accepted model (every candidate is, with this tolerance) fails the
    # blocking check: it is published and evaluated but never promoted, and scoring keeps the accepted.
    monkeypatch.setattr(evaluation, "NLL_TOLERANCE", -100.0)
    candidate_store = ModelStoreResource(root=store.root, epochs=1, refit=False, seed=1, test_weeks="3")
    rejected = dg.materialize(
        MODEL_ASSETS,
        instance=instance,
        resources={**resources, "model_store": candidate_store},
        raise_on_error=False,
    )
    assert {e.check_name: e.passed for e in rejected.get_asset_check_evaluations()} == {
        "model_not_regressed": False
    }
    assert not rejected.asset_materializations_for_node("promoted_model")
    candidate = _materialized_version(rejected, "sbp_model")
    assert candidate != accepted and accepted_record(store.sbp_root)["model_version"] == accepted
    assert {
        (v["version"], v["accepted"], v["passed_regression_check"]) for v in list_versions(store.sbp_root)
    } == {
        (accepted, True, True),
        (candidate, False, False),
    }
    rescored = materialize_partition([play_scores], 2024, 3, instance=instance, resources=resources)
    assert rescored.success
    assert (
        rescored.asset_materializations_for_node("play_scores")[0].metadata["model_version"].value == accepted
    )
    # Nor can the rejected candidate be promoted by materializing promoted_model on its own.
    forced = dg.materialize([promoted_model], instance=instance, resources=resources, raise_on_error=False)
    assert not forced.success
    assert f"model {candidate} did not pass model_not_regressed" in str(
        forced.get_step_failure_events()[0].step_failure_data.error
    )
    assert accepted_record(store.sbp_root)["model_version"] == accepted
