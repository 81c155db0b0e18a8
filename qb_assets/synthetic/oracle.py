"""The oracle: what a perfect model would say, from a generated season's ground truth.

Only a generated season knows each play's true yards distribution (``truth.parquet``), every receiver
option's distribution and the probability that a league-average QB picks it (``truth_receivers.parquet``)
and each player's latent skills (``skills.parquet``). From them:

* ``truth_oracle``: the true integer-yard probabilities of any set of plays, the oracle row of the
  model evaluation (``model.evaluation.evaluate_model`` takes it as its ``oracle``);
* ``play_oracle``: per pass attempt, the three per-play numbers of the score under the TRUE
  distributions, for the actual yards and in expectation (noise-free): the execution percentile (the
  chosen target given, as the target-conditioned model), the passing percentile (only the field
  given: a league-average QB's choice of target and his execution inside the distribution) and the
  decision value (how much the chosen target raised the expected passing percentile);
* ``oracle_ceilings``: how well those oracle scores rank the starting QBs.

An interception scores 0 (below every other outcome, whatever its return); every other outcome scores
the mid-point percentile (F(y - 0.5) + F(y + 0.5)) / 2 of its yards. The libraries never import this
package; ``defs``, ``cli`` and the benchmarks wire it in where a truth file exists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from qb_assets.synthetic.truth import SUPPORT_YD, truth_integer_pmf

TRUTH_FILE = "truth.parquet"
RECEIVERS_FILE = "truth_receivers.parquet"
SKILLS_FILE = "skills.parquet"
N_RECEIVERS = 5
PLAY_KEY = ["game_id", "play_id"]


def truth_oracle(
    truth_path: str | Path, which: str = "qb"
) -> Callable[[pl.DataFrame, np.ndarray], np.ndarray]:
    """A function (plays, integer grid (G,)) -> the true probabilities (N, G) of ``plays`` (rows in
    order, keyed by game_id and play_id) from the truth file at ``truth_path``."""
    truth = pl.read_parquet(truth_path)

    def pmf(plays: pl.DataFrame, grid: np.ndarray) -> np.ndarray:
        ordered = plays.select(PLAY_KEY).join(truth, on=PLAY_KEY, how="left", maintain_order="left")
        if ordered.height != plays.height or ordered["passer_nfl_id"].null_count():
            raise ValueError(f"{truth_path}: truth is missing for some evaluated plays")
        return truth_integer_pmf(ordered, grid, which=which)

    return pmf


def passing_truth_oracle(
    receivers_path: str | Path, which: str = "qb"
) -> Callable[[pl.DataFrame, np.ndarray], np.ndarray]:
    """Like ``truth_oracle``, for the passing model: the field-conditioned truth of each play (the
    mixture over the receiver options, weighted by the ``which`` passer's choice probabilities)."""
    receivers = pl.read_parquet(receivers_path)

    def pmf(plays: pl.DataFrame, grid: np.ndarray) -> np.ndarray:
        options = plays.select(PLAY_KEY).with_row_index("row").join(receivers, on=PLAY_KEY, how="left")
        options = options.sort("row", "receiver_slot")
        if options.height != N_RECEIVERS * plays.height or options["receiver_slot"].null_count():
            raise ValueError(f"{receivers_path}: receiver truth is missing for some evaluated plays")
        index = np.asarray(grid, dtype=np.int64) - SUPPORT_YD[0]
        if index.min() < 0 or index.max() >= SUPPORT_YD.size:
            raise ValueError(f"the grid {grid.min()}..{grid.max()} leaves the truth's support")
        return passing_pmf(options, which)[:, index]

    return pmf


def truth_oracles(folder: str | Path) -> dict[str, Callable[[pl.DataFrame, np.ndarray], np.ndarray]]:
    """The oracle of each model of a generated season in ``folder`` (the passer's own truths: what each
    outcome was drawn from), keyed as ``model.evaluation.evaluate_model`` expects."""
    folder = Path(folder)
    oracles = {"execution": truth_oracle(folder / TRUTH_FILE)}
    if (folder / RECEIVERS_FILE).exists():  # seasons generated before the receiver truth have none
        oracles["passing"] = passing_truth_oracle(folder / RECEIVERS_FILE)
    return oracles


def mid_percentiles(pmf: np.ndarray) -> np.ndarray:
    """(N, G) the mid-point percentile of each grid yardage under the (N, G) integer pmf ``pmf`` on the
    consecutive integer grid SUPPORT_YD: (F(y - 0.5) + F(y + 0.5)) / 2."""
    upper = np.cumsum(pmf, axis=1)
    return upper - pmf / 2


def option_pmfs(receivers: pl.DataFrame, which: str, interceptions: bool = True) -> np.ndarray:
    """(N, 5, G) each receiver option's true integer pmf on SUPPORT_YD, ``which`` passer ("qb" or
    "league_average"); ``receivers`` sorted by play then slot, five rows a play."""
    pmf = truth_integer_pmf(receivers, SUPPORT_YD.astype(float), which, interceptions)
    return pmf.reshape(-1, N_RECEIVERS, SUPPORT_YD.size)


def _choice(receivers: pl.DataFrame, which: str) -> np.ndarray:
    column = "choice_probability_qb" if which == "qb" else "choice_probability_avg"
    return receivers[column].to_numpy().reshape(-1, N_RECEIVERS)


def passing_pmf(receivers: pl.DataFrame, which: str, interceptions: bool = True) -> np.ndarray:
    """(N, G) the field-conditioned truth: the mixture over receiver options weighted by the ``which``
    passer's probability of throwing to each."""
    return np.einsum("nk,nkg->ng", _choice(receivers, which), option_pmfs(receivers, which, interceptions))


def _scores(pmf_all: np.ndarray, pmf_clean_qb: np.ndarray, yards: np.ndarray, intercepted: np.ndarray):
    """(actual, expected): the percentile of the actual yards (0 for an interception) and its
    expectation under the passer's own clean (interception-free) pmf, both under ``pmf_all``."""
    grid_percentile = mid_percentiles(pmf_all)
    index = np.clip(yards.astype(np.int64) - SUPPORT_YD[0], 0, SUPPORT_YD.size - 1)
    actual = np.where(intercepted, 0.0, grid_percentile[np.arange(len(yards)), index])
    return actual, (pmf_clean_qb * grid_percentile).sum(axis=1)


def play_oracle(truth: pl.DataFrame, receivers: pl.DataFrame) -> pl.DataFrame:
    """Per pass attempt (keys, passer, week, yards, result) the oracle's ``execution_percentile``,
    ``passing_percentile`` and ``decision_value`` for the actual outcome, and the noise-free
    ``expected_execution_percentile`` and ``expected_passing_percentile`` of this passer's play (his
    own skills' distributions, averaged over outcomes; for the passing one, over his target choices
    too). Decision value = E[passing percentile] under a league-average throw to the chosen target
    minus its value under a league-average QB's own choice: 0 on average for a league-average QB."""
    attempts = truth.filter(pl.col("is_attempt")).sort(PLAY_KEY)
    options = receivers.sort([*PLAY_KEY, "receiver_slot"])
    if options.height != N_RECEIVERS * attempts.height:
        raise ValueError("truth_receivers does not hold five receiver rows for every pass attempt")
    yards = attempts["yards"].to_numpy()
    intercepted = (attempts["pass_result"] == "IN").to_numpy()
    target = options["is_target"].to_numpy().reshape(-1, N_RECEIVERS).argmax(axis=1)
    rows = np.arange(attempts.height)
    grid = SUPPORT_YD.astype(float)
    execution, expected_execution = _scores(
        truth_integer_pmf(attempts, grid, "league_average"),
        truth_integer_pmf(attempts, grid, "qb", interceptions=False),
        yards,
        intercepted,
    )
    pass_avg = passing_pmf(options, "league_average")
    passing, expected_passing = _scores(
        pass_avg, passing_pmf(options, "qb", interceptions=False), yards, intercepted
    )
    percentile_grid = mid_percentiles(pass_avg)
    clean_avg = option_pmfs(options, "league_average", interceptions=False)
    chosen = (clean_avg[rows, target] * percentile_grid).sum(axis=1)
    baseline = np.einsum("nk,nkg,ng->n", _choice(options, "league_average"), clean_avg, percentile_grid)
    return attempts.select(*PLAY_KEY, "passer_nfl_id", "week", "yards", "pass_result").with_columns(
        pl.Series("execution_percentile", execution),
        pl.Series("expected_execution_percentile", expected_execution),
        pl.Series("passing_percentile", passing),
        pl.Series("expected_passing_percentile", expected_passing),
        pl.Series("decision_value", chosen - baseline),
    )


def read_play_oracle(folder: str | Path) -> pl.DataFrame:
    """``play_oracle`` of the generated season in ``folder``."""
    folder = Path(folder)
    return play_oracle(pl.read_parquet(folder / TRUTH_FILE), pl.read_parquet(folder / RECEIVERS_FILE))


def starters(skills_path: str | Path) -> pl.DataFrame:
    """The starting QBs' latent skills and truths (nfl_id, accuracy, decision, arm, true_ypa,
    true_anya)."""
    return (
        pl.read_parquet(skills_path)
        .filter((pl.col("role") == "QB") & (pl.col("depth_rank") == 0))
        .select("nfl_id", "accuracy", "decision", "arm", "true_ypa", "true_anya")
    )


def oracle_ceilings(folder: str | Path) -> dict:
    """How well the oracle scores rank the starting QBs of the generated season in ``folder``.

    Per score (``execution``, ``passing``): ``{score}_realised``, the Spearman with ``true_ypa`` of
    each starter's mean oracle percentile of his actual outcomes (no model ranks better with the same
    outcomes: the ceiling), and ``{score}_noise_free``, the same with the outcome noise averaged away;
    ``{score}_skill_sd`` and ``{score}_noise_sd`` across starters (their ratio sets the reliability);
    ``decision_value_vs_decision`` the Spearman of the mean decision value with the decision skill.
    """
    folder = Path(folder)
    per_qb = (
        read_play_oracle(folder)
        .group_by("passer_nfl_id")
        .agg(pl.exclude(*PLAY_KEY, "week", "yards", "pass_result").mean(), pl.len().alias("attempts"))
        .join(starters(folder / SKILLS_FILE), left_on="passer_nfl_id", right_on="nfl_id")
    )
    report = {"starters": per_qb.height, "mean_attempts": float(per_qb["attempts"].mean())}
    for score in ("execution", "passing"):
        actual, expected = per_qb[f"{score}_percentile"], per_qb[f"expected_{score}_percentile"]
        report[f"{score}_realised"] = float(stats.spearmanr(actual, per_qb["true_ypa"])[0])
        report[f"{score}_noise_free"] = float(stats.spearmanr(expected, per_qb["true_ypa"])[0])
        report[f"{score}_skill_sd"] = float(expected.std())
        report[f"{score}_noise_sd"] = float((actual - expected).std())
    report["decision_value_vs_decision"] = float(
        stats.spearmanr(per_qb["decision_value"], per_qb["decision"])[0]
    )
    return report
