"""A simulated game's dropbacks (``SimulatedPlays``) and their ground truth as tables: one row per
dropback (``truth.parquet``) and one row per pass attempt and receiver option
(``truth_receivers.parquet``)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from qb_assets.synthetic.motion import ROUTE_NAMES, Design
from qb_assets.synthetic.play import KIND_PASS
from qb_assets.synthetic.truth import YARDAGE_COLUMNS, expected_yards


@dataclass
class SimulatedPlays:
    """One game's dropbacks before they are written: situations, lineups, the designed motion, the QB's
    decision and its truth, and the finished paths."""

    sit: dict[str, np.ndarray]  # game_situations output (+ 'shotgun')
    ids: np.ndarray  # (P, 22) nfl_ids in slot order
    twelve: np.ndarray  # (P,) bool: 12 personnel (else 11)
    base: np.ndarray  # (P,) bool: base defense (else nickel)
    setup: tuple[np.ndarray, np.ndarray, np.ndarray]  # draw_setup output: shotgun, coverage, blitz
    clock: dict[str, np.ndarray]  # draw_clock output (+ 'f_event')
    design: Design
    target: np.ndarray  # (P,) receiver index 0-4
    feat: dict[str, np.ndarray]  # the chosen receiver's release features
    probs: dict[str, tuple[np.ndarray, np.ndarray]]  # 'qb' and 'avg': (p_complete, p_interception)
    params: dict[str, np.ndarray]  # yardage parameters
    post: dict[str, np.ndarray]  # finish_plays output
    result: np.ndarray  # (P,) pass result: C, I, IN, S (sack), R (scramble)
    receivers: dict[str, dict[str, np.ndarray]]  # receiver_truth output: every option, "qb" and "avg"
    eligible: np.ndarray  # (P, 5) receivers running a route (not staying in to block)


def truth_rows(game: dict, play_id: np.ndarray, sim: SimulatedPlays) -> pl.DataFrame:
    """Truth rows: per play the passer, target, outcome, the QB's and the league-average outcome
    probabilities and expected yards, and the release features (null where the QB did not throw)."""
    n = play_id.size
    ids, target, probs, params, feat, post = sim.ids, sim.target, sim.probs, sim.params, sim.feat, sim.post
    is_pass = sim.clock["kind"] == KIND_PASS
    ey_qb = expected_yards(probs["qb"][0], probs["qb"][1], params)
    ey_avg = expected_yards(probs["avg"][0], probs["avg"][1], params)
    nan_if_not_pass = lambda v: np.where(is_pass, v, np.nan)  # noqa: E731
    return (
        pl.DataFrame(
            {
                "game_id": np.full(n, game["gameId"], dtype=np.int64),
                "play_id": play_id.astype(np.int64),
                "week": np.full(n, game["week"], dtype=np.int64),
                "passer_nfl_id": ids[:, 0],
                "target_nfl_id": np.where(is_pass, ids[np.arange(n), 6 + target], -1),
                "target_route": pl.Series(
                    np.asarray(ROUTE_NAMES)[sim.design.route[np.arange(n), target]]
                ).set(pl.Series(~is_pass), None),
                "pass_result": sim.result,
                "yards": post["yards"],
                "is_attempt": is_pass,
                "p_complete_qb": nan_if_not_pass(probs["qb"][0]),
                "p_interception_qb": nan_if_not_pass(probs["qb"][1]),
                "p_complete_avg": nan_if_not_pass(probs["avg"][0]),
                "p_interception_avg": nan_if_not_pass(probs["avg"][1]),
                **{k: nan_if_not_pass(v.astype(float)) for k, v in params.items()},
                "expected_yards_qb": nan_if_not_pass(ey_qb),
                "expected_yards_avg": nan_if_not_pass(ey_avg),
                "sep_yd": nan_if_not_pass(feat["sep_yd"]),
                "n_def_2yd": nan_if_not_pass(feat["n_def_2yd"]),
                "pressure_yd": nan_if_not_pass(feat["pressure_yd"]),
                "room_yd": nan_if_not_pass(feat["room_yd"]),
                "time_to_throw_s": nan_if_not_pass((sim.clock["f_event"] - 10) / 10.0),
                "arrival_frame_id": np.where(is_pass, post["arrival_frame"] + 1, -1),
            }
        )
        .with_columns(
            pl.col(pl.Float64).fill_nan(None),
            pl.when(pl.col("target_nfl_id") >= 0).then(pl.col("target_nfl_id")).alias("target_nfl_id"),
            pl.when(pl.col("arrival_frame_id") >= 0)
            .then(pl.col("arrival_frame_id"))
            .alias("arrival_frame_id"),
        )
        .with_columns(pl.col("yards_to_endzone", "return_max").cast(pl.Int64))
    )


RECEIVER_TRUTH_COLUMNS = ("choice_probability", "p_complete", "p_interception", *YARDAGE_COLUMNS)


def receiver_rows(game: dict, play_id: np.ndarray, sim: SimulatedPlays) -> pl.DataFrame:
    """Receiver truth rows: per pass attempt and receiver slot (0-4: wide A, wide B, slot, tight end,
    back), his nfl_id, whether he ran a route, and for the passer (``_qb``) and a league-average passer
    (``_avg``) the probability of throwing to him and his outcome distribution's parameters."""
    attempt = np.flatnonzero(sim.clock["kind"] == KIND_PASS)
    n_rec = sim.eligible.shape[1]
    columns = {
        "game_id": np.full(attempt.size * n_rec, game["gameId"], dtype=np.int64),
        "play_id": np.repeat(play_id[attempt].astype(np.int64), n_rec),
        "receiver_slot": np.tile(np.arange(n_rec), attempt.size),
        "receiver_nfl_id": sim.ids[attempt, 6 : 6 + n_rec].reshape(-1),
        "is_target": (np.arange(n_rec)[None, :] == sim.target[attempt, None]).reshape(-1),
        "eligible": sim.eligible[attempt].reshape(-1),
    }
    for which in ("qb", "avg"):
        options = sim.receivers[which]
        for name in RECEIVER_TRUTH_COLUMNS:
            if name in YARDAGE_COLUMNS and which == "qb":
                continue  # yardage does not depend on the passer: stored once
            suffix = "" if name in YARDAGE_COLUMNS else f"_{which}"
            columns[f"{name}{suffix}"] = np.asarray(options[name], dtype=float)[attempt].reshape(-1)
    return pl.DataFrame(columns).with_columns(pl.col("yards_to_endzone", "return_max").cast(pl.Int64))
