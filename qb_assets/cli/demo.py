"""``qb-score demo``: the embedded default end to end, every step run through the project's named jobs.

A small synthetic season (or ``--source``) is written under the work dir, its seasons and weeks are
added to the dynamic partitions, and the code location's own jobs run against a real Dagster instance
whose DAGSTER_HOME lives in the work dir (SQLite storage from the project's ``dagster.yaml``), so the
same runs can be opened in the UI afterwards: ``weekly_refresh`` ingests and featurizes each week
(``raw_tracking``, ``play_features``), ``train_model`` trains, checks and promotes a model version, and
``weekly_refresh`` again scores each week and loads the warehouse (``play_scores``, ``warehouse``), the
order a production backfill takes. ``full_refresh`` (a retrain inside every partition's run) is not run.
It ends with the time each stage took and commands that run as printed.
"""

from __future__ import annotations

import json
import os
import shlex
import sys
import time
from pathlib import Path

import dagster as dg
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.common.project_files import CHECKOUT_ROOT, project_file
from qb_assets.defs.definitions import build_definitions
from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.partitions import add_partitions, partition_key
from qb_assets.defs.resources import (
    LakeResource,
    ModelStoreResource,
    TrackingSourceResource,
    WarehouseResource,
)
from qb_assets.defs.scoring import play_scores
from qb_assets.defs.warehouse import warehouse
from qb_assets.ingest.pipeline import source_partitions
from qb_assets.io import lake as lake_io
from qb_assets.model.evaluation import format_metrics_table
from qb_assets.model.store import (
    candidate_version_dir,
    list_versions,
    read_evaluation,
)
from qb_assets.model.versions_table import format_versions_table
from qb_assets.synthetic.season import generate_season
from qb_assets.warehouse.query import run_query

DEMO_SEASON = 2024
DEMO_WEEKS = (1, 2, 3, 4)
DEMO_GAMES_PER_WEEK = 8
DEMO_EPOCHS = 15
# No refit on train + validation after early stopping: it halves the demo's training, its longest stage
# (`qb-score train` and the train_model job refit by default).
DEMO_REFIT = False
MIN_GAMES_TO_TRAIN = 3  # a train, a validation and a test game
# Dagster's console logger at INFO keeps the demo's own progress lines readable (DEBUG is per event).
QUIET_RUN_CONFIG = {"loggers": {"console": {"config": {"log_level": "INFO"}}}}


def prepare_dagster_home(home: Path) -> Path:
    """Create DAGSTER_HOME with the project's dagster.yaml (the copy in the package when installed) and
    point the environment at it."""
    home = home.resolve()
    home.mkdir(parents=True, exist_ok=True)
    (home / "dagster.yaml").write_bytes(project_file("dagster.yaml").read_bytes())
    os.environ["DAGSTER_HOME"] = str(home)
    return home


def run_job(
    defs: dg.Definitions,
    instance: dg.DagsterInstance,
    job: str,
    key: tuple[int, int] | None = None,
    assets: list[dg.AssetsDefinition] | None = None,
) -> dg.ExecuteInProcessResult:
    """Run the named ``job`` of ``defs`` in this process, for the (season, week) ``key`` when given and
    only the ``assets`` of it when given: the UI lists the run under the job's name."""
    return defs.resolve_job_def(job).execute_in_process(
        instance=instance,
        partition_key=str(partition_key(*key)) if key else None,
        asset_selection=[asset.key for asset in assets] if assets else None,
        run_config=QUIET_RUN_CONFIG,
    )


def run_demo(workdir: Path, source: str | None = None, seed: int = 0, log: Progress = print) -> int:
    """The demo in ``workdir`` on ``source`` (a generated season when None); prints the results to
    stdout, progress, the stage times and the next commands to ``log``; returns the exit code."""
    started = time.perf_counter()
    workdir = workdir.resolve()
    home = prepare_dagster_home(workdir / "dagster_home")
    generated = source is None
    if source is None:
        source = str(workdir / "source")
        log(f"synthetic season {DEMO_SEASON}, weeks {DEMO_WEEKS}, {DEMO_GAMES_PER_WEEK} games a week")
        generate_season(
            source,
            season=DEMO_SEASON,
            weeks=DEMO_WEEKS,
            games_per_week=DEMO_GAMES_PER_WEEK,
            seed=seed,
            progress=log,
        )
    elif "://" not in source:  # the printed commands run from another folder
        source = str(Path(source).resolve())
    lake = str(workdir / "lake")
    resources = {
        "tracking_source": TrackingSourceResource(uri=source),
        "lake": LakeResource(root=lake),
        "model_store": ModelStoreResource(root=str(workdir / "models"), epochs=DEMO_EPOCHS, refit=DEMO_REFIT),
        "duckdb_warehouse": WarehouseResource(path=str(workdir / "warehouse.duckdb")),
    }
    defs, instance = build_definitions(resources), dg.DagsterInstance.get()
    partitions = source_partitions(source)
    added = add_partitions(instance, partitions)  # what the sensor does for new files
    log(f"partitions: {len(partitions)} season x week ({', '.join(added) or 'all known already'})")
    seconds = {"generate" if generated else "setup": time.perf_counter() - started}
    jobs = ["weekly_refresh"]
    _ingest_stage(defs, instance, partitions, lake, log)
    seconds["ingest and features"] = time.perf_counter() - started - sum(seconds.values())
    if _games(lake) >= MIN_GAMES_TO_TRAIN:
        _model_stage(defs, instance, resources, log)
        jobs.append("train_model")
        seconds["training"] = time.perf_counter() - started - sum(seconds.values())
        _score_stage(defs, instance, resources, partitions, log)
        seconds["scoring and warehouse"] = time.perf_counter() - started - sum(seconds.values())
    else:
        log(f"model stage skipped: the source has fewer than {MIN_GAMES_TO_TRAIN} games to split")
    stages = ", ".join(f"{stage} {value:.0f} s" for stage, value in seconds.items())
    log(f"demo finished in {(time.perf_counter() - started) / 60:.1f} min ({stages})")
    log(next_steps(home, source, resources, jobs))
    return 0


def _ingest_stage(defs: dg.Definitions, instance, partitions: list, lake: str, log: Progress) -> None:
    """weekly_refresh's ingest and features for every week; print the ingestion summary."""
    totals = {"plays_in": 0, "plays_accepted": 0, "plays_quarantined": 0, "rows_in": 0}
    feature_totals = {"feature_rows": 0, "feature_quarantined": 0}
    reasons: dict[str, int] = {}
    for index, key in enumerate(partitions, 1):
        log(f"[{index}/{len(partitions)}] weekly_refresh {key[0]} week {key[1]}: raw_tracking, play_features")
        result = run_job(defs, instance, "weekly_refresh", key, [raw_tracking, play_features])
        metadata = result.asset_materializations_for_node("raw_tracking")[0].metadata
        for name in totals:
            totals[name] += int(metadata[name].value)
        feature_metadata = result.asset_materializations_for_node("play_features")[0].metadata
        for name in feature_totals:
            feature_totals[name] += int(feature_metadata[name].value)
        for reason, count in metadata["quarantine_reasons"].value.items():
            reasons[reason] = reasons.get(reason, 0) + count
    print(json.dumps({**totals, "quarantine_reasons": reasons, **feature_totals, "lake": lake}, indent=2))


def _command(program: str) -> str:
    """``program`` as a command that runs without activating the virtual environment: ``qb-score`` the
    way this demo was started (the script by its full path, or this interpreter with ``-m``),
    ``dagster`` beside this interpreter (else with ``-m``)."""
    started_as = Path(sys.argv[0]).absolute()
    script = started_as if program == "qb-score" else Path(sys.executable).parent / program
    if script.name == program and script.is_file():
        return shlex.quote(str(script))
    module = {"qb-score": "qb_assets.cli", "dagster": "dagster"}[program]
    return f"{shlex.quote(sys.executable)} -m {module}"


def next_steps(home: Path, source: str, resources: dict, jobs: list[str]) -> str:
    """The commands that open the demo's runs in the UI and query its warehouse, runnable as printed
    (full paths; from DAGSTER_HOME, so that Dagster finds no other dagster.yaml in the folder)."""
    path = resources["duckdb_warehouse"].path
    workspace = CHECKOUT_ROOT / "workspace.yaml"
    location = f"-w {shlex.quote(str(workspace))}" if workspace.exists() else "-m qb_assets.defs.definitions"
    environment = {
        "DAGSTER_HOME": str(home),
        "QB_SOURCE": source,
        "QB_LAKE": resources["lake"].root,
        "QB_MODELS": resources["model_store"].root,
        "QB_WAREHOUSE": path,
    }
    variables = " \\\n    ".join(f"{name}={shlex.quote(value)}" for name, value in environment.items())
    steps = (
        f"open these runs in the Dagster UI (Jobs: {', '.join(jobs)}) with:\n"
        f"  cd {shlex.quote(str(home))} && \\\n    {variables} \\\n    {_command('dagster')} dev {location}\n"
    )
    if not Path(path).is_file():
        return steps
    qb_score, warehouse_file = _command("qb-score"), shlex.quote(path)
    query = "SELECT * FROM qb_season_scores WHERE qualified ORDER BY score_50_99 DESC"
    steps += f"query the scores with:\n  {qb_score} query {shlex.quote(query)} --warehouse {warehouse_file}\n"
    leaders = json.loads(run_query(LEADER, path, "json"))
    if leaders:
        name, season = shlex.quote(leaders[0]["display_name"]), leaders[0]["season"]
        steps += (
            "and chart the leader's season by week:\n"
            f"  {qb_score} chart {name} --season {season} --warehouse {warehouse_file} --out leader.png\n"
        )
    return steps.rstrip("\n")


def _games(lake: str) -> int:
    return lake_io.scan_table(lake, "features").select(pl.col("game_id").n_unique()).collect().item()


def _model_stage(defs: dg.Definitions, instance, resources: dict, log: Progress) -> None:
    """train_model: train, compare, check and promote a model version; print the metrics table and the
    model versions."""
    log(
        "train_model: training_set, sbp_model, baseline_models, model_evaluation, promoted_model "
        f"({DEMO_EPOCHS} epochs{'' if DEMO_REFIT else ', no refit'})"
    )
    run_job(defs, instance, "train_model")
    model_root = resources["model_store"].sbp_root
    evaluation = read_evaluation(candidate_version_dir(model_root))
    print("\nheld-out model comparison (synthetic truth = oracle):\n" + format_metrics_table(evaluation))
    print(f"\nmodel versions (qb-score models --model-root {model_root}):\n")
    print(format_versions_table(list_versions(model_root)))


# Qualified passers only: a 30-attempt passer's interval is wide and his rank means little.
SEASON_LEADERBOARD = """
SELECT display_name AS passer, attempts, round(score_50_99, 1) AS score,
       round(passing_score, 3) AS passing_score, round(decision_score, 4) AS decision,
       round(execution_score, 3) AS execution, round(anya, 2) AS anya,
       round(nfl_passer_rating, 1) AS passer_rating
FROM qb_season_scores WHERE qualified ORDER BY score_50_99 DESC LIMIT 10"""
HIDDEN_PASSERS = """
SELECT count(*) FILTER (WHERE NOT s.qualified) AS hidden, count(*) AS passers,
       any_value(min_attempts_per_team_game()) AS per_team_game, any_value(lg.team_games) AS team_games,
       any_value(min_attempts_per_team_game() * lg.team_games) AS needed
FROM qb_season_scores AS s JOIN league_seasons AS lg USING (season)"""
LEADER = """
SELECT display_name, season FROM qb_season_scores WHERE qualified AND display_name IS NOT NULL
ORDER BY score_50_99 DESC LIMIT 1"""
SPLIT_LEADERBOARD = """
SELECT split, arg_max(display_name, score_50_99) AS leader, round(max(score_50_99), 1) AS score,
       count(*) AS qualified_passers
FROM qb_split_scores WHERE qualified GROUP BY split ORDER BY split"""


def leaderboard_note(path: str) -> str:
    """How many passers the season leaderboard hides, and why."""
    (row,) = json.loads(run_query(HIDDEN_PASSERS, path, "json"))
    return (
        f"{row['hidden']} of {row['passers']} passers are not shown: fewer than {row['needed']} attempts, "
        f"the season's qualification ({row['per_team_game']} attempts per team game x {row['team_games']} "
        "team games)"
    )


def _score_stage(defs: dg.Definitions, instance, resources: dict, partitions: list, log: Progress) -> None:
    """weekly_refresh's scores and warehouse load for every week; print the leaderboards."""
    for index, key in enumerate(partitions, 1):
        log(f"[{index}/{len(partitions)}] weekly_refresh {key[0]} week {key[1]}: play_scores, warehouse")
        run_job(defs, instance, "weekly_refresh", key, [play_scores, warehouse])
    path = resources["duckdb_warehouse"].path
    print(
        "\nseason leaderboard, qualified passers (qb_season_scores):\n" + run_query(SEASON_LEADERBOARD, path)
    )
    print(leaderboard_note(path))
    print("\nsplit leaders, qualified passers (qb_split_scores):\n" + run_query(SPLIT_LEADERBOARD, path))
