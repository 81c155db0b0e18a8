"""Closed-form motion helpers of the synthetic players: frame times, Hermite blends, smoothsteps, coasting
and speed caps, vectorized over plays x frames x players (``motion``, ``pocket`` and the post-release
paths use them)."""

from __future__ import annotations

import numpy as np

from qb_assets.ingest.schema import FRAME_SECONDS

N_PLAYERS = 22
SNAP_INDEX = 10  # frame index of ball_snap (frameId 11)


def clamp_speed(x: np.ndarray, y: np.ndarray, who: np.ndarray, vmax: float) -> tuple[np.ndarray, np.ndarray]:
    """Re-integrate the paths of players in `who` ((22,) or (P, 22)) with each frame's step capped at
    vmax: vectorized over frames by a cumulative sum (a capped player falls a little behind his path)."""
    dx, dy = np.diff(x, axis=1), np.diff(y, axis=1)
    scale = np.minimum(1.0, vmax * FRAME_SECONDS / np.maximum(np.hypot(dx, dy), 1e-9))
    cx = np.concatenate([x[:, :1], x[:, :1] + np.cumsum(dx * scale, axis=1)], axis=1)
    cy = np.concatenate([y[:, :1], y[:, :1] + np.cumsum(dy * scale, axis=1)], axis=1)
    mask = who[None, None, :] if who.ndim == 1 else who[:, None, :]
    return np.where(mask, cx, x), np.where(mask, cy, y)


def smoothstep(u: np.ndarray) -> np.ndarray:
    u = np.clip(u, 0.0, 1.0)
    return u * u * (3.0 - 2.0 * u)


def hermite(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    p0: np.ndarray, v0: np.ndarray, p1: np.ndarray, v1: np.ndarray, u: np.ndarray, dur: np.ndarray
):
    """Cubic Hermite position at normalized time u in [0, 1] (clipped) over `dur` seconds."""
    u = np.clip(u, 0.0, 1.0)
    u2, u3 = u * u, u * u * u
    return (
        (2 * u3 - 3 * u2 + 1) * p0
        + (u3 - 2 * u2 + u) * dur * v0
        + (-2 * u3 + 3 * u2) * p1
        + (u3 - u2) * dur * v1
    )


def decelerate(pos: np.ndarray, vel: np.ndarray, t_from: np.ndarray, t: np.ndarray, tau_s: float = 0.6):
    """Coast from (pos, vel) at time t_from, speed decaying with time constant tau_s (closed form)."""
    dt = np.maximum(t - t_from, 0.0)
    return pos + vel * tau_s * (1.0 - np.exp(-dt / tau_s))


def frame_times(n_plays: int, n_frames: int) -> np.ndarray:
    """Seconds since the snap of every frame index, shape (1, F, 1) for broadcasting."""
    return ((np.arange(n_frames) - SNAP_INDEX) * FRAME_SECONDS).reshape(1, n_frames, 1)
