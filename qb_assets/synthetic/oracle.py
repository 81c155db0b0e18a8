"""The oracle: what a perfect model would say, from a generated season's ground truth.

Only a generated season knows each play's true yards distribution (``truth.parquet``) and each
player's latent skills (``skills.parquet``). From them:

* ``truth_oracle``: the true integer-yard probabilities of any set of plays, the oracle row of the
  model evaluation (``model.evaluation.evaluate_model`` takes it as its ``oracle``);
* ``oracle_percentiles`` / ``expected_percentiles``: the play score under the TRUE league-average
  distribution, for the actual yards and in expectation;
* ``oracle_ceilings``: how well the best possible percentile score can rank the starting QBs.

The libraries never import this package; ``defs`` and ``cli`` wire it in where a truth file exists.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from qb_assets.synthetic.truth import SUPPORT_YD, truth_cdf, truth_integer_pmf

TRUTH_FILE = "truth.parquet"
SKILLS_FILE = "skills.parquet"


def truth_oracle(
    truth_path: str | Path, which: str = "qb"
) -> Callable[[pl.DataFrame, np.ndarray], np.ndarray]:
    """A function (plays, integer grid (G,)) -> the true probabilities (N, G) of ``plays`` (rows in
    order, keyed by game_id and play_id) from the truth file at ``truth_path``."""
    truth = pl.read_parquet(truth_path)

    def pmf(plays: pl.DataFrame, grid: np.ndarray) -> np.ndarray:
        ordered = plays.select("game_id", "play_id").join(
            truth, on=["game_id", "play_id"], how="left", maintain_order="left"
        )
        if ordered.height != plays.height or ordered[truth.columns[2]].null_count():
            raise ValueError(f"{truth_path}: truth is missing for some evaluated plays")
        return truth_integer_pmf(ordered, grid, which=which)

    return pmf


def oracle_percentiles(truth: pl.DataFrame, yards: np.ndarray) -> np.ndarray:
    """The play score under the TRUE league-average distribution: the mid-point of F(y - 0.5) and
    F(y + 0.5) at integer ``yards`` of shape (N, K) or (1, K); returns (N, K)."""
    return (
        truth_cdf(truth, yards - 0.5, "league_average") + truth_cdf(truth, yards + 0.5, "league_average")
    ) / 2


def expected_percentiles(truth: pl.DataFrame, which: str = "qb") -> np.ndarray:
    """Each attempt's expected percentile under the TRUE league-average distribution when the yards are
    drawn from the ``which`` truth ("qb": the passer's own skills). Exactly 0.5 for "league_average"
    (the mid-point percentile of a discrete outcome is centred), so the distance from 0.5 is the
    passer's true effect on the play score, free of outcome noise."""
    grid = SUPPORT_YD.astype(np.float64)[None, :]
    return (truth_integer_pmf(truth, grid, which) * oracle_percentiles(truth, grid)).sum(axis=1)


def oracle_ceilings(truth_path: str | Path, skills_path: str | Path) -> dict:
    """How well the best possible percentile score can rank the starting QBs by true skill.

    * ``realised``: Spearman of each starter's mean percentile of his actual outcomes under the TRUE
      league-average distribution. No model can rank better than this with the same outcomes: it is
      the ceiling the score is judged against.
    * ``noise_free``: Spearman of each starter's mean expected percentile (``expected_percentiles``):
      the same score with the outcome noise averaged away (infinitely many attempts in the same
      situations). What stays below 1 is skill the score credits to the situation by design (the
      decision: the target's separation is an input, so choosing the open man is expected).
    * ``skill_sd`` and ``noise_sd``: across starters, the standard deviation of the noise-free mean
      percentile and of the realised minus noise-free one (sampling noise). Their ratio sets the
      season score's reliability.
    """
    truth = pl.read_parquet(truth_path).filter(pl.col("is_attempt"))
    yards = truth["yards"].to_numpy().astype(np.float64)[:, None]
    per_qb = (
        truth.with_columns(
            pl.Series("percentile", oracle_percentiles(truth, yards)[:, 0]),
            pl.Series("expected", expected_percentiles(truth)),
        )
        .group_by("passer_nfl_id")
        .agg(pl.col("percentile").mean(), pl.col("expected").mean(), pl.len().alias("attempts"))
        .join(
            pl.read_parquet(skills_path)
            .filter((pl.col("role") == "QB") & (pl.col("depth_rank") == 0))
            .select("nfl_id", "true_ypa"),
            left_on="passer_nfl_id",
            right_on="nfl_id",
        )
    )
    return {
        "starters": per_qb.height,
        "mean_attempts": float(per_qb["attempts"].mean()),
        "realised": float(stats.spearmanr(per_qb["percentile"], per_qb["true_ypa"])[0]),
        "noise_free": float(stats.spearmanr(per_qb["expected"], per_qb["true_ypa"])[0]),
        "skill_sd": float(per_qb["expected"].std()),
        "noise_sd": float((per_qb["percentile"] - per_qb["expected"]).std()),
    }
