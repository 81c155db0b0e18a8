"""A fabricated two-week warehouse season whose every number the warehouse tests can compute by hand:
five passers on the qualification edges, a rating line, a tiny sample (``SCORES``, ``partition_tables``);
seasons with a chosen spread between passers (``spread_season_scores``); and small read helpers
(``query``, ``one``, ``counts``, ``load_weeks``)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from qb_assets.warehouse import load as wh

SEASON = 2024

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
    101: ("Patrick Carter", "AAA", {1: 300, 2: 300}),  # the README examples' name (a demo QB)
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


def ttt_bucket_expr(seconds: pl.Expr) -> pl.Expr:
    """``ttt_bucket`` as a Polars expression."""
    return (
        pl.when(seconds < 2.5)
        .then(pl.lit("under_2_5s"))
        .when(seconds <= 4)
        .then(pl.lit("2_5_to_4s"))
        .otherwise(pl.lit("over_4s"))
    )


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
                # Deterministic, distinct per QB: Patrick Carter averages ~0.6, Tiny Sample 0.95; an
                # interception scores 0 in both percentiles.
                passing = 0.95 if nfl_id == 105 else ((i * 37 + nfl_id) % 100) / 100 * 0.8 + 0.2
                execution = 0.9 if nfl_id == 105 else ((i * 53 + 3 * nfl_id) % 100) / 100 * 0.9 + 0.05
                passing, execution = (0.0, 0.0) if result == "IN" else (passing, execution)
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
                        "passing_percentile": passing,
                        "execution_percentile": execution,
                        "decision_value": ((i * 13 + nfl_id) % 21 - 10) / 200,
                        "passing_cdf_lower": max(0.0, passing - 0.05),
                        "passing_cdf_upper": min(1.0, passing + 0.05),
                        "execution_cdf_lower": max(0.0, execution - 0.05),
                        "execution_cdf_upper": min(1.0, execution + 0.05),
                        "expected_yards": 4.0 + (i % 5),
                        # No EPA for the rating line's source; Patrick Carter's only in week 1.
                        "epa": None if nfl_id == 104 or (nfl_id == 101 and week == 2) else (yards - 5) / 10,
                        # The partition's shift from the model's training (one value per week).
                        "applicability": 0.05 * week,
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
    constants |= {"q95": 22.0, "model_version": "test", "feature_schema_hash": "abc"}
    return pl.DataFrame(rows, infer_schema_length=None).with_columns(
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


def build_fabricated_warehouse(path: Path | str) -> Path | str:
    """Load the fabricated weeks 1 and 2 into the warehouse at ``path`` (a DuckDB file or a
    ``ducklake:`` URI); returns ``path``."""
    for week in (1, 2):
        wh.load_partition(path, SEASON, week, partition_tables(week))
    return path


def query(path: Path | str, sql: str, params: list | None = None) -> list[dict]:
    con = wh.connect(path, read_only=True)
    try:
        result = con.execute(sql, params or [])
        columns = [d[0] for d in result.description]
        return [dict(zip(columns, row, strict=True)) for row in result.fetchall()]
    finally:
        con.close()


def one(path: Path | str, sql: str, params: list | None = None) -> dict:
    rows = query(path, sql, params)
    assert len(rows) == 1, rows
    return rows[0]


def same_rows(left: list[dict], right: list[dict]) -> bool:
    """The same rows, floats equal up to pytest.approx (a sum's last bits depend on the order a DuckLake
    reads its files in)."""
    return len(left) == len(right) and all(a == pytest.approx(b) for a, b in zip(left, right, strict=True))


def counts(path: Path | str) -> dict[str, int]:
    tables = (*wh.LOADABLE_TABLES, *(table for table, _view in wh.MATERIALIZED))
    return {t: one(path, f"SELECT count(*) AS n FROM {t}")["n"] for t in tables}


def spread_season_scores(season: int, spread: bool, passers: int = 16, weeks: int = 8) -> pl.DataFrame:
    """A season of ``passers`` starters (one per team, 30 attempts a game, every team once a week) whose
    plays are the same 240 values in a different order per passer, plus, with ``spread``, a passer's
    own offset on each component (decision value, execution residual, execution percentile). Without
    the spread every passer's season means are equal: the data show no between-passer variance."""
    rng = np.random.default_rng(season)
    plays = weeks * 30
    base_passing = rng.uniform(0.1, 0.9, plays)
    base_decision = rng.normal(0.0, 0.03, plays).clip(-0.1, 0.1)
    base_execution = rng.uniform(0.1, 0.9, plays)
    # Offsets spread evenly, in an order unrelated to the passer id.
    position = rng.permutation(passers) / (passers - 1) - 0.5 if spread else np.zeros(passers)
    frames = []
    for passer in range(passers):
        order = rng.permutation(plays)
        decision = base_decision[order] + 0.02 * position[passer]
        passing = base_passing[order] + 0.02 * position[passer] + 0.12 * position[passer]
        execution = base_execution[order] + 0.14 * position[passer]
        week = np.repeat(np.arange(1, weeks + 1), 30)
        team, opponent = f"T{passer:02d}", f"T{passer ^ 1:02d}"  # 0 v 1, 2 v 3, ...
        frames.append(
            pl.DataFrame(
                {
                    "game_id": season * 1_000_000 + week * 100 + passer // 2,
                    "play_id": passer * 1000 + np.arange(plays),
                    "week": week,
                    "passer_nfl_id": 500 + passer,
                    "possession_team": team,
                    "defensive_team": opponent,
                    "passing_percentile": passing,
                    "decision_value": decision,
                    "execution_percentile": execution,
                }
            )
        )
    scores = pl.concat(frames)
    completed = pl.col("passing_percentile") > 0.35
    return scores.with_columns(
        pl.lit(season, dtype=pl.Int32).alias("season"),
        pl.col("week").cast(pl.Int32),
        pl.when(completed).then(pl.lit("C")).otherwise(pl.lit("I")).alias("pass_result"),
        pl.when(completed)
        .then((pl.col("passing_percentile") * 20).round())
        .otherwise(0.0)
        .alias("yards_gained"),
        pl.lit(False).alias("under_pressure"),
        pl.lit(False).alias("is_deep"),
        pl.lit("2_5_to_4s").alias("time_to_throw_bucket"),
        pl.lit(1, dtype=pl.Int32).alias("down"),
        pl.lit(60.0).alias("yards_to_endzone"),
        pl.lit(6.0).alias("expected_yards"),
        pl.lit(False).alias("heldout"),
    )


def load_weeks(path: Path, scores: pl.DataFrame) -> None:
    """Load ``scores`` (play_scores rows) into the warehouse at ``path``, one partition per week."""
    for (season, week), part in scores.partition_by("season", "week", as_dict=True).items():
        wh.load_partition(path, int(season), int(week), {"play_scores": part})
