"""Ingestion throughput: qb-score's Polars pipeline vs a plain pandas reader + normalizer.

Season-sized input: the real 2018 game replicated under new game ids (about 250 games, 17 week files
of CSV). The pandas baseline reads the same CSVs and does only the core normalization (direction
rotation, velocity components, line of scrimmage, Parquet out); qb-score additionally parses with
per-value error capture, runs every quarantine rule, derives the play table and writes three tables.
Both are timed in the same run; pandas runs on a subset of the weeks (stated) to keep the run short,
and the comparison is in rows per second. A third row does exactly the baseline's work in lazy Polars,
for the like-for-like ratio. A fourth row ingests the same season from Parquet copies of the week files
(typed columns, as a Parquet export writes them).

    python bench/ingest.py [--games 250] [--pandas-weeks 2] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from qb_assets.ingest.pipeline import ingest_source

REAL = Path(os.environ.get("QB_REAL_DATA", Path(__file__).resolve().parents[2] / "shared" / "data" / "real"))
GAME_FILE = "bdb2021_week14_game2018120600.csv"
WEEKS = 17


def build_season(out: Path, games: int) -> int:
    """Write ``games`` copies of the real game as week1.csv .. week17.csv; returns the row count."""
    game = pl.read_csv(REAL / GAME_FILE, infer_schema=False)
    per_week = -(-games // WEEKS)
    rows = 0
    out.mkdir(parents=True, exist_ok=True)
    for week in range(1, WEEKS + 1):
        copies = []
        for n in range(per_week):
            index = (week - 1) * per_week + n
            if index >= games:
                break
            # Real calendar ids in the 2018 season: Sundays from week 1, game number n.
            day = pl.date(2018, 9, 9) + pl.duration(days=7 * (week - 1))
            game_id = pl.select(day.dt.strftime("%Y%m%d") + pl.lit(f"{n:02d}")).item()
            copies.append(game.with_columns(pl.lit(game_id).alias("gameId")))
        if copies:
            frame = pl.concat(copies)
            frame.write_csv(out / f"week{week}.csv")
            rows += frame.height
    return rows


def parquet_copies(source: Path, out: Path) -> None:
    """Each week CSV of ``source`` as a typed Parquet file in ``out`` (not timed)."""
    out.mkdir(parents=True, exist_ok=True)
    for path in sorted(source.glob("week*.csv")):
        pl.read_csv(path, null_values=["NA"]).write_parquet(out / f"{path.stem}.parquet")


def pandas_ingest(source: Path, out: Path) -> int:
    """A straightforward pandas reader + normalizer, the baseline."""
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for path in sorted(source.glob("week*.csv")):
        df = pd.read_csv(path, na_values=["NA"])
        df["event"] = df["event"].replace("None", np.nan)
        left = df["playDirection"] == "left"
        df.loc[left, "x"] = 120 - df.loc[left, "x"]
        df.loc[left, "y"] = 160 / 3 - df.loc[left, "y"]
        for angle in ("o", "dir"):
            df.loc[left, angle] = (df.loc[left, angle] + 180) % 360
        heading = np.radians(df["dir"])
        df["vx"], df["vy"] = df["s"] * np.sin(heading), df["s"] * np.cos(heading)
        df["ax"], df["ay"] = df["a"] * np.sin(heading), df["a"] * np.cos(heading)
        snaps = df[df["event"] == "ball_snap"].groupby(["gameId", "playId"])["frameId"].min().rename("snap")
        ball = df[df["team"] == "football"].join(snaps, on=["gameId", "playId"])
        window = ball[(ball["frameId"] <= ball["snap"]) & (ball["frameId"] > ball["snap"] - 10)]
        los = window.groupby(["gameId", "playId"])["x"].median().rename("line_of_scrimmage_x")
        df = df.join(los, on=["gameId", "playId"])
        df.to_parquet(out / f"{path.stem}.parquet")
        rows += len(df)
    return rows


def polars_read_normalize(source: Path, out: Path) -> int:
    """The baseline's exact work (read, rotate, velocity components, line of scrimmage, Parquet out) in
    lazy Polars: the like-for-like comparison."""
    out.mkdir(parents=True, exist_ok=True)
    rows = 0
    for path in sorted(source.glob("week*.csv")):
        left = pl.col("playDirection") == "left"
        heading = pl.col("dir").radians()
        frame = (
            pl.scan_csv(path, null_values=["NA"])
            .with_columns(
                pl.when(pl.col("event") == "None").then(None).otherwise(pl.col("event")).alias("event")
            )
            .with_columns(
                pl.when(left).then(120 - pl.col("x")).otherwise(pl.col("x")).alias("x"),
                pl.when(left).then(160 / 3 - pl.col("y")).otherwise(pl.col("y")).alias("y"),
                *[
                    pl.when(left).then((pl.col(c) + 180) % 360).otherwise(pl.col(c)).alias(c)
                    for c in ("o", "dir")
                ],
            )
            .with_columns(
                (pl.col("s") * heading.sin()).alias("vx"),
                (pl.col("s") * heading.cos()).alias("vy"),
                (pl.col("a") * heading.sin()).alias("ax"),
                (pl.col("a") * heading.cos()).alias("ay"),
            )
        )
        key = ["gameId", "playId"]
        snaps = (
            frame.filter(pl.col("event") == "ball_snap")
            .group_by(key)
            .agg(pl.col("frameId").min().alias("snap"))
        )
        los = (
            frame.filter(pl.col("team") == "football")
            .join(snaps, on=key)
            .filter(pl.col("frameId").is_between(pl.col("snap") - 9, pl.col("snap")))
            .group_by(key)
            .agg(pl.col("x").median().alias("line_of_scrimmage_x"))
        )
        result = frame.join(los, on=key).collect()
        result.write_parquet(out / f"{path.stem}.parquet")
        rows += result.height
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", type=int, default=250)
    parser.add_argument("--pandas-weeks", type=int, default=2, help="weeks the pandas baseline ingests")
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qb-bench-ingest-"))
    source = work / "source"
    started = time.perf_counter()
    rows = build_season(source, args.games)
    print(f"built {args.games} games, {rows:,} rows of CSV in {time.perf_counter() - started:.1f} s")

    started = time.perf_counter()
    summary = ingest_source(source, work / "lake")
    polars_s = time.perf_counter() - started

    parquet_copies(source, work / "parquet_source")
    started = time.perf_counter()
    parquet_summary = ingest_source(work / "parquet_source", work / "parquet_lake")
    parquet_s = time.perf_counter() - started

    subset = work / "pandas_source"
    subset.mkdir(exist_ok=True)
    for week in range(1, args.pandas_weeks + 1):
        shutil.copyfile(source / f"week{week}.csv", subset / f"week{week}.csv")
    started = time.perf_counter()
    pandas_rows = pandas_ingest(subset, work / "pandas_out")
    pandas_s = time.perf_counter() - started

    started = time.perf_counter()
    same_rows = polars_read_normalize(subset, work / "polars_out")
    same_s = time.perf_counter() - started

    polars_rate, pandas_rate = summary["rows_in"] / polars_s, pandas_rows / pandas_s
    same_rate = same_rows / same_s
    print()
    print("| implementation | input | rows | seconds | rows/s | ratio |")
    print("|---|---|---:|---:|---:|---:|")
    print(
        f"| pandas read + normalize (baseline) | {args.pandas_weeks} weeks | {pandas_rows:,} | "
        f"{pandas_s:.1f} | {pandas_rate:,.0f} | 1.00 |"
    )
    print(
        f"| Polars read + normalize (same work) | {args.pandas_weeks} weeks | {same_rows:,} | "
        f"{same_s:.1f} | {same_rate:,.0f} | {same_rate / pandas_rate:.2f} |"
    )
    print(
        f"| qb-score ingest (parse, quarantine, normalize, outcomes, 5 tables) | {args.games} games | "
        f"{summary['rows_in']:,} | {polars_s:.1f} | {polars_rate:,.0f} | {polars_rate / pandas_rate:.2f} |"
    )
    parquet_rate = parquet_summary["rows_in"] / parquet_s
    print(
        f"| qb-score ingest, Parquet input | {args.games} games | {parquet_summary['rows_in']:,} | "
        f"{parquet_s:.1f} | {parquet_rate:,.0f} | {parquet_rate / pandas_rate:.2f} |"
    )
    print(
        f"\nplays in {summary['plays_in']:,}, accepted {summary['plays_accepted']:,}, "
        f"quarantined {summary['plays_quarantined']:,}"
    )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
