"""Features: ``play_features`` (per pass attempt, the snap-to-release tensor and derived and static
features) and its blocking checks (great-expectations suite, feature accounting), which run on the
staged partition before it is published (write-audit-publish, ``io.lake``)."""

from collections.abc import Iterator

import dagster as dg

from qb_assets.defs.ingest import StagedChecks, raw_tracking
from qb_assets.defs.metadata import rounded, suite_check_result
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource
from qb_assets.features.expectations import features_suite
from qb_assets.features.schema import schema_hash
from qb_assets.features.store import FEATURES_TABLE, features_for_partition
from qb_assets.io import lake as lake_io

ASSET = "play_features"
PLAY_FEATURES_CHECKS = [
    dg.AssetCheckSpec(
        "feature_expectations",
        asset=ASSET,
        blocking=True,
        description="great-expectations suite on the feature table (model inputs, ranges, tensor layout)",
    ),
    dg.AssetCheckSpec(
        "features_accounted_for",
        asset=ASSET,
        blocking=True,
        description="feature rows + feature-quarantined = pass attempts accepted upstream",
    ),
]
STAT_KEYS = ("feature_rows", "feature_quarantined", "pass_attempts", "frames_truncated")


@dg.asset(
    group_name="features",
    partitions_def=season_week_partitions,
    deps=[raw_tracking],
    check_specs=PLAY_FEATURES_CHECKS,
    kinds={"polars", "parquet"},
    description="Play tensors (snap to release, 22 slots x 10 channels) and derived/static features per "
    "pass attempt in LAKE/features; attempts that cannot be featurized go to feature_quarantine. Both are "
    "staged, checked by the blocking checks and published together only when they pass.",
)
def play_features(
    context: dg.AssetExecutionContext, lake: LakeResource
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
    season, week = season_week(context)
    checks = StagedChecks(play_features_check_results)
    try:
        stats = features_for_partition(lake.root, season, week, verify=checks)
    except lake_io.PartitionRejected as rejected:
        yield from checks.results
        raise checks.failure(rejected) from rejected
    context.log.info(f"season {season} week {week}: {stats}")
    yield dg.MaterializeResult(
        metadata=rounded(
            {
                **{key: stats[key] for key in STAT_KEYS},
                "quarantine_reasons": dg.MetadataValue.json(stats["quarantine_reasons"]),
                "feature_schema_hash": schema_hash(),
                "lake_version": checks.staged.version,
            }
        ),
        check_results=checks.results,
    )


def play_features_check_results(staged: lake_io.PartitionVersion, stats: dict) -> list[dg.AssetCheckResult]:
    """The feature suite on a staged partition's ``features``, and the feature accounting."""
    features = staged.read(FEATURES_TABLE)
    return [
        suite_check_result("feature_expectations", ASSET, features_suite(features)),
        dg.AssetCheckResult(
            check_name="features_accounted_for",
            asset_key=ASSET,
            passed=stats["feature_rows"] + stats["feature_quarantined"] == stats["pass_attempts"]
            and features.height == stats["feature_rows"],
            metadata=rounded({k: stats[k] for k in ("pass_attempts", "feature_rows", "feature_quarantined")}),
        ),
    ]
