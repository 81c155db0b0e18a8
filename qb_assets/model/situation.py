"""The situation-only model: one spliced binned-Pareto model (an MLP, no play tensor) of a league-average
QB's yards given only what he does not choose (``features.situation``), trained on play-by-play where no
tracking exists. It is published through the same model store as the tracking models, as one version
whose artifact sits at the version's root (where the passing model's does) and records
``data.mode = "situation"``; there is no execution model, so its scores have no execution percentile
and no decision value.

Split by season: the games of ``train_seasons`` are fitted (``validation_fraction`` of them, by hashed
game id, for early stopping) and every other season's games in the lake are the test split. When the
lake holds no other season, ``test_fraction`` of the train seasons' games are held out instead.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.features.situation import situation_attempts, situation_training_data
from qb_assets.model.store import (
    DEFAULT_KEEP_VERSIONS,
    SPLIT_FILE,
    accepted_record,
    local_version_dir,
    promote,
    publish_version,
    split_table,
    version_name,
    write_evaluation,
)

MODE_SITUATION = "situation"
SITUATION_ROOT = "situation"  # the situation model's root inside the model store folder, beside "sbp"
MODE_TRACKING = "tracking"
# Sized for tens of thousands of plays of six inputs: the evaluate-pbp comparison's settings.
SITUATION_CONFIG = {"batch_size": 512, "hidden": 64, "patience": 4}


def model_mode(version_dir) -> str:
    """ "situation" for a situation-only version, "tracking" for the passing + execution models."""
    from ml.artifacts import artifact_record  # noqa: PLC0415 - torch only when a model is involved

    return artifact_record(local_version_dir(version_dir))["data"].get("mode", MODE_TRACKING)


def situation_split(plays: pl.DataFrame, train_seasons: list[int], config) -> np.ndarray:
    """Per play 'train' | 'validation' | 'test' (module docstring)."""
    from ml.train import split_by_game  # noqa: PLC0415

    fitted = plays["season"].is_in(train_seasons).to_numpy()
    if not fitted.any():
        seasons = sorted(plays["season"].unique().to_list())
        raise ValueError(f"no play-by-play attempts in train seasons {train_seasons}; the lake has {seasons}")
    hashed = split_by_game(
        plays["game_id"].to_numpy(),
        plays["week"].to_numpy(),
        seed=config.seed,
        test_fraction=config.test_fraction,
        validation_fraction=config.validation_fraction,
    )
    if fitted.all():
        return hashed
    return np.where(fitted, np.where(hashed == "validation", "validation", "train"), "test").astype(object)


def train_situation_model(
    lake: str,
    model_root,
    train_seasons: list[int],
    progress: Progress | None = None,
    keep_versions: int = DEFAULT_KEEP_VERSIONS,
    **overrides,
) -> dict:
    """Train the situation model on the lake's play-by-play (``train_seasons`` fitted, module docstring)
    and publish it as one version ``MODEL_ROOT/<version>/`` (the candidate); returns the summary."""
    from ml.artifacts import WEIGHTS_FILE, save_artifact, weights_hash  # noqa: PLC0415
    from ml.config import TrainConfig  # noqa: PLC0415
    from ml.train import train_sbp  # noqa: PLC0415

    config = replace(TrainConfig(**SITUATION_CONFIG), **overrides)
    plays = situation_attempts(lake)
    split = situation_split(plays, list(train_seasons), config)
    fitted_seasons = sorted(
        plays.filter(pl.Series(np.isin(split, ("train", "validation"))))["season"].unique()
    )
    data = situation_training_data(
        plays,
        {"mode": MODE_SITUATION, "train_seasons": sorted(train_seasons), "fitted_seasons": fitted_seasons},
    )
    if progress:
        progress(
            f"training the situation model on {int(np.isin(split, ('train', 'validation')).sum()):,} attempts"
        )
    model, history, split = train_sbp(data, config, progress=progress, split=split)
    test = _test_metrics(model, data, split, config)
    counts = {name: int((split == name).sum()) for name in ("train", "validation", "test")}
    meta = {**data.meta, "split_plays": counts}
    metrics = {"test": test, "split_plays": counts, "history": history}

    def fill(folder) -> None:
        save_artifact(folder, model, config, meta, metrics)
        version = weights_hash(folder / WEIGHTS_FILE)
        save_artifact(folder, model, config, meta, metrics, version=version)
        split_table(plays["game_id"], split).write_parquet(folder / SPLIT_FILE)

    version_dir, pruned = publish_version(model_root, fill, keep_versions)
    if progress:
        progress(
            f"model version {version_name(version_dir)} in {version_dir}; older versions pruned: {pruned}"
        )
    return {
        "model_version": version_name(version_dir),
        "model_dir": str(version_dir),
        "model_root": str(model_root),
        "mode": MODE_SITUATION,
        "train_seasons": sorted(train_seasons),
        "versions_pruned": pruned,
        "feature_schema_hash": data.meta["feature_schema_hash"],
        "test": {"passing": test},
        "split_plays": counts,
        "epochs_run": len(history["epochs"]),
        "refit_epochs": history.get("refit_epochs"),
        "seconds": round(history["seconds"], 1),
        "device": history["device"],
    }


def _test_metrics(model, data, split: np.ndarray, config) -> dict | None:
    """The held-out metrics (NLL, CRPS, PIT, coverage) on the test split; None when it is empty."""
    import torch  # noqa: PLC0415

    from ml.compare import sbp_pmf, test_rows  # noqa: PLC0415
    from ml.evaluate import pmf_metrics  # noqa: PLC0415
    from ml.inference import predict_raw, to_tensors  # noqa: PLC0415

    rows = test_rows(split)
    if len(rows) == 0:
        return None
    tensors = to_tensors(data, rows, torch.device("cpu"))
    pmf = sbp_pmf(predict_raw(model, tensors), config, *tensors[4:6])
    bounds = {"lower": data.lower_yd[rows], "upper": data.upper_yd[rows]}
    return pmf_metrics(pmf, data.label[rows].astype(np.float64), seed=config.seed, **bounds).as_dict()


def default_train_seasons(seasons: list[int]) -> list[int]:
    """The seasons to fit when none are given: all but the last (scored out of sample), or the only one."""
    seasons = sorted(set(seasons))
    return seasons[:-1] if len(seasons) > 1 else seasons


def evaluate_and_promote(model_root, summary: dict) -> tuple[bool, dict]:
    """The regression rule of the tracking models (``evaluation.regression_verdict``: the test PIT within
    the KS limit, the test NLL within the tolerance of the accepted situation version's) on a version that
    ``train_situation_model`` just published (its ``summary``); writes the version's evaluation and, when
    it passed, makes it the accepted version of ``model_root``. Returns (passed, verdict)."""
    from qb_assets.model.evaluation import regression_verdict  # noqa: PLC0415

    test = summary["test"]["passing"]
    n_test = summary["split_plays"]["test"]
    if test is None:
        verdict = {"model_version": summary["model_version"], "reason": "no test plays: nothing was tested"}
        write_evaluation(
            summary["model_dir"], {"models": {}, "n_test": 0, "verdict": {"passed": False, **verdict}}
        )
        return False, verdict
    result = {
        "model_version": summary["model_version"],
        "feature_schema_hash": summary["feature_schema_hash"],
        "n_test": n_test,
        "models": {"passing": test},
    }
    passed, verdict = regression_verdict(accepted_record(model_root), result)
    write_evaluation(summary["model_dir"], {**result, "verdict": {"passed": passed, **verdict}})
    if passed:
        promote(model_root, summary["model_version"])
    return passed, verdict
