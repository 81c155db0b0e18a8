"""Ingestion: ``raw_tracking`` (one season x week of tracking files -> canonical lake partitions and
quarantine) and its blocking checks (great-expectations suites, play accounting)."""

import dagster as dg

from qb_assets.defs.metadata import suite_check_result, table_preview
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource, TrackingSourceResource
from qb_assets.ingest.expectations import plays_suite, tracking_suite
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io

ASSET = "raw_tracking"
RAW_TRACKING_CHECKS = [
    dg.AssetCheckSpec(
        "tracking_expectations",
        asset=ASSET,
        blocking=True,
        description="great-expectations suite on canonical tracking (ranges, keys, frames, players per side)",
    ),
    dg.AssetCheckSpec(
        "plays_expectations",
        asset=ASSET,
        blocking=True,
        description="great-expectations suite on the play table (keys, results, ranges)",
    ),
    dg.AssetCheckSpec(
        "plays_accounted_for",
        asset=ASSET,
        blocking=True,
        description="plays_in = plays_accepted + plays_quarantined",
    ),
]


@dg.asset(
    group_name="ingestion",
    partitions_def=season_week_partitions,
    check_specs=RAW_TRACKING_CHECKS,
    kinds={"polars", "parquet"},
    description="Canonical, normalized tracking (offense toward +x), the play table and the quarantine "
    "table for one season x week, written atomically to LAKE/{tracking,plays,quarantine}/.",
)
def raw_tracking(
    context: dg.AssetExecutionContext, tracking_source: TrackingSourceResource, lake: LakeResource
) -> dg.MaterializeResult:
    season, week = season_week(context)
    summary = ingest_source(
        tracking_source.open(),
        lake.root,
        tracking_source.layout,
        partitions=[(season, week)],
        progress=context.log.info,
    )
    tables = {
        table: lake_io.scan_table(lake.root, table, [(season, week)]).collect()
        for table in ("tracking", "plays", "quarantine")
    }
    plays = tables["plays"]
    return dg.MaterializeResult(
        metadata={
            **{key: summary[key] for key in ("plays_in", "plays_accepted", "plays_quarantined")},
            "rows_in": summary["rows_in"],
            "duplicate_rows_dropped": summary["duplicate_rows_dropped"],
            "quarantine_reasons": dg.MetadataValue.json(summary["quarantine_reasons"]),
            "layout": ", ".join(summary["layouts"]),
            "pass_results": dg.MetadataValue.json(
                dict(plays.group_by("pass_result").len().sort("pass_result").iter_rows())
            ),
            "plays_preview": table_preview(plays),
            "quarantine_preview": table_preview(tables["quarantine"], "nothing quarantined"),
            "lake_partition": dg.MetadataValue.path(
                str(lake_io.partition_dir(lake.root, "tracking", season, week))
            ),
        },
        check_results=raw_tracking_check_results(tables, summary),
    )


def raw_tracking_check_results(tables: dict, summary: dict) -> list[dg.AssetCheckResult]:
    """The suites on one partition's ``tracking`` and ``plays`` frames, and the play accounting."""
    layout = summary["layouts"][0] if len(summary["layouts"]) == 1 else "mixed"
    accounted = summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"]
    return [
        suite_check_result("tracking_expectations", ASSET, tracking_suite(tables["tracking"], layout)),
        suite_check_result("plays_expectations", ASSET, plays_suite(tables["plays"])),
        dg.AssetCheckResult(
            check_name="plays_accounted_for",
            asset_key=ASSET,
            passed=accounted,
            metadata={k: summary[k] for k in ("plays_in", "plays_accepted", "plays_quarantined")},
        ),
    ]
