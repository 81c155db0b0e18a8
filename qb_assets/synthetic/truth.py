"""The true yards distribution of a synthetic pass attempt: parameters, exact evaluation and sampling.

The label Y (integer yards, offense's view) of an attempt is a three-part mixture:

* incompletion, probability ``1 - p_complete - p_interception``: Y = 0;
* completion, probability ``p_complete``: Y = min(round(air_yards + YAC), yards_to_endzone), where
  YAC >= 0 is 0 with probability ``yac_p0`` (tackled at the catch) and otherwise continuous:
  ``(1 - yac_break_w) * Gamma(yac_shape, yac_scale) + yac_break_w * Exponential(yac_break_scale)``
  (a body plus a breakaway tail); the mass beyond the goal line sits on the touchdown yardage;
* interception, probability ``p_interception``: Y = -min(round(R), return_max), where the return R is
  0 with probability ``return_p0`` and otherwise Exponential(``return_scale``); ``return_max`` is the
  (integer) distance from the catch point to the offense's goal line (a pick-six).

Only the two outcome probabilities depend on the passer's latent skills, so a truth row carries them
twice (suffix ``_qb`` for the passer, ``_avg`` for a league-average passer in the same pre-release
situation: same tracking, same target) and the yardage parameters once. Sacks and scrambles have
null parameters: the score uses attempts only.
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import special

WHICH_SUFFIX = {"qb": "_qb", "league_average": "_avg", "avg": "_avg"}
YARDAGE_COLUMNS = (
    "air_yards",
    "yards_to_endzone",
    "yac_p0",
    "yac_shape",
    "yac_scale",
    "yac_break_w",
    "yac_break_scale",
    "return_p0",
    "return_scale",
    "return_max",
)
# Integer support wide enough for every label: -return to +yards to the end zone (at most 99 each way).
SUPPORT_YD = np.arange(-110, 111)


def _sigmoid(z: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-z))


# Completion and interception log-odds by air yards (knots interpolated linearly), anchored to the
# Real 2017 rates by air-yards bin (completion, interception) for a receiver with typical separation.
_AIR_KNOTS_YD = np.array([-10.0, -2.0, 5.0, 14.0, 24.0, 35.0, 60.0])
_COMP_LOGIT = np.array([1.50, 1.40, 0.66, 0.21, -0.90, -1.30, -1.65])
_INT_LOGIT = np.array([-2.95, -2.95, -3.10, -2.20, -2.05, -2.10, -2.40])


def outcome_logits(
    feat: dict[str, np.ndarray], skill: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """Log-odds of completion and of interception-given-not-completed for one passer.

    `feat` holds what the tracking shows at the release (target separation, defenders within 2 yd,
    QB pressure, air yards of the projected catch point, sideline room); `skill` the latent skills of
    the passer (accuracy, decision, arm), target (hands) and nearest defender (coverage).
    """
    air = feat["air_yards"]
    sep = feat["sep_yd"]
    pressure = np.exp(-feat["pressure_yd"] / 1.5)  # ~1 when a rusher is on the QB, ~0 beyond 4 yd
    deep = np.clip(air - 10.0, 0.0, 30.0) / 20.0
    eta_c = (
        np.interp(air, _AIR_KNOTS_YD, _COMP_LOGIT)
        + 0.85 * np.tanh((sep - 2.0) / 2.0)
        - 0.22 * feat["n_def_2yd"]
        - 0.9 * pressure
        - 0.35 * np.exp(-feat["sideline_yd"] / 1.5)
        + 0.13 * skill["accuracy"]
        + 0.09 * skill["arm"] * deep
        + 0.12 * skill["hands"]
        - 0.12 * skill["coverage"]
    )
    eta_i = (
        np.interp(air, _AIR_KNOTS_YD, _INT_LOGIT)
        - 0.55 * np.tanh((sep - 1.5) / 1.5)
        + 0.15 * feat["n_def_2yd"]
        + 0.6 * pressure
        - 0.28 * skill["decision"]
        - 0.08 * skill["accuracy"]
        + 0.15 * skill["coverage"]
    )
    return eta_c, eta_i


def outcome_probabilities(
    feat: dict[str, np.ndarray], skill: dict[str, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """(p_complete, p_interception); the interception share is of the passes not completed."""
    eta_c, eta_i = outcome_logits(feat, skill)
    p_complete = _sigmoid(eta_c)
    return p_complete, (1.0 - p_complete) * _sigmoid(eta_i)


def yardage_parameters(feat: dict[str, np.ndarray], skill: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Run-after-catch and interception-return parameters from the room to run and the receiver's skill."""
    air = feat["air_yards"]
    room = np.clip(feat["room_yd"], 0.0, 15.0)
    behind_los = (air < 0.0).astype(float)
    yac_p0 = _sigmoid(-0.9 - 0.30 * (room - 4.0) - 0.8 * behind_los - 0.15 * skill["yac"])
    yac_scale = np.clip(2.0 + 0.32 * room + 0.35 * skill["yac"] + 3.0 * behind_los, 0.6, 12.0)
    yac_break_w = _sigmoid(-3.3 + 0.22 * (room - 4.0) + 0.35 * skill["yac"] + 0.025 * np.clip(air, 0, 40))
    catch_x = feat["catch_x"]
    return {
        "air_yards": air,
        "yards_to_endzone": feat["yards_to_endzone"].astype(np.int64),
        "yac_p0": yac_p0,
        "yac_shape": np.full_like(air, 1.25),
        "yac_scale": yac_scale,
        "yac_break_w": yac_break_w,
        "yac_break_scale": np.full_like(air, 16.0),
        "return_p0": np.full_like(air, 0.35),
        "return_scale": np.full_like(air, 13.0),
        "return_max": np.maximum(np.floor(catch_x - 10.0 + 0.5), 0.0).astype(np.int64),
    }


def _yac_cdf(x: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """P(YAC <= x) of the continuous part (zero for x <= 0)."""
    xp = np.maximum(x, 0.0)
    body = special.gammainc(p["yac_shape"], xp / p["yac_scale"])
    tail = -np.expm1(-xp / p["yac_break_scale"])
    return (1.0 - p["yac_break_w"]) * body + p["yac_break_w"] * tail


def _completion_cdf_int(k: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """P(completion yards <= k) at integers k."""
    edge = k + 0.5 - p["air_yards"]
    below = p["yac_p0"] * (edge > 0) + (1.0 - p["yac_p0"]) * _yac_cdf(edge, p)
    return np.where(k >= p["yards_to_endzone"], 1.0, below)


def _return_cdf_int(j: np.ndarray, p: dict[str, np.ndarray]) -> np.ndarray:
    """P(integer return yards <= j)."""
    cont = -np.expm1(-np.maximum(j + 0.5, 0.0) / p["return_scale"])
    inside = np.where(j < 0, 0.0, p["return_p0"] + (1.0 - p["return_p0"]) * cont)
    return np.where(j >= p["return_max"], 1.0, inside)


def _columns(truth: pl.DataFrame, which: str) -> dict[str, np.ndarray]:
    if which not in WHICH_SUFFIX:
        raise ValueError(f"which must be 'qb' or 'league_average', got {which!r}")
    suffix = WHICH_SUFFIX[which]
    cols = {name: truth[name].cast(pl.Float64).to_numpy()[:, None] for name in YARDAGE_COLUMNS}
    cols["p_complete"] = truth[f"p_complete{suffix}"].cast(pl.Float64).to_numpy()[:, None]
    cols["p_interception"] = truth[f"p_interception{suffix}"].cast(pl.Float64).to_numpy()[:, None]
    return cols


def _as_grid(yards: np.ndarray | float, n: int) -> np.ndarray:
    arr = np.asarray(yards, dtype=float)
    if arr.ndim <= 1:
        return np.broadcast_to(arr.reshape(1, -1), (n, arr.size))
    return np.broadcast_to(arr, (n, arr.shape[1]))


def _cdf_at_integers(k: np.ndarray, p: dict[str, np.ndarray], interceptions: bool = True) -> np.ndarray:
    p_inc = 1.0 - p["p_complete"] - p["p_interception"]
    completed = p_inc * (k >= 0) + p["p_complete"] * _completion_cdf_int(k, p)
    if not interceptions:
        return completed
    interception = 1.0 - _return_cdf_int(-k - 1.0, p)  # P(-R <= k) = P(R >= -k)
    return p["p_interception"] * interception + completed


def truth_cdf(truth: pl.DataFrame, yards: np.ndarray | float, which: str = "qb") -> np.ndarray:
    """True CDF P(Y <= yards) per play, a right-continuous step function of real-valued yards.

    `truth` is `truth.parquet` (or any subset of its rows); `which` is "qb" (the passer's own skills)
    or "league_average". A 1-D `yards` is a grid shared by all plays (result: plays x grid); a 2-D one
    is broadcast per play (pass ``actual[:, None]`` for one value per play). Rows of sacks and
    scrambles (null parameters) give NaN.
    """
    p = _columns(truth, which)
    grid = _as_grid(yards, truth.height)
    return _cdf_at_integers(np.floor(grid), p)


def truth_integer_pmf(
    truth: pl.DataFrame, yards: np.ndarray | float, which: str = "qb", interceptions: bool = True
) -> np.ndarray:
    """True probability of each integer yardage per play (same broadcasting as `truth_cdf`).

    Over ``SUPPORT_YD`` (-110..110) every attempt's row sums to 1; non-integer yards have probability 0.
    ``interceptions=False`` gives the completions' and incompletions' part only (rows sum to
    1 - p_interception), for scores that rank an interception below every other outcome.
    """
    p = _columns(truth, which)
    grid = _as_grid(yards, truth.height)
    k = np.round(grid)
    pmf = _cdf_at_integers(k, p, interceptions) - _cdf_at_integers(k - 1.0, p, interceptions)
    return np.where(np.isclose(grid, k), pmf, 0.0)


def truth_mean(truth: pl.DataFrame, which: str = "qb") -> np.ndarray:
    """Expected yards per play under the truth (exact sum over the integer support)."""
    pmf = truth_integer_pmf(truth, SUPPORT_YD, which)
    return pmf @ SUPPORT_YD.astype(float)


def conditional_means(params: dict[str, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Exact E[yards | completion] and E[integer return | interception] per play (1-D parameter arrays)."""
    p = {name: np.asarray(value, dtype=float)[:, None] for name, value in params.items()}
    k = np.arange(-60, 111, dtype=float)[None, :]
    comp_cdf = _completion_cdf_int(k, p)
    pmf = np.diff(comp_cdf, axis=1, prepend=0.0)  # completion yards never fall below -60
    mean_comp = pmf @ k[0]
    j = np.arange(0, 111, dtype=float)[None, :]
    ret_pmf = np.diff(_return_cdf_int(j, p), axis=1, prepend=0.0)
    return mean_comp, ret_pmf @ j[0]


def touchdown_given_completion(params: dict[str, np.ndarray]) -> np.ndarray:
    """P(a completion reaches the end zone) per play: the completion yards' mass at the goal line."""
    p = {name: np.asarray(value, dtype=float) for name, value in params.items()}
    return 1.0 - _completion_cdf_int(p["yards_to_endzone"] - 1.0, p)


def expected_yards(
    p_complete: np.ndarray, p_interception: np.ndarray, params: dict[str, np.ndarray]
) -> np.ndarray:
    """Exact expected yards from raw parameter arrays (1-D, one entry per play)."""
    mean_comp, mean_return = conditional_means(params)
    return p_complete * mean_comp - p_interception * mean_return


def sample_outcomes(
    rng: np.random.Generator,
    p_complete: np.ndarray,
    p_interception: np.ndarray,
    params: dict[str, np.ndarray],
) -> dict[str, np.ndarray]:
    """Draw result ('C'/'I'/'IN'), integer yards and the continuous YAC / return behind them."""
    n = p_complete.size
    u = rng.random(n)
    result = np.where(u < p_complete, "C", np.where(u < p_complete + p_interception, "IN", "I"))
    # Run after the catch: zero, body or breakaway.
    zero = rng.random(n) < params["yac_p0"]
    breakaway = rng.random(n) < params["yac_break_w"]
    body = rng.gamma(params["yac_shape"], params["yac_scale"])
    tail = rng.exponential(params["yac_break_scale"])
    yac = np.where(zero, 0.0, np.where(breakaway, tail, body))
    gain = np.minimum(np.floor(params["air_yards"] + yac + 0.5), params["yards_to_endzone"])
    ret_zero = rng.random(n) < params["return_p0"]
    ret = np.where(ret_zero, 0.0, rng.exponential(params["return_scale"]))
    ret_int = np.minimum(np.floor(ret + 0.5), params["return_max"])
    yards = np.select([result == "C", result == "IN"], [gain, -ret_int], 0.0).astype(np.int64)
    return {"result": result, "yards": yards, "yac_yd": yac, "return_yd": ret}
