"""Path surgery after the QB's decision, vectorized over plays x frames x players: read everyone's state
at a frame, overwrite one slot's path, let players coast to a stop or pursue a spot, and the ball
carrier's run to his end spot (monotone in x, so tracking measures the recorded yards).
"""

from __future__ import annotations

import numpy as np

from qb_assets.ingest.schema import FRAME_SECONDS
from qb_assets.synthetic.motion import SNAP_INDEX, decelerate, frame_times, hermite

OFFENSE = np.arange(22) < 11  # slots 0-10 are the offense, 11-21 the defense


def state_at(
    x: np.ndarray, y: np.ndarray, f0: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Positions and velocities of all players at frame f0 per play: four (P, 22) arrays."""
    rows = np.arange(x.shape[0])
    px, py = x[rows, f0], y[rows, f0]
    return px, py, (px - x[rows, f0 - 1]) / FRAME_SECONDS, (py - y[rows, f0 - 1]) / FRAME_SECONDS


def write_slot(arr: np.ndarray, slot: np.ndarray, path: np.ndarray, after: np.ndarray) -> None:
    """arr[p, f, slot[p]] = path[p, f] for frames f > after[p]."""
    rows = np.arange(arr.shape[0])
    cur = arr[rows, :, slot]
    on = np.arange(arr.shape[1])[None, :] > after[:, None]
    arr[rows, :, slot] = np.where(on, path, cur)


def coast(x: np.ndarray, y: np.ndarray, who: np.ndarray, f0: np.ndarray, tau_s: float = 0.6) -> None:
    """From frame f0 on, players in `who` (P, 22) keep drifting on their velocity and stop."""
    t = frame_times(x.shape[0], x.shape[1])
    t0 = ((f0 - SNAP_INDEX) * FRAME_SECONDS)[:, None, None]
    px, py, vx, vy = state_at(x, y, f0)
    on = who[:, None, :] & (np.arange(x.shape[1])[None, :, None] > f0[:, None, None])
    x[:] = np.where(on, decelerate(px[:, None], vx[:, None], t0, t, tau_s), x)
    y[:] = np.where(on, decelerate(py[:, None], vy[:, None], t0, t, tau_s), y)


def pursue(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    x: np.ndarray,
    y: np.ndarray,
    who: np.ndarray,
    f0: np.ndarray,
    f1: np.ndarray,
    tx: np.ndarray,
    ty: np.ndarray,
    v_cap: float = 6.0,
) -> None:
    """Players in `who` run from their frame-f0 state toward (tx, ty) (P, 22), arriving at frame f1,
    stopping short where the target is out of reach at v_cap yd/s."""
    t = frame_times(x.shape[0], x.shape[1])
    px, py, vx, vy = state_at(x, y, f0)
    dur = np.maximum((f1 - f0) * FRAME_SECONDS, 0.3)[:, None]
    dist = np.hypot(tx - px, ty - py)
    reach = np.minimum(1.0, v_cap * dur / np.maximum(dist, 1e-6))
    gx, gy = px + (tx - px) * reach, py + (ty - py) * reach
    speed = np.hypot(vx, vy)
    damp = np.minimum(1.0, 7.0 / np.maximum(speed, 1e-6))
    u = (t - ((f0 - SNAP_INDEX) * FRAME_SECONDS)[:, None, None]) / dur[:, :, None]
    hx = hermite(px[:, None], vx[:, None] * damp[:, None], gx[:, None], 0.0, u, dur[:, :, None])
    hy = hermite(py[:, None], vy[:, None] * damp[:, None], gy[:, None], 0.0, u, dur[:, :, None])
    on = who[:, None, :] & (np.arange(x.shape[1])[None, :, None] > f0[:, None, None])
    x[:] = np.where(on, hx, x)
    y[:] = np.where(on, hy, y)


def carrier_run(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    f0: np.ndarray,
    p0x: np.ndarray,
    p0y: np.ndarray,
    v0x: np.ndarray,
    v0y: np.ndarray,
    ex: np.ndarray,
    ey: np.ndarray,
    speed: np.ndarray,
    n_frames: int,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A carrier's run from (p0, v0) at frame f0 to the end spot (ex, ey): x monotone (Fritsch-Carlson
    bound on the end velocities). Returns the (P, F) x and y paths and the frame he reaches the spot."""
    t = frame_times(p0x.size, n_frames)[..., 0]
    dx = ex - p0x
    dur = np.maximum(np.hypot(dx, ey - p0y) / speed, 0.35)
    limit = 3.0 * np.abs(dx) / dur
    v0x = np.where(dx >= 0, np.clip(v0x, 0.0, limit), np.clip(v0x, -limit, 0.0))
    v1x = np.sign(dx) * np.minimum(2.0, limit)
    u = (t - ((f0 - SNAP_INDEX) * FRAME_SECONDS)[:, None]) / dur[:, None]
    px = hermite(p0x[:, None], v0x[:, None], ex[:, None], v1x[:, None], u, dur[:, None])
    py = hermite(p0y[:, None], np.clip(v0y, -4, 4)[:, None], ey[:, None], 0.0, u, dur[:, None])
    return px, py, f0 + np.ceil(dur / FRAME_SECONDS).astype(np.int64)
