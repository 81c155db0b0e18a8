"""The model group: ``training_set`` -> ``sbp_model`` (gpu pool) -> ``baseline_models`` ->
``model_evaluation``, and the blocking regression check that keeps a worse model from scoring."""

import json
from pathlib import Path

import dagster as dg

from qb_assets.defs.features import play_features
from qb_assets.defs.metadata import picture
from qb_assets.defs.resources import LakeResource, ModelStoreResource, TrackingSourceResource
from qb_assets.features.schema import schema_hash
from qb_assets.model.evaluation import evaluate_model, format_metrics_table, regression_verdict
from qb_assets.model.training import train_baseline_models, train_model, write_training_manifest
from qb_assets.scoring.plots import pit_histograms
from qb_assets.synthetic.oracle import truth_oracle

MODEL_EVALUATION_CHECKS = [
    dg.AssetCheckSpec(
        "model_not_regressed",
        asset="model_evaluation",
        blocking=True,
        description="test PIT KS within the 1% KS critical value; NLL within 0.05 nats of the last accepted",
    )
]


@dg.asset(
    group_name="model",
    deps=[dg.AssetDep(play_features, partition_mapping=dg.AllPartitionMapping())],
    kinds={"polars"},
    description="Every feature partition gathered for training; the train/validation/test split by game.",
)
def training_set(lake: LakeResource, model_store: ModelStoreResource) -> dg.MaterializeResult:
    manifest = write_training_manifest(lake.root, model_store.root, **model_store.overrides())
    return dg.MaterializeResult(
        metadata={
            **manifest["split_plays"],
            "plays": manifest["plays"],
            "games": manifest["games"],
            "feature_schema_hash": manifest["feature_schema_hash"],
            "weeks": str(manifest["weeks"]),
        }
    )


@dg.asset(
    group_name="model",
    deps=[training_set],
    pool="gpu",
    kinds={"pytorch"},
    description="The TCN + spliced binned-Pareto model (CUDA when available, else CPU); an artifact with "
    "weights, config, feature schema hash, data range and metrics.",
)
def sbp_model(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    summary = train_model(
        lake.root, model_store.sbp_dir, progress=context.log.info, **model_store.overrides()
    )
    test = summary["test"]
    return dg.MaterializeResult(
        metadata={
            **{f"test_{key}": test[key] for key in ("nll", "crps", "pit_ks", "mae_median")},
            "epochs_run": summary["epochs_run"],
            "refit_epochs": summary["refit_epochs"] or 0,
            "device": summary["device"],
            "seconds": summary["seconds"],
            "artifact": dg.MetadataValue.path(str(model_store.sbp_dir)),
            "feature_schema_hash": summary["feature_schema_hash"],
        }
    )


@dg.asset(
    group_name="model",
    deps=[sbp_model],
    kinds={"pytorch", "lightgbm"},
    description="The comparison models on the SBP model's split: the same encoder with a Gaussian head, "
    "and LightGBM median trees on tabular and release-frame features.",
)
def baseline_models(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    summary = train_baseline_models(
        lake.root, model_store.sbp_dir, model_store.baselines_dir, progress=context.log.info
    )
    return dg.MaterializeResult(
        metadata={
            "trees_rounds": summary["trees_rounds"],
            "artifact": dg.MetadataValue.path(summary["baselines_dir"]),
        }
    )


@dg.asset(
    group_name="model",
    deps=[sbp_model, baseline_models],
    check_specs=MODEL_EVALUATION_CHECKS,
    kinds={"pytorch"},
    description="Held-out metrics of the SBP model, the baselines, the marginal and (synthetic seasons) the "
    "oracle; PIT histograms. A blocking check stops a regressed model from scoring.",
)
def model_evaluation(
    lake: LakeResource, model_store: ModelStoreResource, tracking_source: TrackingSourceResource
) -> dg.MaterializeResult:
    truth = tracking_source.truth_path()
    result = evaluate_model(
        lake.root,
        model_store.sbp_dir,
        oracle=truth_oracle(truth) if truth else None,
        baselines_dir=model_store.baselines_dir,
    )
    (Path(model_store.root) / "evaluation.json").write_text(json.dumps(result, indent=2))
    models = result["models"]
    passed, verdict = regression_verdict(model_store.root, result)
    return dg.MaterializeResult(
        metadata={
            "metrics": dg.MetadataValue.md(format_metrics_table(result)),
            "n_test": result["n_test"],
            "pit_histograms": picture(pit_histograms(models), "PIT histograms"),
            "sbp_nll": models["sbp"]["nll"],
            "sbp_pit_ks": models["sbp"]["pit_ks"],
            "feature_schema_hash": schema_hash(),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="model_not_regressed",
                asset_key="model_evaluation",
                passed=passed,
                metadata=verdict,
            )
        ],
    )
