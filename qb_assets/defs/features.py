"""play_features: per pass attempt, the snap-to-release tensor and derived/static features."""

import dagster as dg

from qb_assets.defs.checks import PLAY_FEATURES_CHECKS, play_features_check_results
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource
from qb_assets.features.schema import schema_hash
from qb_assets.features.store import features_for_partition


@dg.asset(
    group_name="features",
    partitions_def=season_week_partitions,
    deps=[raw_tracking],
    check_specs=PLAY_FEATURES_CHECKS,
    kinds={"polars", "parquet"},
    description="Play tensors (snap to release, 22 slots x 10 channels) and derived/static features per "
    "pass attempt, written to LAKE/features; attempts that cannot be featurized go to feature_quarantine.",
)
def play_features(context: dg.AssetExecutionContext, lake: LakeResource) -> dg.MaterializeResult:
    season, week = season_week(context)
    stats = features_for_partition(lake.root, season, week)
    context.log.info(f"season {season} week {week}: {stats}")
    return dg.MaterializeResult(
        metadata={
            "feature_rows": stats["feature_rows"],
            "feature_quarantined": stats["feature_quarantined"],
            "pass_attempts": stats["pass_attempts"],
            "frames_truncated": stats["frames_truncated"],
            "quarantine_reasons": dg.MetadataValue.json(stats["quarantine_reasons"]),
            "feature_schema_hash": schema_hash(),
        },
        check_results=play_features_check_results(lake.root, season, week, stats),
    )
