"""Does the score measure QB skill? Checks against a synthetic season's truth, from the warehouse.

* Ranking: Spearman correlation between the starting QBs' season passing scores (``passing_score`` of
  ``qb_season_scores``, shrunk with the season's measured priors) and their true skill (``true_ypa``
  in the season's ``skills.parquet``: expected yards per attempt against league-average receivers and
  defenses).
* Reliability: split-half (odd weeks vs even weeks) correlation across QBs of the mean passing
  percentile, next to the same for the NFL passer rating on the same plays. A measure of skill repeats
  across halves.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from qb_assets.ingest.pbp import load_pass_attempts
from qb_assets.warehouse.load import connect

# Per passer, the odd and the even weeks' statistics, summed from the warehouse's per-game statistics so
# that completions, passing yards, touchdowns, interceptions and the passer rating have one definition.
HALF_QUERY = """
SELECT passer_nfl_id, week % 2 AS half, sum(attempts) AS attempts,
       sum(sum_passing_percentile) / sum(attempts) AS mean_passing_percentile,
       sum(completions) / sum(attempts) AS completion_pct,
       sum(passing_yards) / sum(attempts) AS yards_per_attempt,
       nfl_passer_rating(sum(attempts), sum(completions), sum(passing_yards), sum(touchdowns),
                         sum(interceptions)) AS passer_rating
FROM qb_game_stats WHERE season = ? GROUP BY ALL
"""


def split_half(
    halves: pl.DataFrame, keys: list[str], min_attempts_per_half: int, measures: dict[str, str]
) -> dict:
    """Split-half reliability: the odd-week rows of ``halves`` (columns ``keys``, ``half`` = week % 2,
    ``attempts`` and each measure column) paired with the even-week rows on ``keys``, both halves with at
    least ``min_attempts_per_half`` attempts. Returns ``pairs``, ``mean_attempts_per_half`` and, per
    ``measures`` entry (name: column), ``split_half_{name}``: the Pearson r across the pairs (NaN with
    fewer than 3)."""
    paired = (
        halves.filter(pl.col("half") == 1)
        .join(halves.filter(pl.col("half") == 0), on=keys, suffix="_even")
        .filter(pl.min_horizontal("attempts", "attempts_even") >= min_attempts_per_half)
    )

    def corr(column: str) -> float:
        if paired.height <= 2:
            return float("nan")
        return float(stats.pearsonr(paired[column].to_numpy(), paired[f"{column}_even"].to_numpy())[0])

    return {
        "pairs": paired.height,
        "mean_attempts_per_half": float(np.mean([*paired["attempts"], *paired["attempts_even"]]))
        if paired.height
        else 0.0,
        **{f"split_half_{name}": corr(column) for name, column in measures.items()},
    }


def validity_report(
    warehouse: str | Path, skills_path: str | Path, season: int, min_attempts: int = 100
) -> dict:
    """Spearman of season score vs true skill over starters, and split-half reliabilities."""
    skills = pl.read_parquet(skills_path).filter((pl.col("role") == "QB") & (pl.col("depth_rank") == 0))
    con = connect(warehouse, read_only=True)
    try:
        season_scores = con.execute(
            "SELECT passer_nfl_id, attempts, passing_score, nfl_passer_rating FROM qb_season_scores "
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
    halves_report = split_half(
        halves,
        ["passer_nfl_id"],
        min_attempts // 2,
        {
            "score": "mean_passing_percentile",
            "passer_rating": "passer_rating",
            "completion_pct": "completion_pct",
            "yards_per_attempt": "yards_per_attempt",
        },
    )

    def rank_corr(column: str) -> float:
        if ranked.height <= 2:
            return float("nan")
        return float(stats.spearmanr(ranked[column].to_numpy(), ranked["true_ypa"].to_numpy())[0])

    return {
        "starters_ranked": ranked.height,
        "spearman_score_vs_true_skill": rank_corr("passing_score"),
        "spearman_passer_rating_vs_true_skill": rank_corr("nfl_passer_rating"),
        "qbs_in_both_halves": halves_report.pop("pairs"),
        **halves_report,
    }


# nflfastR has no passer id in the columns we keep; the description names him ("T.Brady pass short ...").
PASSER_IN_DESCRIPTION = r"([A-Z][A-Za-z.'-]*\.[A-Za-z'-]+) pass (?:short|deep|incomplete)"


def real_split_half(pbp_path: str | Path, min_attempts_per_half: int = 150) -> dict:
    """The same split-half reliability (odd vs even weeks, per passer-season) of completion % and yards
    per attempt on real nflfastR play-by-play: how repeatable QB efficiency really is over a season, the
    yardstick for the synthetic league's skill spread. Interceptions count 0 yards, as nflfastR records;
    spiked balls name no pass and are left out."""
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
    report = split_half(
        halves,
        ["season", "posteam", "passer"],
        min_attempts_per_half,
        {"completion_pct": "completion_pct", "yards_per_attempt": "yards_per_attempt"},
    )
    if report["pairs"] < 3:
        raise ValueError(
            f"{pbp_path}: only {report['pairs']} passer-seasons with {min_attempts_per_half}+ attempts a half"
        )
    named_share = named.height / plays.height
    return {"passer_seasons": report.pop("pairs"), "passer_named_share": named_share, **report}
