"""The seed's model comparison: SBP vs Gaussian head vs trees vs the empirical marginal (vs the oracle
when the synthetic truth is known), all on the same test split, in one metrics table."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from ml.artifacts import load_artifact, save_artifact
from ml.baselines import fit_trees, gaussian_parameters, train_gaussian, tree_features
from ml.config import TrainConfig, TrainingData
from ml.errors import ArtifactError
from ml.evaluate import YARD_GRID, clip_yards, gaussian_pmf, marginal_pmf, pmf_metrics, point_metrics
from ml.inference import capped_distribution, predict_raw, to_tensors
from ml.tcn import PassOutcomeNet
from ml.train import train_sbp

TREES_FILE = "trees.txt"


@torch.inference_mode()
def sbp_pmf(
    raw: torch.Tensor,
    config: TrainConfig,
    lower: torch.Tensor | None = None,
    upper: torch.Tensor | None = None,
    batch_size: int = 2048,
) -> np.ndarray:
    """Integer-yard probabilities (N, G) on YARD_GRID from raw SBP head outputs (N, K + 4); with the plays'
    boundaries ``lower``/``upper`` (N,) (as ``to_tensors`` carries them), the capped pmf: 1 - F(U - 0.5) at
    U, F(L + 0.5) at L, zero outside [L, U] (docs/sbp.md section 8)."""
    grid = torch.as_tensor(YARD_GRID, dtype=torch.float32)[:, None]
    parts = []
    for start in range(0, len(raw), batch_size):
        rows = slice(start, start + batch_size)
        capped = capped_distribution(
            raw[rows], config, None if lower is None else lower[rows], None if upper is None else upper[rows]
        )
        parts.append(capped.integer_log_prob(grid.expand(-1, capped.batch_shape[0])).exp().T)
    return torch.cat(parts).numpy().astype(np.float64)


def test_rows(split: np.ndarray) -> np.ndarray:
    rows = np.flatnonzero(split == "test")
    if len(rows) == 0:
        raise ValueError("the split has no test plays")
    return rows


@dataclass
class Baselines:
    """The comparison models trained on the same split: the Gaussian head and the trees (a Booster)."""

    gaussian: PassOutcomeNet
    trees: object

    def save(self, folder: str | Path, config: TrainConfig, data_meta: dict) -> None:
        folder = Path(folder)
        save_artifact(folder / "gaussian", self.gaussian, config, data_meta, {})
        self.trees.save_model(str(folder / TREES_FILE))

    @classmethod
    def load(cls, folder: str | Path, expected_schema_hash: str) -> Baselines:
        import lightgbm as lgb  # noqa: PLC0415

        gaussian, _, _ = load_artifact(Path(folder) / "gaussian", expected_schema_hash)
        trees_file = Path(folder) / TREES_FILE
        if not trees_file.exists():
            raise ArtifactError(f"{folder}: no {TREES_FILE} (train the baselines first)")
        return cls(gaussian, lgb.Booster(model_file=str(trees_file)))


def train_baselines(
    data: TrainingData, split: np.ndarray, config: TrainConfig, progress: Callable[[str], None] | None = None
) -> Baselines:
    if progress:
        progress("training the Gaussian head")
    gaussian, _ = train_gaussian(data, split, config, progress=progress)
    if progress:
        progress("training the gradient-boosted trees")
    return Baselines(
        gaussian, fit_trees(tree_features(data), data.label, split, seed=config.seed, refit=config.refit)
    )


def sbp_metrics(
    data: TrainingData,
    split: np.ndarray,
    config: TrainConfig,
    sbp_model: PassOutcomeNet,
    *,
    oracle_pmf: np.ndarray | None = None,
) -> dict:
    """The SBP model's metrics on the test rows of ``split`` (``"sbp"``) and, given the test plays' true
    probabilities (N_test, G), the oracle's (``"oracle"``): both capped to the plays' boundaries."""
    rows = test_rows(split)
    yards = data.label[rows].astype(np.float64)
    test = to_tensors(data, rows, torch.device("cpu"))
    bounds = {} if data.lower_yd is None else {"lower": data.lower_yd[rows], "upper": data.upper_yd[rows]}
    raw = predict_raw(sbp_model.cpu(), test)
    models = {"sbp": pmf_metrics(sbp_pmf(raw, config, *test[4:6]), yards, seed=config.seed, **bounds)}
    if oracle_pmf is not None:
        models["oracle"] = pmf_metrics(oracle_pmf, yards, seed=config.seed, **bounds)
    return {name: m.as_dict() for name, m in models.items()}


def evaluate_models(
    data: TrainingData,
    split: np.ndarray,
    config: TrainConfig,
    sbp_model: PassOutcomeNet,
    baselines: Baselines,
    *,
    oracle_pmf: np.ndarray | None = None,
) -> dict:
    """Metrics of every model on the test rows of ``split``; ``oracle_pmf``: (N_test, G) true
    probabilities of the test plays, when known. Where ``data`` has field boundaries, every pmf is capped
    to them and the yards and the trees' medians clipped (docs/sbp.md section 8)."""
    rows = test_rows(split)
    yards = data.label[rows].astype(np.float64)
    test = to_tensors(data, rows, torch.device("cpu"))
    bounds = {} if data.lower_yd is None else {"lower": data.lower_yd[rows], "upper": data.upper_yd[rows]}
    sbp = sbp_metrics(data, split, config, sbp_model, oracle_pmf=oracle_pmf)
    mean, std = gaussian_parameters(predict_raw(baselines.gaussian.cpu(), test))
    models = {
        "sbp": sbp["sbp"],
        "gaussian": pmf_metrics(gaussian_pmf(mean.numpy(), std.numpy()), yards, seed=config.seed, **bounds),
        "trees": point_metrics(
            clip_yards(np.rint(baselines.trees.predict(tree_features(data)[rows])), **bounds),
            clip_yards(yards, **bounds),
        ),
        "marginal": pmf_metrics(
            marginal_pmf(data.label[split == "train"], len(rows)), yards, seed=config.seed, **bounds
        ),
    }
    models = {name: m if isinstance(m, dict) else m.as_dict() for name, m in models.items()}
    if "oracle" in sbp:
        models["oracle"] = sbp["oracle"]
    return {"models": models, "n_test": len(rows)}


def compare_models(
    data: TrainingData,
    split: np.ndarray,
    config: TrainConfig,
    *,
    sbp_model: PassOutcomeNet | None = None,
    oracle_pmf: np.ndarray | None = None,
    progress: Callable[[str], None] | None = None,
) -> dict:
    """Train whatever is missing (the SBP model unless given, the baselines) and evaluate them all."""
    if sbp_model is None:
        if progress:
            progress("training the SBP model")
        sbp_model, _, _ = train_sbp(data, config, progress=progress, split=split)
    baselines = train_baselines(data, split, config, progress)
    return evaluate_models(data, split, config, sbp_model, baselines, oracle_pmf=oracle_pmf)
