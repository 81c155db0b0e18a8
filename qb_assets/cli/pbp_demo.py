"""``qb-score demo --pbp FILE``: the play-by-play path end to end through the same named jobs.

The file is the tracking source (``TrackingSourceResource`` finds it by its columns), so the code
location's jobs run the ``pbp`` group (``defs.automation.refresh_jobs``): ``weekly_refresh`` ingests each
week (``pbp_plays``), ``train_model`` trains the situation model on every season but the last and
accepts it when it passes its check (``situation_model``), and ``weekly_refresh`` again scores every
week and loads the warehouse (``pbp_scores``, ``warehouse``). It prints the last season's top ten
qualified passers, scored out of sample, with the passer rating, ANY/A and EPA per play beside the score.
"""

from __future__ import annotations

import json
import time
from pathlib import Path

import dagster as dg

from qb_assets.cli.demo import next_steps, prepare_dagster_home, run_job
from qb_assets.common.progress import Progress
from qb_assets.defs.definitions import build_definitions
from qb_assets.defs.partitions import add_partitions
from qb_assets.defs.pbp import pbp_plays, pbp_scores
from qb_assets.defs.resources import (
    LakeResource,
    ModelStoreResource,
    TrackingSourceResource,
    WarehouseResource,
)
from qb_assets.defs.warehouse import warehouse
from qb_assets.ingest.pbp_plays import FORMAT
from qb_assets.warehouse.query import run_query

PBP_DEMO_EPOCHS = 10  # bench.real_validity's default: the situation model is small
# The last season's leaders: scored by a model that never saw that season (out_of_sample_attempts).
PBP_LEADERBOARD = """
SELECT display_name AS passer, attempts, out_of_sample_attempts AS out_of_sample,
       round(score_50_99, 1) AS score, round(passing_score, 3) AS passing_score,
       round(nfl_passer_rating, 1) AS passer_rating, round(anya, 2) AS anya,
       round(epa_per_play, 3) AS epa_per_play
FROM qb_season_scores WHERE qualified AND season = {season:d} ORDER BY score_50_99 DESC LIMIT 10"""


def run_pbp_demo(workdir: Path, pbp_file: str, epochs: int = PBP_DEMO_EPOCHS, log: Progress = print) -> int:
    """The play-by-play demo in ``workdir`` (module docstring); prints the results to stdout, progress
    and the next commands to ``log``; returns the exit code."""
    started = time.perf_counter()
    workdir, source = workdir.resolve(), str(Path(pbp_file).resolve())
    home = prepare_dagster_home(workdir / "dagster_home")
    resources = {
        "tracking_source": TrackingSourceResource(uri=source, layout=FORMAT),
        "lake": LakeResource(root=str(workdir / "lake")),
        "model_store": ModelStoreResource(root=str(workdir / "models"), epochs=epochs, refit=False),
        "duckdb_warehouse": WarehouseResource(path=str(workdir / "warehouse.duckdb")),
    }
    defs, instance = build_definitions(resources), dg.DagsterInstance.get()
    partitions = sorted(resources["tracking_source"].plan())
    seasons = sorted({season for season, _ in partitions})
    if len(seasons) < 2:
        raise ValueError(
            f"{source}: seasons {seasons}: the demo trains on all but the last season, needs two"
        )
    add_partitions(instance, partitions)
    log(f"{source}: {len(partitions)} season x week partitions, seasons {seasons}")
    seconds = {"setup": time.perf_counter() - started}
    _ingest(defs, instance, partitions, log)
    seconds["ingest"] = time.perf_counter() - started - sum(seconds.values())
    log(f"train_model: situation_model on seasons {seasons[:-1]} ({epochs} epochs, no refit)")
    result = run_job(defs, instance, "train_model")
    metadata = result.asset_materializations_for_node("situation_model")[0].metadata
    log(f"situation model {metadata['model_version'].value}: accepted {metadata['accepted'].value}")
    seconds["training"] = time.perf_counter() - started - sum(seconds.values())
    for index, key in enumerate(partitions, 1):
        log(f"[{index}/{len(partitions)}] weekly_refresh {key[0]} week {key[1]}: pbp_scores, warehouse")
        run_job(defs, instance, "weekly_refresh", key, [pbp_scores, warehouse])
    seconds["scoring and warehouse"] = time.perf_counter() - started - sum(seconds.values())
    path = resources["duckdb_warehouse"].path
    print(
        f"\nseason {seasons[-1]} (out of sample: the model fitted {seasons[:-1]}), qualified passers "
        "(qb_season_scores):\n" + run_query(PBP_LEADERBOARD.format(season=seasons[-1]), path)
    )
    stages = ", ".join(f"{stage} {value:.0f} s" for stage, value in seconds.items())
    log(f"demo finished in {(time.perf_counter() - started) / 60:.1f} min ({stages})")
    log(next_steps(home, source, resources, ["weekly_refresh", "train_model"]))
    return 0


def _ingest(defs: dg.Definitions, instance, partitions: list, log: Progress) -> None:
    """weekly_refresh's ingest (pbp_plays) of every week; print the totals."""
    totals = {"plays_in": 0, "plays_accepted": 0, "plays_quarantined": 0}
    reasons: dict[str, int] = {}
    for index, key in enumerate(partitions, 1):
        log(f"[{index}/{len(partitions)}] weekly_refresh {key[0]} week {key[1]}: pbp_plays")
        result = run_job(defs, instance, "weekly_refresh", key, [pbp_plays])
        metadata = result.asset_materializations_for_node("pbp_plays")[0].metadata
        for name in totals:
            totals[name] += int(metadata[name].value)
        for reason, count in metadata["quarantine_reasons"].value.items():
            reasons[reason] = reasons.get(reason, 0) + count
    print(json.dumps({**totals, "quarantine_reasons": reasons}, indent=2))
