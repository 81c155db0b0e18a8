"""After the QB's decision: ball flight, catch / incompletion / interception, run after the catch or the
return, pursuit and tackle; sacks and scrambles (their paths in `dropback`). Writes the final paths and
the Big Data Bowl events.

The ball carrier's path is monotone in x up to the end of the play and ends at a spot chosen so the
yards measured from tracking (forward-progress spot minus LOS, capped at the goal line) round to the
recorded integer yards.
"""

from __future__ import annotations

import numpy as np

from qb_assets.ingest.schema import FIELD_WIDTH_YD, FRAME_SECONDS, OPPONENT_GOAL_LINE_X, OWN_GOAL_LINE_X
from qb_assets.synthetic.dropback import chase_scrambler, sack_paths, scramble_paths
from qb_assets.synthetic.motion import MAX_SPEED_YD_S, QB, SNAP_INDEX, clamp_speed, smoothstep
from qb_assets.synthetic.play import KIND_PASS, KIND_SACK, KIND_SCRAMBLE
from qb_assets.synthetic.player_paths import OFFENSE, carrier_run, coast, pursue, state_at, write_slot

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
# QB, offensive line and defensive line: they ease off once the ball is out.
TRENCH = np.zeros(22, dtype=bool)
TRENCH[[0, 1, 2, 3, 4, 5, 11, 12, 13, 14]] = True


def _interception_timing(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    x, y, feat, f_ev, f_arr, pick6
):
    """The interceptor (the back-seven defender nearest the catch point) and the arrival frames: a pick
    he must cover ground for hangs longer (that lateness is after the release, so the model never
    sees it)."""
    ax, ay, _, _ = state_at(x, y, f_arr)
    # Only the back seven (slots 15-21) pick passes off; linemen stay in the trenches.
    d_catch = np.hypot(ax[:, 15:] - feat["catch_x"][:, None], ay[:, 15:] - feat["catch_y"][:, None])
    picker = 15 + np.argmin(d_catch, axis=1)
    need_f = np.ceil(d_catch.min(axis=1) * 1.5 / 4.0 / FRAME_SECONDS).astype(np.int64)
    return picker, np.where(pick6, f_ev + np.maximum(f_arr - f_ev, need_f), f_arr)


def _snap_blend(shotgun: np.ndarray, n_frames: int) -> np.ndarray:
    """(P, F) share of the way from the LOS to the QB's hands: the snap takes 1 frame, 4 in shotgun."""
    fr = np.arange(n_frames)[None, :]
    k_snap = np.where(shotgun, 4, 1)[:, None]
    return np.clip((fr - SNAP_INDEX) / k_snap, 0.0, 1.0)


def _ball_with_qb(x, y, sit, u_snap):
    """Ball path while the QB has it: on the LOS, snapped to him, then carried."""
    los_x, ball_y = sit["los_x"], sit["ball_y"]
    bx = los_x[:, None] + (x[:, :, QB] - los_x[:, None]) * u_snap
    by = ball_y[:, None] + (y[:, :, QB] - ball_y[:, None]) * u_snap
    return bx, by


def _pass_flight(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    x, y, ball, feat, f_ev, f_arr, is_pass, inc
):
    """The ball flies from the QB's hand to the catch point; an incomplete pass skids on past it and
    stops, and everyone eases off. Returns the ball path."""
    n, n_frames, _ = x.shape
    rows = np.arange(n)
    fr = np.arange(n_frames)[None, :]
    bx, by = ball
    rel_x, rel_y = bx[rows, f_ev], by[rows, f_ev]
    cx, cy = feat["catch_x"], feat["catch_y"]
    u_fl = np.clip((fr - f_ev[:, None]) / np.maximum(f_arr - f_ev, 1)[:, None], 0.0, 1.0)
    fly_x = rel_x[:, None] + (cx - rel_x)[:, None] * u_fl
    fly_y = rel_y[:, None] + (cy - rel_y)[:, None] * u_fl
    in_flight = is_pass[:, None] & (fr > f_ev[:, None])
    bx, by = np.where(in_flight, fly_x, bx), np.where(in_flight, fly_y, by)
    vfx, vfy = (cx - rel_x) / np.maximum(f_arr - f_ev, 1), (cy - rel_y) / np.maximum(f_arr - f_ev, 1)
    skid = 1.0 - np.exp(-np.maximum(fr - f_arr[:, None], 0) / 3.0)
    after_arr = inc[:, None] & (fr > f_arr[:, None])
    bx = np.where(after_arr, cx[:, None] + 3.0 * vfx[:, None] * skid, bx)
    by = np.where(after_arr, cy[:, None] + 3.0 * vfy[:, None] * skid, by)
    coast(x, y, inc[:, None] & np.ones((n, 22), dtype=bool), f_arr)
    return bx, by


def _jump_route(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    x, y, feat, arrival_state, f_ev, f_arr, picker, pick6
):
    """The interceptor reads the throw at the release and converges on the catch point during the
    flight: his designed path plus a growing share of its miss at the arrival frame."""
    n, n_frames, _ = x.shape
    rows = np.arange(n)
    fr = np.arange(n_frames)[None, :]
    ax, ay = arrival_state
    cx, cy = feat["catch_x"], feat["catch_y"]
    conv = smoothstep((fr - f_ev[:, None]) / np.maximum(f_arr - f_ev, 1)[:, None])
    gx = x[rows, :, picker] + (cx - ax[rows, picker])[:, None] * conv
    gy = y[rows, :, picker] + (cy - ay[rows, picker])[:, None] * conv
    write_slot(x, picker, np.where(pick6[:, None], gx, x[rows, :, picker]), f_ev)
    write_slot(y, picker, np.where(pick6[:, None], gy, y[rows, :, picker]), f_ev)


def _carrier_end_spot(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, sit, feat, gain, comp, pick6
) -> dict[str, np.ndarray]:
    """Where the run after the catch or the interception return ends, and whether it scores, ends in the
    end zone at the catch, or goes out of bounds (then `side_y` is where the carrier steps out)."""
    n = gain.size
    los_x, yte = sit["los_x"], sit["yards_to_endzone"]
    cx, cy = feat["catch_x"], feat["catch_y"]
    ret_max = np.maximum(np.floor(cx - OWN_GOAL_LINE_X + 0.5), 0.0)
    ret_int = -gain
    td = np.where(pick6, (ret_int >= ret_max) & (ret_max > 0), comp & (gain >= yte))
    caught_in_ez = comp & (cx >= OPPONENT_GOAL_LINE_X)
    c_end = np.where(
        td,
        OPPONENT_GOAL_LINE_X + rng.uniform(0.5, 3.0, n),
        np.maximum(los_x + gain + rng.uniform(-0.3, 0.3, n), cx),
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
    return {
        "end_x": end_x,
        "end_y": end_y,
        "side_y": side_y,
        "touchdown": td,
        "caught_in_ez": caught_in_ez,
        "out_of_bounds": oob,
    }


def _run_after_catch(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, x, y, feat, spot, carrier, pick6, f_arr, f_out
):
    """The receiver (C) or the interceptor (IN) runs from the catch point to his end spot, stepping out
    of bounds after it where the run ends there. Returns his (P, F) path and the frame he reaches it."""
    n, n_frames, _ = x.shape
    rows = np.arange(n)
    fr = np.arange(n_frames)[None, :]
    _, _, vcx, vcy = state_at(x, y, f_arr)
    v0x = np.where(pick6, 0.0, vcx[rows, carrier])
    v0y = np.where(pick6, 0.0, vcy[rows, carrier])
    # The interceptor secures the ball on the outcome frame; his return is measured from there.
    f_run = np.where(pick6, f_out, f_arr)
    run_x, run_y, f_reach = carrier_run(
        f_run,
        feat["catch_x"],
        feat["catch_y"],
        v0x,
        v0y,
        spot["end_x"],
        spot["end_y"],
        rng.uniform(6.0, 7.2, n),
        n_frames,
    )
    run_y = np.clip(run_y, 0.7, FIELD_WIDTH_YD - 0.7)  # in bounds until the spot (sideline rule: 0.5 yd)
    step_out = np.clip((fr - f_reach[:, None]) / 3.0, 0.0, 1.0) * spot["out_of_bounds"][:, None]
    run_y = run_y + (spot["side_y"] - spot["end_y"])[:, None] * step_out
    return run_x, run_y, f_reach


def _tackle_pursuit(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, x, y, arrival_state, spot, carrier, carry, pick6, f_arr, f_reach
):
    """The other side chases the carrier's end spot and one tackler meets him there; the carrier's
    teammates ease off."""
    n = x.shape[0]
    rows = np.arange(n)
    ax, ay = arrival_state
    end_x, end_y = spot["end_x"], spot["end_y"]
    chasers = np.where(pick6[:, None], OFFENSE[None, :], ~OFFENSE[None, :]) & carry[:, None]
    chasers &= np.arange(22)[None, :] != carrier[:, None]
    # Chasers converge on a ring around the end spot rather than on one point.
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


def _play_events(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    clock, masks, f_arr, f_out, spot, f_reach, scramble, n_frames
):
    """Big Data Bowl events per (play, frame) and the frame each play ends on.

    `masks`: per-play booleans sack, scramble, pass, incomplete, completion, interception, carried."""
    f_ev = clock["f_event"]
    sack, scr, is_pass, inc, comp, pick6, carry = masks
    rows = np.arange(f_ev.size)
    events = np.zeros((f_ev.size, n_frames), dtype=np.int8)
    events[:, SNAP_INDEX] = EV["ball_snap"]
    events[rows[sack], f_ev[sack]] = EV["qb_sack"]
    p_rows = rows[is_pass]
    events[p_rows, f_ev[is_pass]] = EV["pass_forward"]
    events[p_rows, f_arr[is_pass]] = EV["pass_arrived"]
    caught_in_ez, td, oob = spot["caught_in_ez"], spot["touchdown"], spot["out_of_bounds"]
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
    # Scrambles: a run from the escape, then the tackle, the touchdown or the step out of bounds.
    scr_td, scr_oob, f_scr_end = scramble["touchdown"], scramble["out_of_bounds"], scramble["end_frame"]
    events[rows[scr], np.maximum(f_ev, SNAP_INDEX + 1)[scr]] = EV["run"]
    scr_end_at = np.where(scr_oob, f_scr_end + 3, f_scr_end + 1)
    scr_code = np.select([scr_td, scr_oob], [EV["touchdown"], EV["out_of_bounds"]], EV["tackle"])
    events[rows[scr], scr_end_at[scr]] = scr_code[scr]
    end_f = np.select(
        [sack, scr, inc, caught_in_ez, carry],
        [f_ev, scr_end_at, f_out, f_out, end_at],
        np.zeros(f_ev.size, dtype=np.int64),
    )
    return events, end_f


def finish_plays(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng, x, y, sit, clock, feat, target, outcome
) -> dict[str, np.ndarray]:
    """Overwrite the designed paths after the decision and return ball path, events and play lengths.

    `sit`: situation arrays; `clock`: draw_clock output (+ 'f_event'); `feat`: chosen-receiver release
    features; `target` (P,) receiver index 0-4; `outcome`: result, yards, return_yd per play.
    """
    n, n_frames, _ = x.shape
    rows = np.arange(n)
    fr = np.arange(n_frames)[None, :]
    kind, f_ev = clock["kind"], clock["f_event"]
    result, gain = outcome["result"], outcome["yards"].astype(float)
    is_pass, sack, scr = kind == KIND_PASS, kind == KIND_SACK, kind == KIND_SCRAMBLE
    pick6 = is_pass & (result == "IN")
    f_arr = np.where(is_pass, f_ev + feat["flight_frames"], f_ev)
    picker, f_arr = _interception_timing(x, y, feat, f_ev, f_arr, pick6)
    f_out = f_arr + 1
    u_snap = _snap_blend(sit["shotgun"], n_frames)
    ball = _ball_with_qb(x, y, sit, u_snap)

    # --- sacks and scrambles: the QB keeps the ball.
    gain = np.where(sack, sack_paths(rng, x, y, sit["los_x"], clock, sack), gain)
    scramble = scramble_paths(rng, x, y, sit, f_ev, scr)
    gain = np.where(scr, scramble["yards"], gain)

    # --- passes: flight, then the catch, the drop or the pick.
    inc = is_pass & (result == "I")
    bx, by = _pass_flight(x, y, ball, feat, f_ev, f_arr, is_pass, inc)
    arrival_state = state_at(x, y, f_arr)[:2]  # where everyone is as the ball arrives
    _jump_route(x, y, feat, arrival_state, f_ev, f_arr, picker, pick6)

    # --- the carrier after the catch: the receiver (C) or the interceptor (IN), then pursuit.
    comp = is_pass & (result == "C")
    carrier = np.where(pick6, picker, 6 + target)
    spot = _carrier_end_spot(rng, sit, feat, gain, comp, pick6)
    run_x, run_y, f_reach = _run_after_catch(rng, x, y, feat, spot, carrier, pick6, f_arr, f_out)
    carry = comp | pick6
    write_slot(x, carrier, np.where(carry[:, None], run_x, x[rows, :, carrier]), f_arr)
    write_slot(y, carrier, np.where(carry[:, None], run_y, y[rows, :, carrier]), f_arr)
    after_catch = carry[:, None] & (fr > f_arr[:, None])
    bx = np.where(after_catch, x[rows, :, carrier], bx)
    by = np.where(after_catch, y[rows, :, carrier], by)
    _tackle_pursuit(rng, x, y, arrival_state, spot, carrier, carry, pick6, f_arr, f_reach)
    chase_scrambler(x, y, scr, f_ev, scramble)
    # Passes: the QB, line and rushers ease off after the throw.
    coast(x, y, (carry | inc)[:, None] & TRENCH[None, :] & (np.arange(22)[None, :] != carrier[:, None]), f_ev)

    # --- events and play end.
    masks = (sack, scr, is_pass, inc, comp, pick6, carry)
    events, end_f = _play_events(clock, masks, f_arr, f_out, spot, f_reach, scramble, n_frames)
    n_valid = np.minimum(end_f + rng.integers(4, 10, n) + 1, n_frames)
    # Cap everyone's speed except players whose end spot is the label (carrier, sacked or running QB).
    exact = np.zeros((n, 22), dtype=bool)
    exact[rows, np.where(carry, carrier, QB)] = True
    exact[:, QB] |= sack | scr
    x[:], y[:] = clamp_speed(x, y, ~exact, MAX_SPEED_YD_S)
    # Sacks and scrambles: the QB keeps the ball throughout.
    keep = (sack | scr)[:, None]
    qb_bx, qb_by = _ball_with_qb(x, y, sit, u_snap)
    bx, by = np.where(keep, qb_bx, bx), np.where(keep, qb_by, by)
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
