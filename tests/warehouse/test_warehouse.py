"""The DuckDB warehouse: loads (keys, idempotence, rollback), the score views against hand-computed
values, and the read-only ``query`` command, including the README's example queries."""

from __future__ import annotations

import csv
import io
import json
import math
import re
import shutil
from pathlib import Path

import duckdb
import polars as pl
import pytest

from qb_assets.cli.main import build_parser
from qb_assets.io import lake as lake_io
from qb_assets.warehouse import load as wh
from qb_assets.warehouse.query import run_query

SEASON = 2024
K = 60  # prior_attempts() in sql/schema.sql
Z90 = 1.6448536269514722
README = Path(__file__).resolve().parents[2] / "README.md"

# (game_id, week, home, visitor): every team plays once a week, so the season has 2 team games and the
# season qualification threshold is 14 * 2 = 28 attempts.
GAMES = [
    (2024090801, 1, "AAA", "BBB"),
    (2024090802, 1, "CCC", "DDD"),
    (2024091501, 2, "AAA", "CCC"),
    (2024091502, 2, "BBB", "DDD"),
]
# nfl_id -> (name, team, {week: attempts}); the attempt counts sit on the qualification edges.
QBS = {
    101: ("Josh Allen", "AAA", {1: 300, 2: 300}),  # the name in the README examples; a large sample
    102: ("Edge Nine", "BBB", {1: 9, 2: 18}),  # game 9 (< 10), week 9 (< 10), season 27 (< 28)
    103: ("Edge Ten", "CCC", {1: 10, 2: 18}),  # game 10, week 10, season 28: all qualified
    104: ("Rating Line", "DDD", {1: 30}),  # 20/30, 250 yds, 2 TD, 1 INT (a pick-six)
    105: ("Tiny Sample", "BBB", {2: 4}),  # four near-perfect plays: pulled to the league mean
}
TTT = (1.8, 3.0, 4.5, 2.2)
AIR = (5.0, 25.0, -2.0, 12.0, 30.0)
DOWN = (1, 2, 3, 3)
TO_ENDZONE = (15.0, 40.0, 75.0, 20.0, 21.0)


def ttt_bucket(seconds: float) -> str:
    return "under_2_5s" if seconds < 2.5 else ("2_5_to_4s" if seconds <= 4 else "over_4s")


def game_of(team: str, week: int) -> tuple[int, str]:
    for game_id, game_week, home, visitor in GAMES:
        if game_week == week and team in (home, visitor):
            return game_id, visitor if team == home else home
    raise AssertionError(team)


def rating_line_results(i: int) -> tuple[str, float, bool]:
    """QB 104: 20 completions (10 x 12 + 10 x 13 = 250 yards, two TDs), 9 incompletions, 1 pick-six."""
    if i < 20:
        return "C", 12.0 if i < 10 else 13.0, i in (3, 15)
    if i < 29:
        return "I", 0.0, False
    return "IN", -40.0, True  # the return is not the passer's yards nor his TD


def fabricate_scores() -> pl.DataFrame:
    rows = []
    for nfl_id, (_name, team, weeks) in QBS.items():
        for week, attempts in weeks.items():
            game_id, opponent = game_of(team, week)
            for i in range(attempts):
                if nfl_id == 104:
                    result, yards, touchdown = rating_line_results(i)
                else:
                    result = ("C", "I", "C", "IN", "C")[i % 5] if nfl_id != 105 else "C"
                    yards, touchdown = (
                        (float(i % 17) if result == "C" else 0.0),
                        result == "C" and i % 23 == 0,
                    )
                # Deterministic, distinct per QB: Josh Allen averages ~0.6, Tiny Sample 0.95.
                percentile = 0.95 if nfl_id == 105 else ((i * 37 + nfl_id) % 100) / 100 * 0.8 + 0.2
                ttt = TTT[i % 4]
                air = AIR[i % 5]
                rows.append(
                    {
                        "game_id": game_id,
                        "play_id": nfl_id * 1000 + i,
                        "season": SEASON,
                        "week": week,
                        "passer_nfl_id": nfl_id,
                        "possession_team": team,
                        "defensive_team": opponent,
                        "pass_result": result,
                        "yards_gained": yards,
                        "percentile": percentile,
                        "under_pressure": i % 4 == 0,
                        "time_to_throw_s": ttt,
                        "time_to_throw_bucket": ttt_bucket(ttt),
                        "air_yards": air,
                        "is_deep": air >= 20,
                        "down": DOWN[i % 4],
                        "yards_to_endzone": TO_ENDZONE[i % 5],
                        "quarter": 1 + i % 4,
                        "defenders_within_2yd_of_target_at_release": i % 3,
                        "is_touchdown": touchdown,
                        "heldout": i % 2 == 0,
                    }
                )
    constants = {"target_nfl_id": 900, "predicted_median": 4.0, "q05": -1.0, "q25": 1.0, "q75": 9.0}
    constants |= {"q95": 22.0, "expected_yards": 6.0, "model_version": "test", "feature_schema_hash": "abc"}
    return pl.DataFrame(rows).with_columns(
        pl.col("season", "week", "down", "quarter").cast(pl.Int32),
        yards_to_go=pl.lit(10, dtype=pl.Int32),
        **{name: pl.lit(value) for name, value in constants.items()},
    )


SCORES = fabricate_scores()


def partition_tables(week: int) -> dict[str, pl.DataFrame]:
    scores = SCORES.filter(pl.col("week") == week)
    games = pl.DataFrame(
        [
            {"game_id": g, "season": SEASON, "week": w, "home_team": h, "visitor_team": v}
            for g, w, h, v in GAMES
            if w == week
        ]
    ).with_columns(pl.col("season", "week").cast(pl.Int32), game_date=pl.date(2024, 9, 1 + 7 * week))
    # The lake's players table calls the position player_position; the load renames it.
    players = pl.DataFrame(
        {"nfl_id": list(QBS), "display_name": [q[0] for q in QBS.values()], "player_position": "QB"}
    )
    plays = scores.select("game_id", "play_id", "season", "week", "passer_nfl_id", "pass_result")
    return {"games": games, "players": players, "plays": plays, "play_scores": scores}


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb"
    for week in (1, 2):
        wh.load_partition(path, SEASON, week, partition_tables(week))
    return path


@pytest.fixture
def warehouse(built_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the two-week warehouse (loading it once per module keeps the tests fast)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, path)
    return path


def query(path: Path, sql: str, params: list | None = None) -> list[dict]:
    con = duckdb.connect(str(path), read_only=True)
    try:
        result = con.execute(sql, params or [])
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    finally:
        con.close()


def one(path: Path, sql: str, params: list | None = None) -> dict:
    rows = query(path, sql, params)
    assert len(rows) == 1, rows
    return rows[0]


def counts(path: Path) -> dict[str, int]:
    tables = (*wh.LOADABLE_TABLES, "split_aggregates", "season_aggregates")
    return {t: one(path, f"SELECT count(*) AS n FROM {t}")["n"] for t in tables}


LEAGUE_MEAN = SCORES["percentile"].mean()


def shrunk(n: int, mean: float) -> float:
    return (n * mean + K * LEAGUE_MEAN) / (n + K)


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


def test_reload_is_idempotent(warehouse: Path) -> None:
    before = counts(warehouse)
    season_before = query(warehouse, "SELECT * FROM qb_season_scores ORDER BY passer_nfl_id")
    for week in (2, 1, 2):
        wh.load_partition(warehouse, SEASON, week, partition_tables(week))
    assert counts(warehouse) == before
    assert query(warehouse, "SELECT * FROM qb_season_scores ORDER BY passer_nfl_id") == season_before
    dupes = one(warehouse, "SELECT count(*) - count(DISTINCT (game_id, play_id)) AS n FROM play_scores")
    assert dupes["n"] == 0


def test_reload_replaces_only_its_partition(warehouse: Path) -> None:
    week1 = partition_tables(1)
    week1["play_scores"] = week1["play_scores"].filter(pl.col("passer_nfl_id") != 101)
    wh.load_partition(warehouse, SEASON, 1, {"play_scores": week1["play_scores"]})
    by_week = {
        r["week"]: r["n"] for r in query(warehouse, "SELECT week, count(*) AS n FROM play_scores GROUP BY 1")
    }
    assert by_week == {1: week1["play_scores"].height, 2: SCORES.filter(pl.col("week") == 2).height}
    # The season's materialized aggregates followed the new partition.
    big = one(warehouse, "SELECT attempts FROM qb_split_scores WHERE passer_nfl_id = 101 AND split = 'deep'")
    assert (
        big["attempts"]
        == SCORES.filter((pl.col("passer_nfl_id") == 101) & (pl.col("week") == 2))["is_deep"].sum()
    )


def test_failed_load_rolls_back(warehouse: Path) -> None:
    before = counts(warehouse)
    aggregates_before = query(warehouse, "SELECT * FROM split_aggregates ORDER BY ALL")
    tables = partition_tables(1)
    tables["games"] = tables["games"].with_columns(home_team=pl.lit("ZZZ"))
    tables["players"] = tables["players"].with_columns(display_name=pl.lit("Renamed"))
    # Games and players go in first; the duplicated play key then fails the play_scores insert.
    tables["play_scores"] = pl.concat([tables["play_scores"], tables["play_scores"].head(1)])
    with pytest.raises(duckdb.ConstraintException):
        wh.load_partition(warehouse, SEASON, 1, tables)
    assert counts(warehouse) == before
    assert one(warehouse, "SELECT home_team FROM games WHERE game_id = 2024090801")["home_team"] == "AAA"
    assert (
        one(warehouse, "SELECT display_name FROM players WHERE nfl_id = 101")["display_name"] == "Josh Allen"
    )
    assert query(warehouse, "SELECT * FROM split_aggregates ORDER BY ALL") == aggregates_before


def test_rows_of_another_partition_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="outside partition"):
        wh.load_partition(tmp_path / "w.duckdb", SEASON, 1, {"play_scores": SCORES})
    with pytest.raises(ValueError, match="unknown warehouse table"):
        wh.load_partition(tmp_path / "w.duckdb", SEASON, 1, {"tracking": SCORES})


def test_load_lake(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    for week in (1, 2):
        for table, frame in partition_tables(week).items():
            if not (table == "players" and week == 2):  # a partition may lack an optional table
                lake_io.write_partition(lake, table, SEASON, week, frame)
    messages: list[str] = []
    summary = wh.load_lake(lake, tmp_path / "w.duckdb", progress=messages.append)
    assert summary["partitions"] == [[SEASON, 1], [SEASON, 2]]
    assert summary["rows"]["play_scores"] == SCORES.height
    assert len(messages) == 2
    assert counts(tmp_path / "w.duckdb")["players"] == len(QBS)
    with pytest.raises(FileNotFoundError):
        wh.load_lake(lake, tmp_path / "w.duckdb", partitions=[(SEASON, 9)])


# ---- views -----------------------------------------------------------------------------------------------

COUNTS = "attempts heldout_attempts completions passing_yards touchdowns interceptions"
SCORE_COLUMNS = (
    "league_mean mean_percentile shrunk_percentile percentile_low_90 percentile_high_90 score_50_99 "
    "qualified completion_pct yards_per_attempt nfl_passer_rating"
)
TO_DATE = (
    "mean_percentile_to_date shrunk_percentile_to_date percentile_low_90_to_date "
    "percentile_high_90_to_date score_50_99_to_date"
)
VIEW_COLUMNS = {
    "qb_game_scores": f"season week game_id game_date team opponent {COUNTS} {SCORE_COLUMNS}",
    "qb_season_scores": f"season teams games {COUNTS} {SCORE_COLUMNS}",
    "qb_split_scores": f"season split {COUNTS} {SCORE_COLUMNS}",
    "qb_weekly_trend": f"season week games {COUNTS} attempts_to_date {SCORE_COLUMNS} {TO_DATE}",
}


@pytest.mark.parametrize("view", sorted(VIEW_COLUMNS))
def test_view_columns(warehouse: Path, view: str) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        columns = [d[0] for d in con.execute(f"SELECT * FROM {view} LIMIT 0").description]
    finally:
        con.close()
    assert columns == ["passer_nfl_id", "display_name", *VIEW_COLUMNS[view].split()]


def test_season_scores_match_hand_computation(warehouse: Path) -> None:
    rows = {r["passer_nfl_id"]: r for r in query(warehouse, "SELECT * FROM qb_season_scores")}
    assert set(rows) == set(QBS)
    assert one(warehouse, "SELECT league_mean FROM season_aggregates")["league_mean"] == pytest.approx(
        LEAGUE_MEAN
    )
    for nfl_id, row in rows.items():
        mine = SCORES.filter(pl.col("passer_nfl_id") == nfl_id)
        n, mean = mine.height, mine["percentile"].mean()
        assert row["display_name"] == QBS[nfl_id][0]
        assert row["attempts"] == n
        assert row["heldout_attempts"] == mine["heldout"].sum()
        assert row["mean_percentile"] == pytest.approx(mean)
        assert row["shrunk_percentile"] == pytest.approx(shrunk(n, mean))
        half = Z90 * math.sqrt(1 / 12) / math.sqrt(n + K)
        assert row["percentile_low_90"] == pytest.approx(max(0.0, shrunk(n, mean) - half))
        assert row["percentile_high_90"] == pytest.approx(min(1.0, shrunk(n, mean) + half))
        tau = math.sqrt(1 / (12 * K))
        phi = 0.5 * (1 + math.erf((shrunk(n, mean) - LEAGUE_MEAN) / tau / math.sqrt(2)))
        assert row["score_50_99"] == pytest.approx(50 + 49 * phi, abs=0.01)  # Phi approximated in SQL
        assert row["completion_pct"] == pytest.approx(100 * (mine["pass_result"] == "C").mean())


def test_game_scores(warehouse: Path) -> None:
    row = one(warehouse, "SELECT * FROM qb_game_scores WHERE passer_nfl_id = 103 AND week = 2")
    assert (row["game_id"], row["team"], row["opponent"]) == (2024091501, "CCC", "AAA")
    assert str(row["game_date"]) == "2024-09-15"
    mine = SCORES.filter((pl.col("passer_nfl_id") == 103) & (pl.col("week") == 2))
    assert row["attempts"] == mine.height == 18
    assert row["shrunk_percentile"] == pytest.approx(shrunk(18, mine["percentile"].mean()))


def test_shrinkage_pulls_small_samples_only(warehouse: Path) -> None:
    tiny = one(warehouse, "SELECT * FROM qb_season_scores WHERE passer_nfl_id = 105")
    big = one(warehouse, "SELECT * FROM qb_season_scores WHERE passer_nfl_id = 101")
    assert tiny["mean_percentile"] == pytest.approx(0.95)
    # 4 attempts against a prior of 60: most of the way back to the league mean.
    assert LEAGUE_MEAN < tiny["shrunk_percentile"] < LEAGUE_MEAN + 0.1 * (0.95 - LEAGUE_MEAN)
    assert abs(big["shrunk_percentile"] - big["mean_percentile"]) < 0.1 * abs(
        big["mean_percentile"] - LEAGUE_MEAN
    )
    assert big["attempts"] == 600


def test_intervals_contain_the_shrunk_value(warehouse: Path) -> None:
    for view in ("qb_game_scores", "qb_season_scores", "qb_split_scores", "qb_weekly_trend"):
        rows = query(warehouse, f"SELECT * FROM {view}")
        assert rows
        for r in rows:
            assert 0 <= r["percentile_low_90"] <= r["shrunk_percentile"] <= r["percentile_high_90"] <= 1
            assert 50 <= r["score_50_99"] <= 99


def test_score_mapping(warehouse: Path) -> None:
    row = one(
        warehouse,
        "SELECT passing_score(0.5, 0.5) AS mid, passing_score(0.3, 0.5) AS low,"
        " passing_score(0.8, 0.5) AS high, passing_score(0.52, 0.5) < passing_score(0.53, 0.5) AS monotone",
    )
    assert row["mid"] == pytest.approx(74.5, abs=1e-6)
    assert 50 <= row["low"] < 50.01 and 98.99 < row["high"] <= 99
    assert row["monotone"]


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
    assert rows["red_zone"]["mean_percentile"] == pytest.approx(red["percentile"].mean())
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


def test_weekly_trend_running_score(warehouse: Path) -> None:
    rows = query(warehouse, "SELECT * FROM qb_weekly_trend WHERE passer_nfl_id = 102 ORDER BY week")
    mine = SCORES.filter(pl.col("passer_nfl_id") == 102)
    week1 = mine.filter(pl.col("week") == 1)
    assert [r["attempts"] for r in rows] == [9, 18]
    assert [r["attempts_to_date"] for r in rows] == [9, 27]
    assert rows[0]["mean_percentile_to_date"] == pytest.approx(week1["percentile"].mean())
    assert rows[1]["mean_percentile_to_date"] == pytest.approx(mine["percentile"].mean())
    assert rows[1]["shrunk_percentile_to_date"] == pytest.approx(shrunk(27, mine["percentile"].mean()))
    season = one(warehouse, "SELECT score_50_99 FROM qb_season_scores WHERE passer_nfl_id = 102")
    assert rows[-1]["score_50_99_to_date"] == pytest.approx(season["score_50_99"])


# ---- the query command -----------------------------------------------------------------------------------


def test_query_formats(warehouse: Path) -> None:
    sql = "SELECT passer_nfl_id, display_name, attempts FROM qb_season_scores ORDER BY passer_nfl_id"
    table = run_query(sql, str(warehouse), "table").splitlines()
    assert table[0].split() == ["passer_nfl_id", "display_name", "attempts"]
    assert set(table[1]) == {"-", " "}
    assert "Josh Allen" in table[2] and table[2].rstrip().endswith("600")
    assert len({len(line) for line in table[2:-1]}) <= 2 and table[-1] == "(5 rows)"
    rows = list(csv.DictReader(io.StringIO(run_query(sql, str(warehouse), "csv"))))
    assert rows[0] == {"passer_nfl_id": "101", "display_name": "Josh Allen", "attempts": "600"}
    records = json.loads(run_query(sql, str(warehouse), "json"))
    assert records[0] == {"passer_nfl_id": 101, "display_name": "Josh Allen", "attempts": 600}
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
        "COPY play_scores TO 'out.csv'",
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
    leaderboard, splits, pressure, trend, plays = (
        json.loads(run_query(sql, str(warehouse), "json")) for sql in readme_queries()
    )
    # Season leaderboard: qualified passers only, best score first.
    assert [r["passer"] for r in leaderboard] == [
        r["display_name"]
        for r in query(warehouse, "SELECT * FROM qb_season_scores WHERE qualified ORDER BY score_50_99 DESC")
    ]
    assert "Edge Nine" not in {r["passer"] for r in leaderboard}
    # One QB's splits: every split of Josh Allen (QB 101).
    assert len(splits) == 9 and {r["split"] for r in splits} >= {"under_pressure", "red_zone"}
    # Under-pressure leaders: qualified in that split, sorted by score.
    assert pressure and all(r["attempts"] >= 20 for r in pressure)
    assert [r["score"] for r in pressure] == sorted((r["score"] for r in pressure), reverse=True)
    # The weekly trend of Josh Allen: the running attempts grow.
    assert [r["attempts_to_date"] for r in trend] == [300, 600]
    # Biggest single plays: the extremes of the percentile, with their situation.
    assert plays[0]["percentile"] == pytest.approx(SCORES["percentile"].max())
    assert plays[-1]["percentile"] == pytest.approx(SCORES["percentile"].min())
    assert {"down", "yards_to_go", "air_yards", "passer"} <= plays[0].keys()
