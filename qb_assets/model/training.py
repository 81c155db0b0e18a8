"""Training the tracking model and its baselines from the lake: the glue between the feature store
(Polars) and ``ml`` (PyTorch). The CLI and the Dagster assets call these functions.

The split is part of the artifact's config (seed, test weeks, fractions) and is recomputed
deterministically from the game ids, so evaluation (``model.evaluation``) always tests on the plays
training never saw.
"""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np

from qb_assets.common.progress import Progress
from qb_assets.features.schema import MIRROR_SIGN_CHANNELS, schema_hash
from qb_assets.features.store import training_data

SPLITS = ("train", "validation", "test")


def train_config(**overrides):
    """The project's ``ml.config.TrainConfig``: plays may be mirrored across the long axis (the feature
    schema's sign channels); ``overrides`` set any other field (epochs, device, seed, test_weeks, ...)."""
    from ml.config import TrainConfig  # noqa: PLC0415 - torch only when a model is involved

    return replace(TrainConfig(mirror_channels=MIRROR_SIGN_CHANNELS), **overrides)


def train_model(lake: str, model_dir: str | Path, progress: Progress | None = None, **overrides) -> dict:
    """Train the TCN + SBP model on every feature partition of ``lake``; writes the artifact.

    ``overrides`` set fields of ``ml.config.TrainConfig`` (epochs, device, seed, test_weeks, ...)."""
    from ml.artifacts import save_artifact  # noqa: PLC0415
    from ml.compare import sbp_pmf, test_rows  # noqa: PLC0415 - torch only when training
    from ml.evaluate import pmf_metrics  # noqa: PLC0415
    from ml.inference import predict_raw, to_tensors  # noqa: PLC0415
    from ml.train import train_sbp  # noqa: PLC0415

    config = train_config(**overrides)
    data, _ = training_data(lake)
    if progress:
        progress(f"training on {len(data.label):,} pass attempts from {data.meta['games']} games")
    model, history, split = train_sbp(data, config, progress=progress)
    rows = test_rows(split)
    import torch  # noqa: PLC0415

    raw = predict_raw(model, to_tensors(data, rows, torch.device("cpu")))
    test = pmf_metrics(sbp_pmf(raw, config), data.label[rows].astype(np.float64), seed=config.seed).as_dict()
    counts = split_counts(split)
    metrics = {"test": test, "split_plays": counts, "history": history}
    save_artifact(model_dir, model, config, {**data.meta, "split_plays": counts}, metrics)
    return {
        "model_dir": str(model_dir),
        "feature_schema_hash": schema_hash(),
        "test": test,
        "split_plays": counts,
        "epochs_run": len(history["epochs"]),
        "refit_epochs": history.get("refit_epochs"),
        "seconds": history["seconds"],
        "device": history["device"],
    }


def train_baseline_models(
    lake: str, model_dir: str | Path, baselines_dir: str | Path, progress: Progress | None = None
) -> dict:
    """Train the Gaussian head and the trees on the SBP artifact's split; save them to ``baselines_dir``."""
    from ml.artifacts import load_artifact  # noqa: PLC0415
    from ml.compare import train_baselines  # noqa: PLC0415
    from ml.train import config_split  # noqa: PLC0415

    data, _ = training_data(lake)
    _, config, _ = load_artifact(model_dir, data.meta["feature_schema_hash"])
    baselines = train_baselines(data, config_split(data, config), config, progress)
    baselines.save(baselines_dir, config, data.meta)
    return {"baselines_dir": str(baselines_dir), "trees_rounds": int(baselines.trees.best_iteration or 0)}


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
    Path(models_root).mkdir(parents=True, exist_ok=True)
    (Path(models_root) / "training_set.json").write_text(json.dumps(manifest, indent=2))
    return manifest
