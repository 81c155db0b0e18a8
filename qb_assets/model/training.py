"""Training and evaluating the tracking model from the lake: the glue between the feature store
(Polars) and ``ml`` (PyTorch). The CLI and the Dagster assets call these functions.

The split is part of the artifact's config (seed, test weeks, fractions) and is recomputed
deterministically from the game ids, so evaluation always tests on the plays training never saw.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.features.schema import MIRROR_SIGN_CHANNELS, schema_hash
from qb_assets.features.store import training_data

Progress = Callable[[str], None] | None
TRUTH_FILE = "truth.parquet"


def train_model(lake: str, model_dir: str | Path, progress: Progress = None, **overrides) -> dict:
    """Train the TCN + SBP model on every feature partition of ``lake``; writes the artifact.

    ``overrides`` set fields of ``ml.train.TrainConfig`` (epochs, device, seed, test_weeks, ...)."""
    from ml.compare import sbp_pmf, test_rows  # noqa: PLC0415 - torch only when training
    from ml.evaluate import pmf_metrics  # noqa: PLC0415
    from ml.train import TrainConfig, predict_raw, save_artifact, to_tensors, train_sbp  # noqa: PLC0415

    config = replace(TrainConfig(mirror_channels=MIRROR_SIGN_CHANNELS), **overrides)
    data, _ = training_data(lake)
    if progress:
        progress(f"training on {len(data.label):,} pass attempts from {data.meta['games']} games")
    model, history, split = train_sbp(data, config, progress=progress)
    rows = test_rows(split)
    import torch  # noqa: PLC0415

    raw = predict_raw(model, to_tensors(data, rows, torch.device("cpu")))
    test = pmf_metrics(sbp_pmf(raw, config), data.label[rows].astype(np.float64), seed=config.seed).as_dict()
    counts = {name: int((split == name).sum()) for name in ("train", "validation", "test")}
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


def oracle_pmf(truth_path: Path, plays: pl.DataFrame, which: str = "qb") -> np.ndarray | None:
    """The true integer-yard probabilities of ``plays`` (rows in order) from a synthetic season's truth."""
    if not truth_path.exists():
        return None
    from ml.evaluate import YARD_GRID  # noqa: PLC0415
    from qb_assets.synthetic.truth import truth_integer_pmf  # noqa: PLC0415

    truth = pl.read_parquet(truth_path)
    ordered = plays.select("game_id", "play_id").join(
        truth, on=["game_id", "play_id"], how="left", maintain_order="left"
    )
    if ordered.height != plays.height or ordered[truth.columns[2]].null_count():
        raise ValueError(f"{truth_path}: truth is missing for some evaluated plays")
    return truth_integer_pmf(ordered, YARD_GRID, which=which)


def train_baseline_models(
    lake: str, model_dir: str | Path, baselines_dir: str | Path, progress: Progress = None
) -> dict:
    """Train the Gaussian head and the trees on the SBP artifact's split; save them to ``baselines_dir``."""
    from ml.compare import train_baselines  # noqa: PLC0415
    from ml.train import config_split, load_artifact  # noqa: PLC0415

    data, _ = training_data(lake)
    _, config, _ = load_artifact(model_dir, data.meta["feature_schema_hash"])
    baselines = train_baselines(data, config_split(data, config), config, progress)
    baselines.save(baselines_dir, config, data.meta)
    return {"baselines_dir": str(baselines_dir), "trees_rounds": int(baselines.trees.best_iteration or 0)}


def evaluate_model(
    lake: str,
    model_dir: str | Path,
    truth_path: str | Path | None = None,
    baselines_dir: str | Path | None = None,
    progress: Progress = None,
) -> dict:
    """The metrics table on the artifact's test split: the SBP artifact, the baselines (loaded from
    ``baselines_dir`` when given, else trained here on the same split), the empirical marginal, and the
    oracle when a synthetic season's truth is given."""
    from ml.compare import Baselines, evaluate_models, train_baselines  # noqa: PLC0415
    from ml.train import config_split, load_artifact  # noqa: PLC0415

    data, plays = training_data(lake)
    model, config, record = load_artifact(model_dir, data.meta["feature_schema_hash"])
    split = config_split(data, config)
    if baselines_dir is not None:
        baselines = Baselines.load(baselines_dir, data.meta["feature_schema_hash"])
    else:
        baselines = train_baselines(data, split, config, progress)
    test_plays = plays.filter(pl.Series(split == "test"))
    oracle = oracle_pmf(Path(truth_path), test_plays) if truth_path else None
    result = evaluate_models(data, split, config, model, baselines, oracle_pmf=oracle)
    return {
        **result,
        "model_dir": str(model_dir),
        "feature_schema_hash": record["feature_schema_hash"],
        "model_version": record["model_version"],
    }
