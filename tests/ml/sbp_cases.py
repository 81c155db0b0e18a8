"""The spliced binned-Pareto test cases shared by the tests of ml.sbp / ml.gpd: an asymmetric SBP
factory with seeded logits, its density as a function, the ends of its support and quadrature over
its pieces."""

from __future__ import annotations

import itertools
import math

import torch
from scipy import integrate

from ml.sbp import SplicedBinnedPareto

DTYPES = [torch.float32, torch.float64]
P = 0.05


def make_sbp(  # noqa: PLR0917 (a test factory: every knob has a default)
    dtype: torch.dtype = torch.float64,
    k: int = 20,
    a: float = -2.0,
    b: float = 3.0,
    xi_l: float = 0.3,
    beta_l: float = 0.7,
    xi_u: float = 0.4,
    beta_u: float = 1.8,
    p: float = P,
    seed: int = 0,
    batch: tuple[int, ...] = (),
    logits: torch.Tensor | None = None,
) -> SplicedBinnedPareto:
    """An asymmetric SBP with seeded random logits (drawn in float64, then cast so both dtypes agree)."""
    if logits is None:
        g = torch.Generator().manual_seed(seed)
        logits = torch.randn(*batch, k, generator=g, dtype=torch.float64)
    logits = logits.to(dtype)
    gpd = [torch.full(logits.shape[:-1], v, dtype=dtype) for v in (xi_l, beta_l, xi_u, beta_u)]
    return SplicedBinnedPareto(logits, *gpd, a, b, p)


def pdf_fn(d: SplicedBinnedPareto):
    dtype = d.logits.dtype
    return lambda x: float(d.log_prob(torch.tensor(x, dtype=dtype)).exp())


def support_ends(d: SplicedBinnedPareto) -> tuple[float, float]:
    t_l, t_u, xi_l, beta_l, xi_u, beta_u = (
        t.detach().item()
        for t in (d.lower_threshold, d.upper_threshold, d.lower_xi, d.lower_beta, d.upper_xi, d.upper_beta)
    )
    lo = -math.inf if xi_l >= 0 else t_l + beta_l / xi_l
    hi = math.inf if xi_u >= 0 else t_u - beta_u / xi_u
    return lo, hi


def quad_pieces(fn, pieces: list[float]) -> float:
    """Sum of quad over consecutive breakpoints (infinite ends allowed)."""
    total = 0.0
    for lo, hi in itertools.pairwise(pieces):
        if hi > lo:
            total += integrate.quad(fn, lo, hi, epsabs=1e-13, epsrel=1e-11, limit=200)[0]
    return total


def body_breaks(d: SplicedBinnedPareto) -> list[float]:
    """t_L, the bin edges strictly inside (t_L, t_U), t_U: the density is constant between them."""
    t_l, t_u = float(d.lower_threshold), float(d.upper_threshold)
    edges = [float(e) for e in d._edges if t_l < float(e) < t_u]
    return [t_l, *edges, t_u]
