"""After the QB's decision: ball flight, catch / incompletion / interception, run after the catch or the
return, pursuit and tackle; sacks and scrambles. Writes the final paths and the Big Data Bowl events.

The ball carrier's path is monotone in x up to the end of the play and ends at a spot chosen so the
yards measured from tracking (forward-progress spot minus LOS, capped at the goal line) round to the
recorded integer yards.
"""

from __future__ import annotations

import numpy as np

from qb_assets.ingest.schema import FIELD_WIDTH_YD, FRAME_SECONDS, OPPONENT_GOAL_LINE_X, OWN_GOAL_LINE_X
from qb_assets.synthetic.motion import (
    BEAT_LEAD_S,
    MAX_SPEED_YD_S,
    QB,
    SNAP_INDEX,
    clamp_speed,
    decelerate,
    frame_times,
    hermite,
    smoothstep,
)
from qb_assets.synthetic.play import KIND_PASS, KIND_SACK, KIND_SCRAMBLE

EVENTS = (
    "",
    "ball_snap",
    "pass_forward",
    "pass_arrived",
    "pass_outcome_caught",
    "pass_outcome_incomplete",
    "pass_outcome_interception",
    "pass_outcome_touchdown",
    "tackle",
    "out_of_bounds",
    "touchdown",
    "qb_sack",
    "run",
)
EV = {name: i for i, name in enumerate(EVENTS)}
OFFENSE = np.arange(22) < 11


def _frame_of(t_s: np.ndarray) -> np.ndarray:
    return np.round(t_s / FRAME_SECONDS).astype(np.int64) + SNAP_INDEX


def _state(x: np.ndarray, y: np.ndarray, f0: np.ndarray):
    """Positions and velocities of all players at frame f0 per play: four (P, 22) arrays."""
    rows = np.arange(x.shape[0])
    px, py = x[rows, f0], y[rows, f0]
    return px, py, (px - x[rows, f0 - 1]) / FRAME_SECONDS, (py - y[rows, f0 - 1]) / FRAME_SECONDS


def coast(x, y, who: np.ndarray, f0: np.ndarray, tau_s: float = 0.6) -> None:
    """From frame f0 on, players in `who` (P, 22) keep drifting on their velocity and stop."""
    t = frame_times(x.shape[0], x.shape[1])
    t0 = ((f0 - SNAP_INDEX) * FRAME_SECONDS)[:, None, None]
    px, py, vx, vy = _state(x, y, f0)
    on = who[:, None, :] & (np.arange(x.shape[1])[None, :, None] > f0[:, None, None])
    x[:] = np.where(on, decelerate(px[:, None], vx[:, None], t0, t, tau_s), x)
    y[:] = np.where(on, decelerate(py[:, None], vy[:, None], t0, t, tau_s), y)


def pursue(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    x, y, who: np.ndarray, f0: np.ndarray, f1: np.ndarray, tx: np.ndarray, ty: np.ndarray, v_cap=6.0
):
    """Players in `who` run from their frame-f0 state toward (tx, ty) (P, 22), arriving at frame f1,
    stopping short where the target is out of reach at v_cap yd/s."""
    t = frame_times(x.shape[0], x.shape[1])
    px, py, vx, vy = _state(x, y, f0)
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


def _run_path(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    f0, p0x, p0y, v0x, v0y, ex, ey, speed, n_frames
):
    """A carrier's run from (p0, v0) at frame f0 to the end spot: x monotone (Fritsch-Carlson bound on the
    end velocities). Returns the (P, F) path, the frame he reaches the spot, and the duration."""
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


def _write(arr: np.ndarray, slot: np.ndarray, path: np.ndarray, after: np.ndarray) -> None:
    """arr[p, f, slot[p]] = path[p, f] for frames f > after[p]."""
    rows = np.arange(arr.shape[0])
    cur = arr[rows, :, slot]
    on = np.arange(arr.shape[1])[None, :] > after[:, None]
    arr[rows, :, slot] = np.where(on, path, cur)


def finish_plays(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, x, y, sit, clock, feat, target, outcome
) -> dict[str, np.ndarray]:
    """Overwrite the designed paths after the decision and return ball path, events and play lengths.

    `sit`: situation arrays; `clock`: draw_clock output (+ 'f_event'); `feat`: chosen-receiver release
    features; `target` (P,) receiver index 0-4; `outcome`: result, yards, return_yd per play.
    """
    n, n_frames, _ = x.shape
    rows = np.arange(n)
    X = sit["los_x"]
    yte = sit["yards_to_endzone"]
    kind, f_ev = clock["kind"], clock["f_event"]
    result, gain = outcome["result"], outcome["yards"].astype(float)
    is_pass = kind == KIND_PASS
    events = np.zeros((n, n_frames), dtype=np.int8)
    events[:, SNAP_INDEX] = EV["ball_snap"]
    end_f = np.zeros(n, dtype=np.int64)
    tgt_slot = 6 + target
    f_arr = np.where(is_pass, f_ev + feat["flight_frames"], f_ev)
    # Interceptions: the nearest defender to the catch point jumps the route; a ball he must cover
    # ground for hangs longer (that lateness is after the release, so the model never sees it).
    pick6 = is_pass & (result == "IN")
    ax, ay, _, _ = _state(x, y, f_arr)
    # Only the back seven (slots 15-21) pick passes off; linemen stay in the trenches.
    d_catch = np.hypot(ax[:, 15:] - feat["catch_x"][:, None], ay[:, 15:] - feat["catch_y"][:, None])
    picker = 15 + np.argmin(d_catch, axis=1)
    need_f = np.ceil(d_catch.min(axis=1) * 1.5 / 4.0 / FRAME_SECONDS).astype(np.int64)
    f_arr = np.where(pick6, f_ev + np.maximum(f_arr - f_ev, need_f), f_arr)
    f_out = f_arr + 1
    all_players = np.ones((n, 22), dtype=bool)

    # Ball before the decision: on the LOS, snapped to the QB, then carried.
    fr = np.arange(n_frames)[None, :]
    k_snap = np.where(sit["shotgun"], 4, 1)[:, None]
    u_snap = np.clip((fr - SNAP_INDEX) / k_snap, 0.0, 1.0)
    bx = X[:, None] + (x[:, :, QB] - X[:, None]) * u_snap
    by = sit["ball_y"][:, None] + (y[:, :, QB] - sit["ball_y"][:, None]) * u_snap

    # --- sacks: the QB drifts to where he is brought down; the winning rusher meets him there.
    sack = kind == KIND_SACK
    qx, qy, _, _ = _state(x, y, f_ev)
    f_drift = np.maximum(f_ev - 12, SNAP_INDEX + 2)  # the QB drifts 1.2 s before he goes down
    px, py, _, _ = _state(x, y, f_drift)
    # The spot must be reachable: a smooth start-stop path peaks at 1.5x its mean speed, so the QB can
    # cover at most MAX_SPEED / 1.5 per second of drift in x (and keeps some margin for y).
    reach = 0.55 * MAX_SPEED_YD_S * (f_ev - f_drift) * FRAME_SECONDS
    spot = np.clip(qx[:, QB] + rng.normal(-0.5, 2.7, n), px[:, QB] - reach, px[:, QB] + reach)
    sack_yd = np.clip(np.round(spot - X), -(X - OWN_GOAL_LINE_X - 1.0), 0.0)
    down_x = X + sack_yd + rng.uniform(-0.3, 0.3, n)
    down_y = np.clip(qy[:, QB] + rng.normal(0.0, 1.5, n), 2.0, FIELD_WIDTH_YD - 2.0)
    t = frame_times(n, n_frames)[..., 0]
    dur = ((f_ev - f_drift) * FRAME_SECONDS)[:, None]
    u = (t - ((f_drift - SNAP_INDEX) * FRAME_SECONDS)[:, None]) / dur
    qpx = hermite(px[:, QB][:, None], 0.0, down_x[:, None], 0.0, u, dur)
    qpy = hermite(py[:, QB][:, None], 0.0, down_y[:, None], 0.0, u, dur)
    _write(x, np.zeros(n, dtype=np.int64), np.where(sack[:, None], qpx, x[:, :, QB]), f_drift)
    _write(y, np.zeros(n, dtype=np.int64), np.where(sack[:, None], qpy, y[:, :, QB]), f_drift)
    rusher_slot = np.where(clock["winner"] < 4, 11 + clock["winner"], 19)
    f_beat = np.maximum(_frame_of(clock["t_hit"] - BEAT_LEAD_S), SNAP_INDEX + 3)
    rx, ry, _, _ = _state(x, y, f_beat)
    dur_b = ((f_ev - f_beat) * FRAME_SECONDS)[:, None]
    u_b = (t - ((f_beat - SNAP_INDEX) * FRAME_SECONDS)[:, None]) / np.maximum(dur_b, 0.1)
    wpx = hermite(rx[rows, rusher_slot][:, None], 0.0, down_x[:, None] + 0.6, 0.0, u_b, dur_b)
    wpy = hermite(ry[rows, rusher_slot][:, None], 0.0, down_y[:, None] + 0.3, 0.0, u_b, dur_b)
    _write(x, rusher_slot, np.where(sack[:, None], wpx, x[rows, :, rusher_slot]), f_beat)
    _write(y, rusher_slot, np.where(sack[:, None], wpy, y[rows, :, rusher_slot]), f_beat)
    coast(
        x,
        y,
        sack[:, None] & (np.arange(22) != QB)[None, :] & (np.arange(22)[None, :] != rusher_slot[:, None]),
        f_ev,
    )
    events[rows[sack], f_ev[sack]] = EV["qb_sack"]
    end_f = np.where(sack, f_ev, end_f)
    gain = np.where(sack, sack_yd, gain)

    # --- scrambles: escape the pocket, run upfield, tackled or out of bounds.
    scr = kind == KIND_SCRAMBLE
    run_yd = np.minimum(np.round(1.0 + rng.gamma(1.6, 3.7, n)), yte).astype(float)
    sx, sy, _, _ = _state(x, y, f_ev)
    esc_y = np.clip(sy[:, QB] + rng.choice([-3.5, 3.5], n), 2.0, FIELD_WIDTH_YD - 2.0)
    esc_x = sx[:, QB] + 0.8
    f_esc = f_ev + 6
    u = (t - ((f_ev - SNAP_INDEX) * FRAME_SECONDS)[:, None]) / 0.6
    e1x = hermite(sx[:, QB][:, None], 0.0, esc_x[:, None], 3.5, u, 0.6)
    e1y = hermite(sy[:, QB][:, None], 0.0, esc_y[:, None], 0.0, u, 0.6)
    scr_td = run_yd >= yte
    scr_ex = np.where(
        scr_td, OPPONENT_GOAL_LINE_X + rng.uniform(0.5, 2.0, n), X + run_yd + rng.uniform(-0.3, 0.3, n)
    )
    scr_ey = np.clip(esc_y + rng.normal(0.0, 4.0, n), 1.5, FIELD_WIDTH_YD - 1.5)
    scr_oob = scr & ~scr_td & (rng.random(n) < 0.25)
    scr_side = np.where(scr_ey > FIELD_WIDTH_YD / 2.0, FIELD_WIDTH_YD + 0.4, -0.4)
    scr_ey = np.where(scr_oob, np.where(scr_side > 0, FIELD_WIDTH_YD - 1.2, 1.2), scr_ey)
    e2x, e2y, f_scr_end = _run_path(
        f_esc, esc_x, esc_y, np.full(n, 3.5), np.zeros(n), scr_ex, scr_ey, rng.uniform(5.5, 6.8, n), n_frames
    )
    e2y = (
        np.clip(e2y, 0.7, FIELD_WIDTH_YD - 0.7)
        + (scr_side - scr_ey)[:, None] * np.clip((fr - f_scr_end[:, None]) / 3.0, 0.0, 1.0) * scr_oob[:, None]
    )
    qsx = np.where(fr <= f_esc[:, None], e1x, e2x)
    qsy = np.where(fr <= f_esc[:, None], e1y, e2y)
    _write(x, np.zeros(n, dtype=np.int64), np.where(scr[:, None], qsx, x[:, :, QB]), f_ev)
    _write(y, np.zeros(n, dtype=np.int64), np.where(scr[:, None], qsy, y[:, :, QB]), f_ev)
    gain = np.where(scr, run_yd, gain)

    # --- passes: flight, then the catch, the drop or the pick.
    rel_x, rel_y = bx[rows, f_ev], by[rows, f_ev]
    cx, cy = feat["catch_x"], feat["catch_y"]
    u_fl = np.clip((fr - f_ev[:, None]) / np.maximum(f_arr - f_ev, 1)[:, None], 0.0, 1.0)
    fly_x = rel_x[:, None] + (cx - rel_x)[:, None] * u_fl
    fly_y = rel_y[:, None] + (cy - rel_y)[:, None] * u_fl
    in_flight = is_pass[:, None] & (fr > f_ev[:, None])
    bx, by = np.where(in_flight, fly_x, bx), np.where(in_flight, fly_y, by)
    # Incomplete: the ball skids on past the catch point and stops.
    inc = is_pass & (result == "I")
    vfx, vfy = (cx - rel_x) / np.maximum(f_arr - f_ev, 1), (cy - rel_y) / np.maximum(f_arr - f_ev, 1)
    skid = 1.0 - np.exp(-np.maximum(fr - f_arr[:, None], 0) / 3.0)
    after_arr = inc[:, None] & (fr > f_arr[:, None])
    bx = np.where(after_arr, cx[:, None] + 3.0 * vfx[:, None] * skid, bx)
    by = np.where(after_arr, cy[:, None] + 3.0 * vfy[:, None] * skid, by)
    coast(x, y, inc[:, None] & all_players, f_arr)

    # Interception: the nearest defender to the catch point converges on it during the flight.
    ax, ay, _, _ = _state(x, y, f_arr)
    f_read = f_ev
    conv = smoothstep((fr - f_read[:, None]) / np.maximum(f_arr - f_read, 1)[:, None])
    gx = x[rows, :, picker] + (cx - ax[rows, picker])[:, None] * conv
    gy = y[rows, :, picker] + (cy - ay[rows, picker])[:, None] * conv
    _write(x, picker, np.where(pick6[:, None], gx, x[rows, :, picker]), f_read)
    _write(y, picker, np.where(pick6[:, None], gy, y[rows, :, picker]), f_read)

    # Carrier after the catch: the receiver (C) or the interceptor (IN), running to the end spot.
    comp = is_pass & (result == "C")
    carrier = np.where(pick6, picker, tgt_slot)
    ret_max = np.maximum(np.floor(cx - OWN_GOAL_LINE_X + 0.5), 0.0)
    ret_int = -gain
    td = np.where(pick6, (ret_int >= ret_max) & (ret_max > 0), comp & (gain >= yte))
    caught_in_ez = comp & (cx >= OPPONENT_GOAL_LINE_X)
    c_end = np.where(
        td,
        OPPONENT_GOAL_LINE_X + rng.uniform(0.5, 3.0, n),
        np.maximum(X + gain + rng.uniform(-0.3, 0.3, n), cx),
    )
    c_end = np.where(caught_in_ez, np.minimum(cx + rng.uniform(0.0, 1.0, n), 119.0), c_end)
    i_end = np.where(
        td,
        OWN_GOAL_LINE_X - rng.uniform(0.5, 2.0, n),
        cx - np.maximum(ret_int + rng.uniform(-0.3, 0.3, n), 0.0),
    )
    end_x = np.where(pick6, i_end, c_end)
    run_len = np.abs(end_x - cx)
    end_y = np.clip(cy + rng.normal(0.0, 1.0, n) * (0.3 * run_len + 1.0), 1.3, FIELD_WIDTH_YD - 1.3)
    # Runs that end near a sideline, and some others, finish out of bounds: the carrier reaches his
    # spot 1.2 yd inside the sideline, then steps out without gaining ground.
    near_side = np.minimum(end_y, FIELD_WIDTH_YD - end_y) < 6.0
    oob = ~td & (rng.random(n) < 0.12 + 0.5 * near_side)
    side_y = np.where(end_y > FIELD_WIDTH_YD / 2.0, FIELD_WIDTH_YD + 0.4, -0.4)
    end_y = np.where(oob, np.where(side_y > 0, FIELD_WIDTH_YD - 1.2, 1.2), end_y)
    _, _, vcx, vcy = _state(x, y, f_arr)
    v0x = np.where(pick6, 0.0, vcx[rows, carrier])
    v0y = np.where(pick6, 0.0, vcy[rows, carrier])
    # The interceptor secures the ball on the outcome frame; his return is measured from there.
    f_run = np.where(pick6, f_out, f_arr)
    run_x, run_y, f_reach = _run_path(
        f_run, cx, cy, v0x, v0y, end_x, end_y, rng.uniform(6.0, 7.2, n), n_frames
    )
    run_y = np.clip(run_y, 0.7, FIELD_WIDTH_YD - 0.7)  # in bounds until the spot (sideline rule: 0.5 yd)
    step_out = np.clip((fr - f_reach[:, None]) / 3.0, 0.0, 1.0) * oob[:, None]
    run_y = run_y + (side_y - end_y)[:, None] * step_out
    carry = comp | pick6
    _write(x, carrier, np.where(carry[:, None], run_x, x[rows, :, carrier]), f_arr)
    _write(y, carrier, np.where(carry[:, None], run_y, y[rows, :, carrier]), f_arr)
    after_catch = carry[:, None] & (fr > f_arr[:, None])
    bx = np.where(after_catch, x[rows, :, carrier], bx)
    by = np.where(after_catch, y[rows, :, carrier], by)

    # Pursuit: the other side chases the carrier's end spot; one tackler meets him there.
    chasers = np.where(pick6[:, None], OFFENSE[None, :], ~OFFENSE[None, :]) & carry[:, None]
    chasers &= np.arange(22)[None, :] != carrier[:, None]
    ang = rng.uniform(0.0, 2.0 * np.pi, (n, 22))
    rad = rng.uniform(2.0, 8.0, (n, 22))
    tx, ty = end_x[:, None] + rad * np.sin(ang), end_y[:, None] + rad * np.cos(ang)
    d_end = np.where(chasers, np.hypot(ax - end_x[:, None], ay - end_y[:, None]), np.inf)
    tackler = np.argmin(d_end, axis=1)
    ahead = np.where(pick6, -0.8, 0.8)
    tx[rows, tackler], ty[rows, tackler] = end_x + ahead, end_y + rng.uniform(-0.4, 0.4, n)
    pursue(x, y, chasers, f_arr, f_reach, tx, ty)
    blockers = carry[:, None] & ~chasers & (np.arange(22)[None, :] != carrier[:, None])
    coast(x, y, blockers, f_arr)
    scr_chase = scr[:, None] & ~OFFENSE[None, :]
    pursue(
        x,
        y,
        scr_chase,
        f_ev,
        f_scr_end,
        np.broadcast_to(scr_ex[:, None] + 0.8, (n, 22)),
        np.broadcast_to(scr_ey[:, None], (n, 22)),
    )
    coast(x, y, scr[:, None] & OFFENSE[None, :] & (np.arange(22)[None, :] != QB), f_ev + 5)
    # Passes: the QB, line and rushers ease off after the throw.
    trench = np.zeros(22, dtype=bool)
    trench[[0, 1, 2, 3, 4, 5, 11, 12, 13, 14]] = True
    coast(x, y, (carry | inc)[:, None] & trench[None, :] & (np.arange(22)[None, :] != carrier[:, None]), f_ev)

    # Events and play end.
    p_rows = rows[is_pass]
    events[p_rows, f_ev[is_pass]] = EV["pass_forward"]
    events[p_rows, f_arr[is_pass]] = EV["pass_arrived"]
    out_code = np.select(
        [caught_in_ez, comp, pick6],
        [EV["pass_outcome_touchdown"], EV["pass_outcome_caught"], EV["pass_outcome_interception"]],
        EV["pass_outcome_incomplete"],
    )
    events[p_rows, f_out[is_pass]] = out_code[is_pass]
    end_code = np.select([td, oob], [EV["touchdown"], EV["out_of_bounds"]], EV["tackle"]).astype(np.int8)
    end_at = np.select([td, oob], [f_reach, f_reach + 3], f_reach + 2)
    end_at = np.maximum(end_at, f_out + 1)
    needs_end = carry & ~caught_in_ez
    events[rows[needs_end], end_at[needs_end]] = end_code[needs_end]
    events[rows[scr], np.maximum(f_ev, SNAP_INDEX + 1)[scr]] = EV["run"]
    scr_end_at = np.where(scr_oob, f_scr_end + 3, f_scr_end + 1)
    scr_code = np.select([scr_td, scr_oob], [EV["touchdown"], EV["out_of_bounds"]], EV["tackle"])
    events[rows[scr], scr_end_at[scr]] = scr_code[scr]
    end_f = np.select([sack, scr, inc, caught_in_ez, carry], [f_ev, scr_end_at, f_out, f_out, end_at], end_f)
    n_valid = np.minimum(end_f + rng.integers(4, 10, n) + 1, n_frames)
    # Cap everyone's speed except players whose end spot is the label (carrier, sacked or running QB).
    exact = np.zeros((n, 22), dtype=bool)
    exact[rows, np.where(carry, carrier, QB)] = True
    exact[:, QB] |= sack | scr
    x[:], y[:] = clamp_speed(x, y, ~exact, MAX_SPEED_YD_S)
    # Sacks and scrambles: the QB keeps the ball throughout.
    keep = (sack | scr)[:, None]
    bx = np.where(keep, X[:, None] + (x[:, :, QB] - X[:, None]) * u_snap, bx)
    by = np.where(keep, sit["ball_y"][:, None] + (y[:, :, QB] - sit["ball_y"][:, None]) * u_snap, by)
    return {
        "ball_x": bx,
        "ball_y": by,
        "events": events,
        "n_frames": n_valid,
        "arrival_frame": np.where(is_pass, f_arr, -1),
        "end_frame": end_f,
        "yards": gain.astype(np.int64),
        "carrier_slot": np.where(carry, carrier, QB),
    }
