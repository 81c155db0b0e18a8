"""The warehouse: ``warehouse`` (each scored week loaded into the DuckDB file or the DuckLake; the "duckdb"
pool of 1 keeps one writer per embedded file) and its blocking key checks."""

import dagster as dg

from qb_assets.defs.metadata import picture, rounded
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.pbp import pbp_scores
from qb_assets.defs.pools import DUCKDB_POOL
from qb_assets.defs.resources import LakeResource, WarehouseResource
from qb_assets.defs.scoring import play_scores
from qb_assets.scoring.plots import leader_chart
from qb_assets.warehouse.load import load_lake, partition_integrity, season_model_versions

WAREHOUSE_CHECKS = [
    dg.AssetCheckSpec(
        "no_duplicate_keys",
        asset="warehouse",
        blocking=True,
        description="play_scores and plays have one row per (game_id, play_id)",
    ),
    dg.AssetCheckSpec(
        "scores_join_plays",
        asset="warehouse",
        blocking=True,
        description="every play score joins a play of the same partition",
    ),
]


@dg.asset(
    group_name="scores",
    partitions_def=season_week_partitions,
    deps=[play_scores, pbp_scores],  # either source's scores: a partition holds one or the other
    pool=DUCKDB_POOL,
    check_specs=WAREHOUSE_CHECKS,
    kinds={"duckdb"},
    description="games, players, plays and play_scores of one week replaced in the DuckDB warehouse in one "
    "transaction; the views (qb_game_scores, qb_season_scores, qb_split_scores, qb_weekly_trend) read them.",
)
def warehouse(
    context: dg.AssetExecutionContext, lake: LakeResource, duckdb_warehouse: WarehouseResource
) -> dg.MaterializeResult:
    season, week = season_week(context)
    warehouse = duckdb_warehouse.location()
    summary = load_lake(lake.root, warehouse, partitions=[(season, week)], progress=context.log.info)
    chart = leader_chart(warehouse, season)
    integrity = partition_integrity(warehouse, season, week)
    versions = season_model_versions(warehouse, season)
    if len(versions) > 1:
        context.log.warning(
            f"season {season} mixes scores of {len(versions)} model versions {list(versions)}; "
            "qb_season_scores.model_versions shows the passers affected"
        )
    return dg.MaterializeResult(
        metadata=rounded(
            {
                **({"season_leader_by_week": picture(chart, "the season's leader")} if chart else {}),
                **{f"{table}_rows": rows for table, rows in summary["rows"].items()},
                "warehouse": dg.MetadataValue.path(str(warehouse)),
                "season_model_versions": dg.MetadataValue.json(versions),
                "season_mixes_model_versions": len(versions) > 1,
            }
        ),
        check_results=[
            dg.AssetCheckResult(
                check_name="no_duplicate_keys",
                asset_key="warehouse",
                passed=integrity["duplicate_rows"] == 0,
                metadata=rounded({"duplicate_rows": integrity["duplicate_rows"]}),
            ),
            dg.AssetCheckResult(
                check_name="scores_join_plays",
                asset_key="warehouse",
                passed=integrity["scores_without_a_play"] == 0,
                metadata=rounded({"scores_without_a_play": integrity["scores_without_a_play"]}),
            ),
        ],
    )
