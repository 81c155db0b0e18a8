"""Dropbacks on which the QB keeps the ball: sacks and scrambles, written over the designed paths after
his decision. The QB's end spot is the label, so it is placed to round to the recorded integer yards.
"""

from __future__ import annotations

import numpy as np

from qb_assets.ingest.schema import FIELD_WIDTH_YD, FRAME_SECONDS, OPPONENT_GOAL_LINE_X, OWN_GOAL_LINE_X
from qb_assets.synthetic.motion import BEAT_LEAD_S, MAX_SPEED_YD_S, QB, SNAP_INDEX, frame_times, hermite
from qb_assets.synthetic.play import to_frame
from qb_assets.synthetic.player_paths import OFFENSE, carrier_run, coast, pursue, state_at, write_slot


def _sacked_qb(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, x, y, los_x, f_ev, sack
):
    """The sacked QB drifts to where he is brought down. Returns that spot and the (integer) yards lost."""
    n, n_frames, _ = x.shape
    qx, qy, _, _ = state_at(x, y, f_ev)
    f_drift = np.maximum(f_ev - 12, SNAP_INDEX + 2)  # the QB drifts 1.2 s before he goes down
    px, py, _, _ = state_at(x, y, f_drift)
    # The spot must be reachable: a smooth start-stop path peaks at 1.5x its mean speed, so the QB can
    # cover at most MAX_SPEED / 1.5 per second of drift in x (and keeps some margin for y).
    reach = 0.55 * MAX_SPEED_YD_S * (f_ev - f_drift) * FRAME_SECONDS
    spot = np.clip(qx[:, QB] + rng.normal(-0.5, 2.7, n), px[:, QB] - reach, px[:, QB] + reach)
    sack_yd = np.clip(np.round(spot - los_x), -(los_x - OWN_GOAL_LINE_X - 1.0), 0.0)
    down_x = los_x + sack_yd + rng.uniform(-0.3, 0.3, n)
    # Across the field within half that reach (the path's peak speed then stays under MAX_SPEED): a QB
    # rolling out (pocket.qb_release_move) goes down near his line of drift, not where his roll led.
    down_y = np.clip(qy[:, QB] + rng.normal(0.0, 1.5, n), py[:, QB] - reach / 2, py[:, QB] + reach / 2)
    down_y = np.clip(down_y, 2.0, FIELD_WIDTH_YD - 2.0)
    t = frame_times(n, n_frames)[..., 0]
    dur = ((f_ev - f_drift) * FRAME_SECONDS)[:, None]
    u = (t - ((f_drift - SNAP_INDEX) * FRAME_SECONDS)[:, None]) / dur
    qpx = hermite(px[:, QB][:, None], 0.0, down_x[:, None], 0.0, u, dur)
    qpy = hermite(py[:, QB][:, None], 0.0, down_y[:, None], 0.0, u, dur)
    write_slot(x, np.zeros(n, dtype=np.int64), np.where(sack[:, None], qpx, x[:, :, QB]), f_drift)
    write_slot(y, np.zeros(n, dtype=np.int64), np.where(sack[:, None], qpy, y[:, :, QB]), f_drift)
    return down_x, down_y, sack_yd


def _sacking_rusher(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    x, y, clock, sack, down_x, down_y
):
    """The winning rusher sheds his block and meets the QB at the spot; everyone else eases off."""
    n, n_frames, _ = x.shape
    rows = np.arange(n)
    f_ev = clock["f_event"]
    t = frame_times(n, n_frames)[..., 0]
    rusher_slot = np.where(clock["winner"] < 4, 11 + clock["winner"], 19)
    f_beat = np.maximum(to_frame(clock["t_hit"] - BEAT_LEAD_S), SNAP_INDEX + 3)
    rx, ry, _, _ = state_at(x, y, f_beat)
    dur_b = ((f_ev - f_beat) * FRAME_SECONDS)[:, None]
    u_b = (t - ((f_beat - SNAP_INDEX) * FRAME_SECONDS)[:, None]) / np.maximum(dur_b, 0.1)
    wpx = hermite(rx[rows, rusher_slot][:, None], 0.0, down_x[:, None] + 0.6, 0.0, u_b, dur_b)
    wpy = hermite(ry[rows, rusher_slot][:, None], 0.0, down_y[:, None] + 0.3, 0.0, u_b, dur_b)
    write_slot(x, rusher_slot, np.where(sack[:, None], wpx, x[rows, :, rusher_slot]), f_beat)
    write_slot(y, rusher_slot, np.where(sack[:, None], wpy, y[rows, :, rusher_slot]), f_beat)
    coast(
        x,
        y,
        sack[:, None] & (np.arange(22) != QB)[None, :] & (np.arange(22)[None, :] != rusher_slot[:, None]),
        f_ev,
    )


def sack_paths(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng: np.random.Generator,
    x: np.ndarray,
    y: np.ndarray,
    los_x: np.ndarray,
    clock: dict[str, np.ndarray],
    sack: np.ndarray,
) -> np.ndarray:
    """Sacks: the QB drifts to where he is brought down and the winning rusher meets him there.
    Overwrites x, y (P, F, 22) on the `sack` plays; returns the yards lost (P,), 0 or less."""
    down_x, down_y, sack_yd = _sacked_qb(rng, x, y, los_x, clock["f_event"], sack)
    _sacking_rusher(x, y, clock, sack, down_x, down_y)
    return sack_yd


def scramble_paths(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng: np.random.Generator,
    x: np.ndarray,
    y: np.ndarray,
    sit: dict[str, np.ndarray],
    f_ev: np.ndarray,
    scr: np.ndarray,
) -> dict[str, np.ndarray]:
    """Scrambles: the QB escapes the pocket, runs upfield and is tackled or steps out of bounds.
    Overwrites his path on the `scr` plays; returns his yards, end spot and end frame, and whether he
    scored or went out (P,) each."""
    n, n_frames, _ = x.shape
    los_x, yte = sit["los_x"], sit["yards_to_endzone"]
    fr = np.arange(n_frames)[None, :]
    t = frame_times(n, n_frames)[..., 0]
    run_yd = np.minimum(np.round(1.0 + rng.gamma(1.6, 3.7, n)), yte).astype(float)
    # Escape: a 0.6 s sidestep out of the pocket, leaving it at 3.5 yd/s upfield.
    sx, sy, _, _ = state_at(x, y, f_ev)
    esc_y = np.clip(sy[:, QB] + rng.choice([-3.5, 3.5], n), 2.0, FIELD_WIDTH_YD - 2.0)
    esc_x = sx[:, QB] + 0.8
    f_esc = f_ev + 6
    u = (t - ((f_ev - SNAP_INDEX) * FRAME_SECONDS)[:, None]) / 0.6
    e1x = hermite(sx[:, QB][:, None], 0.0, esc_x[:, None], 3.5, u, 0.6)
    e1y = hermite(sy[:, QB][:, None], 0.0, esc_y[:, None], 0.0, u, 0.6)
    # Run: to the end spot, some stepping out of bounds after it.
    scr_td = run_yd >= yte
    scr_ex = np.where(
        scr_td, OPPONENT_GOAL_LINE_X + rng.uniform(0.5, 2.0, n), los_x + run_yd + rng.uniform(-0.3, 0.3, n)
    )
    scr_ey = np.clip(esc_y + rng.normal(0.0, 4.0, n), 1.5, FIELD_WIDTH_YD - 1.5)
    scr_oob = scr & ~scr_td & (rng.random(n) < 0.25)
    scr_side = np.where(scr_ey > FIELD_WIDTH_YD / 2.0, FIELD_WIDTH_YD + 0.4, -0.4)
    scr_ey = np.where(scr_oob, np.where(scr_side > 0, FIELD_WIDTH_YD - 1.2, 1.2), scr_ey)
    e2x, e2y, f_scr_end = carrier_run(
        f_esc, esc_x, esc_y, np.full(n, 3.5), np.zeros(n), scr_ex, scr_ey, rng.uniform(5.5, 6.8, n), n_frames
    )
    e2y = (
        np.clip(e2y, 0.7, FIELD_WIDTH_YD - 0.7)
        + (scr_side - scr_ey)[:, None] * np.clip((fr - f_scr_end[:, None]) / 3.0, 0.0, 1.0) * scr_oob[:, None]
    )
    qsx = np.where(fr <= f_esc[:, None], e1x, e2x)
    qsy = np.where(fr <= f_esc[:, None], e1y, e2y)
    write_slot(x, np.zeros(n, dtype=np.int64), np.where(scr[:, None], qsx, x[:, :, QB]), f_ev)
    write_slot(y, np.zeros(n, dtype=np.int64), np.where(scr[:, None], qsy, y[:, :, QB]), f_ev)
    return {
        "yards": run_yd,
        "end_x": scr_ex,
        "end_y": scr_ey,
        "end_frame": f_scr_end,
        "touchdown": scr_td,
        "out_of_bounds": scr_oob,
    }


def chase_scrambler(
    x: np.ndarray, y: np.ndarray, scr: np.ndarray, f_ev: np.ndarray, scramble: dict[str, np.ndarray]
) -> None:
    """The defense chases the scrambler's end spot; his teammates ease off."""
    n = x.shape[0]
    pursue(
        x,
        y,
        scr[:, None] & ~OFFENSE[None, :],
        f_ev,
        scramble["end_frame"],
        np.broadcast_to(scramble["end_x"][:, None] + 0.8, (n, 22)),
        np.broadcast_to(scramble["end_y"][:, None], (n, 22)),
    )
    coast(x, y, scr[:, None] & OFFENSE[None, :] & (np.arange(22) != QB)[None, :], f_ev + 5)
