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
       avg(CASE WHEN pass_result = 'C' THEN 1.0 ELSE 0.0 END) AS completion_pct,
       avg(CASE WHEN pass_result = 'C' THEN yards_gained ELSE 0 END) AS yards_per_attempt,
       nfl_passer_rating(count(*), sum(CASE WHEN pass_result = 'C' THEN 1 ELSE 0 END),
                         sum(CASE WHEN pass_result = 'C' THEN yards_gained ELSE 0 END),
                         sum(CASE WHEN is_touchdown THEN 1 ELSE 0 END),
                         sum(CASE WHEN pass_result = 'IN' THEN 1 ELSE 0 END)) AS passer_rating
FROM play_scores WHERE season = ? GROUP BY ALL
"""


def expected_percentiles(truth: pl.DataFrame, which: str = "qb") -> np.ndarray:
    """Each attempt's expected percentile under the TRUE league-average distribution when the yards are
    drawn from the ``which`` truth ("qb": the passer's own skills). Exactly 0.5 for "league_average"
    (the mid-point percentile of a discrete outcome is centred), so the distance from 0.5 is the
    passer's true effect on the play score, free of outcome noise."""
    from qb_assets.tracking.synthetic_truth import SUPPORT_YD, truth_cdf, truth_integer_pmf  # noqa: PLC0415

    grid = SUPPORT_YD.astype(np.float64)[None, :]
    lower, upper = (truth_cdf(truth, grid + half, "league_average") for half in (-0.5, 0.5))
    mid_cdf = (lower + upper) / 2
    return (truth_integer_pmf(truth, grid, which) * mid_cdf).sum(axis=1)


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
    from qb_assets.tracking.synthetic_truth import truth_cdf  # noqa: PLC0415

    truth = pl.read_parquet(truth_path).filter(pl.col("is_attempt"))
    yards = truth["yards"].to_numpy().astype(np.float64)[:, None]
    lower = truth_cdf(truth, yards - 0.5, "league_average")[:, 0]
    upper = truth_cdf(truth, yards + 0.5, "league_average")[:, 0]
    per_qb = (
        truth.with_columns(
            pl.Series("percentile", (lower + upper) / 2), pl.Series("expected", expected_percentiles(truth))
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
        "split_half_completion_pct": corr("completion_pct", "completion_pct_even", paired),
        "split_half_yards_per_attempt": corr("yards_per_attempt", "yards_per_attempt_even", paired),
        "mean_attempts_per_half": float(np.mean([*paired["attempts"], *paired["attempts_even"]]))
        if paired.height
        else 0.0,
    }


# nflfastR has no passer id in the columns we keep; the description names him ("T.Brady pass short ...").
PASSER_IN_DESCRIPTION = r"([A-Z][A-Za-z.'-]*\.[A-Za-z'-]+) pass (?:short|deep|incomplete)"


def real_split_half(pbp_path: str | Path, min_attempts_per_half: int = 150) -> dict:
    """The same split-half reliability (odd vs even weeks, per passer-season) of completion % and yards
    per attempt on real nflfastR play-by-play: how repeatable QB efficiency really is over a season, the
    yardstick for the synthetic league's skill spread. Interceptions count 0 yards, as nflfastR records;
    spiked balls name no pass and are left out."""
    from qb_assets.pbp import load_pass_attempts  # noqa: PLC0415

    seasons = pl.read_parquet(pbp_path, columns=["season"])["season"].unique().sort().to_list()
    plays = load_pass_attempts(pbp_path, seasons)
    missing = [c for c in ("desc", "week", "posteam") if c not in plays.columns]
    if missing:
        raise ValueError(f"{pbp_path}: missing columns for the split-half check: {', '.join(missing)}")
    plays = plays.with_columns(pl.col("desc").str.extract(PASSER_IN_DESCRIPTION, 1).alias("passer"))
    named = plays.filter(pl.col("passer").is_not_null())
    halves = named.group_by("season", "posteam", "passer", (pl.col("week") % 2).alias("half")).agg(
        pl.len().alias("attempts"),
        (~pl.col("desc").str.contains("incomplete|INTERCEPTED")).mean().alias("completion_pct"),
        pl.col("yards_gained").mean().alias("yards_per_attempt"),
    )
    keys = ["season", "posteam", "passer"]
    paired = (
        halves.filter(pl.col("half") == 1)
        .join(halves.filter(pl.col("half") == 0), on=keys, suffix="_even")
        .filter(pl.min_horizontal("attempts", "attempts_even") >= min_attempts_per_half)
    )
    if paired.height < 3:
        raise ValueError(
            f"{pbp_path}: only {paired.height} passer-seasons with {min_attempts_per_half}+ attempts a half"
        )

    def corr(name: str) -> float:
        return float(np.corrcoef(paired[name].to_numpy(), paired[f"{name}_even"].to_numpy())[0, 1])

    return {
        "passer_seasons": paired.height,
        "passer_named_share": named.height / plays.height,
        "mean_attempts_per_half": float((paired["attempts"].mean() + paired["attempts_even"].mean()) / 2),
        "split_half_completion_pct": corr("completion_pct"),
        "split_half_yards_per_attempt": corr("yards_per_attempt"),
    }
