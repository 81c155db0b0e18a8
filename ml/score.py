"""Play scores: where each play's actual yards fall in the distribution predicted for a league-average
QB in the same situation.

percentile = the mid-point of F(y - 0.5) and F(y + 0.5) for the integer yards y (so a league-average
QB's percentiles are uniform on [0, 1] up to the discreteness of the yards), plus the predictive
median, the 5/25/75/95% quantiles and the expected yards of the same distribution.
"""

from __future__ import annotations

import numpy as np
import torch

from ml.config import TrainConfig
from ml.inference import predict_raw, sbp_distribution
from ml.tcn import PassOutcomeNet

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@torch.inference_mode()
def score_plays(
    model: PassOutcomeNet,
    config: TrainConfig,
    tensors: tuple[torch.Tensor, ...],
    yards: np.ndarray,
    batch_size: int = 4096,
) -> dict[str, np.ndarray]:
    """Per play (N,): percentile, cdf_lower = F(y - 0.5), cdf_upper = F(y + 0.5), predicted_median, q05,
    q25, q75, q95, expected_yards. (A uniform draw between cdf_lower and cdf_upper is the randomized PIT,
    exactly uniform under a calibrated model; the mid-point percentile is not, for integer yards.)

    ``tensors`` = (tensor (N, T, S, C), n_frames (N,), tabular (N, F)); ``yards`` (N,) integer yards."""
    distribution = sbp_distribution(predict_raw(model, tensors, batch_size), config)
    actual = torch.tensor(np.asarray(yards), dtype=torch.float32)
    levels = torch.tensor(QUANTILES, dtype=torch.float32)[:, None].expand(-1, len(actual))
    quantiles = distribution.icdf(levels).numpy()  # (5, N)
    lower, upper = distribution.cdf(actual - 0.5).numpy(), distribution.cdf(actual + 0.5).numpy()
    return {
        "percentile": (0.5 * (lower + upper)).astype(np.float64),
        "cdf_lower": lower.astype(np.float64),
        "cdf_upper": upper.astype(np.float64),
        "predicted_median": quantiles[2].astype(np.float64),
        "q05": quantiles[0].astype(np.float64),
        "q25": quantiles[1].astype(np.float64),
        "q75": quantiles[3].astype(np.float64),
        "q95": quantiles[4].astype(np.float64),
        "expected_yards": distribution.mean.numpy().astype(np.float64),
    }
