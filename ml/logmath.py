"""Log-space helpers that keep values and gradients finite where a naive formula gives NaN."""

from __future__ import annotations

import math

import torch
from torch import Tensor


def safe_log(x: Tensor) -> Tensor:
    """log(x) for x > 0, -inf otherwise, without inf/NaN gradients in the masked entries."""
    pos = x > 0
    return torch.where(
        pos, torch.log(torch.where(pos, x, torch.ones_like(x))), torch.full_like(x, -torch.inf)
    )


def log1mexp(d: Tensor) -> Tensor:
    """log(1 - exp(-d)) for d >= 0 (Maechler's two branches), -inf at d = 0; each branch gets safe inputs."""
    ln2 = math.log(2.0)
    small = d < ln2
    d_small = torch.where(small & (d > 0), d, torch.full_like(d, ln2))
    d_large = torch.where(small, torch.full_like(d, ln2), d)
    out = torch.where(small, torch.log(-torch.expm1(-d_small)), torch.log1p(-torch.exp(-d_large)))
    return torch.where(d > 0, out, torch.full_like(d, -torch.inf))


def safe_logsumexp(v: Tensor, dim: int) -> Tensor:
    """logsumexp that returns -inf (with zero, not NaN, gradients) when every entry is -inf."""
    m = v.amax(dim, keepdim=True).detach()
    m = torch.where(torch.isfinite(m), m, torch.zeros_like(m))
    s = torch.exp(v - m).sum(dim)
    return safe_log(s) + m.squeeze(dim)
