"""raw_tracking: one season x week of tracking files -> canonical lake partitions + quarantine."""

import dagster as dg

from qb_assets.defs.checks import RAW_TRACKING_CHECKS, raw_tracking_check_results
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource, TrackingSourceResource
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io


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
    plays = lake_io.scan_table(lake.root, "plays", [(season, week)]).collect()
    quarantine = lake_io.scan_table(lake.root, "quarantine", [(season, week)]).collect()
    return dg.MaterializeResult(
        metadata={
            "plays_in": summary["plays_in"],
            "plays_accepted": summary["plays_accepted"],
            "plays_quarantined": summary["plays_quarantined"],
            "rows_in": summary["rows_in"],
            "duplicate_rows_dropped": summary["duplicate_rows_dropped"],
            "quarantine_reasons": dg.MetadataValue.json(summary["quarantine_reasons"]),
            "layout": ", ".join(summary["layouts"]),
            "pass_results": dg.MetadataValue.json(
                dict(plays.group_by("pass_result").len().sort("pass_result").iter_rows())
            ),
            "plays_preview": dg.MetadataValue.md(plays.head(10).to_pandas().to_markdown(index=False)),
            "quarantine_preview": dg.MetadataValue.md(
                quarantine.head(10).to_pandas().to_markdown(index=False)
            )
            if quarantine.height
            else "nothing quarantined",
            "lake_partition": dg.MetadataValue.path(
                str(lake_io.partition_dir(lake.root, "tracking", season, week))
            ),
        },
        check_results=raw_tracking_check_results(lake.root, season, week, summary),
    )
