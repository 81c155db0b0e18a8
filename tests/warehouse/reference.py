"""An independent NumPy computation of the warehouse's empirical-Bayes priors and shrunk scores, from the
play scores alone, for the tests to hold the SQL (``league_score_priors``, the ``qb_scores`` macro) to.

Restated on purpose from the definitions in README.md ("How the score is built"), not from the SQL:
the split conditions, the qualification thresholds, the method of moments and the normal posterior.
"""

from __future__ import annotations

import math

import numpy as np
import polars as pl

K_MIN, K_MAX = 10.0, 1000.0
Z90 = 1.6448536269514722
# The models' own error about a passer (sql/schema.sql, *_model_error_variance), as documented.
MODEL_ERROR_SD = {"passing": 0.0076, "execution": 0.0082}
COMPONENTS = ("decision_value", "execution_residual", "execution_percentile")
LEVEL_KEYS = {
    "game": ["passer_nfl_id", "season", "week", "game_id"],
    "week": ["passer_nfl_id", "season", "week"],
    "season": ["passer_nfl_id", "season"],
    "split": ["passer_nfl_id", "season", "split"],
}
MIN_ATTEMPTS = {"game": 10, "week": 10, "split": 20}
SPLITS = {
    "under_pressure": pl.col("under_pressure"),
    "clean_pocket": ~pl.col("under_pressure"),
    "ttt_under_2_5s": pl.col("time_to_throw_bucket") == "under_2_5s",
    "ttt_2_5_to_4s": pl.col("time_to_throw_bucket") == "2_5_to_4s",
    "ttt_over_4s": pl.col("time_to_throw_bucket") == "over_4s",
    "deep": pl.col("is_deep"),
    "short": ~pl.col("is_deep"),
    "third_down": pl.col("down") == 3,
    "red_zone": pl.col("yards_to_endzone") <= 20,
}


def with_residual(scores: pl.DataFrame) -> pl.DataFrame:
    return scores.with_columns(
        execution_residual=pl.col("passing_percentile") - 0.5 - pl.col("decision_value"), split=pl.lit("all")
    )


def by_split(scores: pl.DataFrame) -> pl.DataFrame:
    """One row per (play, split it is in)."""
    return pl.concat(
        [
            with_residual(scores).filter(member.fill_null(False)).with_columns(split=pl.lit(name))
            for name, member in SPLITS.items()
        ]
    )


def season_threshold(scores: pl.DataFrame, season: int) -> int:
    """14 attempts per team game, team games = the most games any team has a scored pass in."""
    games = (
        scores.filter(pl.col("season") == season)
        .group_by("possession_team")
        .agg(pl.col("game_id").n_unique())
    )
    return 14 * int(games["game_id"].max())


def moments(n: np.ndarray, total: np.ndarray, total_sq: np.ndarray, qualified: np.ndarray) -> dict:
    """The method of moments over units with n attempts, value sums and sums of squares."""
    within = float((total_sq - total**2 / n).sum() / (n - 1).sum())
    means = total[qualified] / n[qualified]
    passers = int(qualified.sum())
    # James-Stein's (p - 1) / (p - 3): the shrinkage factor it implies is unbiased (p > 3).
    factor = (passers - 1) / (passers - 3) if passers > 3 else 1.0
    estimate = (
        float(means.var(ddof=1) * factor - within * np.mean(1 / n[qualified])) if passers >= 2 else None
    )
    tau2 = max(estimate if estimate is not None else -math.inf, within / K_MAX)
    k = min(K_MAX, max(K_MIN, within / tau2))
    return {
        "league_mean": float(total.sum() / n.sum()),
        "within_variance": within,
        "between_variance_estimate": estimate,
        "prior_attempts": k,
        "between_variance": within / k,
        "passers": int(qualified.sum()),
    }


def reference_priors(scores: pl.DataFrame) -> dict[tuple, dict]:
    """{(season, level, split, component): the prior's numbers}, as score_priors holds them."""
    priors = {}
    for level, keys in LEVEL_KEYS.items():
        plays = by_split(scores) if level == "split" else with_residual(scores)
        for (season, split), group in plays.group_by("season", "split"):
            units = group.group_by(keys).agg(
                pl.len().alias("n"),
                *[pl.col(c).sum().alias(f"sum_{c}") for c in COMPONENTS],
                *[(pl.col(c) ** 2).sum().alias(f"sq_{c}") for c in COMPONENTS],
            )
            n = units["n"].to_numpy().astype(float)
            threshold = MIN_ATTEMPTS.get(level) or season_threshold(scores, season)
            for c in COMPONENTS:
                priors[(season, level, split, c)] = moments(
                    n, units[f"sum_{c}"].to_numpy(), units[f"sq_{c}"].to_numpy(), n >= threshold
                )
    return priors


def phi(z: float) -> float:
    return 0.5 * (1 + math.erf(z / math.sqrt(2)))


def shrunk_scores(plays: pl.DataFrame, priors: dict[str, dict]) -> dict:
    """One passer's scores over ``plays`` under ``priors`` ({component: prior}): the passing score, its
    variance and 90% interval, the 50-99 score, the decision and execution scores."""
    n = plays.height
    plays = with_residual(plays)
    shrunk, variance = {}, {}
    for c in COMPONENTS:
        p = priors[c]
        shrunk[c] = (plays[c].sum() + p["prior_attempts"] * p["league_mean"]) / (n + p["prior_attempts"])
        variance[c] = p["within_variance"] / (n + p["prior_attempts"])
        if p["passers"] > 3:  # Morris (1983): the prior is estimated from p passers
            shrink = p["prior_attempts"] / (n + p["prior_attempts"])
            deviation = plays[c].sum() / n - p["league_mean"]
            variance[c] += p["within_variance"] / n * shrink / p["passers"]
            variance[c] += 2.0 / (p["passers"] - 3) * shrink**2 * deviation**2
    passing = 0.5 + shrunk["decision_value"] + shrunk["execution_residual"]
    passing_var = variance["decision_value"] + variance["execution_residual"] + MODEL_ERROR_SD["passing"] ** 2
    variance["execution_percentile"] += MODEL_ERROR_SD["execution"] ** 2
    league = 0.5 + priors["decision_value"]["league_mean"] + priors["execution_residual"]["league_mean"]
    tau = math.sqrt(
        priors["decision_value"]["between_variance"] + priors["execution_residual"]["between_variance"]
    )
    half, execution_half = Z90 * math.sqrt(passing_var), Z90 * math.sqrt(variance["execution_percentile"])
    return {
        "passing_score": passing,
        "passing_score_variance": passing_var,
        "passing_score_low_90": max(0.0, passing - half),
        "passing_score_high_90": min(1.0, passing + half),
        "score_50_99": 50 + 49 * phi((passing - league) / tau),
        "decision_score": shrunk["decision_value"],
        "shrunk_execution_residual": shrunk["execution_residual"],
        "execution_score": shrunk["execution_percentile"],
        "execution_score_low_90": max(0.0, shrunk["execution_percentile"] - execution_half),
        "execution_score_high_90": min(1.0, shrunk["execution_percentile"] + execution_half),
        "league_passing_score": league,
        "passing_score_tau": tau,
    }


def level_priors(priors: dict[tuple, dict], season: int, level: str, split: str = "all") -> dict[str, dict]:
    return {c: priors[(season, level, split, c)] for c in COMPONENTS}
