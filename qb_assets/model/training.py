"""Training the two models and the baselines from the lake: the glue between the feature store (Polars)
and ``ml`` (PyTorch). The CLI and the Dagster assets call these functions.

Two SBP models predict a league-average QB's yards from the same plays and split (docs on the score:
README, "The score"):

* the passing model reads only what the QB does not choose (the feature store's ``passing`` input set:
  the situation, the whole field in a target-free order);
* the execution model also reads the chosen target (the ``execution`` input set, today's inputs).

A training run fits both and publishes them as ONE immutable version of the model store
(``model.store``): the passing model's artifact at the version's root, the execution model's in
``execution/``, and the game -> split table they share; the version is the content hash of both
weights. The baselines, the evaluation (``model.evaluation``) and scoring use exactly that split.
"""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import numpy as np

from qb_assets.common.progress import Progress
from qb_assets.features.schema import (
    MIRROR_SIGN_CHANNELS,
    OPTION_COLUMNS,
    OPTION_COUNT,
    SITUATION_FROM_PLAY_TABLE,
    STATIC_DEFAULTS,
    STATIC_INPUTS,
    schema_hash,
)
from qb_assets.features.store import training_data
from qb_assets.io.storage import open_storage
from qb_assets.model.applicability import training_profile, write_profile
from qb_assets.model.store import (
    BASELINES_DIR,
    DEFAULT_KEEP_VERSIONS,
    SPLIT_FILE,
    local_version_dir,
    location,
    play_splits,
    publish_folder,
    publish_version,
    split_table,
    version_name,
)

SPLITS = ("train", "validation", "test")
# The two models of a version: the input set each reads and its folder inside the version.
MODEL_INPUTS = {"passing": "passing", "execution": "execution"}
MODEL_FOLDERS = {"passing": ".", "execution": "execution"}
# The share of training plays whose situation is masked at random (README, "The model"): they read what a
# tracking-only source gives, situation_known false and the documented defaults.
SITUATION_MASK_SHARE = 0.25
# How the tracking models are optimized: batches of 512 plays of similar frame counts (pools of 8
# batches, ``ml.batches.batch_rows``) and a one-cycle schedule over 30 epochs peaking at 4e-3. Against
# random batches of 256 over 60 epochs at 2e-3, a season's version trains 2x faster on 2 CPU cores with
# held-out CRPS and PIT within the seeds' spread (``bench.training``, README "Benchmarks").
OPTIMIZATION = {"batch_size": 512, "length_pool": 8, "learning_rate": 4e-3, "epochs": 30}


def situation_mask() -> dict[str, tuple]:
    """TrainConfig's mask fields for the situation a tracking-only source lacks: the tabular columns
    (both input sets start with ``STATIC_INPUTS``) and the values such a source's features carry."""
    masked = (*SITUATION_FROM_PLAY_TABLE, "situation_known")
    values = {**STATIC_DEFAULTS, "situation_known": 0}
    return {
        "mask_columns": tuple(STATIC_INPUTS.index(c) for c in masked),
        "mask_values": tuple(float(values[c]) for c in masked),
    }


def train_config(**overrides):
    """The project's ``ml.config.TrainConfig``: plays may be mirrored across the long axis (the feature
    schema's sign channels) and have their situation masked (``SITUATION_MASK_SHARE``, ``situation_mask``),
    optimized as ``OPTIMIZATION`` says; ``overrides`` set any other field (epochs, device, seed,
    test_weeks, mask_share, ...)."""
    from ml.config import TrainConfig  # noqa: PLC0415 - torch only when a model is involved

    base = TrainConfig(
        mirror_channels=MIRROR_SIGN_CHANNELS,
        mask_share=SITUATION_MASK_SHARE,
        **situation_mask(),
        **OPTIMIZATION,
    )
    return replace(base, **overrides)


def option_layout(tabular_columns: list[str]) -> dict:
    """TrainConfig's option fields for the passing model (its head is the mixture over the receiving
    options, ml/options.py): where each option's columns sit among ``tabular_columns``."""
    return {
        "option_columns": tuple(tabular_columns.index(column) for column in OPTION_COLUMNS),
        "option_count": OPTION_COUNT,
    }


def model_config(model: str, tabular_columns: list[str], config=None):
    """The ``ml.config.TrainConfig`` of ``model`` ("passing" or "execution") reading ``tabular_columns``:
    ``config`` (default ``train_config()``), with the option layout for the passing model."""
    config = train_config() if config is None else config
    return replace(config, **option_layout(tabular_columns)) if model == "passing" else config


def model_dir(version_dir: str | Path, model: str) -> Path:
    """The artifact folder of ``model`` ("passing" or "execution") inside a version folder."""
    if model not in MODEL_FOLDERS:
        raise ValueError(f"unknown model {model!r}; expected one of {', '.join(MODEL_FOLDERS)}")
    return (Path(version_dir) / MODEL_FOLDERS[model]).resolve()


def _fit_one(lake: str, model: str, config, progress: Progress | None) -> dict:
    """Train one model on the lake's features; returns what its artifact needs and its test metrics."""
    import torch  # noqa: PLC0415 - torch only when training

    from ml.compare import sbp_pmf, test_rows  # noqa: PLC0415
    from ml.evaluate import pmf_metrics  # noqa: PLC0415
    from ml.inference import predict_raw, to_tensors  # noqa: PLC0415
    from ml.train import train_sbp  # noqa: PLC0415

    data, plays = training_data(lake, inputs=MODEL_INPUTS[model])
    config = model_config(model, data.meta["tabular_columns"], config)
    if progress:
        progress(
            f"training the {model} model on {len(data.label):,} pass attempts ({data.meta['games']} games)"
        )
    fitted, history, split = train_sbp(data, config, progress=progress)
    rows = test_rows(split)
    test_tensors = to_tensors(data, rows, torch.device("cpu"))
    bounds = {"lower": data.lower_yd[rows], "upper": data.upper_yd[rows]} if data.lower_yd is not None else {}
    pmf = sbp_pmf(predict_raw(fitted, test_tensors), config, *test_tensors[4:6])
    test = pmf_metrics(pmf, data.label[rows].astype(np.float64), seed=config.seed, **bounds).as_dict()
    counts = split_counts(split)
    return {
        "model": fitted,
        "config": config,
        "meta": {**data.meta, "split_plays": counts},
        "metrics": {"test": test, "split_plays": counts, "history": history},
        "split": split_table(plays["game_id"], split),
        "profile": training_profile(plays, config.mask_share),
    }


def train_model(
    lake: str,
    model_root: str | Path,
    progress: Progress | None = None,
    keep_versions: int = DEFAULT_KEEP_VERSIONS,
    **overrides,
) -> dict:
    """Train the passing and the execution models on every feature partition of ``lake``; publish them
    as one version ``MODEL_ROOT/<version>/`` (the candidate) and prune old versions (``model.store``).

    ``overrides`` set fields of ``ml.config.TrainConfig`` (epochs, device, seed, test_weeks, ...)."""
    from ml.artifacts import WEIGHTS_FILE, save_artifact, weights_hash  # noqa: PLC0415

    config = train_config(**overrides)
    fitted = {name: _fit_one(lake, name, config, progress) for name in MODEL_INPUTS}
    if not fitted["passing"]["split"].equals(fitted["execution"]["split"]):
        raise RuntimeError("the passing and execution models were split differently")

    def fill(folder: Path) -> None:
        for name, result in fitted.items():
            artifact = model_dir(folder, name)
            save_artifact(artifact, result["model"], result["config"], result["meta"], result["metrics"])
        version = weights_hash(*(model_dir(folder, name) / WEIGHTS_FILE for name in MODEL_INPUTS))
        for name, result in fitted.items():  # both records carry the version's name
            save_artifact(
                model_dir(folder, name),
                result["model"],
                result["config"],
                result["meta"],
                result["metrics"],
                version=version,
            )
        fitted["passing"]["split"].write_parquet(folder / SPLIT_FILE)
        write_profile(folder, fitted["passing"]["profile"])

    version_dir, pruned = publish_version(model_root, fill, keep_versions)
    if progress:
        progress(
            f"model version {version_name(version_dir)} in {version_dir}; older versions pruned: {pruned}"
        )
    history = {name: result["metrics"]["history"] for name, result in fitted.items()}
    return {
        "model_version": version_name(version_dir),
        "model_dir": str(version_dir),
        "model_root": str(model_root),
        "versions_pruned": pruned,
        "feature_schema_hash": schema_hash(),
        "test": {name: result["metrics"]["test"] for name, result in fitted.items()},
        "split_plays": fitted["passing"]["metrics"]["split_plays"],
        "epochs_run": {name: len(h["epochs"]) for name, h in history.items()},
        "refit_epochs": {name: h.get("refit_epochs") for name, h in history.items()},
        "seconds": round(sum(h["seconds"] for h in history.values()), 1),
        "device": history["passing"]["device"],
    }


def train_baseline_models(lake: str, version_dir: str | Path, progress: Progress | None = None) -> dict:
    """Train the Gaussian head and the trees on the passing model's inputs and the split the version was
    trained on; publish them as ``VERSION/baselines/`` (replacing earlier ones)."""
    from ml.artifacts import load_artifact  # noqa: PLC0415
    from ml.compare import train_baselines  # noqa: PLC0415

    data, plays = training_data(lake, inputs=MODEL_INPUTS["passing"])
    artifact = model_dir(local_version_dir(version_dir), "passing")
    _, config, _ = load_artifact(artifact, data.meta["feature_schema_hash"])
    config = replace(config, option_columns=(), option_count=0)  # the baselines have no bins to mix
    baselines = train_baselines(data, play_splits(version_dir, plays["game_id"]), config, progress)
    target = publish_folder(
        location(version_dir, BASELINES_DIR), lambda folder: baselines.save(folder, config, data.meta)
    )
    return {"baselines_dir": str(target), "trees_rounds": int(baselines.trees.best_iteration or 0)}


def split_counts(split: np.ndarray) -> dict[str, int]:
    """Plays per split ('train', 'validation', 'test')."""
    return {name: int((split == name).sum()) for name in SPLITS}


def write_training_manifest(lake: str, models_root: str | Path, **overrides) -> dict:
    """Gather the feature store, compute the split the training config defines and write
    ``MODELS/training_set.json`` (data range, schema hash, plays per split); returns the manifest."""
    from ml.train import config_split  # noqa: PLC0415 - torch only when a model is involved

    data, _ = training_data(lake)
    counts = split_counts(config_split(data, train_config(**overrides)))
    manifest = {**{k: v for k, v in data.meta.items() if k != "feature_schema"}, "split_plays": counts}
    open_storage(models_root).write_json("training_set.json", manifest)
    return manifest
