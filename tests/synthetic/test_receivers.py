"""The generator's receiver-level truth: every option's distribution, the choice probabilities of the
passer and of a league-average passer, the field-conditioned truth built from them, and the QBs'
``true_anya``."""

from __future__ import annotations

import numpy as np
import polars as pl
import pytest
from scipy import stats

from qb_assets.synthetic.oracle import (
    RECEIVERS_FILE,
    mid_percentiles,
    oracle_ceilings,
    passing_pmf,
    read_play_oracle,
    starters,
)
from qb_assets.synthetic.receivers import choice_probabilities
from qb_assets.synthetic.truth import SUPPORT_YD, YARDAGE_COLUMNS


@pytest.fixture(scope="module")
def receivers(season) -> pl.DataFrame:
    return pl.read_parquet(season[0] / RECEIVERS_FILE).sort("game_id", "play_id", "receiver_slot")


def test_five_options_per_attempt_and_the_target_matches_the_truth(receivers, truth) -> None:
    attempts = truth.filter(pl.col("is_attempt"))
    assert receivers.height == 5 * attempts.height
    for which in ("qb", "avg"):
        sums = receivers.group_by("game_id", "play_id").agg(pl.col(f"choice_probability_{which}").sum())
        np.testing.assert_allclose(sums[f"choice_probability_{which}"].to_numpy(), 1.0, atol=1e-9)
    assert receivers.filter(~pl.col("eligible"))["choice_probability_avg"].max() == 0.0
    # The target's row is the play's truth: same receiver, probabilities and yardage parameters.
    targets = receivers.filter(pl.col("is_target")).join(attempts, on=["game_id", "play_id"])
    assert targets.height == attempts.height
    assert (targets["receiver_nfl_id"] == targets["target_nfl_id"]).all()
    for column in ("p_complete_qb", "p_interception_qb", "p_complete_avg", "p_interception_avg"):
        np.testing.assert_allclose(targets[column], targets[f"{column}_right"], rtol=1e-12)
    for column in YARDAGE_COLUMNS:
        np.testing.assert_allclose(targets[column], targets[f"{column}_right"], rtol=1e-12)
    # A passer throws to an option about as often as his choice probability says.
    chosen = targets["choice_probability_qb"].to_numpy()
    assert chosen.mean() > receivers["choice_probability_qb"].mean()


def test_choice_probabilities_match_the_noisy_argmax() -> None:
    """The Gauss-Hermite integral against a brute-force simulation of the QB's noisy read."""
    rng = np.random.default_rng(7)
    value = rng.normal(3.0, 2.0, (40, 5))
    eligible = rng.random((40, 5)) > 0.2
    eligible[:, 0] = True
    sigma = np.full((40, 1), 1.6)
    exact = choice_probabilities(value, eligible, sigma)
    draws = 40_000
    noisy = value[None] + sigma[None] * rng.standard_normal((draws, 40, 5))
    picks = np.argmax(np.where(eligible[None], noisy, -np.inf), axis=2)
    simulated = np.stack([(picks == k).mean(axis=0) for k in range(5)], axis=1)
    np.testing.assert_allclose(exact, simulated, atol=4 * np.sqrt(0.25 / draws))


def test_the_field_conditioned_truth_is_a_distribution(receivers) -> None:
    pmf = passing_pmf(receivers, "league_average")
    np.testing.assert_allclose(pmf.sum(axis=1), 1.0, atol=1e-9)
    # Mid-point percentiles of a league-average passer's own outcomes average exactly 1/2.
    np.testing.assert_allclose((pmf * mid_percentiles(pmf)).sum(axis=1), 0.5, atol=1e-9)
    assert pmf.shape[1] == SUPPORT_YD.size


def test_oracle_scores_rank_the_skills_they_should(season) -> None:
    plays = read_play_oracle(season[0])
    intercepted = plays.filter(pl.col("pass_result") == "IN")
    assert intercepted.height > 0
    assert (intercepted["passing_percentile"] == 0).all() and (intercepted["execution_percentile"] == 0).all()
    ceilings = oracle_ceilings(season[0])
    # Decision value credits the choice of target: it ranks the latent decision skill.
    assert ceilings["decision_value_vs_decision"] > 0.5
    # The passing score keeps the decision inside the distribution: its noise-free spread is wider.
    assert ceilings["passing_skill_sd"] > ceilings["execution_skill_sd"]


def test_true_anya_is_written_for_every_quarterback(season) -> None:
    qbs = starters(season[0] / "skills.parquet")
    assert qbs.height == 32 and qbs["true_anya"].null_count() == 0
    # ANY/A weighs touchdowns and interceptions: close to, but not the same ranking as, yards.
    rho = stats.spearmanr(qbs["true_anya"], qbs["true_ypa"])[0]
    assert 0.6 < rho < 0.999
    assert (
        stats.spearmanr(qbs["true_anya"], qbs["decision"])[0]
        > stats.spearmanr(qbs["true_ypa"], qbs["decision"])[0]
    )
