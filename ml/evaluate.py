"""Held-out metrics for predictive distributions of integer yards, from one representation: each
model's probability of every integer yard on a common grid (N plays x G yards).

* NLL: -log P(y) = -log(F(y + 0.5) - F(y - 0.5)).
* CRPS: sum over the yard grid of (F(k) - 1{y <= k})^2, the CRPS of the integer-valued forecast.
* MAE of the predictive median (the smallest k with F(k) >= 0.5).
* PIT: randomized for integer outcomes, u = F(y - 1) + V P(y) with V ~ U(0, 1); its KS distance to
  uniform, and a histogram.
* Coverage of the central 50% and 90% intervals [Q(a), Q(1 - a)] with integer quantiles.

A point-prediction model (the trees) contributes only its MAE.

With per-play field boundaries L < U (docs/sbp.md section 8), every pmf is capped first (``cap_pmf``: the
grid mass below L moves to L, the mass above U to U) and the yards are clipped to [L, U].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Every yardage a play can record, both end zones included; an interception's label is minus its return,
# which can reach 110 yards (from the back of the end zone), as the generator's truth support.
YARD_GRID = np.arange(-110, 111)
PIT_BINS = 10


@dataclass
class Metrics:
    nll: float | None
    crps: float | None
    mae_median: float
    pit_ks: float | None
    coverage_50: float | None
    coverage_90: float | None
    pit_histogram: list[float] | None = None

    def as_dict(self) -> dict:
        return {k: (round(v, 5) if isinstance(v, float) else v) for k, v in self.__dict__.items()}


def _grid_index(yards: np.ndarray) -> np.ndarray:
    index = np.rint(yards).astype(np.int64) - YARD_GRID[0]
    if (index < 0).any() or (index >= len(YARD_GRID)).any():
        raise ValueError(f"yards outside the grid [{YARD_GRID[0]}, {YARD_GRID[-1]}]")
    return index


def _quantile_index(cdf: np.ndarray, level: float) -> np.ndarray:
    """Per row, the grid index of the smallest k with F(k) >= level."""
    return np.argmax(cdf >= level - 1e-12, axis=1)


def clip_yards(
    yards: np.ndarray, lower: np.ndarray | None = None, upper: np.ndarray | None = None
) -> np.ndarray:
    """``yards`` clipped to the plays' boundaries [lower, upper] (N,); unchanged without boundaries."""
    return yards if lower is None else np.clip(yards, lower, upper)


def cap_pmf(pmf: np.ndarray, lower: np.ndarray | None = None, upper: np.ndarray | None = None) -> np.ndarray:
    """The (N, G) grid pmf capped to [lower, upper] (N,) integer yards on YARD_GRID: the mass of the grid
    below L moves to L, the mass above U to U (docs/sbp.md section 8); unchanged without boundaries."""
    if lower is None:
        return pmf
    for bound in (lower, upper):
        _grid_index(bound)  # raises unless the bound lies on the grid
    below, above = YARD_GRID[None, :] < lower[:, None], YARD_GRID[None, :] > upper[:, None]
    capped = np.where(below | above, 0.0, pmf)
    capped += (YARD_GRID[None, :] == lower[:, None]) * np.where(below, pmf, 0.0).sum(1, keepdims=True)
    capped += (YARD_GRID[None, :] == upper[:, None]) * np.where(above, pmf, 0.0).sum(1, keepdims=True)
    return capped


def pmf_metrics(
    pmf: np.ndarray,
    yards: np.ndarray,
    seed: int = 0,
    *,
    lower: np.ndarray | None = None,
    upper: np.ndarray | None = None,
) -> Metrics:
    """Metrics of per-play integer-yard probabilities ``pmf`` (N, G over YARD_GRID) for outcomes ``yards``;
    with the plays' boundaries ``lower``/``upper`` (N,), on the capped pmf and the clipped yards."""
    pmf = cap_pmf(np.clip(pmf, 0.0, None), lower, upper)
    yards = clip_yards(yards, lower, upper)
    pmf = pmf / pmf.sum(axis=1, keepdims=True)
    cdf = np.cumsum(pmf, axis=1)
    index = _grid_index(yards)
    rows = np.arange(len(yards))
    p_y = pmf[rows, index]
    nll = float(-np.log(np.clip(p_y, 1e-300, None)).mean())
    step = (YARD_GRID[None, :] >= np.rint(yards)[:, None]).astype(np.float64)
    crps = float(((cdf - step) ** 2).sum(axis=1).mean())
    median = YARD_GRID[_quantile_index(cdf, 0.5)]
    below = cdf[rows, index] - p_y
    pit = below + np.random.default_rng(seed).uniform(size=len(yards)) * p_y
    coverage = {}
    for level in (0.5, 0.9):
        lo = YARD_GRID[_quantile_index(cdf, (1 - level) / 2)]
        hi = YARD_GRID[_quantile_index(cdf, 1 - (1 - level) / 2)]
        coverage[level] = float(((yards >= lo) & (yards <= hi)).mean())
    return Metrics(
        nll=nll,
        crps=crps,
        mae_median=float(np.abs(median - yards).mean()),
        pit_ks=ks_distance(pit),
        coverage_50=coverage[0.5],
        coverage_90=coverage[0.9],
        pit_histogram=(np.histogram(pit, bins=PIT_BINS, range=(0, 1))[0] / len(pit)).round(4).tolist(),
    )


def point_metrics(median: np.ndarray, yards: np.ndarray) -> Metrics:
    """A point prediction has only the MAE (the seed's comparison table)."""
    return Metrics(None, None, float(np.abs(median - yards).mean()), None, None, None)


def ks_distance(u: np.ndarray) -> float:
    """sup |ECDF(u) - u|: the Kolmogorov-Smirnov distance of a sample to U(0, 1)."""
    u = np.sort(u)
    n = len(u)
    ecdf_hi = np.arange(1, n + 1) / n
    ecdf_lo = np.arange(0, n) / n
    return float(max((ecdf_hi - u).max(), (u - ecdf_lo).max()))


def marginal_pmf(train_yards: np.ndarray, n: int, smoothing: float = 0.5) -> np.ndarray:
    """The empirical marginal of the training yards (add-``smoothing`` counts), repeated for ``n`` plays."""
    counts = np.bincount(_grid_index(train_yards), minlength=len(YARD_GRID)).astype(np.float64) + smoothing
    return np.broadcast_to(counts / counts.sum(), (n, len(YARD_GRID)))


def gaussian_pmf(mean: np.ndarray, std: np.ndarray) -> np.ndarray:
    """Integer-yard probabilities of N(mean, std): Phi(k + 0.5) - Phi(k - 0.5) on the grid, the mass beyond
    the grid on its end cells (so that ``cap_pmf`` moves all of it to the boundaries)."""
    from scipy.special import ndtr  # noqa: PLC0415 - scipy is only needed here

    upper = ndtr((YARD_GRID[None, :] + 0.5 - mean[:, None]) / std[:, None])
    lower = ndtr((YARD_GRID[None, :] - 0.5 - mean[:, None]) / std[:, None])
    upper[:, -1], lower[:, 0] = 1.0, 0.0
    return upper - lower
