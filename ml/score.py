"""Play scores: where each play's actual yards fall in the distribution predicted for a league-average
QB in the same situation.

percentile = the mid-point of F(y - 0.5) and F(y + 0.5) for the integer yards y (so a league-average
QB's percentiles are uniform on [0, 1] up to the discreteness of the yards), plus the predictive
median, the 5/25/75/95% quantiles and the expected yards of the same distribution.

Where the plays carry field boundaries (``to_tensors``' lower_yd / upper_yd), every number comes from the
capped distribution (docs/sbp.md section 8): a touchdown's percentile is (F(U - 0.5) + 1) / 2, quantiles
lie in [L, U], expected yards are the capped mean. An interception's percentile is 0 (the worst outcome,
whatever the return); its PIT bounds stay those of its yards, so calibration is checked on yards.
"""

from __future__ import annotations

import numpy as np
import torch

from ml.capped import CappedYards
from ml.config import TrainConfig
from ml.inference import capped_distribution, predict_raw
from ml.tcn import PassOutcomeNet

QUANTILES = (0.05, 0.25, 0.5, 0.75, 0.95)


@torch.inference_mode()
def capped_predictions(
    model: PassOutcomeNet, config: TrainConfig, tensors: tuple[torch.Tensor, ...], batch_size: int = 512
) -> CappedYards:
    """The model's predictive distribution of every play of ``to_tensors``' ``tensors``, capped to the
    plays' boundaries where they carry them; batch shape (N,)."""
    lower, upper = tensors[4:6] if len(tensors) >= 6 else (None, None)
    return capped_distribution(predict_raw(model, tensors, batch_size), config, lower, upper)


@torch.inference_mode()
def decision_values(passing: CappedYards, execution: CappedYards) -> np.ndarray:
    """Per play (N,): E_{Y ~ execution}[P_passing(Y)] - 1/2, how much the chosen target raised the expected
    passing percentile of a league-average thrower (P_passing: the mid-point percentile under the passing
    distribution). Both distributions capped to the same finite boundaries."""
    return (execution.expected_percentile(passing) - 0.5).numpy().astype(np.float64)


@torch.inference_mode()
def score_plays(
    model: PassOutcomeNet,
    config: TrainConfig,
    tensors: tuple[torch.Tensor, ...],
    yards: np.ndarray,
    batch_size: int = 512,
    *,
    intercepted: np.ndarray | None = None,
) -> dict[str, np.ndarray]:
    """Per play (N,): percentile, cdf_lower = F_c(y - 0.5), cdf_upper = F_c(y + 0.5), predicted_median,
    q05, q25, q75, q95, expected_yards (F_c the capped CDF where there are boundaries, else F). A uniform
    draw between cdf_lower and cdf_upper is the randomized PIT, exactly uniform under a calibrated model;
    the mid-point percentile is not, for integer yards.

    ``tensors`` = ``to_tensors``' (tensor (N, T, S, C), n_frames (N,), tabular (N, F), label, lower_yd,
    upper_yd) (the first three alone: uncapped); ``yards`` (N,) integer yards; ``intercepted`` (N,) bool:
    those plays get percentile 0."""
    return capped_scores(capped_predictions(model, config, tensors, batch_size), yards, intercepted)


@torch.inference_mode()
def capped_scores(
    capped: CappedYards, yards: np.ndarray, intercepted: np.ndarray | None = None
) -> dict[str, np.ndarray]:
    """``score_plays``' numbers from an already computed (capped) predictive distribution."""
    actual = torch.tensor(np.asarray(yards), dtype=torch.float32)
    levels = torch.tensor(QUANTILES, dtype=torch.float32)[:, None].expand(-1, len(actual))
    quantiles = capped.icdf(levels).numpy().astype(np.float64)  # (5, N)
    below, upto = (bound.numpy().astype(np.float64) for bound in capped.cdf_bounds(actual))
    percentile = 0.5 * (below + upto)
    if intercepted is not None:
        percentile = play_percentile(percentile, intercepted)
    return {
        "percentile": percentile,
        "cdf_lower": below,
        "cdf_upper": upto,
        "predicted_median": quantiles[2],
        "q05": quantiles[0],
        "q25": quantiles[1],
        "q75": quantiles[3],
        "q95": quantiles[4],
        "expected_yards": capped.mean.numpy().astype(np.float64),
    }


def play_percentile(percentile: np.ndarray | float, intercepted: np.ndarray | bool) -> np.ndarray:
    """The play's percentile: the mid-point percentile of its yards, 0 for an interception (the worst
    outcome, whatever the return)."""
    return np.where(np.asarray(intercepted, dtype=bool), 0.0, percentile)
