"""The five receivers' side of a dropback: what a throw to each would give, and whom the QB picks.

At the release every eligible receiver is an option with its own true outcome distribution (completion
and interception probabilities from the passer's, the receiver's and the nearest defender's skills,
yards after the catch from the receiver's room to run). The QB throws to the option of highest
perceived value

    value = p_complete * (UTILITY_BASE + UTILITY_PER_YD * expected gain) - UTILITY_INT * p_interception

blurred by Gaussian noise of standard deviation ``UTILITY_NOISE * exp(-0.38 * decision)``: a better
decision-maker reads the field with less noise. ``choice_probabilities`` integrates that noise out, so
the probability that a league-average QB (all skills 0) picks each receiver is known exactly: with
each option's league-average outcome distribution it gives the field-conditioned truth, the
distribution of a league-average QB's outcome from the same field, decision and execution included.
"""

from __future__ import annotations

import numpy as np
from scipy import special

from qb_assets.synthetic.truth import outcome_probabilities, yardage_parameters

UTILITY_BASE = 5.0
UTILITY_PER_YD = 0.52
UTILITY_INT = 25.0
UTILITY_NOISE = 1.6
DECISION_NOISE_SLOPE = 0.38
QB_SKILLS = ("accuracy", "decision", "arm")
# Gauss-Hermite nodes for the choice integral: exact to about 1e-9 for value gaps up to 8 noise SDs.
_NODES, _WEIGHTS = np.polynomial.hermite_e.hermegauss(64)
_WEIGHTS = _WEIGHTS / np.sqrt(2.0 * np.pi)


def receiver_options(
    feat: dict[str, np.ndarray],
    qb: dict[str, np.ndarray],
    rec: dict[str, np.ndarray],
    cov: np.ndarray,
    yards_to_endzone: np.ndarray,
) -> dict[str, np.ndarray]:
    """Per play and receiver, (P, 5) arrays: ``p_complete``, ``p_interception``, the yardage
    parameters of ``truth.yardage_parameters`` and the passer's ``value`` of the throw.

    ``feat``: release features (P, 5) (``pressure_yd`` (P,)); ``qb``: the passer's skills (P,) (zeros
    for a league-average QB); ``rec``: receivers' ``hands`` and ``yac`` (P, 5); ``cov`` (P, 5) the
    coverage skill of each receiver's nearest defender."""
    wide = {name: np.broadcast_to(v[:, None], cov.shape) for name, v in qb.items()}
    full = {**feat, "pressure_yd": np.broadcast_to(feat["pressure_yd"][:, None], cov.shape)}
    full["yards_to_endzone"] = np.broadcast_to(yards_to_endzone[:, None], cov.shape)
    skill = {**wide, "hands": rec["hands"], "yac": rec["yac"], "coverage": cov}
    p_c, p_i = outcome_probabilities(full, skill)
    params = yardage_parameters(full, skill)
    mean_yac = (1.0 - params["yac_p0"]) * (
        (1.0 - params["yac_break_w"]) * params["yac_shape"] * params["yac_scale"]
        + params["yac_break_w"] * params["yac_break_scale"]
    )
    gain = np.minimum(feat["air_yards"] + mean_yac, yards_to_endzone[:, None])
    value = p_c * (UTILITY_BASE + UTILITY_PER_YD * gain) - UTILITY_INT * p_i
    return {"p_complete": p_c, "p_interception": p_i, **params, "value": value}


def decision_noise(decision: np.ndarray) -> np.ndarray:
    """The standard deviation of the passer's misreading of each option's value, (P, 1)."""
    return UTILITY_NOISE * np.exp(-DECISION_NOISE_SLOPE * np.asarray(decision, dtype=float))[:, None]


def choose_target(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng_noise: np.ndarray,
    feat: dict[str, np.ndarray],
    qb: dict[str, np.ndarray],
    rec: dict[str, np.ndarray],
    cov: np.ndarray,
    yards_to_endzone: np.ndarray,
    eligible: np.ndarray,
) -> np.ndarray:
    """The QB's read: the receiver with the best perceived value, blurred by his decision skill.

    `rng_noise` (P,5) standard normals (shared across QBs in the neutral set); `qb` skills (P,);
    `rec` receiver skills (P,5); `cov` (P,5) coverage skill of each receiver's nearest defender;
    `eligible` (P,5) False for a back or tight end who stayed in to block.
    """
    value = receiver_options(feat, qb, rec, cov, yards_to_endzone)["value"]
    sigma = decision_noise(qb["decision"])
    return np.argmax(np.where(eligible, value + sigma * rng_noise, -np.inf), axis=1)


def choice_probabilities(value: np.ndarray, eligible: np.ndarray, sigma: np.ndarray) -> np.ndarray:
    """P(the passer picks receiver k), (P, 5): the argmax of ``value + sigma * noise`` over the eligible
    receivers with independent standard normal noise, integrated exactly (Gauss-Hermite in the picked
    receiver's noise): P(k) = E_z[prod_{j != k} Phi((v_k - v_j) / sigma + z)]. Rows sum to 1."""
    gap = (value[:, :, None] - value[:, None, :]) / sigma[:, :, None]  # (P, k, j)
    others = eligible[:, None, :] & ~np.eye(value.shape[1], dtype=bool)[None]
    log_cdf = special.log_ndtr(gap[..., None] + _NODES)  # (P, k, j, nodes)
    log_win = np.where(others[..., None], log_cdf, 0.0).sum(axis=2)  # (P, k, nodes)
    prob = np.exp(log_win) @ _WEIGHTS
    prob = np.where(eligible, prob, 0.0)
    return prob / prob.sum(axis=1, keepdims=True)


def receiver_truth(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    feat: dict[str, np.ndarray],
    qb: dict[str, np.ndarray],
    rec: dict[str, np.ndarray],
    cov: np.ndarray,
    yards_to_endzone: np.ndarray,
    eligible: np.ndarray,
) -> dict[str, dict[str, np.ndarray]]:
    """Each option's truth for the passer (``"qb"``) and for a league-average passer (``"avg"``): the
    arrays of ``receiver_options`` plus ``choice_probability`` (P, 5)."""
    truth = {}
    for which, skills in (("qb", qb), ("avg", {name: np.zeros_like(qb[name]) for name in QB_SKILLS})):
        options = receiver_options(feat, skills, rec, cov, yards_to_endzone)
        sigma = decision_noise(skills["decision"])
        options["choice_probability"] = choice_probabilities(options["value"], eligible, sigma)
        truth[which] = options
    return truth
