"""The weekly refresh through Dagster: one new week of generated games arriving in the landing zone,
run as the ``weekly_refresh`` job (ingest, features, scores with the accepted model, warehouse load) in
this process on a real DagsterInstance (a temporary DAGSTER_HOME with the project's dagster.yaml, SQLite
storage), timed per step from the run's event log (STEP_START to STEP_SUCCESS) and in total (wall time
of ``execute_in_process``). The asset checks run inside their asset's step, so each step includes them.

Baseline measured in the same run: the same week through the library functions the four assets call
(the same checks, metadata pictures and writes, the same lake and warehouse), without Dagster, timed
the same way; the difference is Dagster's cost (run and step launch, event log, resources).

Setup (timed, not measured): a season of ``--earlier-weeks`` + 1 weeks is generated; the earlier weeks
are put in the landing zone and run through the project's jobs as the demo does (``weekly_refresh``'s
ingest and features, ``train_model`` with ``--epochs`` and no refit, then scores and the warehouse), so
the accepted model and the warehouse exist; then the new week's tracking files arrive. Repeats after
the first rerun the same partition, which is the same, idempotent work (every step replaces the
partition); the Dagster runs and the library runs alternate, so load on shared cores hits both alike.

    python -m bench.refresh [--games-per-week 16] [--repeats 2] [--workdir DIR] [--earlier-weeks 3]
        [--epochs 6] [--seed 0]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import dagster as dg

from qb_assets.cli.demo import prepare_dagster_home, run_job
from qb_assets.defs.automation import TRAIN_MODEL, WEEKLY_REFRESH
from qb_assets.defs.definitions import build_definitions
from qb_assets.defs.features import play_features, play_features_check_results
from qb_assets.defs.ingest import StagedChecks, raw_tracking, raw_tracking_check_results
from qb_assets.defs.partitions import add_partitions
from qb_assets.defs.resources import (
    LakeResource,
    ModelStoreResource,
    TrackingSourceResource,
    WarehouseResource,
)
from qb_assets.defs.scoring import play_scores
from qb_assets.defs.warehouse import warehouse
from qb_assets.features.store import features_for_partition
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.model.store import accepted_record, accepted_version_dir
from qb_assets.scoring.explain import explain_play
from qb_assets.scoring.plots import leader_chart
from qb_assets.scoring.score import heldout_uniformity, invalid_scores, score_and_measure
from qb_assets.synthetic.season import generate_season
from qb_assets.warehouse.load import load_lake, partition_integrity, season_model_versions

SEASON = 2024
TARGET_S = 30.0
STEPS = {
    "raw_tracking": "ingest (raw_tracking, 3 blocking checks)",
    "play_features": "features (play_features, 2 blocking checks)",
    "play_scores": "scores with the accepted model (play_scores, 3 checks)",
    "warehouse": "warehouse load (warehouse, 2 blocking checks)",
}
BETWEEN = "outside the steps (run start and end, step launch, event log)"
TOTAL = "total"


@dataclass
class Refresh:
    """A prepared workdir: the landing zone with the new week arrived, the project's code location with
    its resources bound, the instance, and the new week's (season, week)."""

    resources: dict
    defs: dg.Definitions
    instance: dg.DagsterInstance
    key: tuple[int, int]
    setup_seconds: dict[str, float]


def landing_zone(workdir: Path, weeks: int, games_per_week: int, seed: int) -> tuple[Path, list[Path]]:
    """Generate ``weeks`` weeks and copy all but the last week's tracking files into the landing zone;
    returns (landing zone, the last week's tracking files, still outside it)."""
    generated, landing = workdir / "generated", workdir / "landing"
    generate_season(
        generated, season=SEASON, weeks=range(1, weeks + 1), games_per_week=games_per_week, seed=seed
    )
    # The project's planner says which files hold which week (the generator mixes layouts and names).
    plan = TrackingSourceResource(uri=str(generated)).plan()
    new_week = {f.name for f in plan[(SEASON, weeks)] if not f.is_table}
    landing.mkdir(parents=True, exist_ok=True)
    for path in generated.iterdir():
        if path.name not in new_week:
            shutil.copy2(path, landing / path.name)
    return landing, [generated / name for name in sorted(new_week)]


def prepare(workdir: Path, games_per_week: int, earlier_weeks: int, epochs: int, seed: int) -> Refresh:
    """The state a nightly run finds (module docstring): earlier weeks scored and loaded with an accepted
    model, the new week's tracking files just landed and its partition added (what the sensor does)."""
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    prepare_dagster_home(workdir / "dagster_home")
    source, arriving = landing_zone(workdir, earlier_weeks + 1, games_per_week, seed)
    seconds["generate"] = time.perf_counter() - started
    resources = {
        "tracking_source": TrackingSourceResource(uri=str(source)),
        "lake": LakeResource(root=str(workdir / "lake")),
        "model_store": ModelStoreResource(root=str(workdir / "models"), epochs=epochs, refit=False),
        "duckdb_warehouse": WarehouseResource(path=str(workdir / "warehouse.duckdb")),
    }
    defs, instance = build_definitions(resources), dg.DagsterInstance.get()
    earlier = [(SEASON, week) for week in range(1, earlier_weeks + 1)]
    add_partitions(instance, earlier)
    for key in earlier:
        run_job(defs, instance, WEEKLY_REFRESH, key, [raw_tracking, play_features])
    seconds["earlier weeks: ingest, features"] = time.perf_counter() - started - sum(seconds.values())
    run_job(defs, instance, TRAIN_MODEL)
    if accepted_record(resources["model_store"].sbp_root) is None:
        raise SystemExit(
            "train_model accepted no model (model_not_regressed failed): try more --epochs or games"
        )
    seconds["train_model"] = time.perf_counter() - started - sum(seconds.values())
    for key in earlier:
        run_job(defs, instance, WEEKLY_REFRESH, key, [play_scores, warehouse])
    seconds["earlier weeks: scores, warehouse"] = time.perf_counter() - started - sum(seconds.values())
    for path in arriving:  # the new week lands
        shutil.copy2(path, source / path.name)
    key = (SEASON, earlier_weeks + 1)
    add_partitions(instance, [key])
    return Refresh(resources, defs, instance, key, seconds)


def dagster_refresh(refresh: Refresh) -> dict[str, float]:
    """One ``weekly_refresh`` run of the new week: seconds per step from the event log, the rest of the
    run and the wall time of the whole call."""
    started = time.perf_counter()
    result = run_job(refresh.defs, refresh.instance, WEEKLY_REFRESH, refresh.key)
    total = time.perf_counter() - started
    seconds = step_seconds(refresh.instance, result.run_id)
    return {**seconds, BETWEEN: total - sum(seconds.values()), TOTAL: total}


def step_seconds(instance: dg.DagsterInstance, run_id: str) -> dict[str, float]:
    """Each step's STEP_START to STEP_SUCCESS seconds, read from the run's event log; a step that did
    not succeed is a RuntimeError (a failed run must not be timed as a fast one)."""
    kinds = {dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS}
    times: dict[str, dict] = {}
    for entry in instance.all_logs(run_id, of_type=kinds):
        times.setdefault(entry.step_key, {})[entry.dagster_event_type] = entry.timestamp
    missing = [step for step in STEPS if len(times.get(step, {})) != len(kinds)]
    if missing:
        raise RuntimeError(f"run {run_id}: no start and success events for step(s) {missing}")
    start, success = dg.DagsterEventType.STEP_START, dg.DagsterEventType.STEP_SUCCESS
    return {step: times[step][success] - times[step][start] for step in STEPS}


@contextmanager
def timed(seconds: dict[str, float], step: str) -> Iterator[None]:
    started = time.perf_counter()
    yield
    seconds[step] = time.perf_counter() - started


def library_refresh(refresh: Refresh) -> dict[str, float]:
    """The new week through the calls the four assets make, their checks, pictures and writes included,
    without Dagster: seconds per step and in total."""
    source, lake = refresh.resources["tracking_source"], refresh.resources["lake"].root
    location = refresh.resources["duckdb_warehouse"].location()
    season, week = refresh.key
    seconds: dict[str, float] = {}
    started = time.perf_counter()
    with timed(seconds, "raw_tracking"):
        checks = StagedChecks(raw_tracking_check_results)
        ingest_source(source.open(), lake, source.layout, partitions=[refresh.key], verify=checks)
    with timed(seconds, "play_features"):
        features_for_partition(lake, season, week, verify=StagedChecks(play_features_check_results))
    with timed(seconds, "play_scores"):
        version_dir = accepted_version_dir(refresh.resources["model_store"].sbp_root)
        scores, _ = score_and_measure(lake, version_dir, season, week)
        invalid_scores(scores)
        best = scores.sort("passing_percentile", descending=True).row(0, named=True)
        explain_play(lake, version_dir, best["game_id"], best["play_id"])
        heldout_uniformity(lake)
    with timed(seconds, "warehouse"):
        load_lake(lake, location, partitions=[refresh.key])
        leader_chart(location, season)
        partition_integrity(location, season, week)
        season_model_versions(location, season)
    total = time.perf_counter() - started
    return {**seconds, BETWEEN: total - sum(seconds.values()), TOTAL: total}


def measure(refresh: Refresh, repeats: int) -> tuple[list[dict], list[dict]]:
    """``repeats`` Dagster runs and library runs of the new week, alternating (Dagster first: the first
    run is the week's arrival, the rest rerun it)."""
    runs: tuple[list[dict], list[dict]] = ([], [])
    for _ in range(repeats):
        runs[0].append(dagster_refresh(refresh))
        runs[1].append(library_refresh(refresh))
    return runs


def table(dagster_runs: list[dict], library_runs: list[dict]) -> str:
    """The Markdown table: per step, the seconds of the first Dagster run (the new week's arrival: what
    the nightly schedule costs), the medians through Dagster and without, their difference, and the
    30 s target beside the totals."""
    lines = [
        "| step | weekly_refresh, the new week's run (s) | weekly_refresh, median (s) "
        "| library calls, no Dagster, median (s, baseline) | Dagster's cost (s) | target |",
        "|---|---:|---:|---:|---:|---|",
    ]
    for step, label in (*STEPS.items(), (BETWEEN, BETWEEN), (TOTAL, TOTAL)):
        first = dagster_runs[0][step]
        dagster = statistics.median(run[step] for run in dagster_runs)
        library = statistics.median(run[step] for run in library_runs)
        target = ""
        if step == TOTAL:
            met = "met" if max(first, dagster) < TARGET_S else "NOT met"
            target = f"< {TARGET_S:.0f} s: {met}"
        lines.append(
            f"| {label} | {first:.2f} | {dagster:.2f} | {library:.2f} | {dagster - library:+.2f} | {target} |"
        )
    return "\n".join(lines)


def run_benchmark(
    workdir: Path,
    games_per_week: int,
    repeats: int,
    *,
    earlier_weeks: int = 3,
    epochs: int = 6,
    seed: int = 0,
) -> tuple[Refresh, list[dict], list[dict]]:
    """Prepare ``workdir`` and measure; returns the prepared state and the Dagster and library runs."""
    refresh = prepare(workdir, games_per_week, earlier_weeks, epochs, seed)
    try:
        dagster_runs, library_runs = measure(refresh, repeats)
    finally:
        refresh.instance.dispose()
    return refresh, dagster_runs, library_runs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games-per-week", type=int, default=16)
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--workdir", type=Path, help="kept afterwards (default: a temporary folder)")
    parser.add_argument("--earlier-weeks", type=int, default=3, help="weeks loaded before the new one")
    parser.add_argument("--epochs", type=int, default=6, help="train_model's epochs in the setup")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="bench-refresh-") as tmp:
        workdir = (args.workdir or Path(tmp)).resolve()
        refresh, dagster_runs, library_runs = run_benchmark(
            workdir,
            args.games_per_week,
            args.repeats,
            earlier_weeks=args.earlier_weeks,
            epochs=args.epochs,
            seed=args.seed,
        )
    setup = ", ".join(f"{name} {value:.0f} s" for name, value in refresh.setup_seconds.items())
    print(f"\nsetup (not measured): {setup}")
    season, week = refresh.key
    print(
        f"weekly_refresh of season {season} week {week} ({args.games_per_week} games), median of "
        f"{args.repeats} (the first run is the new week, the others rerun it: the same idempotent work):"
    )
    print(table(dagster_runs, library_runs))
    totals = ", ".join(f"{run[TOTAL]:.1f}" for run in dagster_runs)
    print(f"\nDagster totals per run (s): {totals}; library totals: "
          + ", ".join(f"{run[TOTAL]:.1f}" for run in library_runs))  # fmt: skip


if __name__ == "__main__":
    main()
