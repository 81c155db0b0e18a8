"""``qb-score demo``: the embedded default end to end, every step materialized through Dagster.

A small synthetic season (or ``--source``) is written under the work dir, then each season x week
partition of the asset graph is materialized (its season added to the season partitions first) against
a real Dagster instance whose DAGSTER_HOME lives in the work dir (SQLite storage from the project's
``dagster.yaml``), so the same runs can be opened in the UI afterwards.
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import dagster as dg
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.common.project_files import project_file
from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.model import (
    baseline_models,
    model_evaluation,
    promoted_model,
    sbp_model,
    training_set,
)
from qb_assets.defs.partitions import materialize_partition
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
    format_versions_table,
    list_versions,
    read_evaluation,
)
from qb_assets.synthetic.season import generate_season
from qb_assets.warehouse.query import run_query

DEMO_SEASON = 2024
DEMO_WEEKS = (1, 2, 3, 4)
DEMO_GAMES_PER_WEEK = 8
DEMO_EPOCHS = 15
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


def run_demo(workdir: Path, source: str | None = None, seed: int = 0, log: Progress = print) -> int:
    workdir = workdir.resolve()
    home = prepare_dagster_home(workdir / "dagster_home")
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
    lake = str(workdir / "lake")
    models = str(workdir / "models")
    resources = {
        "tracking_source": TrackingSourceResource(uri=source),
        "lake": LakeResource(root=lake),
        "model_store": ModelStoreResource(root=models, epochs=DEMO_EPOCHS),
        "duckdb_warehouse": WarehouseResource(path=str(workdir / "warehouse.duckdb")),
    }
    instance = dg.DagsterInstance.get()
    totals = {"plays_in": 0, "plays_accepted": 0, "plays_quarantined": 0, "rows_in": 0}
    feature_totals = {"feature_rows": 0, "feature_quarantined": 0}
    reasons: dict[str, int] = {}
    partitions = source_partitions(source)
    for index, (season, week) in enumerate(partitions, 1):
        log(f"[{index}/{len(partitions)}] materializing raw_tracking, play_features {season} week {week}")
        result = materialize_partition(
            [raw_tracking, play_features],
            season,
            week,
            instance=instance,
            resources=resources,
            run_config=QUIET_RUN_CONFIG,
        )
        metadata = result.asset_materializations_for_node("raw_tracking")[0].metadata
        for key in totals:
            totals[key] += int(metadata[key].value)
        feature_metadata = result.asset_materializations_for_node("play_features")[0].metadata
        for key in feature_totals:
            feature_totals[key] += int(feature_metadata[key].value)
        for reason, count in metadata["quarantine_reasons"].value.items():
            reasons[reason] = reasons.get(reason, 0) + count
    print(json.dumps({**totals, "quarantine_reasons": reasons, **feature_totals, "lake": lake}, indent=2))
    if _games(lake) >= MIN_GAMES_TO_TRAIN:
        _model_stage(instance, resources, log)
        _score_stage(instance, resources, partitions, log)
    else:
        log(f"model stage skipped: the source has fewer than {MIN_GAMES_TO_TRAIN} games to split")
    log(
        "open these runs in the Dagster UI with:\n"
        f"  DAGSTER_HOME={home} QB_SOURCE={source} QB_LAKE={lake} QB_MODELS={models} \\\n"
        f"  QB_WAREHOUSE={workdir / 'warehouse.duckdb'} dagster dev -w workspace.yaml\n"
        "and query the scores with:\n"
        f'  qb-score query "SELECT * FROM qb_season_scores" --warehouse {workdir / "warehouse.duckdb"}'
    )
    return 0


def _games(lake: str) -> int:
    return lake_io.scan_table(lake, "features").select(pl.col("game_id").n_unique()).collect().item()


def _model_stage(instance, resources: dict, log: Progress) -> None:
    """Train, compare, check and promote the model through Dagster; print the metrics table and the
    model versions."""

    log(
        "materializing training_set, sbp_model, baseline_models, model_evaluation, promoted_model "
        f"({DEMO_EPOCHS} epochs)"
    )
    dg.materialize(
        [training_set, sbp_model, baseline_models, model_evaluation, promoted_model],
        instance=instance,
        resources=resources,
        run_config=QUIET_RUN_CONFIG,
    )
    model_root = resources["model_store"].sbp_root
    evaluation = read_evaluation(candidate_version_dir(model_root))
    print("\nheld-out model comparison (synthetic truth = oracle):\n" + format_metrics_table(evaluation))
    print(f"\nmodel versions (qb-score models --model-root {model_root}):\n")
    print(format_versions_table(list_versions(model_root)))


SEASON_LEADERBOARD = """
SELECT display_name AS passer, attempts, round(score_50_99, 1) AS score,
       round(passing_score, 3) AS passing_score, round(decision_score, 4) AS decision,
       round(execution_score, 3) AS execution, round(anya, 2) AS anya,
       round(nfl_passer_rating, 1) AS passer_rating
FROM qb_season_scores ORDER BY score_50_99 DESC LIMIT 10"""
SPLIT_LEADERBOARD = """
SELECT split, arg_max(display_name, score_50_99) AS leader, round(max(score_50_99), 1) AS score,
       count(*) AS passers
FROM qb_split_scores GROUP BY split ORDER BY split"""


def _score_stage(instance, resources: dict, partitions: list, log: Progress) -> None:
    """Score every week and load the warehouse through Dagster; print the leaderboards."""
    for index, (season, week) in enumerate(partitions, 1):
        log(f"[{index}/{len(partitions)}] materializing play_scores, warehouse {season} week {week}")
        materialize_partition(
            [play_scores, warehouse],
            season,
            week,
            instance=instance,
            resources=resources,
            run_config=QUIET_RUN_CONFIG,
        )
    path = resources["duckdb_warehouse"].path
    print("\nseason leaderboard (qb_season_scores):\n" + run_query(SEASON_LEADERBOARD, path, "table"))
    print("\nsplit leaders (qb_split_scores):\n" + run_query(SPLIT_LEADERBOARD, path, "table"))
