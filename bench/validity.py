"""Score validity against the generator's truth, over several generated full seasons.

Each season (seed) goes through the real pipeline: generate (17 weeks x 16 games, with tracking), ingest,
features, train the passing and execution models (train on weeks 1-13 by default, the test weeks held
out), score every week, load the DuckDB warehouse. Then, over the starting QBs (at least
``--min-attempts`` attempts), per measure: the Spearman correlation with the two truths of the
generator (``true_ypa``, ``true_anya`` in ``skills.parquet``) and the split-half reliability (the season
measure on the odd weeks against the even weeks: two warehouses loaded with one half each, so every
score, shrinkage included, is computed as a user would get it from half a season; Pearson across QBs).

Measures: the passing score (``passing_score`` of ``qb_season_scores``) from the models and from the
oracle (the same warehouse views over the play scores computed under the TRUE distributions: the ceiling
no model can beat with these outcomes), the execution score, the NFL passer rating, ANY/A, yards per
attempt and yards over expected; and decision value against the latent decision skill, the execution
score against the latent accuracy skill. ``interval_coverage_90``: the share of starters whose 90%
interval of the passing score contains their noise-free truth (the mean expected passing percentile of
their plays under the truth). The models' held-out CRPS against their oracles and PIT KS are printed per
season.

    python -m bench.validity --seeds 11-16 [--workdir DIR] [--json] [--epochs 60]

``--workdir DIR`` keeps each season in ``DIR/seed_<seed>/``: ``source/`` (the generated files, with
``skills.parquet``, ``truth.parquet`` and ``truth_receivers.parquet``), ``lake/``, ``models/``,
``warehouse.duckdb`` (and ``oracle.duckdb``), so the numbers can be recomputed from them; a rerun reuses
what is there.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from qb_assets.common.ranges import parse_int_ranges
from qb_assets.features.store import build_features
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.model.evaluation import evaluate_model
from qb_assets.model.training import train_model
from qb_assets.scoring.score import PLAY_SCORES_TABLE, score_lake
from qb_assets.synthetic.oracle import read_play_oracle, starters, truth_oracles
from qb_assets.synthetic.season import generate_season
from qb_assets.warehouse.load import connect, load_lake, load_partition

SEASON = 2024
# MEASURE name -> column of qb_season_scores.
MEASURES = {
    "passing_score": "passing_score",
    "passing_oracle": "passing_score",
    "execution_score": "execution_score",
    "passer_rating": "nfl_passer_rating",
    "anya": "anya",
    "ypa": "yards_per_attempt",
    "yards_over_expected": "yards_over_expected",
}
ORACLE_MEASURES = {"passing_oracle"}
SEASON_COLUMNS = (
    "passer_nfl_id",
    "attempts",
    "passing_score",
    "passing_score_low_90",
    "passing_score_high_90",
    "execution_score",
    "decision_score",
    "nfl_passer_rating",
    "anya",
    "yards_per_attempt",
    "yards_over_expected",
)


def build_season(folder: Path, seed: int, args: argparse.Namespace) -> dict:
    """Generate, ingest, featurize, train and score one season in ``folder`` (reusing finished steps);
    returns the models' held-out evaluation (both models and their oracles)."""
    source, lake, models = folder / "source", folder / "lake", folder / "models"
    started = time.perf_counter()
    if not (source / "skills.parquet").exists():
        weeks = parse_int_ranges(args.weeks)
        generate_season(source, season=SEASON, weeks=weeks, games_per_week=args.games_per_week, seed=seed)
    if not (lake.exists() and lake_io.list_partitions(lake, "features")):
        ingest_source(source, lake)
        build_features(str(lake))
    print(f"seed {seed}: data ready ({time.perf_counter() - started:.0f} s)", flush=True)
    version = folder / "version.txt"
    if not version.exists():
        test_weeks = tuple(parse_int_ranges(args.test_weeks))
        trained = train_model(str(lake), models, epochs=args.epochs, test_weeks=test_weeks)
        version.write_text(trained["model_dir"])
    version_dir = Path(version.read_text())
    print(f"seed {seed}: models trained ({time.perf_counter() - started:.0f} s)", flush=True)
    evaluation = evaluate_model(str(lake), version_dir, oracles=truth_oracles(source), with_baselines=False)
    score_lake(str(lake), version_dir)
    print(f"seed {seed}: scored ({time.perf_counter() - started:.0f} s)", flush=True)
    return evaluation


def oracle_scores(folder: Path) -> pl.DataFrame:
    """The models' play scores with the three per-play numbers replaced by the oracle's."""
    scores = lake_io.scan_table(folder / "lake", PLAY_SCORES_TABLE).collect()
    oracle = read_play_oracle(folder / "source").select(
        "game_id", "play_id", "passing_percentile", "execution_percentile", "decision_value"
    )
    replaced = scores.drop("passing_percentile", "execution_percentile", "decision_value").join(
        oracle, on=["game_id", "play_id"], how="inner"
    )
    if replaced.height != scores.height:
        raise ValueError(f"{folder}: the truth misses {scores.height - replaced.height} scored plays")
    return replaced.select(scores.columns)


def load_warehouses(folder: Path) -> dict[str, Path]:
    """Warehouses of the model's and the oracle's play scores, for the whole season and for each half
    (odd weeks, even weeks); returns their paths by name."""
    lake = str(folder / "lake")
    weeks = [week for _, week in lake_io.list_partitions(lake, PLAY_SCORES_TABLE)]
    paths = {}
    for half, wanted in (("full", weeks), ("odd", weeks[0::2]), ("even", weeks[1::2])):
        path = folder / f"warehouse_{half}.duckdb" if half != "full" else folder / "warehouse.duckdb"
        path.unlink(missing_ok=True)
        load_lake(lake, path, partitions=[(SEASON, w) for w in wanted])
        paths[f"model_{half}"] = path
        oracle_path = folder / ("oracle.duckdb" if half == "full" else f"oracle_{half}.duckdb")
        oracle_path.unlink(missing_ok=True)
        _load_oracle(folder, oracle_path, wanted)
        paths[f"oracle_{half}"] = oracle_path
    return paths


def _load_oracle(folder: Path, path: Path, weeks: list[int]) -> None:
    scores = oracle_scores(folder)
    lake = folder / "lake"
    for week in weeks:
        tables = {"play_scores": scores.filter(pl.col("week") == week)}
        for table in ("games", "plays", "players"):
            tables[table] = lake_io.scan_table(lake, table, [(SEASON, week)]).collect()
        load_partition(path, SEASON, week, tables)


def season_table(path: Path) -> pl.DataFrame:
    con = connect(path, read_only=True)
    try:
        query = f"SELECT {', '.join(SEASON_COLUMNS)} FROM qb_season_scores WHERE season = {SEASON}"
        frame = pl.from_arrow(con.sql(query).to_arrow_table())
    finally:
        con.close()
    return frame


def season_report(folder: Path, min_attempts: int) -> dict:
    """Per measure: Spearman with true_ypa and true_anya, split-half r; and the skill correlations and
    the interval coverage."""
    qbs = starters(folder / "source" / "skills.parquet")
    paths = load_warehouses(folder)
    tables = {name: season_table(path) for name, path in paths.items()}
    report: dict = {}
    for measure, column in MEASURES.items():
        kind = "oracle" if measure in ORACLE_MEASURES else "model"
        full = tables[f"{kind}_full"].join(qbs, left_on="passer_nfl_id", right_on="nfl_id")
        full = full.filter(pl.col("attempts") >= min_attempts)
        halves = tables[f"{kind}_odd"].join(tables[f"{kind}_even"], on="passer_nfl_id", suffix="_even")
        halves = halves.filter(pl.col("passer_nfl_id").is_in(full["passer_nfl_id"].implode()))
        report[measure] = {
            "spearman_true_ypa": float(stats.spearmanr(full[column], full["true_ypa"])[0]),
            "spearman_true_anya": float(stats.spearmanr(full[column], full["true_anya"])[0]),
            "split_half": float(stats.pearsonr(halves[column], halves[f"{column}_even"])[0]),
        }
    model = tables["model_full"].join(qbs, left_on="passer_nfl_id", right_on="nfl_id")
    model = model.filter(pl.col("attempts") >= min_attempts)
    truth = (
        read_play_oracle(folder / "source")
        .group_by("passer_nfl_id")
        .agg(pl.col("expected_passing_percentile").mean().alias("truth"))
    )
    covered = model.join(truth, on="passer_nfl_id").select(
        pl.col("truth").is_between(pl.col("passing_score_low_90"), pl.col("passing_score_high_90")).mean()
    )
    report["interval_coverage_90"] = float(covered.item())
    report["decision_value_vs_decision_skill"] = float(
        stats.spearmanr(model["decision_score"], model["decision"])[0]
    )
    report["execution_vs_accuracy_skill"] = float(
        stats.spearmanr(model["execution_score"], model["accuracy"])[0]
    )
    report["starters"] = model.height
    return report


def mean_report(seasons: list[dict]) -> dict:
    keys = ("spearman_true_ypa", "spearman_true_anya", "split_half")
    mean = {m: {k: float(np.mean([s[m][k] for s in seasons])) for k in keys} for m in MEASURES}
    scalars = ("interval_coverage_90", "decision_value_vs_decision_skill", "execution_vs_accuracy_skill")
    return {"mean": mean, **{k: float(np.mean([s[k] for s in seasons])) for k in scalars}}


def print_table(result: dict) -> None:
    seasons, mean = result["seasons"], result["mean"]
    seeds = ", ".join(str(s["seed"]) for s in seasons)
    print(
        f"\nValidity over {len(seasons)} generated seasons (seeds {seeds})"
        "\n\n| measure | Spearman true_ypa (mean [min, max]) | Spearman true_anya | split-half r |"
        "\n|---|---|---|---|"
    )
    for measure in MEASURES:
        ypa = [s[measure]["spearman_true_ypa"] for s in seasons]
        print(
            f"| {measure} | {mean[measure]['spearman_true_ypa']:.3f} [{min(ypa):.2f}, {max(ypa):.2f}] | "
            f"{mean[measure]['spearman_true_anya']:.3f} | {mean[measure]['split_half']:.3f} |"
        )
    print(
        f"\ndecision value vs the decision skill (Spearman): {result['decision_value_vs_decision_skill']:.3f}"
        f"\nexecution score vs the accuracy skill (Spearman): {result['execution_vs_accuracy_skill']:.3f}"
        f"\n90% interval coverage of the noise-free truth: {result['interval_coverage_90']:.3f}"
    )
    print("\n| seed | model | CRPS | oracle CRPS | ratio | PIT KS |\n|---|---|---|---|---|---|")
    for season in seasons:
        for name in ("passing", "execution"):
            m = season["evaluation"][name]
            o = season["evaluation"].get(f"{name}_oracle", {})
            ratio = m["crps"] / o["crps"] if o else float("nan")
            oracle_crps = o.get("crps", float("nan"))
            print(
                f"| {season['seed']} | {name} | {m['crps']:.4f} | {oracle_crps:.4f} | {ratio:.3f} | "
                f"{m['pit_ks']:.4f} |"
            )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="11-16", help="generator seeds, one season each (default 11-16)")
    parser.add_argument("--workdir", type=Path, default=None, help="keep the seasons here (else a temp dir)")
    parser.add_argument("--weeks", default="1-17", help="weeks of each generated season (default 1-17)")
    parser.add_argument("--games-per-week", type=int, default=16)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--test-weeks", default="14-17")
    parser.add_argument("--min-attempts", type=int, default=200, help="starters with at least this many")
    parser.add_argument("--json", action="store_true", help="print one JSON object last")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qb-bench-validity-"))
    seasons = []
    try:
        for seed in parse_int_ranges(args.seeds):
            folder = work / f"seed_{seed}"
            evaluation = build_season(folder, seed, args)
            report = season_report(folder, args.min_attempts)
            seasons.append({"seed": seed, **report, "evaluation": evaluation["models"]})
            print(
                f"seed {seed}: passing score Spearman {report['passing_score']['spearman_true_ypa']:.3f}, "
                f"split-half {report['passing_score']['split_half']:.3f}",
                flush=True,
            )
    finally:
        if args.workdir is None:
            shutil.rmtree(work, ignore_errors=True)
    result = {**mean_report(seasons), "seasons": seasons}
    print_table(result)
    if args.json:
        print(json.dumps(result))


if __name__ == "__main__":
    main()
