"""The DuckDB warehouse: loads (keys, idempotence, rollback), the score views against hand-computed
values, and the read-only ``query`` command, including the README's example queries."""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import duckdb
import polars as pl
import pytest

from qb_assets.cli.main import build_parser
from qb_assets.io import lake as lake_io
from qb_assets.warehouse import load as wh
from qb_assets.warehouse.query import run_query
from tests.warehouse.fabricated import (
    GAMES,
    QBS,
    SCORES,
    SEASON,
    counts,
    one,
    partition_tables,
    query,
    same_rows,
)
from tests.warehouse.reference import reference_priors

README = Path(__file__).resolve().parents[2] / "README.md"
MATERIALIZED = ("split_aggregates", "season_aggregates", "score_priors")


# ---- loading ---------------------------------------------------------------------------------------------


def test_load_counts_and_primary_keys(warehouse: Path) -> None:
    assert counts(warehouse)["play_scores"] == SCORES.height
    assert counts(warehouse)["games"] == len(GAMES)
    assert counts(warehouse)["players"] == len(QBS)
    assert one(warehouse, "SELECT position FROM players WHERE nfl_id = 101")["position"] == "QB"
    con = duckdb.connect(str(warehouse))
    try:
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO games (game_id, season, week) VALUES (2024090801, 2024, 1)")
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO play_scores SELECT * FROM play_scores LIMIT 1")
        with pytest.raises(duckdb.ConstraintException):
            con.execute(
                "INSERT INTO plays (game_id, play_id, season, week) SELECT 2024090801, 101000, 2024, 1"
            )
        with pytest.raises(duckdb.ConstraintException):
            con.execute("INSERT INTO players VALUES (101, 'Again', 'QB')")
    finally:
        con.close()


def test_reload_is_idempotent(any_warehouse: Path | str) -> None:
    warehouse = any_warehouse
    before = counts(warehouse)
    season_before = query(warehouse, "SELECT * FROM qb_season_scores ORDER BY passer_nfl_id")
    for week in (2, 1, 2):
        wh.load_partition(warehouse, SEASON, week, partition_tables(week))
    assert counts(warehouse) == before
    assert same_rows(query(warehouse, "SELECT * FROM qb_season_scores ORDER BY passer_nfl_id"), season_before)
    dupes = one(warehouse, "SELECT count(*) - count(DISTINCT (game_id, play_id)) AS n FROM play_scores")
    assert dupes["n"] == 0


def test_reload_replaces_only_its_partition(any_warehouse: Path | str) -> None:
    warehouse = any_warehouse
    prior_sql = "SELECT * FROM score_priors WHERE level = 'season' AND component = 'execution_percentile'"
    prior_before = one(warehouse, prior_sql)
    week1 = partition_tables(1)
    week1["play_scores"] = week1["play_scores"].filter(pl.col("passer_nfl_id") != 101)
    wh.load_partition(warehouse, SEASON, 1, {"play_scores": week1["play_scores"]})
    by_week = {
        r["week"]: r["n"] for r in query(warehouse, "SELECT week, count(*) AS n FROM play_scores GROUP BY 1")
    }
    assert by_week == {1: week1["play_scores"].height, 2: SCORES.filter(pl.col("week") == 2).height}
    # The season's materialized aggregates followed the new partition, the measured priors too.
    big = one(warehouse, "SELECT attempts FROM qb_split_scores WHERE passer_nfl_id = 101 AND split = 'deep'")
    assert (
        big["attempts"]
        == SCORES.filter((pl.col("passer_nfl_id") == 101) & (pl.col("week") == 2))["is_deep"].sum()
    )
    now = pl.concat([week1["play_scores"], SCORES.filter(pl.col("week") == 2)])
    expected = reference_priors(now)[(SEASON, "season", "all", "execution_percentile")]
    stored = one(warehouse, prior_sql)
    assert stored["within_variance"] != pytest.approx(prior_before["within_variance"])
    for column in (
        "league_mean",
        "within_variance",
        "between_variance_estimate",
        "prior_attempts",
        "passers",
    ):
        assert stored[column] == pytest.approx(expected[column]), column


def test_failed_load_rolls_back(any_warehouse: Path | str) -> None:
    warehouse = any_warehouse
    before = counts(warehouse)
    aggregates_before = {t: query(warehouse, f"SELECT * FROM {t} ORDER BY ALL") for t in MATERIALIZED}
    tables = partition_tables(1)
    tables["games"] = tables["games"].with_columns(home_team=pl.lit("ZZZ"))
    tables["players"] = tables["players"].with_columns(display_name=pl.lit("Renamed"))
    # Games and players go in first; the duplicated play key then fails the play_scores insert.
    tables["play_scores"] = pl.concat([tables["play_scores"], tables["play_scores"].head(1)])
    with pytest.raises(duckdb.ConstraintException):
        wh.load_partition(warehouse, SEASON, 1, tables)
    assert counts(warehouse) == before
    assert one(warehouse, "SELECT home_team FROM games WHERE game_id = 2024090801")["home_team"] == "AAA"
    passer = one(warehouse, "SELECT display_name FROM players WHERE nfl_id = 101")
    assert passer["display_name"] == "Patrick Carter"
    assert {t: query(warehouse, f"SELECT * FROM {t} ORDER BY ALL") for t in MATERIALIZED} == aggregates_before


def test_rows_of_another_partition_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside partition"):
        wh.load_partition(tmp_path / "w.duckdb", SEASON, 1, {"play_scores": SCORES})
    with pytest.raises(ValueError, match="unknown warehouse table"):
        wh.load_partition(tmp_path / "w.duckdb", SEASON, 1, {"tracking": SCORES})


def test_play_scores_without_the_score_columns_are_refused(any_warehouse: Path | str) -> None:
    warehouse = any_warehouse
    before = counts(warehouse)
    old = partition_tables(1)["play_scores"].drop("execution_percentile", "decision_value")
    with pytest.raises(
        ValueError, match=r"^play_scores: .*required column\(s\) execution_percentile, decision_value$"
    ):
        wh.load_partition(warehouse, SEASON, 1, {"play_scores": old})
    assert counts(warehouse) == before


def test_a_warehouse_of_the_retired_score_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "old.duckdb"
    con = duckdb.connect(str(path))
    con.execute("CREATE TABLE play_scores (game_id BIGINT, play_id BIGINT, percentile DOUBLE)")
    con.close()
    with pytest.raises(
        ValueError, match=r"old\.duckdb: play_scores has the retired column 'percentile'.*delete"
    ):
        wh.load_partition(path, SEASON, 1, partition_tables(1))
    con = duckdb.connect(str(path), read_only=True)
    try:  # untouched: no new table, the old column still there
        tables = {r[0] for r in con.execute("SELECT table_name FROM duckdb_tables()").fetchall()}
        assert tables == {"play_scores"}
    finally:
        con.close()


@pytest.mark.parametrize("backend", ["duckdb", "ducklake"])
def test_load_lake(tmp_path: Path, backend: str) -> None:
    target = str(tmp_path / "w.duckdb") if backend == "duckdb" else f"ducklake:{tmp_path / 'w.ducklake'}"
    lake = tmp_path / "lake"
    for week in (1, 2):
        for table, frame in partition_tables(week).items():
            if not (table == "players" and week == 2):  # a partition may lack an optional table
                lake_io.write_partition(lake, table, SEASON, week, frame)
    messages: list[str] = []
    summary = wh.load_lake(lake, target, progress=messages.append)
    assert summary["partitions"] == [[SEASON, 1], [SEASON, 2]]
    assert summary["rows"]["play_scores"] == SCORES.height
    assert len(messages) == 2
    assert counts(target)["players"] == len(QBS)
    assert counts(target)["play_scores"] == SCORES.height
    with pytest.raises(FileNotFoundError):
        wh.load_lake(lake, target, partitions=[(SEASON, 9)])


def test_scores_out_of_range_are_refused(any_warehouse: Path | str) -> None:
    """The schema's CHECKs hold on both backends (DuckLake stores none: the load verifies them)."""
    before = counts(any_warehouse)
    tables = partition_tables(1)
    tables["play_scores"] = tables["play_scores"].with_columns(
        passing_percentile=pl.when(pl.col("play_id") == tables["play_scores"]["play_id"][0])
        .then(1.5)
        .otherwise(pl.col("passing_percentile"))
    )
    with pytest.raises(duckdb.ConstraintException, match="passing_percentile"):
        wh.load_partition(any_warehouse, SEASON, 1, tables)
    assert counts(any_warehouse) == before


# ---- views (the score columns: test_score_views.py) ----------------------------------------------------


def test_passer_rating_formula(warehouse: Path) -> None:
    row = one(warehouse, "SELECT * FROM qb_season_scores WHERE passer_nfl_id = 104")
    line = (
        row["attempts"],
        row["completions"],
        row["passing_yards"],
        row["touchdowns"],
        row["interceptions"],
    )
    assert line == (30, 20, 250.0, 2, 1)
    a, b, c, d = (20 / 30 - 0.3) * 5, (250 / 30 - 3) * 0.25, 2 / 30 * 20, 2.375 - 1 / 30 * 25
    expected = sum(min(2.375, max(0.0, t)) for t in (a, b, c, d)) / 6 * 100
    assert row["nfl_passer_rating"] == pytest.approx(expected)
    assert round(row["nfl_passer_rating"], 1) == 100.7
    assert row["yards_per_attempt"] == pytest.approx(250 / 30)
    # Each term is clamped: a perfect line is 158.3, a hopeless one 0.
    perfect = one(
        warehouse, "SELECT nfl_passer_rating(10, 10, 200, 5, 0) AS r, nfl_passer_rating(10, 0, 0, 0, 5) AS z"
    )
    assert perfect["r"] == pytest.approx(158.3333333) and perfect["z"] == 0


def test_split_membership(warehouse: Path) -> None:
    # Play 103001: ttt 3.0, air 25 (deep), down 2, 40 yards out, not under pressure.
    splits = {r["split"] for r in query(warehouse, "SELECT split FROM play_splits WHERE play_id = 103001")}
    assert splits == {"clean_pocket", "ttt_2_5_to_4s", "deep"}
    # Play 103003: ttt 2.2, air 12, third down, 20 yards out (the red zone includes the 20).
    splits = {r["split"] for r in query(warehouse, "SELECT split FROM play_splits WHERE play_id = 103003")}
    assert splits == {"clean_pocket", "ttt_under_2_5s", "short", "third_down", "red_zone"}
    splits = {r["split"] for r in query(warehouse, "SELECT split FROM play_splits WHERE play_id = 103004")}
    assert splits == {"under_pressure", "ttt_under_2_5s", "deep"}  # play 103004: ttt 1.8, air 30, 21 out
    names = {r["split"] for r in query(warehouse, "SELECT DISTINCT split FROM qb_split_scores")}
    assert names == {
        "under_pressure",
        "clean_pocket",
        "ttt_under_2_5s",
        "ttt_2_5_to_4s",
        "ttt_over_4s",
        "deep",
        "short",
        "third_down",
        "red_zone",
    }


def test_split_counts_and_materialized_copy(warehouse: Path) -> None:
    mine = SCORES.filter(pl.col("passer_nfl_id") == 101)
    rows = {
        r["split"]: r for r in query(warehouse, "SELECT * FROM qb_split_scores WHERE passer_nfl_id = 101")
    }
    assert rows["under_pressure"]["attempts"] == mine["under_pressure"].sum()
    assert rows["under_pressure"]["attempts"] + rows["clean_pocket"]["attempts"] == mine.height
    assert rows["deep"]["attempts"] + rows["short"]["attempts"] == mine.height
    assert sum(rows[f"ttt_{b}"]["attempts"] for b in ("under_2_5s", "2_5_to_4s", "over_4s")) == mine.height
    red = mine.filter(pl.col("yards_to_endzone") <= 20)
    assert rows["red_zone"]["attempts"] == red.height
    assert rows["red_zone"]["mean_passing_percentile"] == pytest.approx(red["passing_percentile"].mean())
    assert rows["red_zone"]["mean_execution_percentile"] == pytest.approx(red["execution_percentile"].mean())
    live = query(warehouse, "SELECT * FROM qb_split_stats ORDER BY ALL")
    stored = query(warehouse, "SELECT * FROM split_aggregates ORDER BY ALL")
    assert len(live) == len(stored) and all(
        a.keys() == b.keys() and all(a[k] == pytest.approx(b[k]) for k in a)
        for a, b in zip(live, stored, strict=True)
    )


def test_qualified_thresholds(warehouse: Path) -> None:
    season = {r["passer_nfl_id"]: r["qualified"] for r in query(warehouse, "SELECT * FROM qb_season_scores")}
    assert season == {101: True, 102: False, 103: True, 104: True, 105: False}  # 14 x 2 team games = 28
    games = {
        (r["passer_nfl_id"], r["week"]): r["qualified"]
        for r in query(warehouse, "SELECT * FROM qb_game_scores WHERE passer_nfl_id IN (102, 103)")
    }
    assert games == {(102, 1): False, (102, 2): True, (103, 1): True, (103, 2): True}  # 9, 18, 10, 18 vs 10
    weeks = {
        (r["passer_nfl_id"], r["week"]): r["qualified"]
        for r in query(warehouse, "SELECT * FROM qb_weekly_trend WHERE passer_nfl_id IN (102, 105)")
    }
    assert weeks == {(102, 1): False, (102, 2): True, (105, 2): False}
    splits = query(warehouse, "SELECT attempts, qualified FROM qb_split_scores")
    assert all(r["qualified"] == (r["attempts"] >= 20) for r in splits)
    assert any(r["attempts"] == 20 for r in splits) or {r["qualified"] for r in splits} == {True, False}


# ---- the query command -----------------------------------------------------------------------------------


def test_query_formats(warehouse: Path) -> None:
    sql = "SELECT passer_nfl_id, display_name, attempts FROM qb_season_scores ORDER BY passer_nfl_id"
    table = run_query(sql, str(warehouse), "table").splitlines()
    assert table[0].split() == ["passer_nfl_id", "display_name", "attempts"]
    assert set(table[1]) == {"-", " "}
    assert "Patrick Carter" in table[2] and table[2].rstrip().endswith("600")
    assert len({len(line) for line in table[2:-1]}) <= 2 and table[-1] == "(5 rows)"
    rows = list(csv.DictReader(io.StringIO(run_query(sql, str(warehouse), "csv"))))
    assert rows[0] == {"passer_nfl_id": "101", "display_name": "Patrick Carter", "attempts": "600"}
    records = json.loads(run_query(sql, str(warehouse), "json"))
    assert records[0] == {"passer_nfl_id": 101, "display_name": "Patrick Carter", "attempts": 600}
    assert len(records) == len(QBS)
    dated = json.loads(run_query("SELECT game_date FROM games ORDER BY 1 LIMIT 1", str(warehouse), "json"))
    assert dated == [{"game_date": "2024-09-08"}]


@pytest.mark.parametrize(
    "sql",
    [
        "DELETE FROM play_scores",
        "INSERT INTO players VALUES (1, 'x', 'QB')",
        "UPDATE games SET week = 3",
        "DROP TABLE plays",
        "CREATE TABLE x (a INT)",
    ],
)
def test_query_refuses_writes(warehouse: Path, sql: str) -> None:
    before = counts(warehouse)
    with pytest.raises(ValueError, match=r"^the warehouse is opened read-only: ") as error:
        run_query(sql, str(warehouse), "table")
    assert "\n" not in str(error.value)
    assert counts(warehouse) == before


def test_query_errors(warehouse: Path, tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no warehouse file"):
        run_query("SELECT 1", str(tmp_path / "missing.duckdb"), "table")
    assert not (tmp_path / "missing.duckdb").exists()
    with pytest.raises(ValueError, match="exactly one"):
        run_query("SELECT 1; SELECT 2", str(warehouse), "table")
    with pytest.raises(ValueError, match=r"^query failed: "):
        run_query("SELECT nope FROM qb_season_scores", str(warehouse), "table")
    with pytest.raises(ValueError, match="unknown format"):
        run_query("SELECT 1", str(warehouse), "xml")


def test_query_parser(warehouse: Path, capsys: pytest.CaptureFixture[str]) -> None:
    args = build_parser().parse_args(
        ["query", "SELECT 42 AS answer", "--warehouse", str(warehouse), "--format", "csv"]
    )
    assert args.run(args) == 0
    assert capsys.readouterr().out == "answer\n42\n"


# ---- the README's queries --------------------------------------------------------------------------------


def readme_queries() -> list[str]:
    return re.findall(r"```sql\n(.*?)```", README.read_text(), flags=re.DOTALL)


def test_readme_queries_run(warehouse: Path) -> None:
    leaderboard, splits, pressure, trend, plays, priors = (
        json.loads(run_query(sql, str(warehouse), "json")) for sql in readme_queries()
    )
    # Season leaderboard: qualified passers only, best score first.
    assert [r["passer"] for r in leaderboard] == [
        r["display_name"]
        for r in query(warehouse, "SELECT * FROM qb_season_scores WHERE qualified ORDER BY score_50_99 DESC")
    ]
    assert "Edge Nine" not in {r["passer"] for r in leaderboard}
    # One QB's splits: every split of Patrick Carter (QB 101).
    assert len(splits) == 9 and {r["split"] for r in splits} >= {"under_pressure", "red_zone"}
    # Under-pressure leaders: qualified in that split, sorted by score.
    assert pressure and all(r["attempts"] >= 20 for r in pressure)
    assert [r["score"] for r in pressure] == sorted((r["score"] for r in pressure), reverse=True)
    # The weekly trend of Patrick Carter: the running attempts grow, the interval holds the score.
    assert [r["attempts_to_date"] for r in trend] == [300, 600]
    assert all(r["low_90_to_date"] <= r["score_to_date"] <= r["high_90_to_date"] for r in trend)
    # Biggest single plays: the extremes of the passing percentile, with their situation.
    assert plays[0]["passing_percentile"] == pytest.approx(SCORES["passing_percentile"].max())
    assert plays[-1]["passing_percentile"] == pytest.approx(SCORES["passing_percentile"].min())
    assert {"down", "yards_to_go", "air_yards", "passer", "decision_value"} <= plays[0].keys()
    # The season's measured priors: one row per level and component (the splits left out).
    assert {(r["level"], r["component"]) for r in priors} == {
        (level, component)
        for level in ("game", "week", "season")
        for component in ("decision_value", "execution_residual", "execution_percentile")
    }
    assert all(10 <= r["k"] <= 1000 for r in priors)
