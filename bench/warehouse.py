"""Warehouse query speed: the score views over about a million play scores.

Input: a synthetic lake built here, vectorized with numpy: 55 seasons x 17 weeks x 16 games, about
36 scored attempts per team and game (1.08 million play scores, 935 partitions), 32 teams with a
starter and a backup each season, every QB with a latent skill. It is loaded with ``load_lake``
(one transaction per partition, as in production), then each view is timed (median of ``--repeat``
runs after one warm-up, results fetched as Arrow).

Baselines, measured in the same run: the split aggregation computed live from ``play_scores``
(``qb_split_stats``, what ``qb_split_scores`` would cost without the materialized table), the same
query by DuckDB straight over the lake's Parquet files, and a pandas groupby over the frame held in
memory. Ratios are baseline time / view time.

    python -m bench.warehouse [--seasons 55] [--repeat 7] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import numpy as np
import pandas as pd
import polars as pl
from scipy.special import ndtr

from qb_assets.io import lake as lake_io
from qb_assets.warehouse import load as wh

TEAMS = 32
WEEKS = 17
ATTEMPTS_PER_TEAM_GAME = 36
FIRST_SEASON = 1970
TARGET_MS = 50.0


def synthetic_scores(seasons: int, seed: int = 0) -> pl.DataFrame:
    """One row per scored attempt, every column of play_scores, without a Python loop over plays."""
    rng = np.random.default_rng(seed)
    games_per_week = TEAMS // 2
    # One row per (season, week, game, side, attempt).
    shape = (seasons, WEEKS, games_per_week, 2, ATTEMPTS_PER_TEAM_GAME)
    season, week, game, side, attempt = (a.ravel() for a in np.indices(shape))
    n = season.size
    # Each week pairs the teams at random: a shuffled team order, games (0, 1), (2, 3), ...
    order = rng.permuted(np.tile(np.arange(TEAMS), (seasons, WEEKS, 1)), axis=2)
    home = order[season, week, 2 * game]
    visitor = order[season, week, 2 * game + 1]
    team = np.where(side == 0, home, visitor)
    season, week = season + FIRST_SEASON, week + 1
    opponent = np.where(side == 0, visitor, home)
    # Each team-season has a starter (90% of attempts) and a backup; ids unique per season and team.
    backup = rng.random(n) < 0.1
    passer = 1_000_000 + (season - FIRST_SEASON) * 1000 + team * 2 + backup
    skill = rng.normal(0.0, 0.13, size=passer.max() + 1)  # mean percentile Phi(s/sqrt 2): SD ~0.037
    decision_skill = rng.normal(0.0, 0.01, size=passer.max() + 1)
    z = rng.standard_normal(n) + skill[passer]
    percentile = ndtr(z)  # the CDF of a normal outcome: uniform for skill 0
    decision = np.clip(decision_skill[passer] + rng.normal(0.0, 0.055, n), -0.5, 0.5)
    air = rng.normal(8.0, 10.0, n).round()
    result = np.where(percentile < 0.03, "IN", np.where(rng.random(n) < 0.36, "I", "C"))
    # An interception scores 0 in both percentiles.
    percentile = np.where(result == "IN", 0.0, percentile)
    execution = np.where(result == "IN", 0.0, np.clip(percentile - decision, 0.0, 1.0))
    yards = np.where(result == "C", np.maximum(air, 0) + rng.exponential(4.0, n).round(), 0.0)
    yards = np.where(result == "IN", -rng.exponential(8.0, n).round(), yards)
    ttt = rng.gamma(6.0, 0.45, n).round(1)
    to_endzone = rng.integers(1, 100, n).astype(float)
    teams = np.array([f"T{t:02d}" for t in range(TEAMS)])
    game_id = (season * 1_000_000 + week * 100 + game).astype(np.int64)
    return pl.DataFrame(
        {
            "game_id": game_id,
            "play_id": (side * 1000 + attempt + 1).astype(np.int64),
            "season": season.astype(np.int32),
            "week": week.astype(np.int32),
            "passer_nfl_id": passer.astype(np.int64),
            "target_nfl_id": (passer + 500).astype(np.int64),
            "possession_team": teams[team],
            "defensive_team": teams[opponent],
            "pass_result": result,
            "yards_gained": yards,
            "passing_percentile": percentile,
            "execution_percentile": execution,
            "decision_value": decision,
            "passing_cdf_lower": np.clip(percentile - 0.02, 0.0, 1.0),
            "passing_cdf_upper": np.clip(percentile + 0.02, 0.0, 1.0),
            "execution_cdf_lower": np.clip(execution - 0.02, 0.0, 1.0),
            "execution_cdf_upper": np.clip(execution + 0.02, 0.0, 1.0),
            "predicted_median": np.full(n, 5.0),
            "q05": np.full(n, -2.0),
            "q25": np.full(n, 1.0),
            "q75": np.full(n, 10.0),
            "q95": np.full(n, 25.0),
            "expected_yards": np.full(n, 6.5),
            "model_version": "bench",
            "feature_schema_hash": "bench",
            "under_pressure": rng.random(n) < 0.3,
            "time_to_throw_s": ttt,
            "time_to_throw_bucket": np.where(
                ttt < 2.5, "under_2_5s", np.where(ttt <= 4, "2_5_to_4s", "over_4s")
            ),
            "air_yards": air,
            "is_deep": air >= 20,
            "down": rng.integers(1, 5, n).astype(np.int32),
            "yards_to_go": rng.integers(1, 16, n).astype(np.int32),
            "yards_to_endzone": to_endzone,
            "quarter": rng.integers(1, 5, n).astype(np.int32),
            "defenders_within_2yd_of_target_at_release": rng.integers(0, 4, n).astype(np.int32),
            "is_touchdown": (result == "C") & (yards >= to_endzone),
            "heldout": rng.random(n) < 0.2,
            "epa": (yards - 4.0) / 8.0,
        }
    )


def write_lake(lake: Path, scores: pl.DataFrame) -> None:
    """play_scores, games and players partitions, as the upstream stages would leave them."""
    games = scores.group_by("game_id", "season", "week").agg(
        pl.col("possession_team").min().alias("home_team"),
        pl.col("possession_team").max().alias("visitor_team"),
    )
    players = (
        scores.group_by("season", "week", "passer_nfl_id")
        .agg()
        .select(
            "season",
            "week",
            pl.col("passer_nfl_id").alias("nfl_id"),
            pl.format("QB {}", pl.col("passer_nfl_id")).alias("display_name"),
            pl.lit("QB").alias("position"),
        )
    )
    for table, frame in (("play_scores", scores), ("games", games), ("players", players)):
        for (season, week), part in frame.partition_by("season", "week", as_dict=True).items():
            lake_io.write_partition(lake, table, int(season), int(week), part)


# ---- the pandas baseline ------------------------------------------------------------------------------

PANDAS_SPLITS: dict[str, Callable[[pd.DataFrame], pd.Series]] = {
    "under_pressure": lambda d: d["under_pressure"],
    "clean_pocket": lambda d: ~d["under_pressure"],
    "ttt_under_2_5s": lambda d: d["time_to_throw_bucket"] == "under_2_5s",
    "ttt_2_5_to_4s": lambda d: d["time_to_throw_bucket"] == "2_5_to_4s",
    "ttt_over_4s": lambda d: d["time_to_throw_bucket"] == "over_4s",
    "deep": lambda d: d["is_deep"],
    "short": lambda d: ~d["is_deep"],
    "third_down": lambda d: d["down"] == 3,
    "red_zone": lambda d: d["yards_to_endzone"] <= 20,
}


COMPONENTS = {"decision_value": "d", "execution_residual": "r", "execution_percentile": "x"}


def pandas_split_scores(df: pd.DataFrame, priors: pd.DataFrame) -> pd.DataFrame:
    """The main columns of qb_split_scores, the plain way: one boolean mask and one groupby per split,
    shrunk with the split priors (``priors``: score_priors' rows of level 'split')."""
    parts = []
    for split, member in PANDAS_SPLITS.items():
        part = (
            df[member(df)]
            .groupby(["passer_nfl_id", "season"], sort=False)
            .agg(
                attempts=("passing_percentile", "size"),
                sum_p=("passing_percentile", "sum"),
                sum_d=("decision_value", "sum"),
                sum_r=("execution_residual", "sum"),
                sum_x=("execution_percentile", "sum"),
                completions=("is_completion", "sum"),
                passing_yards=("completion_yards", "sum"),
                touchdowns=("passing_td", "sum"),
                interceptions=("is_interception", "sum"),
            )
        )
        parts.append(part.reset_index().assign(split=split))
    wide = priors.pivot_table(
        index=["season", "split"],
        columns="component",
        values=["league_mean", "within_variance", "prior_attempts", "between_variance"],
    )
    wide.columns = [f"{name}_{COMPONENTS[component]}" for name, component in wide.columns]
    out = pd.concat(parts, ignore_index=True).merge(wide.reset_index(), on=["season", "split"])
    n = out["attempts"]
    out["mean_passing_percentile"] = out["sum_p"] / n
    variance = 0.0
    for c in ("d", "r", "x"):
        k = out[f"prior_attempts_{c}"]
        out[f"shrunk_{c}"] = (out[f"sum_{c}"] + k * out[f"league_mean_{c}"]) / (n + k)
        if c != "x":
            variance = variance + out[f"within_variance_{c}"] / (n + k)
    out["passing_score"] = 0.5 + out["shrunk_d"] + out["shrunk_r"]
    half = 1.6448536269514722 * np.sqrt(variance)
    out["passing_score_low_90"] = (out["passing_score"] - half).clip(lower=0)
    out["passing_score_high_90"] = (out["passing_score"] + half).clip(upper=1)
    tau = np.sqrt(out["between_variance_d"] + out["between_variance_r"])
    league = 0.5 + out["league_mean_d"] + out["league_mean_r"]
    out["score_50_99"] = 50 + 49 * ndtr((out["passing_score"] - league) / tau)
    out["qualified"] = n >= 20
    out["completion_pct"] = 100 * out["completions"] / n
    out["yards_per_attempt"] = out["passing_yards"] / n
    terms = [
        (out["completions"] / n - 0.3) * 5,
        (out["passing_yards"] / n - 3) * 0.25,
        out["touchdowns"] / n * 20,
        2.375 - out["interceptions"] / n * 25,
    ]
    out["nfl_passer_rating"] = sum(t.clip(0, 2.375) for t in terms) / 6 * 100
    return out


# ---- timing ---------------------------------------------------------------------------------------------


def median_ms(run: Callable[[], int], repeat: int) -> tuple[float, int]:
    rows = run()  # warm-up (and the row count)
    times = []
    for _ in range(repeat):
        started = time.perf_counter()
        run()
        times.append(1000 * (time.perf_counter() - started))
    return statistics.median(times), rows


def duckdb_runner(con: duckdb.DuckDBPyConnection, sql: str) -> Callable[[], int]:
    return lambda: con.sql(sql).to_arrow_table().num_rows


def parquet_connection(lake: Path, league: pl.DataFrame, priors: pl.DataFrame) -> duckdb.DuckDBPyConnection:
    """An in-memory DuckDB whose play_scores is a view over the lake's Parquet files (same views)."""
    con = duckdb.connect()
    wh.create_schema(con)
    files = lake_io.partition_files(lake, "play_scores")  # the published files, as the lake's readers see
    con.execute("DROP TABLE play_scores")
    con.execute(f"CREATE VIEW play_scores AS SELECT * FROM read_parquet({files!r}, hive_partitioning = true)")
    con.register("league_frame", league.to_arrow())
    con.execute("INSERT INTO season_aggregates BY NAME SELECT * FROM league_frame")
    con.register("priors_frame", priors.to_arrow())
    con.execute("INSERT INTO score_priors BY NAME SELECT * FROM priors_frame")
    return con


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seasons", type=int, default=55)
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument(
        "--workdir", default=None, help="where the lake and warehouse go (default: a tmp dir)"
    )
    args = parser.parse_args()
    work = Path(args.workdir or tempfile.mkdtemp(prefix="qb-bench-warehouse-"))
    lake, path = work / "lake", work / "warehouse.duckdb"
    shutil.rmtree(lake, ignore_errors=True)
    path.unlink(missing_ok=True)

    started = time.perf_counter()
    scores = synthetic_scores(args.seasons)
    write_lake(lake, scores)
    build_s = time.perf_counter() - started
    summary = wh.load_lake(lake, path)
    load_s = summary["seconds"]
    season = FIRST_SEASON + args.seasons // 2

    con = wh.connect(path, read_only=True)
    league = pl.from_arrow(con.sql("SELECT * FROM season_aggregates").to_arrow_table())
    priors = pl.from_arrow(con.sql("SELECT * FROM score_priors").to_arrow_table())
    results: list[tuple[str, str, int, float]] = []

    def add(query: str, implementation: str, run: Callable[[], int]) -> None:
        ms, rows = median_ms(run, args.repeat)
        results.append((query, implementation, rows, ms))

    live = "SELECT * FROM qb_scores('qb_split_stats', 'split', s.split, min_attempts_split())"
    frame = scores.with_columns(
        is_completion=(pl.col("pass_result") == "C").cast(pl.Int32),
        completion_yards=pl.when(pl.col("pass_result") == "C").then("yards_gained").otherwise(0.0),
        passing_td=((pl.col("pass_result") == "C") & pl.col("is_touchdown")).cast(pl.Int32),
        is_interception=(pl.col("pass_result") == "IN").cast(pl.Int32),
        execution_residual=pl.col("passing_percentile") - 0.5 - pl.col("decision_value"),
    ).to_pandas()
    split_priors = priors.filter(pl.col("level") == "split").to_pandas()
    parquet = parquet_connection(lake, league, priors)
    for label, where in (
        (f"splits, season {season}", f" WHERE season = {season}"),
        ("splits, all seasons", ""),
    ):
        add(
            label,
            "qb_split_scores (materialized)",
            duckdb_runner(con, f"SELECT * FROM qb_split_scores{where}"),
        )
        add(label, "live from play_scores", duckdb_runner(con, f"SELECT * FROM ({live}){where}"))
        add(label, "DuckDB over the lake Parquet", duckdb_runner(parquet, f"SELECT * FROM ({live}){where}"))
        subset = frame[frame["season"] == season] if where else frame
        add(label, "pandas groupby (in memory)", lambda d=subset: len(pandas_split_scores(d, split_priors)))
    for view in ("qb_season_scores", "qb_game_scores", "qb_weekly_trend"):
        add(
            f"{view}, season {season}",
            view,
            duckdb_runner(con, f"SELECT * FROM {view} WHERE season = {season}"),
        )
        add(f"{view}, all seasons", view, duckdb_runner(con, f"SELECT * FROM {view}"))
    con.close()
    parquet.close()

    threads = duckdb.connect().execute("SELECT current_setting('threads')").fetchone()[0]
    print(
        f"\n{scores.height:,} play scores, {args.seasons} seasons, {len(summary['partitions'])} partitions; "
        f"lake written in {build_s:.1f} s, loaded by load_lake (a transaction per partition) in "
        f"{load_s:.1f} s ({scores.height / load_s:,.0f} rows/s); "
        f"DuckDB {duckdb.__version__}, {threads} threads"
    )
    print(f"median of {args.repeat} runs after a warm-up; target: split views under {TARGET_MS:.0f} ms\n")
    print("| query | implementation | rows | ms | baseline / view |")
    print("|---|---|---:|---:|---:|")
    view_ms = {q: ms for q, impl, _, ms in results if impl == "qb_split_scores (materialized)"}
    for query, implementation, rows, ms in results:
        ratio = f"{ms / view_ms[query]:.1f}" if query in view_ms else "-"
        flag = " (over target)" if implementation.startswith("qb_split_scores") and ms > TARGET_MS else ""
        print(f"| {query} | {implementation} | {rows:,} | {ms:.1f}{flag} | {ratio} |")
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
