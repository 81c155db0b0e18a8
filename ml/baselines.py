"""The comparison models, trained on the same split as the SBP model.

* Gaussian head: the same TCN encoder and MLP, emitting a mean and a log standard deviation, trained
  on the Gaussian NLL of the (dequantized) yards.
* Gradient-boosted trees: LightGBM (histogram-based, fast on two cores, a self-contained CPU wheel)
  with the L1 objective, so its prediction is a conditional median, on the tabular model inputs plus
  release-frame features (each slot's position and velocity at the last valid frame).
* Empirical marginal: the training yards' histogram, the same for every play.

The Gaussian and the trees ignore the field boundaries when they train; where the plays have boundaries,
every model's metrics are computed on its pmf capped to them (``ml.evaluate.pmf_metrics``, docs/sbp.md
section 8), and the trees' medians are clipped to them.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import torch
from torch import Tensor

from ml.config import TrainConfig, TrainingData
from ml.inference import build_model
from ml.tcn import PassOutcomeNet
from ml.train import fit_with_refit, refit_split

LOG_STD_BOUNDS = (-1.0, 4.0)  # std between 0.37 and 55 yards


def gaussian_parameters(raw: Tensor) -> tuple[Tensor, Tensor]:
    """(mean, std) from a (N, 2) head output."""
    return raw[:, 0], raw[:, 1].clamp(*LOG_STD_BOUNDS).exp()


def gaussian_nll(raw: Tensor, label: Tensor) -> Tensor:
    mean, std = gaussian_parameters(raw)
    return -torch.distributions.Normal(mean, std).log_prob(label)


def gaussian_integer_nll(raw: Tensor, label: Tensor) -> Tensor:
    """-log(Phi(y + 0.5) - Phi(y - 0.5)): the same criterion the SBP is stopped on."""
    mean, std = gaussian_parameters(raw)
    normal = torch.distributions.Normal(mean, std)
    mass = normal.cdf(label + 0.5) - normal.cdf(label - 0.5)
    return -torch.log(mass.clamp(min=1e-12))


def train_gaussian(
    data: TrainingData, split: np.ndarray, config: TrainConfig, progress: Callable[[str], None] | None = None
) -> tuple[PassOutcomeNet, dict]:

    def build(fit_split: np.ndarray) -> PassOutcomeNet:
        model = build_model(data, config, 2)
        train_label = data.label[fit_split == "train"]
        with torch.no_grad():
            model.head[-1].weight.mul_(0.1)
            model.head[-1].bias.copy_(torch.tensor([train_label.mean(), np.log(train_label.std())]))
        return model

    model, history = fit_with_refit(
        build,
        data,
        split,
        config,
        # The Gaussian ignores the field boundaries in training (its metrics are still taken on the capped
        # pmf: ml.evaluate.pmf_metrics).
        loss_fn=lambda raw, y, lower, upper: gaussian_nll(raw, y).mean(),
        nll_fn=lambda raw, y, lower, upper: gaussian_integer_nll(raw, y),
        progress=progress,
    )
    return model.cpu(), history


def release_frame_features(tensor: np.ndarray, n_frames: np.ndarray) -> np.ndarray:
    """Each slot's channels at the play's last valid frame, flattened: (N, S * C)."""
    last = tensor[np.arange(len(tensor)), n_frames - 1]
    return last.reshape(len(tensor), -1)


TREE_PARAMS = {
    "objective": "l1",  # the conditional median, the point the seed's MAE table compares
    "learning_rate": 0.05,
    "num_leaves": 31,
    "min_data_in_leaf": 40,
    "bagging_fraction": 0.8,
    "bagging_freq": 1,
    "feature_fraction": 0.5,
    "num_threads": 2,
    "verbose": -1,
}


def fit_trees(features: np.ndarray, label: np.ndarray, split: np.ndarray, seed: int = 0, refit: bool = False):
    """LightGBM median regression with early stopping on the validation split; with ``refit``, then
    retrained on train + validation for the rounds it chose (as the networks are). A ``lightgbm.Booster``."""
    import lightgbm as lgb  # noqa: PLC0415 - only the baseline needs it

    train, validation = split == "train", split == "validation"
    train_set = lgb.Dataset(features[train], label[train])
    validation_set = lgb.Dataset(features[validation], label[validation], reference=train_set)
    params = {**TREE_PARAMS, "seed": seed}
    booster = lgb.train(
        params,
        train_set,
        num_boost_round=600,
        valid_sets=[validation_set],
        callbacks=[lgb.early_stopping(50, verbose=False)],
    )
    if not refit:
        return booster
    both = refit_split(split) == "train"
    return lgb.train(params, lgb.Dataset(features[both], label[both]), num_boost_round=booster.best_iteration)


def tree_features(data: TrainingData) -> np.ndarray:
    """The trees' inputs: tabular inputs, plus release-frame features when there are play tensors."""
    if data.tensor is None:
        return data.tabular
    return np.concatenate([data.tabular, release_frame_features(data.tensor, data.n_frames)], axis=1)
