"""The model group: training_set -> sbp_model (gpu pool) -> baseline_models -> model_evaluation."""

import json
from pathlib import Path

import dagster as dg

from qb_assets.defs.checks import MODEL_EVALUATION_CHECKS, model_regression_check
from qb_assets.defs.features import play_features
from qb_assets.defs.resources import LakeResource, ModelStoreResource, TrackingSourceResource
from qb_assets.features.schema import schema_hash
from qb_assets.features.store import training_data
from qb_assets.model.training import evaluate_model, train_baseline_models, train_model
from qb_assets.scoring.plots import markdown_image, pit_histograms


@dg.asset(
    group_name="model",
    deps=[dg.AssetDep(play_features, partition_mapping=dg.AllPartitionMapping())],
    kinds={"polars"},
    description="Every feature partition gathered for training; the train/validation/test split by game.",
)
def training_set(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    from ml.train import config_split  # noqa: PLC0415

    data, _ = training_data(lake.root)
    config = model_store.train_config()
    split = config_split(data, config)
    counts = {name: int((split == name).sum()) for name in ("train", "validation", "test")}
    manifest = {**{k: v for k, v in data.meta.items() if k != "feature_schema"}, "split_plays": counts}
    Path(model_store.root).mkdir(parents=True, exist_ok=True)
    (Path(model_store.root) / "training_set.json").write_text(json.dumps(manifest, indent=2))
    return dg.MaterializeResult(
        metadata={
            **counts,
            "plays": data.meta["plays"],
            "games": data.meta["games"],
            "feature_schema_hash": schema_hash(),
            "weeks": str(data.meta["weeks"]),
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
            "test_nll": test["nll"],
            "test_crps": test["crps"],
            "test_pit_ks": test["pit_ks"],
            "test_mae_median": test["mae_median"],
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
    context: dg.AssetExecutionContext,
    lake: LakeResource,
    model_store: ModelStoreResource,
    tracking_source: TrackingSourceResource,
) -> dg.MaterializeResult:
    truth = tracking_source.truth_path()
    result = evaluate_model(
        lake.root, model_store.sbp_dir, truth_path=truth, baselines_dir=model_store.baselines_dir
    )
    (Path(model_store.root) / "evaluation.json").write_text(json.dumps(result, indent=2))
    models = result["models"]
    table = (
        "| model | NLL | CRPS | median MAE | PIT KS | 50% cov. | 90% cov. |\n|---|---|---|---|---|---|---|\n"
        + "\n".join(
            f"| {name} | "
            + " | ".join(
                "-" if m[c] is None else f"{m[c]:.4f}"
                for c in ("nll", "crps", "mae_median", "pit_ks", "coverage_50", "coverage_90")
            )
            + " |"
            for name, m in models.items()
        )
    )
    return dg.MaterializeResult(
        metadata={
            "metrics": dg.MetadataValue.md(table),
            "n_test": result["n_test"],
            "pit_histograms": dg.MetadataValue.md(markdown_image(pit_histograms(models), "PIT histograms")),
            "sbp_nll": models["sbp"]["nll"],
            "sbp_pit_ks": models["sbp"]["pit_ks"],
        },
        check_results=[model_regression_check(model_store.root, result)],
    )
