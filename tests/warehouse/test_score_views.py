"""The score views: the priors measured in SQL against an independent NumPy computation, the prior
strength following the spread between passers, the shrunk scores, intervals and 50-99 scale against
hand computation, the running season-to-date score, the secondary measures, and the weekly chart."""

from __future__ import annotations

import math
from pathlib import Path

import duckdb
import polars as pl
import pytest

from qb_assets.scoring.plots import weekly_chart
from tests.warehouse.fabricated import QBS, SCORES, SEASON, load_weeks, one, query, spread_season_scores
from tests.warehouse.reference import (
    COMPONENTS,
    K_MAX,
    K_MIN,
    level_priors,
    phi,
    reference_priors,
    shrunk_scores,
)

PRIORS = reference_priors(SCORES)
PRIOR_COLUMNS = (
    "league_mean",
    "within_variance",
    "between_variance_estimate",
    "prior_attempts",
    "between_variance",
    "passers",
)
SCORE_COLUMNS = (
    "passing_score",
    "passing_score_variance",
    "passing_score_low_90",
    "passing_score_high_90",
    "decision_score",
    "shrunk_execution_residual",
    "execution_score",
    "execution_score_low_90",
    "execution_score_high_90",
    "league_passing_score",
    "passing_score_tau",
)


def assert_scores(row: dict, expected: dict) -> None:
    for column in SCORE_COLUMNS:
        assert row[column] == pytest.approx(expected[column], rel=1e-9, abs=1e-12), column
    assert row["score_50_99"] == pytest.approx(expected["score_50_99"], abs=0.01)  # Phi approximated in SQL


# ---- the priors ----------------------------------------------------------------------------------------


def test_priors_match_an_independent_computation(read_warehouse: Path | str) -> None:
    warehouse = read_warehouse
    stored = {
        (r["season"], r["level"], r["split"], r["component"]): r
        for r in query(warehouse, "SELECT * FROM score_priors")
    }
    assert stored.keys() == PRIORS.keys()
    assert len({key[2] for key in stored}) == 10  # 'all' and the nine splits
    for key, expected in PRIORS.items():
        for column in PRIOR_COLUMNS:
            value = expected[column]  # None: fewer than two qualified passers, no estimate
            assert stored[key][column] == (
                value if value is None else pytest.approx(value, rel=1e-9, abs=1e-15)
            ), (
                key,
                column,
            )
    # The materialized copy is the live view's.
    live = query(warehouse, "SELECT * FROM league_score_priors ORDER BY ALL")
    materialized = query(warehouse, "SELECT * FROM score_priors ORDER BY ALL")
    assert len(live) == len(materialized)
    assert all(a == pytest.approx(b) for a, b in zip(live, materialized, strict=True))


def test_prior_strength_follows_the_spread_between_passers(tmp_path: Path) -> None:
    wide, flat = 2030, 2031
    scores = pl.concat([spread_season_scores(wide, spread=True), spread_season_scores(flat, spread=False)])
    path = tmp_path / "spread.duckdb"
    load_weeks(path, scores)
    expected = reference_priors(scores)
    k = {
        (r["season"], r["component"]): r["prior_attempts"]
        for r in query(path, "SELECT * FROM score_priors WHERE level = 'season'")
    }
    for component in COMPONENTS:
        assert k[(wide, component)] == pytest.approx(
            expected[(wide, "season", "all", component)]["prior_attempts"]
        )
        # A real spread: a small prior, inside the bounds; none at all: the bound.
        assert K_MIN < k[(wide, component)] < 100
        assert k[(flat, component)] == K_MAX
    seasons = {
        season: query(path, "SELECT * FROM qb_season_scores WHERE season = ?", [season])
        for season in (wide, flat)
    }
    # With a spread the scores stay near each passer's own mean; without, all near the league.
    for row in seasons[wide]:
        assert (
            abs(row["passing_score"] - row["mean_passing_percentile"])
            < 0.2 * abs(row["mean_passing_percentile"] - row["league_passing_score"]) + 1e-9
        )
    spread_of = {
        s: max(r["passing_score"] for r in rows) - min(r["passing_score"] for r in rows)
        for s, rows in seasons.items()
    }
    assert spread_of[flat] < 1e-6
    assert spread_of[wide] > 0.05


# ---- the shrunk scores ----------------------------------------------------------------------------------


def test_season_scores_match_hand_computation(read_warehouse: Path | str) -> None:
    warehouse = read_warehouse
    rows = {r["passer_nfl_id"]: r for r in query(warehouse, "SELECT * FROM qb_season_scores")}
    assert set(rows) == set(QBS)
    priors = level_priors(PRIORS, SEASON, "season")
    for nfl_id, row in rows.items():
        mine = SCORES.filter(pl.col("passer_nfl_id") == nfl_id)
        assert row["display_name"] == QBS[nfl_id][0]
        assert row["attempts"] == mine.height
        assert row["heldout_attempts"] == mine["heldout"].sum()
        assert row["mean_passing_percentile"] == pytest.approx(mine["passing_percentile"].mean())
        assert row["mean_decision_value"] == pytest.approx(mine["decision_value"].mean())
        assert row["mean_execution_percentile"] == pytest.approx(mine["execution_percentile"].mean())
        assert_scores(row, shrunk_scores(mine, priors))
        assert row["prior_attempts_decision"] == pytest.approx(priors["decision_value"]["prior_attempts"])
        assert row["prior_attempts_execution"] == pytest.approx(
            priors["execution_percentile"]["prior_attempts"]
        )
        assert row["completion_pct"] == pytest.approx(100 * (mine["pass_result"] == "C").mean())


def test_game_and_split_scores_use_their_own_priors(read_warehouse: Path | str) -> None:
    warehouse = read_warehouse
    row = one(warehouse, "SELECT * FROM qb_game_scores WHERE passer_nfl_id = 103 AND week = 2")
    assert (row["game_id"], row["team"], row["opponent"]) == (2024091501, "CCC", "AAA")
    assert str(row["game_date"]) == "2024-09-15"
    mine = SCORES.filter((pl.col("passer_nfl_id") == 103) & (pl.col("week") == 2))
    assert row["attempts"] == mine.height == 18
    assert_scores(row, shrunk_scores(mine, level_priors(PRIORS, SEASON, "game")))
    row = one(warehouse, "SELECT * FROM qb_split_scores WHERE passer_nfl_id = 101 AND split = 'third_down'")
    mine = SCORES.filter((pl.col("passer_nfl_id") == 101) & (pl.col("down") == 3))
    assert_scores(row, shrunk_scores(mine, level_priors(PRIORS, SEASON, "split", "third_down")))


def test_shrinkage_pulls_small_samples_only(warehouse: Path) -> None:
    tiny = one(warehouse, "SELECT * FROM qb_season_scores WHERE passer_nfl_id = 105")
    big = one(warehouse, "SELECT * FROM qb_season_scores WHERE passer_nfl_id = 101")
    k = tiny["prior_attempts_execution"]
    assert K_MIN < k < 200  # the fabricated passers' execution spread is measurable
    league = tiny["league_execution_percentile"]
    assert tiny["mean_execution_percentile"] == pytest.approx(0.9)
    # 4 attempts against a prior of k: most of the way back to the league mean; 600 attempts: little.
    pulled = (tiny["mean_execution_percentile"] - tiny["execution_score"]) / (
        tiny["mean_execution_percentile"] - league
    )
    assert pulled == pytest.approx(k / (4 + k)) and pulled > 0.9
    kept = (big["execution_score"] - league) / (big["mean_execution_percentile"] - league)
    assert kept == pytest.approx(600 / (600 + k)) and kept > 0.75


def test_intervals_contain_the_scores(warehouse: Path) -> None:
    for view in ("qb_game_scores", "qb_season_scores", "qb_split_scores", "qb_weekly_trend"):
        rows = query(warehouse, f"SELECT * FROM {view}")
        assert rows
        for r in rows:
            assert 0 <= r["passing_score_low_90"] < r["passing_score"] < r["passing_score_high_90"] <= 1
            assert 0 <= r["execution_score_low_90"] < r["execution_score"] < r["execution_score_high_90"] <= 1
            assert 50 <= r["score_50_99_low_90"] < r["score_50_99"] < r["score_50_99_high_90"] <= 99
            for c in ("decision", "execution_residual", "execution"):
                assert K_MIN <= r[f"prior_attempts_{c}"] <= K_MAX


def test_score_mapping(warehouse: Path) -> None:
    row = one(
        warehouse,
        "SELECT scale_50_99(0.5, 0.5, 0.02) AS mid, scale_50_99(0.3, 0.5, 0.02) AS low,"
        " scale_50_99(0.8, 0.5, 0.02) AS high, scale_50_99(0.52, 0.5, 0.02) AS one_sd,"
        " scale_50_99(0.52, 0.5, 0.02) < scale_50_99(0.53, 0.5, 0.02) AS monotone",
    )
    assert row["mid"] == pytest.approx(74.5, abs=1e-6)
    assert 50 <= row["low"] < 50.01 and 98.99 < row["high"] <= 99
    assert row["one_sd"] == pytest.approx(50 + 49 * phi(1.0), abs=0.01)
    assert row["monotone"]


def test_weekly_trend_to_date_is_the_season_score_so_far(read_warehouse: Path | str) -> None:
    warehouse = read_warehouse
    rows = query(warehouse, "SELECT * FROM qb_weekly_trend WHERE passer_nfl_id = 102 ORDER BY week")
    mine = SCORES.filter(pl.col("passer_nfl_id") == 102)
    week1 = mine.filter(pl.col("week") == 1)
    assert [r["attempts"] for r in rows] == [9, 18]
    assert [r["attempts_to_date"] for r in rows] == [9, 27]
    assert rows[0]["mean_passing_percentile_to_date"] == pytest.approx(week1["passing_percentile"].mean())
    # The week's own scores use the week-level priors, the running score the season-level ones.
    assert_scores(rows[0], shrunk_scores(week1, level_priors(PRIORS, SEASON, "week")))
    expected = shrunk_scores(week1, level_priors(PRIORS, SEASON, "season"))
    for column in ("passing_score", "passing_score_low_90", "passing_score_high_90", "execution_score"):
        assert rows[0][f"{column}_to_date"] == pytest.approx(expected[column])
    season = one(warehouse, "SELECT * FROM qb_season_scores WHERE passer_nfl_id = 102")
    for column in (
        "passing_score",
        "score_50_99",
        "score_50_99_low_90",
        "execution_score_high_90",
        "decision_score",
    ):
        assert rows[-1][f"{column}_to_date"] == pytest.approx(season[column])


# ---- the secondary measures -----------------------------------------------------------------------------


def test_secondary_measures(warehouse: Path) -> None:
    rows = {r["passer_nfl_id"]: r for r in query(warehouse, "SELECT * FROM qb_season_scores")}
    for nfl_id, row in rows.items():
        mine = SCORES.filter(pl.col("passer_nfl_id") == nfl_id)
        completed = mine.filter(pl.col("pass_result") == "C")
        yards, tds = completed["yards_gained"].sum(), completed["is_touchdown"].sum()
        ints = (mine["pass_result"] == "IN").sum()
        assert row["anya"] == pytest.approx((yards + 20 * tds - 45 * ints) / mine.height)
        assert row["yards_per_attempt"] == pytest.approx(yards / mine.height)
        assert row["yards_over_expected"] == pytest.approx(
            (mine["yards_gained"] - mine["expected_yards"]).mean()
        )
        with_epa = mine["epa"].drop_nulls()
        assert row["epa_per_play"] == (pytest.approx(with_epa.mean()) if with_epa.len() else None)
        assert row["applicability"] == pytest.approx(mine["applicability"].mean())
    # The rating line: 250 yards, 2 TD, 1 INT (a pick-six: -40 yards, not his) on 30 attempts, no EPA.
    assert rows[104]["anya"] == pytest.approx((250 + 40 - 45) / 30)
    assert rows[104]["epa_per_play"] is None
    # Patrick Carter's EPA is in week 1 only: the season's mean is week 1's, week 2's game has none.
    games = {r["week"]: r for r in query(warehouse, "SELECT * FROM qb_game_scores WHERE passer_nfl_id = 101")}
    assert games[2]["epa_per_play"] is None
    assert rows[101]["epa_per_play"] == pytest.approx(games[1]["epa_per_play"])


# ---- the columns ----------------------------------------------------------------------------------------

SCORES_OF_A_VIEW = (
    "attempts heldout_attempts out_of_sample_attempts mean_passing_percentile mean_decision_value "
    "mean_execution_residual mean_execution_percentile passing_score passing_score_variance "
    "passing_score_low_90 passing_score_high_90 score_50_99 score_50_99_low_90 score_50_99_high_90 "
    "decision_score shrunk_execution_residual execution_score execution_score_variance "
    "execution_score_low_90 execution_score_high_90 league_passing_score league_execution_percentile "
    "passing_score_tau prior_attempts_decision prior_attempts_execution_residual "
    "prior_attempts_execution qualified completions completion_pct passing_yards yards_per_attempt "
    "touchdowns interceptions anya yards_over_expected nfl_passer_rating epa_per_play applicability"
)
TO_DATE = (
    "attempts_to_date mean_passing_percentile_to_date passing_score_to_date passing_score_low_90_to_date "
    "passing_score_high_90_to_date score_50_99_to_date score_50_99_low_90_to_date "
    "score_50_99_high_90_to_date decision_score_to_date execution_score_to_date "
    "execution_score_low_90_to_date execution_score_high_90_to_date"
)
VIEW_COLUMNS = {
    "qb_game_scores": f"season week game_id game_date team opponent source {SCORES_OF_A_VIEW}",
    "qb_season_scores": f"season teams games model_versions source {SCORES_OF_A_VIEW}",
    "qb_split_scores": f"season split source {SCORES_OF_A_VIEW}",
    "qb_weekly_trend": f"season week source games {SCORES_OF_A_VIEW} {TO_DATE}",
}


@pytest.mark.parametrize("view", sorted(VIEW_COLUMNS))
def test_view_columns(warehouse: Path, view: str) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]
    finally:
        con.close()
    assert columns == ["passer_nfl_id", "display_name", *VIEW_COLUMNS[view].split()]


def test_weekly_chart(warehouse: Path) -> None:
    png, summary = weekly_chart(str(warehouse), "Patrick Carter", SEASON)
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    season = one(warehouse, "SELECT score_50_99 FROM qb_season_scores WHERE passer_nfl_id = 101")
    assert summary == {
        "passer": "Patrick Carter",
        "season": SEASON,
        "weeks": 2,
        "final_score": season["score_50_99"],
    }
    assert math.isfinite(summary["final_score"])
    with pytest.raises(ValueError, match="no scores for passer 'Nobody'"):
        weekly_chart(str(warehouse), "Nobody", SEASON)
