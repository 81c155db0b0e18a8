"""Tensor helpers shared by the distributions (``ml.sbp``, ``ml.capped``)."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["as_values"]


def as_values(value: Tensor | float, dtype: torch.dtype, device: torch.device) -> Tensor:
    """``value`` as a tensor of ``dtype`` on ``device``: itself when it already is one, so that a traced
    graph (``ml.single_play``) records no conversion."""
    if isinstance(value, Tensor) and value.dtype == dtype and value.device == device:
        return value
    return torch.as_tensor(value, dtype=dtype, device=device)
