"""Game situations, the QB's clock (release, sack, scramble), release-time features and target choice.

Everything a truth parameter depends on is measured here from the designed positions at the release
frame, i.e. from what the written tracking shows before the ball leaves the QB's hand.
"""

from __future__ import annotations

import numpy as np

from qb_assets.ingest.schema import FIELD_WIDTH_YD, FRAME_SECONDS, OPPONENT_GOAL_LINE_X
from qb_assets.synthetic.motion import N_REC, QB, REC, SNAP_INDEX

HASH_Y = np.array([23.58, FIELD_WIDTH_YD / 2.0, 29.73])
KIND_PASS, KIND_SACK, KIND_SCRAMBLE = 0, 1, 2
# When the rush wins before the QB's planned release: sack, scramble, else a hurried throw.
P_SACK_IF_BEATEN = 0.26
P_SCRAMBLE_IF_BEATEN = 0.13


def game_situations(rng: np.random.Generator, n_plays: int) -> dict[str, np.ndarray]:
    """Down, distance, field position, clock and score for one game's dropbacks in game order."""
    drive_len = rng.integers(2, 7, n_plays)  # dropbacks per drive, alternating possession
    drive = np.repeat(np.arange(n_plays), drive_len)[:n_plays]
    home_first = rng.random() < 0.5
    offense_home = (drive % 2 == 0) == home_first
    elapsed_s = np.sort(rng.uniform(5.0, 3595.0, n_plays))
    quarter = np.minimum(elapsed_s // 900, 3).astype(np.int64) + 1
    clock_s = (900 - elapsed_s % 900).astype(np.int64)
    down = rng.choice(4, n_plays, p=[0.36, 0.33, 0.295, 0.015]) + 1
    yte = np.clip(np.round(rng.triangular(2.0, 68.0, 99.0, n_plays)), 1, 99).astype(np.int64)
    to_go = np.where(
        down == 1,
        np.where(rng.random(n_plays) < 0.9, 10, rng.integers(5, 21, n_plays)),
        np.clip(np.round(rng.gamma(1.8, 4.0, n_plays)), 1, 25),
    ).astype(np.int64)
    to_go = np.minimum(to_go, yte)
    # Points scored at the end of each drive, added to the next plays' pre-snap scores.
    drive_end = np.r_[drive[1:] != drive[:-1], True]
    points = np.where(drive_end, rng.choice([0, 3, 7], n_plays, p=[0.6, 0.15, 0.25]), 0)
    scored_before = np.cumsum(points) - points
    home_pts = np.cumsum(np.where(offense_home, points, 0)) - np.where(offense_home, points, 0)
    flip = rng.random() < 0.5
    return {
        "offense_home": offense_home,
        "quarter": quarter,
        "clock_s": clock_s,
        "elapsed_s": elapsed_s,
        "down": down,
        "yards_to_go": to_go,
        "yards_to_endzone": yte,
        "los_x": (OPPONENT_GOAL_LINE_X - yte).astype(float),
        "ball_y": rng.choice(HASH_Y, n_plays, p=[0.36, 0.28, 0.36]),
        "home_score": home_pts,
        "visitor_score": scored_before - home_pts,
        # The home team drives toward +x in quarters 1 and 3 (or the reverse, by coin toss).
        "direction_right": (offense_home ^ np.isin(quarter, (2, 4))) ^ flip,
    }


def draw_clock(
    rng: np.random.Generator,
    blitz: np.ndarray,
    rush: np.ndarray,
    block: np.ndarray,
    kinds_allowed: bool = True,
) -> dict[str, np.ndarray]:
    """The QB's planned release, the time the rush gets home, and what happens (pass/sack/scramble).

    `rush` (P,5) are the rushers' skills (LB2 last, only rushing on blitzes); `block` (P,) the line's
    mean pass-block skill. Independent of the QB's skills so a neutral set can reuse it for every QB.
    """
    n = blitz.size
    t_plan = np.clip(rng.lognormal(np.log(2.95), 0.30, n) * np.where(blitz, 0.88, 1.0), 1.1, 6.0)
    weights = np.exp(0.6 * rush) * np.c_[np.ones((n, 4)), blitz.astype(float)]
    cum = np.cumsum(weights / weights.sum(axis=1, keepdims=True), axis=1)
    winner = np.minimum((rng.random(n)[:, None] > cum).sum(axis=1), 4)
    win_rush = np.take_along_axis(rush, winner[:, None], axis=1)[:, 0]
    t_hit = rng.lognormal(np.log(4.3) - 0.12 * (win_rush - block), 0.33, n) * np.where(blitz, 0.85, 1.0)
    t_hit = np.clip(t_hit, 1.3, 9.0)
    beaten = t_hit < t_plan + 0.1
    u = rng.random(n)
    kind = np.where(
        beaten & (u < P_SACK_IF_BEATEN),
        KIND_SACK,
        np.where(beaten & (u < P_SACK_IF_BEATEN + P_SCRAMBLE_IF_BEATEN), KIND_SCRAMBLE, KIND_PASS),
    )
    if not kinds_allowed:
        kind = np.full(n, KIND_PASS)
    hurried = np.maximum(t_hit - rng.uniform(0.05, 0.3, n), 1.0)
    t_release = np.where(beaten, np.minimum(hurried, t_plan), t_plan)
    t_scramble = np.maximum(t_hit - rng.uniform(0.1, 0.3, n), 1.0)
    t_event = np.select([kind == KIND_SACK, kind == KIND_SCRAMBLE], [t_hit, t_scramble], t_release)
    return {"kind": kind, "t_hit": t_hit, "t_event": t_event, "winner": winner}


def to_frame(t_s: np.ndarray) -> np.ndarray:
    """Frame index of a time since the snap."""
    return np.round(t_s / FRAME_SECONDS).astype(np.int64) + SNAP_INDEX


def release_features(
    x: np.ndarray, y: np.ndarray, f_rel: np.ndarray, los_x: np.ndarray
) -> dict[str, np.ndarray]:
    """Per play and receiver: what the tracking shows at the release, plus the projected catch point.

    Arrays are (P, 5) except `pressure_yd` (P,). The catch point is where the receiver's route takes
    him when the ball arrives; the flight time grows with the throw's length.
    """
    n, n_frames, _ = x.shape
    rows = np.arange(n)
    px, py = x[rows, f_rel], y[rows, f_rel]  # (P, 22)
    vx = (px - x[rows, f_rel - 1]) / FRAME_SECONDS
    vy = (py - y[rows, f_rel - 1]) / FRAME_SECONDS
    qx, qy = px[:, QB], py[:, QB]
    rx, ry = px[:, REC], py[:, REC]
    dx, dy = px[:, 11:], py[:, 11:]
    dist = np.hypot(rx[:, :, None] - dx[:, None, :], ry[:, :, None] - dy[:, None, :])  # (P, 5, 11)
    flight_f = np.full((n, N_REC), 8)
    for _ in range(3):  # fixed point: flight time depends on where the receiver is when the ball lands
        arrive = np.minimum(f_rel[:, None] + flight_f, n_frames - 1)
        cx = np.take_along_axis(x[:, :, REC], arrive[:, None, :], axis=1)[:, 0]
        cy = np.take_along_axis(y[:, :, REC], arrive[:, None, :], axis=1)[:, 0]
        throw_yd = np.hypot(cx - qx[:, None], cy - qy[:, None])
        speed = np.clip(15.0 + 0.13 * throw_yd, 14.0, 23.0)
        flight_f = np.clip(np.round((0.12 + throw_yd / speed) / FRAME_SECONDS), 3, 40).astype(np.int64)
    flight_s = flight_f * FRAME_SECONDS
    lead = np.minimum(flight_s, 1.0)[:, :, None]
    proj_x, proj_y = dx[:, None, :] + vx[:, None, 11:] * lead, dy[:, None, :] + vy[:, None, 11:] * lead
    return {
        "sep_yd": dist.min(axis=2),
        "nearest_def": dist.argmin(axis=2),  # 0..10 over the defense slots
        "n_def_2yd": (dist <= 2.0).sum(axis=2).astype(float),
        "pressure_yd": np.hypot(qx[:, None] - dx, qy[:, None] - dy).min(axis=1),
        "air_yards": cx - los_x[:, None],
        "room_yd": np.hypot(cx[:, :, None] - proj_x, cy[:, :, None] - proj_y).min(axis=2),
        "sideline_yd": np.minimum(cy, FIELD_WIDTH_YD - cy),
        "catch_x": cx,
        "catch_y": cy,
        "flight_frames": flight_f,
    }


def pick(feat: dict[str, np.ndarray], k: np.ndarray) -> dict[str, np.ndarray]:
    """The chosen receiver's column of every (P, 5) feature; (P,) features pass through."""
    rows = np.arange(k.size)
    return {name: (v[rows, k] if v.ndim == 2 else v) for name, v in feat.items()}
