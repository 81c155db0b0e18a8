"""Pre-release motion of the 22 players of a synthetic dropback, vectorized over plays x frames x players.

Coordinates are normalized (offense moves toward +x, LOS at `los_x`, y across the field); the writer
mirrors left-moving plays back to raw field coordinates. Paths are closed-form functions of time
(Hermite blends, integrated route headings), so no Python loop runs per frame or per player.

Slots (the player axis): 0 QB, 1-5 OL, 6-10 receivers [wide A, wide B, slot, TE, RB], 11-14 DL,
15-21 back seven [CB A, CB B, nickel/LB3, LB1, LB2 (the blitzer), S1, S2].
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from qb_assets.ingest.schema import FIELD_WIDTH_YD, FRAME_SECONDS
from qb_assets.synthetic.kinematics import (
    N_PLAYERS,
    SNAP_INDEX,
    clamp_speed,
    decelerate,
    frame_times,
    hermite,
    smoothstep,
)
from qb_assets.synthetic.pocket import pass_set, qb_drop, qb_release_move

__all__ = ["N_PLAYERS", "SNAP_INDEX", "clamp_speed", "decelerate", "frame_times", "hermite", "smoothstep"]
QB, OL, REC, DL, BACK = 0, slice(1, 6), slice(6, 11), slice(11, 15), slice(15, 22)
N_REC = 5
# Route library: (outside angle of the stem [deg], stem length range [yd], outside angle after the break,
# length after the break [yd, inf = keeps running], settles after the break, separation median [yd]).
ROUTES: dict[str, tuple[float, tuple[float, float], float, float, bool, float]] = {
    "GO": (0.0, (60.0, 60.0), 0.0, np.inf, False, 1.35),
    "HITCH": (0.0, (4.5, 7.0), 160.0, 1.5, True, 2.5),
    "CURL": (0.0, (10.0, 14.0), -160.0, 2.0, True, 2.1),
    "OUT": (0.0, (5.0, 13.0), 90.0, np.inf, False, 1.9),
    "IN": (0.0, (10.0, 17.0), -90.0, np.inf, False, 1.8),
    "SLANT": (0.0, (1.5, 3.0), -50.0, np.inf, False, 1.55),
    "POST": (0.0, (10.0, 14.0), -40.0, np.inf, False, 1.5),
    "CORNER": (0.0, (10.0, 12.0), 45.0, np.inf, False, 1.6),
    "CROSS": (0.0, (2.0, 8.0), -75.0, np.inf, False, 2.3),
    "FLAT": (60.0, (2.0, 3.0), 88.0, 5.0, True, 3.2),
    "SCREEN": (115.0, (2.5, 4.0), 100.0, 0.5, True, 3.8),
    "ANGLE": (70.0, (2.5, 3.5), -60.0, np.inf, False, 2.6),
    "WHEEL": (80.0, (4.0, 6.0), 0.0, np.inf, False, 1.9),
    "CHECK": (35.0, (1.5, 2.5), 75.0, 2.0, True, 3.4),  # a back's checkdown: settles underneath
    "BLOCK": (0.0, (0.5, 1.5), 0.0, 0.0, True, 1.0),  # stays in to protect: never a target
}
ROUTE_NAMES = tuple(ROUTES)
BLOCK_ROUTE = ROUTE_NAMES.index("BLOCK")
# Route mix per receiver slot (wide A, wide B, slot, TE, RB), as probabilities over ROUTE_NAMES.
_MIX = {
    "wide": {"GO": 14, "HITCH": 13, "CURL": 9, "OUT": 12, "IN": 12, "SLANT": 10, "POST": 8, "CORNER": 6,
             "CROSS": 6, "SCREEN": 5, "FLAT": 0, "ANGLE": 0, "WHEEL": 0, "CHECK": 0, "BLOCK": 0},
    "slot": {"GO": 6, "HITCH": 12, "CURL": 8, "OUT": 12, "IN": 12, "SLANT": 10, "POST": 6, "CORNER": 6,
             "CROSS": 16, "SCREEN": 5, "FLAT": 7, "ANGLE": 0, "WHEEL": 0, "CHECK": 0, "BLOCK": 0},
    "te": {"GO": 4, "HITCH": 14, "CURL": 8, "OUT": 10, "IN": 8, "SLANT": 4, "POST": 4, "CORNER": 6,
           "CROSS": 8, "SCREEN": 3, "FLAT": 16, "ANGLE": 0, "WHEEL": 0, "CHECK": 16, "BLOCK": 35},
    "rb": {"GO": 0, "HITCH": 0, "CURL": 0, "OUT": 0, "IN": 0, "SLANT": 0, "POST": 0, "CORNER": 0,
           "CROSS": 10, "SCREEN": 10, "FLAT": 26, "ANGLE": 12, "WHEEL": 4, "CHECK": 36, "BLOCK": 55},
}  # fmt: skip
ROUTE_MIX = np.array(
    [[_MIX[k][r] for r in ROUTE_NAMES] for k in ("wide", "wide", "slot", "te", "rb")], dtype=float
)
ROUTE_MIX /= ROUTE_MIX.sum(axis=1, keepdims=True)
COVERAGES = ("Cover-0", "Cover-1", "Cover-2", "Cover-3", "Quarters", "Cover-6", "2-Man")
COVERAGE_IS_MAN = np.array([True, True, False, False, False, False, True])
COVERAGE_SHARE = np.array([0.03, 0.27, 0.14, 0.33, 0.14, 0.05, 0.04])
SINGLE_HIGH = np.array([False, True, False, True, False, False, False])


# A settled receiver keeps working back to the ball, a blocker shuffles: their speed (yd/s) after the
# route's end, drawn per receiver. Real receivers at the release (2018 sample): median 5.6 yd/s, 10% below
# 2.3.
SETTLED_SPEED_YD_S = (2.5, 4.5)
BLOCKER_SPEED_YD_S = (1.2, 2.8)
# Top running speed per receiver slot (wide A, wide B, slot, TE, RB) before his route skill and noise,
# capped at 9 yd/s: real receivers at the release run 6.9 yd/s at the 75th percentile, 8.2 at the 95th
# (targets: median 5.95; the generated 6.2, its 32-game KS 0.16).
RECEIVER_TOP_SPEED_YD_S = np.array([7.6, 7.6, 7.3, 6.4, 6.4])
# Separation the covering defender settles at, relative to the route's median (zone shells give more),
# log-normal with SD SEPARATION_SPREAD; SEPARATION_PLAY_SHARE of its variance is common to the play's
# receivers (the coverage call beats or loses to the concept as a whole), so some plays leave every
# option tight and the QB has to throw into coverage, as real QBs do (a quarter of the real game's
# targets have a defender within 2 yd at the release). SEPARATION_SCALE 0.75 holds the generated
# completion rate near the real 63% under the truth's fixed completion model (at 1.0: 67%); the real
# game's target separation sits a little higher (median 4.0 yd against 3.1, KS 0.18 at 32 games).
SEPARATION_SCALE, ZONE_SEPARATION_SCALE, SEPARATION_SPREAD = 0.75, 1.4, 1.0
SEPARATION_PLAY_SHARE = 0.85
BEAT_LEAD_S = 1.2  # the winning rusher sheds his block this long before he reaches the QB
MAX_SPEED_YD_S = 10.5


@dataclass
class Design:
    """Per-play setup drawn before the snap plus the designed (pre-release) paths of all 22 players."""

    x: np.ndarray  # (P, F, 22) normalized yards
    y: np.ndarray
    route: np.ndarray  # (P, 5) index into ROUTE_NAMES
    coverage: np.ndarray  # (P,) index into COVERAGES
    shotgun: np.ndarray  # (P,) bool
    blitz: np.ndarray  # (P,) bool: LB2 rushes
    qb_set_x: np.ndarray  # (P,) QB spot in the pocket
    qb_set_y: np.ndarray


def _route_paths(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, x0, y0, ball_y, route, speed_max, t
):
    """Integrate each receiver's heading along his route: (P, F, 5) x and y. A receiver who settles
    (hitch, curl, screen, a blocker) keeps working at a jog (``SETTLED_SPEED_YD_S``), as real
    receivers do: few stand still when the ball comes out."""
    n = x0.shape[0]
    spec = [ROUTES[name] for name in ROUTE_NAMES]
    psi1 = np.array([s[0] for s in spec])[route]
    lo = np.array([s[1][0] for s in spec])[route]
    hi = np.array([s[1][1] for s in spec])[route]
    stem = lo + (hi - lo) * rng.random((n, N_REC))
    psi2 = np.array([s[2] for s in spec])[route]
    after = np.array([s[3] for s in spec])[route]
    settles = np.array([s[4] for s in spec])[route]
    side = np.where(y0 > ball_y[:, None], 1.0, -1.0)
    side = np.where(np.abs(y0 - ball_y[:, None]) < 0.5, rng.choice([-1.0, 1.0], (n, N_REC)), side)
    delay = 0.05 + 0.15 * rng.random((n, N_REC))
    floor_lo, floor_hi = (
        np.where(route == BLOCK_ROUTE, BLOCKER_SPEED_YD_S[0], SETTLED_SPEED_YD_S[0]),
        np.where(route == BLOCK_ROUTE, BLOCKER_SPEED_YD_S[1], SETTLED_SPEED_YD_S[1]),
    )
    settled_speed = floor_lo + (floor_hi - floor_lo) * rng.random((n, N_REC))
    tau = 0.55
    tt = np.maximum(t - delay[:, None, :], 0.0)
    arc = speed_max[:, None, :] * (tt - tau * (1.0 - np.exp(-tt / tau)))  # distance run if never slowing
    speed = speed_max[:, None, :] * (1.0 - np.exp(-tt / tau))
    blend = expit((arc - stem[:, None, :]) / 0.35)
    psi = psi1[:, None, :] + (psi2 - psi1)[:, None, :] * blend
    sharp = np.abs(psi2 - psi1)[:, None, :] > 60.0
    speed = speed * (1.0 - 0.35 * sharp * np.exp(-(((arc - stem[:, None, :]) / 1.5) ** 2)))
    total = stem + np.where(settles, after, np.inf)
    gate = expit((total[:, None, :] - arc) / 0.4)
    settled = np.minimum(speed, settled_speed[:, None, :])
    speed = np.where(settles[:, None, :], speed * gate + settled * (1.0 - gate), speed)
    heading = np.radians(90.0 - side[:, None, :] * psi)
    step = speed * FRAME_SECONDS
    x = x0[:, None, :] + np.cumsum(step * np.sin(heading), axis=1)
    y = y0[:, None, :] + np.cumsum(step * np.cos(heading), axis=1)
    return np.clip(x, None, 119.0), np.clip(y, 1.0, FIELD_WIDTH_YD - 1.0)


def _shift_frames(a: np.ndarray, lag: np.ndarray) -> np.ndarray:
    """a[:, f - lag, k] with lag per (play, slot), clipped at frame 0: a defender's reaction delay."""
    n_frames = a.shape[1]
    idx = np.clip(np.arange(n_frames)[None, :, None] - lag[:, None, :], 0, n_frames - 1)
    return np.take_along_axis(a, idx, axis=1)


def draw_setup(rng: np.random.Generator, n: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(shotgun, coverage index, blitz) per play: drawn first because the pass rush timing needs them."""
    shotgun = rng.random(n) < 0.68
    coverage = rng.choice(len(COVERAGES), n, p=COVERAGE_SHARE)
    blitz = rng.random(n) < np.where(COVERAGE_IS_MAN[coverage], 0.35, 0.12)
    return shotgun, coverage, blitz


def _receiver_alignment(
    rng: np.random.Generator, los_x: np.ndarray, ball_y: np.ndarray, shotgun: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Receivers' (P, 5) start spots: wide receivers split out, the slot inside one of them, the TE next
    to a tackle, the RB behind (beside the QB in shotgun)."""
    n = los_x.size
    X, Y = los_x[:, None], ball_y[:, None]
    # Splits 8-15 yd from the ball: the real game's targets are 9.3 yd across from the QB (median).
    wide_a = np.maximum(Y[:, 0] - rng.uniform(8.0, 15.0, n), 3.0)
    wide_b = np.minimum(Y[:, 0] + rng.uniform(8.0, 15.0, n), FIELD_WIDTH_YD - 3.0)
    slot_side = rng.random(n) < 0.5
    slot = np.where(slot_side, wide_a + rng.uniform(3.0, 6.0, n), wide_b - rng.uniform(3.0, 6.0, n))
    te = Y[:, 0] + np.where(slot_side, 4.2, -4.2)
    rb_y = Y[:, 0] + np.where(shotgun, rng.choice([-1.5, 1.5], n), 0.0)
    rec_y0 = np.stack([wide_a, wide_b, slot, te, rb_y], axis=1)
    rec_x0 = X - np.stack(
        [rng.uniform(0.8, 1.5, n), rng.uniform(0.8, 1.5, n), rng.uniform(1.0, 2.0, n), np.full(n, 1.2),
         np.where(shotgun, 5.0, 7.0)], axis=1)  # fmt: skip
    return rec_x0, rec_y0


def _receiver_routes(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, rec_x0, rec_y0, ball_y, route_skill, t
):
    """Each receiver's route from his slot's mix and top speed from his route skill: the route index
    (P, 5) and the (P, F, 5) x and y paths."""
    n = rec_x0.shape[0]
    route = np.stack([rng.choice(len(ROUTE_NAMES), n, p=ROUTE_MIX[k]) for k in range(N_REC)], axis=1)
    speed_max = RECEIVER_TOP_SPEED_YD_S[None, :] + 0.35 * route_skill + rng.normal(0.0, 0.5, (n, N_REC))
    rx, ry = _route_paths(rng, rec_x0, rec_y0, ball_y, route, np.clip(speed_max, 5.0, 9.0), t)
    return route, rx, ry


def _cover_receivers(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, los_x, ball_y, man, receivers, skill, t
):
    """CB A, CB B, nickel, LB1 and LB2 each trail one receiver with a reaction lag, closing from their
    alignment cushion to a separation drawn around the route's median: (P, F, 5) x and y.

    `receivers`: route index and start spots (P, 5), and the (P, F, 5) route paths."""
    n = los_x.size
    X, Y = los_x[:, None], ball_y[:, None]
    route, rec_x0, rec_y0, rx, ry = receivers
    cov_rec = np.array([0, 1, 2, 3, 4])  # CB A, CB B, nickel, LB1, LB2 -> receiver slots
    cushion = np.where(man[:, None], rng.uniform(0.8, 4.0, (n, 5)), rng.uniform(4.0, 8.0, (n, 5)))
    cushion[:, 3:] = rng.uniform(3.5, 5.5, (n, 2))
    d_x0 = X + cushion
    d_y0 = rec_y0 - 1.0 * np.sign(rec_y0 - Y)
    median_sep = (
        SEPARATION_SCALE
        * np.array([ROUTES[r][5] for r in ROUTE_NAMES])[route]
        * np.where(man, 1.0, ZONE_SEPARATION_SCALE)[:, None]
    )
    shared = np.sqrt(SEPARATION_PLAY_SHARE) * rng.normal(size=(n, 1))
    own = np.sqrt(1.0 - SEPARATION_PLAY_SHARE) * rng.normal(size=(n, 5))
    sep = median_sep * np.exp(
        SEPARATION_SPREAD * (shared + own) + 0.2 * (skill["route"] - skill["coverage"][:, :5])
    )
    angle = rng.uniform(0.0, 2.0 * np.pi, (n, 5))
    o1x, o1y = sep * np.sin(angle), sep * np.cos(angle)
    lag = rng.integers(1, 4, (n, 5))
    close = smoothstep(t[..., :1] / rng.uniform(2.0, 3.0, (n, 1))[:, None])
    trail_x = _shift_frames(rx[..., cov_rec], lag)
    trail_y = _shift_frames(ry[..., cov_rec], lag)
    cov_x = trail_x + ((d_x0 - rec_x0)[:, None, :] * (1.0 - close) + o1x[:, None, :] * close)
    cov_y = trail_y + ((d_y0 - rec_y0)[:, None, :] * (1.0 - close) + o1y[:, None, :] * close)
    # A back or tight end who stays in to block is not followed into the backfield: his defender holds
    # his depth beyond the line and reads the QB.
    hold_x = X[:, :, None] + rng.uniform(3.0, 6.0, (n, 1, 5))
    u_hold = smoothstep(t[..., :1] / 1.0)
    held_x = d_x0[:, None, :] + (hold_x - d_x0[:, None, :]) * u_hold
    held_y = d_y0[:, None, :] + (trail_y - d_y0[:, None, :]) * 0.3 * u_hold
    blocking = (route == BLOCK_ROUTE)[:, None, :]
    return np.where(blocking, held_x, cov_x), np.where(blocking, held_y, cov_y)


def _safeties(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, los_x, ball_y, coverage, rx, ry, t
):
    """The two safeties drop to their landmarks (one high in single-high shells), then drift toward the
    deepest receiver: (P, F, 2) x and y."""
    n = los_x.size
    X, Y = los_x[:, None], ball_y[:, None]
    single = SINGLE_HIGH[coverage]
    s_x0 = X + rng.uniform(10.0, 14.0, (n, 2))
    s_y0 = Y + np.stack([np.where(single, 0.0, -9.0), np.where(single, 6.0, 9.0)], axis=1)
    land_x = s_x0 + np.stack([np.full(n, 4.0), np.where(single, -4.0, 4.0)], axis=1)
    deepest = np.argmax(np.where(np.arange(N_REC) < 4, rx[:, -1, :], -np.inf), axis=1)
    tt = t[..., :1]
    u_drop = smoothstep(tt / 1.5)
    pull = 0.35 * np.clip((tt - 1.2) / 2.0, 0.0, 1.0)
    deep_x = np.take_along_axis(rx, deepest[:, None, None], axis=2)
    deep_y = np.take_along_axis(ry, deepest[:, None, None], axis=2)
    sx = s_x0[:, None, :] + (land_x - s_x0)[:, None, :] * u_drop
    sy = np.broadcast_to(s_y0[:, None, :], sx.shape)
    return sx + pull * (np.maximum(deep_x + 3.0, sx) - sx), sy + pull * (deep_y - sy)


def _rush_lanes(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, x, y, los_x, ball_y, blitz, t
):
    """The five rushers' (P, F, 5) x and y while blocked: four DL engage their blockers, and LB2 on a
    blitz comes through the A gap (else he keeps his coverage path)."""
    n = los_x.size
    X, Y = los_x[:, None], ball_y[:, None]
    dl_y0 = Y + np.array([-3.6, -1.0, 1.0, 3.6])[None, :] + rng.normal(0.0, 0.3, (n, 4))
    dl_x0 = X + rng.uniform(0.8, 1.3, (n, 4))
    blocker = np.array([1, 2, 4, 5])
    eng_x = x[..., blocker] + 0.9
    eng_y = y[..., blocker] + 0.3 * np.sign(dl_y0 - Y)[:, None, :]
    u_eng = smoothstep(t[..., :1] / 0.45)
    rush_x = dl_x0[:, None, :] * (1.0 - u_eng) + eng_x * u_eng
    rush_y = dl_y0[:, None, :] * (1.0 - u_eng) + eng_y * u_eng
    # Blitzer: LB2 rushes through the A gap and is picked up about 2.5 yd in front of the QB.
    u_blitz = smoothstep(t[..., 0] / 1.6)
    lb_start_x, lb_start_y = x[:, :1, 19], y[:, :1, 19]
    lb_path_x = np.where(blitz[:, None], lb_start_x + (x[..., QB] + 2.5 - lb_start_x) * u_blitz, x[..., 19])
    lb_path_y = np.where(blitz[:, None], lb_start_y + (y[..., QB] - 1.0 - lb_start_y) * u_blitz, y[..., 19])
    rush_x = np.concatenate([rush_x, lb_path_x[..., None]], axis=2)
    rush_y = np.concatenate([rush_y, lb_path_y[..., None]], axis=2)
    return rush_x, rush_y


def _winning_rush(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    x, y, rush, t_hit_s, rusher_win, t
) -> None:
    """The winning rusher leaves his block at t_beat and reaches the QB's spot at t_hit; writes the
    rushers into x and y (DL slots and LB2)."""
    n, n_frames, _ = x.shape
    rush_x, rush_y = rush
    zero = np.zeros((n, 1))
    t_beat = np.maximum(t_hit_s - BEAT_LEAD_S, 0.45)
    f_beat = np.clip(np.round(t_beat / FRAME_SECONDS).astype(int) + SNAP_INDEX, 0, n_frames - 1)
    win = rusher_win[:, None, None]
    wx, wy = np.take_along_axis(rush_x, win, axis=2)[..., 0], np.take_along_axis(rush_y, win, axis=2)[..., 0]
    bx, by = wx[np.arange(n), f_beat][:, None], wy[np.arange(n), f_beat][:, None]
    f_hit = np.clip(np.round(t_hit_s / FRAME_SECONDS).astype(int) + SNAP_INDEX, 0, n_frames - 1)
    qx, qy = x[np.arange(n), f_hit, QB][:, None], y[np.arange(n), f_hit, QB][:, None]
    dur = (t_hit_s - t_beat)[:, None]
    u_win = (t[..., 0] - t_beat[:, None]) / dur
    hx = hermite(bx, zero, qx + 0.6, zero, u_win, dur)
    hy = hermite(by, zero, qy + 0.3 * np.sign(by - qy), zero, u_win, dur)
    after_beat = t[..., 0] >= t_beat[:, None]
    wx, wy = np.where(after_beat, hx, wx), np.where(after_beat, hy, wy)
    np.put_along_axis(rush_x, win, wx[..., None], axis=2)
    np.put_along_axis(rush_y, win, wy[..., None], axis=2)
    x[..., DL], y[..., DL] = rush_x[..., :4], rush_y[..., :4]
    x[..., 19], y[..., 19] = rush_x[..., 4], rush_y[..., 4]


def design_plays(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng: np.random.Generator,
    los_x: np.ndarray,
    ball_y: np.ndarray,
    n_frames: int,
    skill: dict[str, np.ndarray],
    setup: tuple[np.ndarray, np.ndarray, np.ndarray],
    t_hit_s: np.ndarray,
    rusher_win: np.ndarray,
    t_release_s: np.ndarray,
) -> Design:
    """Alignment, routes, coverage and pass rush for P plays over n_frames frames.

    `skill` holds per-slot arrays: route (P,5), coverage (P,7). `setup` comes from `draw_setup`.
    `t_hit_s` is when the winning rusher (index into the 5 rushers: 4 DL + LB2) reaches the QB's
    spot; `rusher_win` is that index; `t_release_s` when the QB releases the ball (or is sacked, or
    breaks into his scramble): his move into the throw is timed to it.
    """
    n = los_x.size
    t = frame_times(n, n_frames)
    x = np.zeros((n, n_frames, N_PLAYERS))
    y = np.zeros((n, n_frames, N_PLAYERS))
    shotgun, coverage, blitz = setup
    # Draw order matters (seeded output): receivers, QB, line, coverage, safeties, rush.
    rec_x0, rec_y0 = _receiver_alignment(rng, los_x, ball_y, shotgun)
    route, rx, ry = _receiver_routes(rng, rec_x0, rec_y0, ball_y, skill["route"], t)
    x[..., REC], y[..., REC] = rx, ry
    x[..., QB], y[..., QB], qb_set_x, qb_set_y = qb_drop(rng, los_x, ball_y, shotgun, t)
    move_x, move_y = qb_release_move(rng, t, t_release_s, t_hit_s)
    x[..., QB] += move_x
    y[..., QB] = np.clip(y[..., QB] + move_y, 1.5, FIELD_WIDTH_YD - 1.5)
    x[..., OL], y[..., OL] = pass_set(rng, los_x, ball_y, t)
    receivers = (route, rec_x0, rec_y0, rx, ry)
    man = COVERAGE_IS_MAN[coverage]
    x[..., 15:20], y[..., 15:20] = _cover_receivers(rng, los_x, ball_y, man, receivers, skill, t)
    x[..., 20:22], y[..., 20:22] = _safeties(rng, los_x, ball_y, coverage, rx, ry, t)
    rush = _rush_lanes(rng, x, y, los_x, ball_y, blitz, t)
    _winning_rush(x, y, rush, t_hit_s, rusher_win, t)
    # Defenders trail moving targets through closed-form offsets; cap their speed where those add up.
    x, y = clamp_speed(x, y, np.arange(N_PLAYERS) >= 11, MAX_SPEED_YD_S)
    return Design(x, y, route, coverage, shotgun, blitz, qb_set_x, qb_set_y)
