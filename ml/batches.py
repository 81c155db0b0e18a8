"""A training epoch's batches: which plays go together (``batch_rows``) and the augmentations each batch
gets (``mirror_half``, ``mask_at_random``). Shapes as ``ml.inference.to_tensors``."""

from __future__ import annotations

import torch
from torch import Tensor

__all__ = ["batch_rows", "mask_at_random", "mirror_half"]


def batch_rows(
    n_frames: Tensor, batch_size: int, length_pool: int, generator: torch.Generator
) -> list[Tensor]:
    """One epoch's batches of row indices (every row once) in a random order from ``generator``.

    With ``length_pool`` > 1 the random order is cut into pools of ``length_pool`` batches and each
    pool is sorted by ``n_frames`` before it is cut into batches, which are then shuffled: a batch
    holds plays of similar length, so the encoder runs over fewer padded frames (a random batch of a
    season runs to about twice the mean play's frames) while each pool is still a random draw."""
    order = torch.randperm(len(n_frames), generator=generator)
    if length_pool <= 1:
        return list(order.split(batch_size))
    lengths = n_frames.cpu()
    pooled = [
        pool[torch.sort(lengths[pool], stable=True).indices] for pool in order.split(batch_size * length_pool)
    ]
    batches = torch.cat(pooled).split(batch_size)
    shuffled = torch.randperm(len(batches), generator=generator)
    return [batches[i] for i in shuffled.tolist()]


def mirror_half(tensor: Tensor, channels: tuple[int, ...], generator: torch.Generator) -> Tensor:
    """Mirror a random half of the plays of a (B, T, S, C) batch across the long axis."""
    sign = torch.ones(tensor.shape[-1], device=tensor.device)
    sign[list(channels)] = -1.0
    flip = torch.rand(tensor.shape[0], generator=generator).to(tensor.device) < 0.5
    # One multiply by a per-play sign row (B, 1, 1, C): a select over the whole batch of both the
    # mirrored and the original copy took a fifth of a CPU training epoch.
    factor = torch.where(flip[:, None], sign, torch.ones_like(sign))
    return tensor * factor[:, None, None, :]


def mask_at_random(
    tabular: Tensor,
    columns: tuple[int, ...],
    values: tuple[float, ...],
    share: float,
    generator: torch.Generator,
) -> Tensor:
    """A (B, F) tabular batch with ``columns`` set to ``values`` on a random ``share`` of its plays."""
    masked = tabular.clone()
    rows = (torch.rand(tabular.shape[0], generator=generator) < share).to(tabular.device)
    fill = torch.tensor(values, dtype=tabular.dtype, device=tabular.device)
    masked[:, list(columns)] = torch.where(rows[:, None], fill, tabular[:, list(columns)])
    return masked
