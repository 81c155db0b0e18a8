"""The seed's model comparison: SBP vs Gaussian head vs trees vs the empirical marginal (vs the oracle
when the synthetic truth is known), all on the same test split, in one metrics table."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch

from ml.baselines import fit_trees, gaussian_parameters, train_gaussian, tree_features
from ml.evaluate import YARD_GRID, gaussian_pmf, marginal_pmf, pmf_metrics, point_metrics
from ml.tcn import PassOutcomeNet
from ml.train import TrainConfig, TrainingData, predict_raw, sbp_distribution, to_tensors, train_sbp

Progress = Callable[[str], None] | None


@torch.inference_mode()
def sbp_pmf(raw: torch.Tensor, config: TrainConfig, batch_size: int = 2048) -> np.ndarray:
    """Integer-yard probabilities (N, G) on YARD_GRID from raw SBP head outputs (N, K + 4)."""
    grid = torch.as_tensor(YARD_GRID, dtype=torch.float32)[:, None]
    parts = []
    for start in range(0, len(raw), batch_size):
        distribution = sbp_distribution(raw[start : start + batch_size], config)
        parts.append(distribution.integer_log_prob(grid.expand(-1, distribution.batch_shape[0])).exp().T)
    return torch.cat(parts).numpy().astype(np.float64)


def test_rows(split: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(split == "test")
    if len(rows) == 0:
        raise ValueError("the split has no test plays")
    return rows


def compare_models(
    data: TrainingData,
    split: np.ndarray,
    config: TrainConfig,
    *,
    sbp_model: PassOutcomeNet | None = None,
    oracle_pmf: np.ndarray | None = None,
    progress: Progress = None,
) -> dict:
    """Metrics of every model on the test rows of ``split``. ``sbp_model``: an already trained SBP model
    (trained here otherwise); ``oracle_pmf``: (N_test, G) true probabilities, when known."""
    rows = test_rows(split)
    yards = data.label[rows].astype(np.float64)
    test = to_tensors(data, rows, torch.device("cpu"))
    if sbp_model is None:
        if progress:
            progress("training the SBP model")
        sbp_model, _, _ = train_sbp(data, config, progress=progress, split=split)
    models = {
        "sbp": pmf_metrics(sbp_pmf(predict_raw(sbp_model.cpu(), test), config), yards, seed=config.seed)
    }
    if progress:
        progress("training the Gaussian head")
    gaussian, _ = train_gaussian(data, split, config, progress=progress)
    mean, std = gaussian_parameters(predict_raw(gaussian, test))
    models["gaussian"] = pmf_metrics(gaussian_pmf(mean.numpy(), std.numpy()), yards, seed=config.seed)
    if progress:
        progress("training the gradient-boosted trees")
    features = tree_features(data)
    median = fit_trees(features, data.label, split, seed=config.seed).predict(features[rows])
    models["trees"] = point_metrics(np.rint(median), yards)
    models["marginal"] = pmf_metrics(
        marginal_pmf(data.label[split == "train"], len(rows)), yards, seed=config.seed
    )
    if oracle_pmf is not None:
        models["oracle"] = pmf_metrics(oracle_pmf, yards, seed=config.seed)
    return {"models": {name: m.as_dict() for name, m in models.items()}, "n_test": len(rows)}
