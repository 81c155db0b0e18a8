"""Consistency of the score on real seasons: nflfastR play-by-play through the real pipeline, every season
scored by a situation-only model that never saw it (leave one season out), against the traditional
measures on the same pass attempts.

Steps: ``ingest_pbp`` into a lake; per season S, ``train_situation_model`` on every other season
(``--epochs``, refit on train + validation unless ``--no-refit``) and score S's attempts with it; load the
DuckDB warehouse. Then, over passer-seasons with at least ``--min-attempts`` attempts:

* split-half reliability: the measure over the odd weeks against the even weeks of the same passer-season
  (Pearson across passer-seasons; the score is the half's mean passing percentile);
* year over year: the season measure of the same passer in consecutive seasons (Pearson; the score is
  ``passing_score`` of ``qb_season_scores``, shrunk with the season's priors; passers are matched by the
  play-by-play identity, the name the file gives);

each with a bootstrap 90% interval (resampled passer-season pairs, ``--bootstrap`` draws). Measures: the
score, the NFL passer rating, ANY/A, yards per attempt, EPA per play and completion %, all from the
warehouse's statistics (one definition; ``sql/schema.sql``).

    python -m bench.real_validity PBP.parquet [--workdir DIR] [--epochs 10] [--json]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.features.situation import situation_attempts
from qb_assets.ingest.pbp_ingest import ingest_pbp, pbp_partitions
from qb_assets.io import lake as lake_io
from qb_assets.model.situation import train_situation_model
from qb_assets.scoring.score import PLAY_SCORES_TABLE
from qb_assets.scoring.situation import situation_scores
from qb_assets.warehouse.load import connect, load_lake

MEASURES = ("score", "passer_rating", "anya", "ypa", "epa_per_play", "completion_pct")
# One row per passer x season x half (week % 2), from the per-game sufficient statistics.
HALVES = """
SELECT passer_nfl_id, season, week % 2 AS half, sum(attempts) AS attempts,
       sum(sum_passing_percentile) / sum(attempts) AS score,
       nfl_passer_rating(sum(attempts), sum(completions), sum(passing_yards), sum(touchdowns),
                         sum(interceptions)) AS passer_rating,
       anya(sum(attempts), sum(passing_yards), sum(touchdowns), sum(interceptions)) AS anya,
       sum(passing_yards) / sum(attempts) AS ypa,
       sum(sum_epa) / nullif(sum(epa_plays), 0) AS epa_per_play,
       sum(completions) / sum(attempts) AS completion_pct
FROM qb_game_stats GROUP BY ALL
"""
SEASONS = """
SELECT passer_nfl_id, season, attempts, passing_score AS score, nfl_passer_rating AS passer_rating, anya,
       yards_per_attempt AS ypa, epa_per_play, completion_pct
FROM qb_season_scores
"""


def leave_one_season_out(pbp: Path, workdir: Path, epochs: int, refit: bool, log) -> Path:
    """Ingest, then score each season with a model trained on the others; returns the warehouse."""
    lake, warehouse = str(workdir / "lake"), workdir / "warehouse.duckdb"
    ingest_pbp(pbp, lake)
    keys = pbp_partitions(lake)
    seasons = sorted({season for season, _ in keys})
    for season in seasons:
        others = [s for s in seasons if s != season]
        started = time.perf_counter()
        version = train_situation_model(
            lake, workdir / "models" / str(season), others, epochs=epochs, refit=refit
        )
        mine = [k for k in keys if k[0] == season]
        scores = situation_scores(situation_attempts(lake, mine), version["model_dir"])
        for (s, week), frame in scores.partition_by("season", "week", as_dict=True).items():
            lake_io.write_partition(lake, PLAY_SCORES_TABLE, s, week, frame)
        log(
            f"season {season}: model on {others} ({time.perf_counter() - started:.0f} s), "
            f"{scores.height} scored"
        )
    warehouse.unlink(missing_ok=True)
    load_lake(lake, warehouse)
    return warehouse


def bootstrap_r(a: np.ndarray, b: np.ndarray, draws: int, seed: int = 0) -> dict:
    """Pearson r of the pairs and its bootstrap 90% interval (pairs resampled with replacement)."""
    rng = np.random.default_rng(seed)
    index = rng.integers(0, len(a), size=(draws, len(a)))
    x, y = a[index], b[index]
    x, y = x - x.mean(axis=1, keepdims=True), y - y.mean(axis=1, keepdims=True)
    rs = (x * y).sum(axis=1) / np.sqrt((x * x).sum(axis=1) * (y * y).sum(axis=1))
    return {
        "r": float(np.corrcoef(a, b)[0, 1]),
        "low_90": float(np.quantile(rs, 0.05)),
        "high_90": float(np.quantile(rs, 0.95)),
    }


def _frame(con, sql: str) -> pl.DataFrame:
    cursor = con.execute(sql)
    names = [d[0] for d in cursor.description]
    return pl.DataFrame(cursor.fetchall(), schema=names, orient="row", infer_schema_length=None)


def consistency(warehouse: Path, min_attempts: int, draws: int) -> dict:
    """Split-half and year-over-year correlations per measure (module docstring)."""
    con = connect(warehouse, read_only=True)
    try:
        halves, seasons = _frame(con, HALVES), _frame(con, SEASONS)
    finally:
        con.close()
    keys = ["passer_nfl_id", "season"]
    qualified = halves.group_by(keys).agg(pl.col("attempts").sum()).filter(pl.col("attempts") >= min_attempts)
    odd = halves.filter(pl.col("half") == 1).join(qualified.select(keys), on=keys)
    paired = odd.join(halves.filter(pl.col("half") == 0), on=keys, suffix="_other").drop_nulls(
        [*MEASURES, *(f"{m}_other" for m in MEASURES)]
    )
    regular = seasons.filter(pl.col("attempts") >= min_attempts)
    consecutive = regular.join(
        regular.with_columns(pl.col("season") - 1), on=keys, suffix="_other"
    ).drop_nulls([*MEASURES, *(f"{m}_other" for m in MEASURES)])
    report = {
        "passer_seasons": qualified.height,
        "split_half_pairs": paired.height,
        "yoy_pairs": consecutive.height,
    }
    for name, pairs in (("split_half", paired), ("year_over_year", consecutive)):
        report[name] = {
            m: bootstrap_r(pairs[m].to_numpy(), pairs[f"{m}_other"].to_numpy(), draws) for m in MEASURES
        }
    return report


def format_table(report: dict) -> str:
    """The consistency table (markdown, as in the README)."""
    lines = [
        f"passer-seasons: {report['passer_seasons']}; split-half pairs {report['split_half_pairs']}, "
        f"year-over-year pairs {report['yoy_pairs']}",
        "",
        "| measure | split-half r [90% CI] | year-over-year r [90% CI] |",
        "|---|---|---|",
    ]
    for m in MEASURES:
        cells = [
            f"{v['r']:.2f} [{v['low_90']:.2f}, {v['high_90']:.2f}]"
            for v in (report["split_half"][m], report["year_over_year"][m])
        ]
        lines.append(f"| {m} | {cells[0]} | {cells[1]} |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("pbp", type=Path, help="nflfastR play-by-play (Parquet or CSV)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the lake, models and warehouse here")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--no-refit", dest="refit", action="store_false")
    parser.add_argument("--min-attempts", type=int, default=200)
    parser.add_argument("--bootstrap", type=int, default=2000)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args(argv)

    def log(message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    with tempfile.TemporaryDirectory() as scratch:
        workdir = args.workdir or Path(scratch)
        workdir.mkdir(parents=True, exist_ok=True)
        warehouse = leave_one_season_out(args.pbp, workdir, args.epochs, args.refit, log)
        report = consistency(warehouse, args.min_attempts, args.bootstrap)
    print(json.dumps(report, indent=2) if args.json else format_table(report))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
