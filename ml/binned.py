"""The binned (histogram) base distribution B of the spliced binned-Pareto (docs/sbp.md section 2.1).

K equal bins of width w on [a, b] with masses pi_k and a uniform density inside each bin. Free functions on
the tensors ``SplicedBinnedPareto`` holds, so that the distribution class keeps only the splicing:

* ``edges``: (K+1,) bin edges a = e_0 < ... < e_K = b (see ``bin_edges``);
* ``pi``, ``log_pi``: (*batch, K) bin masses and their logs (log_softmax of the logits);
* ``cum``: (*batch, K+1) cumulative masses C_0 = 0, ..., C_K = 1 (see ``cumulative_masses``);
* ``bin_width``: the Python float w = (b - a) / K.

Values use the class's flat layout: x of shape (*batch, n), the sample dimensions flattened last, so that
batched ``searchsorted``/``gather`` need no expanded parameter copies; results are (*batch, n).
"""

from __future__ import annotations

import functools

import torch
from torch import Tensor

from ml.logmath import safe_log, safe_logsumexp

__all__ = [
    "bin_edges",
    "bin_index",
    "cdf",
    "clip_bins",
    "cumulative_masses",
    "icdf",
    "log_mass",
    "mean",
    "partial_mean",
]


@functools.lru_cache(maxsize=16)
def bin_edges(a: float, b: float, k: int, dtype: torch.dtype, device: torch.device) -> Tensor:
    """The (K+1,) edges a + (b - a) j / K, computed in float64 (so that e.g. half-yard edges are exact,
    with e_K = b exactly) and then cast to ``dtype``. Computed once per arguments and shared (read
    only): every distribution of a batch, and every traced single-play graph, uses the same constant."""
    j = torch.arange(k + 1, dtype=torch.float64, device=device)
    edges = a + (b - a) * j / k
    edges[-1] = b
    return edges.to(dtype)


def cumulative_masses(pi: Tensor) -> Tensor:
    """C of shape (*batch, K+1) from pi (*batch, K): C_0 = 0 prepended to the cumsum (never cumsum - pi:
    GluonTS PR #2344) and C_K = 1 exactly; the clamp keeps C monotone when float32 rounding pushes a
    partial sum above 1."""
    cum = pi.cumsum(-1)[..., :-1].clamp(max=1.0)
    return torch.cat([torch.zeros_like(cum[..., :1]), cum, torch.ones_like(cum[..., :1])], -1)


def bin_index(edges: Tensor, x: Tensor) -> Tensor:
    """0-based bin of x (*batch, n) as int64 (*batch, n), clipped to the edge bins (x = b is in the last
    bin, x = a and everything below in the first); edges (K+1,)."""
    k = torch.searchsorted(edges, x.contiguous(), right=True) - 1
    return k.clamp(0, edges.shape[0] - 2)


def cdf(x: Tensor, edges: Tensor, pi: Tensor, cum: Tensor, bin_width: float) -> Tensor:
    """F_B(x) = C_{k-1} + pi_k (x - e_{k-1}) / w: 0 below a, 1 from b on. x (*batch, n) -> (*batch, n)."""
    k = bin_index(edges, x)
    frac = ((x - edges[k]) / bin_width).clamp(0.0, 1.0)
    out = cum.gather(-1, k) + pi.gather(-1, k) * frac
    out = torch.where(x < edges[0], torch.zeros_like(out), out)
    return torch.where(x >= edges[-1], torch.ones_like(out), out)


def icdf(u: Tensor, edges: Tensor, pi: Tensor, cum: Tensor, bin_width: float) -> Tensor:
    """Q_B(u) for u (*batch, n) in [0, 1] -> (*batch, n): the bin with C_{k-1} <= u < C_k found by
    searchsorted (which skips zero-mass bins), then a guarded division by pi_k inside it."""
    k = (torch.searchsorted(cum, u.contiguous(), right=True) - 1).clamp(0, pi.shape[-1] - 1)
    pi_k = pi.gather(-1, k)
    pos = pi_k > 0
    frac = (u - cum.gather(-1, k)) / torch.where(pos, pi_k, torch.ones_like(pi_k))
    frac = torch.where(pos, frac, torch.zeros_like(frac)).clamp(0.0, 1.0)
    return edges[k] + bin_width * frac


def log_mass(  # noqa: PLR0917 (the interval, then the tensors in the order the class holds them)
    lo: Tensor, hi: Tensor, edges: Tensor, log_pi: Tensor, cum: Tensor, bin_width: float
) -> Tensor:
    """log(F_B(hi) - F_B(lo)) from log pi, for lo, hi (*batch, n) in [a, b] -> (*batch, n).

    A log-sum of the two end bins' partial masses and the full middle bins (C_{k_hi} - C_{k_lo + 1}), so
    that a whole bin gets exactly log pi_k even when pi_k underflows; -inf where hi <= lo.
    """
    k_lo, k_hi = bin_index(edges, lo), bin_index(edges, hi)
    same = k_hi == k_lo
    minus_inf = torch.full_like(lo, -torch.inf)
    first = log_pi.gather(-1, k_lo) + safe_log((torch.where(same, hi, edges[k_lo + 1]) - lo) / bin_width)
    last = log_pi.gather(-1, k_hi) + safe_log((hi - edges[k_hi]) / bin_width)
    middle = safe_log(cum.gather(-1, k_hi) - cum.gather(-1, k_lo + 1))
    terms = torch.stack(
        [first, torch.where(same, minus_inf, last), torch.where(k_hi > k_lo + 1, middle, minus_inf)]
    )
    return torch.where(hi > lo, safe_logsumexp(terms, 0), minus_inf)


def clip_bins(edges: Tensor, lower: Tensor, upper: Tensor) -> tuple[Tensor, Tensor]:
    """The bins clipped to [lower, upper]: edges (K+1,), lower, upper (*batch, 1) -> (lo, hi), each
    (*batch, K); a bin outside the interval collapses to lo = hi at its nearer end."""
    lo = torch.minimum(torch.maximum(edges[:-1], lower), upper)
    hi = torch.minimum(torch.maximum(edges[1:], lower), upper)
    return lo, hi


def partial_mean(lo: Tensor, hi: Tensor, pi: Tensor, bin_width: float) -> Tensor:
    """sum_k (pi_k / w) * integral of x over [lo_k, hi_k]: B's first moment restricted to (clipped) bins.

    lo, hi, pi (*batch, K) -> (*batch,).
    """
    return (pi / bin_width * (hi - lo) * (hi + lo) / 2).sum(-1)


def mean(edges: Tensor, pi: Tensor) -> Tensor:
    """Mean of B, sum_k pi_k c_k with c_k the bin centres: edges (K+1,), pi (*batch, K) -> (*batch,)."""
    return (pi * (edges[:-1] + edges[1:]) / 2).sum(-1)
