"""warehouse: each scored week loaded into the DuckDB file (one writer: the "duckdb" pool of 1)."""

import dagster as dg

from qb_assets.defs.checks import WAREHOUSE_CHECKS, warehouse_check_results
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource, WarehouseResource
from qb_assets.defs.scoring import play_scores
from qb_assets.scoring.charts import leader_chart
from qb_assets.scoring.plots import markdown_image
from qb_assets.warehouse.load import load_lake


@dg.asset(
    group_name="scores",
    partitions_def=season_week_partitions,
    deps=[play_scores],
    pool="duckdb",
    check_specs=WAREHOUSE_CHECKS,
    kinds={"duckdb"},
    description="games, players, plays and play_scores of one week replaced in the DuckDB warehouse in one "
    "transaction; the views (qb_game_scores, qb_season_scores, qb_split_scores, qb_weekly_trend) read them.",
)
def warehouse(
    context: dg.AssetExecutionContext, lake: LakeResource, duckdb_warehouse: WarehouseResource
) -> dg.MaterializeResult:
    season, week = season_week(context)
    summary = load_lake(
        lake.root, duckdb_warehouse.path, partitions=[(season, week)], progress=context.log.info
    )
    chart = leader_chart(duckdb_warehouse.path, season)
    pictures = (
        {"season_leader_by_week": dg.MetadataValue.md(markdown_image(chart, "the season's leader"))}
        if chart
        else {}
    )
    return dg.MaterializeResult(
        metadata={
            **pictures,
            **{f"{table}_rows": rows for table, rows in summary["rows"].items()},
            "warehouse": dg.MetadataValue.path(duckdb_warehouse.path),
        },
        check_results=warehouse_check_results(duckdb_warehouse.path, season, week),
    )
