"""From arrays to predicted distributions, shared by training, evaluation and scoring: the model for a
``TrainConfig`` (``build_model``), plays as tensors on a device (``to_tensors``), batched raw head outputs
(``predict_raw``) and the SBP they parametrize (``sbp_distribution``), capped to the field where the plays
have boundaries (``capped_distribution``).

Shapes: tensor (N, T, S, C) (or (N, 0) for the situation-only model), n_frames (N,) int64, tabular (N, F),
label (N,), lower_yd and upper_yd (N,) (the field boundaries, docs/sbp.md section 8); raw head outputs
(N, K + 4) for the SBP head, laid out as ``ml.sbp.sbp_from_raw`` expects.
"""

from __future__ import annotations

import numpy as np
import torch
from torch import Tensor

from ml.capped import CappedYards
from ml.config import TrainConfig, TrainingData
from ml.sbp import YARD_BINS, SplicedBinnedPareto, sbp_from_raw
from ml.tcn import PassOutcomeNet, network_for

__all__ = ["build_model", "capped_distribution", "predict_raw", "sbp_distribution", "to_tensors"]


def build_model(data: TrainingData, config: TrainConfig, out_features: int) -> PassOutcomeNet:
    """The TCN model for play tensors, or the situation-only MLP when ``data.tensor`` is None."""
    frame_shape = tuple(data.tensor.shape[1:]) if data.tensor is not None else None
    return network_for(config, frame_shape, data.tabular.shape[1], out_features)


def to_tensors(data: TrainingData, rows: np.ndarray, device: torch.device) -> tuple[Tensor, ...]:
    """(tensor, n_frames, tabular, label, lower_yd, upper_yd) of the plays ``rows`` (indices into ``data``)
    on ``device``. The boundaries travel with the rows: float32 (N,), -inf / +inf when ``data`` has none
    (``ml.capped.CappedYards`` reads an infinite bound as uncapped)."""
    # The situation-only model has no play tensors: an empty placeholder keeps one training loop.
    tensor = data.tensor[rows] if data.tensor is not None else np.zeros((len(rows), 0), dtype=np.float32)
    if data.lower_yd is None:
        lower, upper = np.full(len(rows), -np.inf, np.float32), np.full(len(rows), np.inf, np.float32)
    else:
        lower, upper = data.lower_yd[rows].astype(np.float32), data.upper_yd[rows].astype(np.float32)
    return (
        torch.from_numpy(tensor).to(device),
        torch.from_numpy(data.n_frames[rows].astype(np.int64)).to(device),
        torch.from_numpy(data.tabular[rows]).to(device),
        torch.from_numpy(data.label[rows]).to(device),
        torch.from_numpy(lower).to(device),
        torch.from_numpy(upper).to(device),
    )


def frames_of(tensor: Tensor, n_frames: Tensor, rows: Tensor) -> Tensor:
    """The play tensors of ``rows`` up to the longest of those plays' frames: plays are left-aligned and
    the encoder reads no further, so the rest is never copied. The situation model's (N, 0) placeholder
    passes through as (len(rows), 0)."""
    return tensor[rows, : int(n_frames[rows].max())]


@torch.inference_mode()
def predict_raw(model: PassOutcomeNet, tensors: tuple[Tensor, ...], batch_size: int = 512) -> Tensor:
    """Raw head outputs (N, out_features) float32 for every play of ``tensors`` (tensor, n_frames,
    tabular[, label, ...]), in eval mode and batches of ``batch_size`` plays of similar length.

    The plays are taken shortest first, so a batch's convolutions run to its own longest play rather
    than to the longest of all (a random batch's runs to twice the mean play's frames); each play's
    output does not depend on the others in its batch."""
    model.eval()
    tensor, n_frames, tabular = tensors[:3]
    order = torch.argsort(n_frames, stable=True)
    sorted_raw = torch.cat(
        [
            model(frames_of(tensor, n_frames, rows), n_frames[rows], tabular[rows]).float()
            for rows in order.split(batch_size)
        ]
    )
    raw = torch.empty_like(sorted_raw)
    raw[order] = sorted_raw
    return raw


def sbp_distribution(raw: Tensor, config: TrainConfig) -> SplicedBinnedPareto:
    """The SBP on ``YARD_BINS`` that raw head outputs (*batch, K + 4) parametrize; batch_shape = *batch."""
    return sbp_from_raw(raw.float(), *YARD_BINS, tail_percentile=config.tail_percentile, xi_max=config.xi_max)


def capped_distribution(
    raw: Tensor, config: TrainConfig, lower: Tensor | None = None, upper: Tensor | None = None
) -> CappedYards:
    """``sbp_distribution(raw, config)`` capped to the plays' boundaries (*batch,) (None or infinite:
    uncapped), as ``to_tensors`` carries them; docs/sbp.md section 8."""
    return CappedYards(sbp_distribution(raw, config), lower, upper)
