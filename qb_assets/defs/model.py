"""The model group: ``training_set`` -> ``sbp_model`` (gpu pool) -> ``baseline_models`` ->
``model_evaluation`` -> ``promoted_model``. ``sbp_model`` publishes a new immutable version (the
candidate); the blocking regression check on ``model_evaluation`` gates ``promoted_model``, which moves
the accepted pointer that scoring reads. A rejected candidate leaves the accepted model in service."""

import dagster as dg

from ml.errors import ArtifactError
from qb_assets.defs.features import play_features
from qb_assets.defs.metadata import picture, rounded
from qb_assets.defs.pools import GPU_POOL
from qb_assets.defs.resources import LakeResource, ModelStoreResource, TrackingSourceResource
from qb_assets.features.schema import schema_hash
from qb_assets.model.evaluation import evaluate_model, format_metrics_table, regression_verdict
from qb_assets.model.store import (
    BASELINES_DIR,
    accepted_record,
    candidate_version_dir,
    location,
    promote,
    version_name,
    write_evaluation,
)
from qb_assets.model.training import MODEL_INPUTS, train_baseline_models, train_model, write_training_manifest
from qb_assets.scoring.plots import pit_histograms
from qb_assets.synthetic.oracle import truth_oracles

MODEL_EVALUATION_CHECKS = [
    dg.AssetCheckSpec(
        "model_not_regressed",
        asset="model_evaluation",
        blocking=True,
        description="test PIT KS within the 1% KS critical value; NLL within 0.05 nats of the accepted "
        "model's; a failure keeps promoted_model from running",
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
        metadata=rounded(
            {
                **manifest["split_plays"],
                "plays": manifest["plays"],
                "games": manifest["games"],
                "feature_schema_hash": manifest["feature_schema_hash"],
                "weeks": str(manifest["weeks"]),
            }
        )
    )


@dg.asset(
    group_name="model",
    deps=[training_set],
    pool=GPU_POOL,
    kinds={"pytorch"},
    description="The two TCN + spliced binned-Pareto models (CUDA when available, else CPU): the passing "
    "model (the field only) and the execution model (the field and the chosen target), trained on one "
    "split and published as one immutable version (weights, configs, feature schema hash, data range, "
    "split, metrics): the candidate.",
)
def sbp_model(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    summary = train_model(
        lake.root,
        model_store.sbp_root,
        progress=context.log.info,
        keep_versions=model_store.keep_versions,
        **model_store.overrides(),
    )
    test = summary["test"]
    return dg.MaterializeResult(
        metadata=rounded(
            {
                **{
                    f"{model}_test_{key}": test[model][key]
                    for model in test
                    for key in ("nll", "crps", "pit_ks", "mae_median")
                },
                "model_version": summary["model_version"],
                "epochs_run": dg.MetadataValue.json(summary["epochs_run"]),
                "refit_epochs": dg.MetadataValue.json(summary["refit_epochs"]),
                "device": summary["device"],
                "seconds": summary["seconds"],
                "artifact": dg.MetadataValue.path(summary["model_dir"]),
                "versions_pruned": ", ".join(summary["versions_pruned"]) or "none",
                "feature_schema_hash": summary["feature_schema_hash"],
            }
        )
    )


@dg.asset(
    group_name="model",
    deps=[sbp_model],
    kinds={"pytorch", "lightgbm"},
    description="The comparison models on the candidate version's split: the same encoder with a Gaussian "
    "head, and LightGBM median trees on tabular and release-frame features.",
)
def baseline_models(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    version_dir = candidate_version_dir(model_store.sbp_root)
    summary = train_baseline_models(lake.root, version_dir, progress=context.log.info)
    return dg.MaterializeResult(
        metadata=rounded(
            {
                "model_version": version_name(version_dir),
                "trees_rounds": summary["trees_rounds"],
                "artifact": dg.MetadataValue.path(summary["baselines_dir"]),
            }
        )
    )


@dg.asset(
    group_name="model",
    deps=[sbp_model, baseline_models],
    check_specs=MODEL_EVALUATION_CHECKS,
    kinds={"pytorch"},
    description="Held-out metrics of the candidate's passing and execution models side by side, the "
    "baselines, the marginal and (synthetic seasons) each model's oracle; PIT histograms. A blocking "
    "check keeps a regressed model from being promoted.",
)
def model_evaluation(
    lake: LakeResource, model_store: ModelStoreResource, tracking_source: TrackingSourceResource
) -> dg.MaterializeResult:
    version_dir = candidate_version_dir(model_store.sbp_root)
    truth = tracking_source.truth_folder()
    result = evaluate_model(
        lake.root,
        version_dir,
        oracles=truth_oracles(truth) if truth else None,
        baselines_dir=location(version_dir, BASELINES_DIR),
    )
    passed, verdict = regression_verdict(accepted_record(model_store.sbp_root), result)
    write_evaluation(version_dir, {**result, "verdict": {"passed": passed, **verdict}})
    models = result["models"]
    return dg.MaterializeResult(
        metadata=rounded(
            {
                "model_version": version_name(version_dir),
                "metrics": dg.MetadataValue.md(format_metrics_table(result)),
                "n_test": result["n_test"],
                "pit_histograms": picture(pit_histograms(models), "PIT histograms"),
                **{f"{name}_{key}": models[name][key] for name in MODEL_INPUTS for key in ("nll", "pit_ks")},
                "feature_schema_hash": schema_hash(),
            }
        ),
        check_results=[
            dg.AssetCheckResult(
                check_name="model_not_regressed",
                asset_key="model_evaluation",
                passed=passed,
                metadata=rounded(verdict),
            )
        ],
    )


@dg.asset(
    group_name="model",
    deps=[model_evaluation],
    description="The accepted model: the candidate version, once its evaluation passed model_not_regressed, "
    "becomes the version scoring uses (an atomic pointer move). A rejected candidate never gets here.",
)
def promoted_model(model_store: ModelStoreResource) -> dg.MaterializeResult:
    version_dir = candidate_version_dir(model_store.sbp_root)
    try:
        pointer = promote(model_store.sbp_root, version_name(version_dir))
    except ArtifactError as exc:  # not evaluated, or rejected: the accepted model stays in service
        raise dg.Failure(str(exc)) from exc
    return dg.MaterializeResult(
        metadata=rounded(
            {
                "model_version": pointer["model_version"],
                "previous_version": pointer["previous_version"] or "none",
                **{key: pointer[key] for key in pointer if key.endswith(("_nll", "_pit_ks"))},
                "artifact": dg.MetadataValue.path(str(version_dir)),
            }
        ),
        data_version=dg.DataVersion(pointer["model_version"]),
    )
