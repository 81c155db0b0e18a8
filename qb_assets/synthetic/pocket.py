"""The QB and his pocket before the release: the drop, the move into the throw and the offensive line's
pass set, in normalized coordinates (``motion.design_plays`` assembles them with the other players)."""

from __future__ import annotations

import numpy as np

from qb_assets.synthetic.kinematics import hermite, smoothstep

# The QB's move into the throw (_qb_release_move): the share of rollouts grows with the time he holds
# the ball (QB_ROLLOUT_PER_S per second beyond 2.5 s) and when the rush is about to get home; quick
# passes (under 2.2 s) leave on the drop in QB_QUICK_DROP_SHARE of cases.
QB_ROLLOUT_BASE, QB_ROLLOUT_PER_S, QB_ROLLOUT_HURRIED = 0.04, 0.45, 0.25
QB_QUICK_DROP_SHARE = 0.35
# The ground the line gives after its set (yd), over this many seconds (pass_set).
POCKET_GIVE_YD, POCKET_GIVE_S = 2.0, 2.5


def qb_drop(
    rng: np.random.Generator, los_x: np.ndarray, ball_y: np.ndarray, shotgun: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """The QB drops to his spot in the pocket: his (P, F) x and y paths and the (P,) spot."""
    n = los_x.size
    qb_x0 = los_x - np.where(shotgun, 5.0, 1.2)
    drop_yd = np.where(shotgun, rng.normal(2.2, 0.6, n), rng.normal(6.0, 0.8, n))
    qb_set_x = qb_x0 - np.clip(drop_yd, 0.5, 9.0)
    qb_set_y = ball_y + rng.normal(0.0, 0.6, n)
    drop_s = np.where(shotgun, 0.7, 1.2)[:, None]
    zero = np.zeros((n, 1))
    qb_x = hermite(qb_x0[:, None], zero, qb_set_x[:, None], zero, t[..., 0] / drop_s, drop_s)
    qb_y = hermite(ball_y[:, None], zero, qb_set_y[:, None], zero, t[..., 0] / drop_s, drop_s)
    return qb_x, qb_y, qb_set_x, qb_set_y


def qb_release_move(
    rng: np.random.Generator, t: np.ndarray, t_release_s: np.ndarray, t_hit_s: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The QB's movement into the throw, added to his drop: (P, F) x and y offsets.

    Real QBs are rarely still at the release (2018 sample: median 1.35 yd/s, a quarter above 3.9). A
    QB either sets and steps into the throw (a slow move in any direction), throws a quick pass while
    still dropping (backward), or rolls out (lateral, up to 35 degrees upfield) when he holds the ball
    long or the rush gets home. Each move accelerates uniformly from rest to its speed at the release
    (so his acceleration at the release is speed / duration, 1-3 yd/s^2 as in the real sample) and
    keeps that velocity after it (the play's finish coasts him to a stop)."""
    n = t_release_s.size
    hurried = t_hit_s - t_release_s < 0.5
    p_roll = np.clip(QB_ROLLOUT_BASE + QB_ROLLOUT_PER_S * (t_release_s - 2.5), QB_ROLLOUT_BASE, 0.85)
    p_roll = np.minimum(p_roll + QB_ROLLOUT_HURRIED * hurried, 0.9)
    p_quick = np.where(t_release_s < 2.2, QB_QUICK_DROP_SHARE, 0.0)
    u = rng.random(n)
    roll, quick = u < p_roll, (u >= p_roll) & (u < p_roll + p_quick)
    speed = np.select(
        [roll, quick],
        [rng.uniform(3.5, 8.0, n), rng.uniform(1.8, 4.0, n)],
        np.clip(rng.lognormal(np.log(0.8), 0.7, n), 0.05, 2.5),
    )
    side = rng.choice([-1.0, 1.0], n)
    angle = np.radians(
        np.select(
            [roll, quick],
            [side * (90.0 - rng.uniform(0.0, 35.0, n)), 180.0 + rng.uniform(-25.0, 25.0, n)],
            rng.uniform(0.0, 360.0, n),
        )
    )
    accel = np.select(
        [roll, quick], [rng.uniform(1.0, 2.2, n), rng.uniform(1.5, 3.0, n)], rng.uniform(0.8, 2.6, n)
    )
    start = np.maximum(t_release_s - speed / accel, np.where(roll, 0.4, 0.3))
    duration = np.maximum(t_release_s - start, 0.1)[:, None]
    tt = t[..., 0] - start[:, None]
    moving = np.clip(tt, 0.0, duration)
    distance = 0.5 * (speed[:, None] / duration) * moving**2 + speed[:, None] * np.maximum(tt - duration, 0.0)
    return distance * np.cos(angle)[:, None], distance * np.sin(angle)[:, None]


def pass_set(
    rng: np.random.Generator, los_x: np.ndarray, ball_y: np.ndarray, t: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The offensive line sets into an arc in front of the QB, then gives ground slowly: (P, F, 5)."""
    n = los_x.size
    X, Y = los_x[:, None], ball_y[:, None]
    offset = np.array([-2.6, -1.3, 0.0, 1.3, 2.6])
    ol_x0 = X - np.where(offset == 0.0, 0.9, 1.1)[None, :]
    ol_y0 = Y + offset[None, :] + rng.normal(0.0, 0.15, (n, 5))
    set_x = ol_x0 - 1.0 - 0.35 * np.abs(offset)[None, :]
    set_y = Y + 1.25 * offset[None, :]
    tt = t[..., :1]
    u_set = smoothstep(tt / 0.8)
    # The rush drives the line back into the pocket: real edge rushers (tracked in BDB 2021) are 4.3 yd
    # from the QB at the release (median), 1.2 yd closer than a line that barely gives ground leaves them.
    give = POCKET_GIVE_YD * np.clip((tt - 0.8) / POCKET_GIVE_S, 0.0, 1.0)
    ol_x = ol_x0[:, None, :] + (set_x - ol_x0)[:, None, :] * u_set - give
    ol_y = ol_y0[:, None, :] + (set_y - ol_y0)[:, None, :] * u_set
    return ol_x, ol_y
