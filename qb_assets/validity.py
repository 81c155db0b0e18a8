"""Does the score measure QB skill? Checks against a synthetic season's truth, from the warehouse.

* Ranking: Spearman correlation between the starting QBs' season scores (shrunk percentile) and their
  true skill (``true_ypa`` in the season's ``skills.parquet``: expected yards per attempt against
  league-average receivers and defenses).
* Reliability: split-half (odd weeks vs even weeks) correlation across QBs of the season score, next to
  the same for the NFL passer rating on the same plays. A measure of skill repeats across halves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from qb_assets.warehouse import connect

HALF_QUERY = """
SELECT passer_nfl_id, week % 2 AS half, count(*) AS attempts, avg(percentile) AS mean_percentile,
       nfl_passer_rating(count(*), sum(CASE WHEN pass_result = 'C' THEN 1 ELSE 0 END),
                         sum(CASE WHEN pass_result = 'C' THEN yards_gained ELSE 0 END),
                         sum(CASE WHEN is_touchdown THEN 1 ELSE 0 END),
                         sum(CASE WHEN pass_result = 'IN' THEN 1 ELSE 0 END)) AS passer_rating
FROM play_scores WHERE season = ? GROUP BY ALL
"""


def oracle_ceiling(truth_path: str | Path, skills_path: str | Path) -> float:
    """Spearman with true skill of the best possible percentile score: each attempt's percentile under
    the TRUE league-average distribution, averaged per starting QB. No model can rank better than this
    with the same outcomes, so it is the ceiling the score is judged against."""
    from qb_assets.tracking.synthetic_truth import truth_cdf  # noqa: PLC0415

    truth = pl.read_parquet(truth_path).filter(pl.col("is_attempt"))
    yards = truth["yards"].to_numpy().astype(np.float64)[:, None]
    lower = truth_cdf(truth, yards - 0.5, "league_average")[:, 0]
    upper = truth_cdf(truth, yards + 0.5, "league_average")[:, 0]
    per_qb = (
        truth.with_columns(pl.Series("percentile", (lower + upper) / 2))
        .group_by("passer_nfl_id")
        .agg(pl.col("percentile").mean())
        .join(
            pl.read_parquet(skills_path)
            .filter((pl.col("role") == "QB") & (pl.col("depth_rank") == 0))
            .select("nfl_id", "true_ypa"),
            left_on="passer_nfl_id",
            right_on="nfl_id",
        )
    )
    return float(stats.spearmanr(per_qb["percentile"], per_qb["true_ypa"])[0])


def validity_report(
    warehouse: str | Path, skills_path: str | Path, season: int, min_attempts: int = 100
) -> dict:
    """Spearman of season score vs true skill over starters, and split-half reliabilities."""
    skills = pl.read_parquet(skills_path).filter((pl.col("role") == "QB") & (pl.col("depth_rank") == 0))
    con = connect(warehouse, read_only=True)
    try:
        season_scores = con.execute(
            "SELECT passer_nfl_id, attempts, shrunk_percentile, nfl_passer_rating FROM qb_season_scores "
            "WHERE season = ? AND attempts >= ?",
            [season, min_attempts],
        ).fetchnumpy()
        halves = con.execute(HALF_QUERY, [season]).fetchnumpy()
    finally:
        con.close()
    season_scores, halves = pl.DataFrame(season_scores), pl.DataFrame(halves)
    ranked = season_scores.join(
        skills.select("nfl_id", "true_ypa"), left_on="passer_nfl_id", right_on="nfl_id"
    )
    odd = halves.filter(pl.col("half") == 1)
    even = halves.filter(pl.col("half") == 0)
    paired = odd.join(even, on="passer_nfl_id", suffix="_even").filter(
        (pl.col("attempts") >= min_attempts // 2) & (pl.col("attempts_even") >= min_attempts // 2)
    )

    def corr(a: str, b: str, frame: pl.DataFrame, method=stats.pearsonr) -> float:
        return (
            float(method(frame[a].to_numpy(), frame[b].to_numpy())[0]) if frame.height > 2 else float("nan")
        )

    return {
        "starters_ranked": ranked.height,
        "spearman_score_vs_true_skill": corr("shrunk_percentile", "true_ypa", ranked, stats.spearmanr),
        "spearman_passer_rating_vs_true_skill": corr(
            "nfl_passer_rating", "true_ypa", ranked, stats.spearmanr
        ),
        "qbs_in_both_halves": paired.height,
        "split_half_score": corr("mean_percentile", "mean_percentile_even", paired),
        "split_half_passer_rating": corr("passer_rating", "passer_rating_even", paired),
        "mean_attempts_per_half": float(np.mean([*paired["attempts"], *paired["attempts_even"]]))
        if paired.height
        else 0.0,
    }
