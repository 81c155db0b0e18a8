"""Ingestion: ``raw_tracking`` (one season x week of tracking files -> canonical lake partitions and
quarantine) and its blocking checks (great-expectations suites, play accounting), which run on the
staged partition before it is published (write-audit-publish, ``io.lake``)."""

from collections.abc import Callable, Iterator

import dagster as dg

from qb_assets.defs.metadata import rounded, suite_check_result, table_preview
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource, TrackingSourceResource
from qb_assets.ingest.expectations import plays_suite, tracking_suite
from qb_assets.ingest.pipeline import ingest_problems, ingest_source
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
        description="the plays and rows counted as the files were read, before any rule, are all "
        "accepted or quarantined: plays_in = plays_accepted + plays_quarantined and rows_in = "
        "rows_accepted + rows_quarantined + duplicate_rows_dropped",
    ),
]


class StagedChecks:
    """An asset's blocking checks as the ``verify`` of ``io.lake.publish_partition``: they run on the
    staged partition, which is published only when all pass. Keeps the results (reported as asset
    checks whether or not the partition was published) and the staged version."""

    def __init__(self, run: Callable[..., list[dg.AssetCheckResult]]) -> None:
        self.run = run
        self.results: list[dg.AssetCheckResult] = []
        self.staged: lake_io.PartitionVersion | None = None

    def __call__(self, staged: lake_io.PartitionVersion, **context: object) -> list[str]:
        self.staged = staged
        self.results = self.run(staged, **context)
        return [result.check_name for result in self.results if not result.passed]

    def failure(self, rejected: lake_io.PartitionRejected) -> dg.Failure:
        """The step's failure when a check failed: nothing was published, the previous data stays."""
        return dg.Failure(
            description=str(rejected),
            metadata=rounded({"failed_checks": [r.check_name for r in self.results if not r.passed]}),
        )


@dg.asset(
    group_name="ingestion",
    partitions_def=season_week_partitions,
    check_specs=RAW_TRACKING_CHECKS,
    kinds={"polars", "parquet"},
    description="Canonical, normalized tracking (offense toward +x), the play table, the quarantine, "
    "games and players for one season x week: staged in the lake, checked by the blocking checks, and "
    "published together only when they pass (LAKE/{tracking,plays,quarantine,games,players}/).",
)
def raw_tracking(
    context: dg.AssetExecutionContext, tracking_source: TrackingSourceResource, lake: LakeResource
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
    season, week = season_week(context)
    checks = StagedChecks(raw_tracking_check_results)
    try:
        summary = ingest_source(
            tracking_source.open(),
            lake.root,
            tracking_source.layout,
            partitions=[(season, week)],
            progress=context.log.info,
            verify=checks,
        )
    except lake_io.PartitionRejected as rejected:
        yield from checks.results
        raise checks.failure(rejected) from rejected
    plays, quarantine = checks.staged.read("plays"), checks.staged.read("quarantine")
    problem = ingest_problems(summary)  # a cut file, or nothing accepted: published, but said
    if problem:
        context.log.warning(problem)
    yield dg.MaterializeResult(
        metadata=rounded(
            {
                **{key: summary[key] for key in ("plays_in", "plays_accepted", "plays_quarantined")},
                "rows_in": summary["rows_in"],
                "duplicate_rows_dropped": summary["duplicate_rows_dropped"],
                "quarantine_reasons": dg.MetadataValue.json(summary["quarantine_reasons"]),
                "layout": ", ".join(summary["layouts"]),
                "truncated_files": dg.MetadataValue.json(summary["truncated_files"]),
                "pass_results": dg.MetadataValue.json(
                    dict(plays.group_by("pass_result").len().sort("pass_result").iter_rows())
                ),
                "plays_preview": table_preview(plays),
                "quarantine_preview": table_preview(quarantine, "nothing quarantined"),
                "lake_partition": dg.MetadataValue.path(
                    str(lake_io.partition_dir(lake.root, "tracking", season, week))
                ),
                "lake_version": checks.staged.version,
            }
        ),
        check_results=checks.results,
    )


def raw_tracking_check_results(staged: lake_io.PartitionVersion, part: dict) -> list[dg.AssetCheckResult]:
    """The suites on a staged partition's ``tracking`` and ``plays``, and the play accounting of its
    summary (``part``: one partition's counts, as ``ingest_source`` passes them to ``verify``)."""
    return [
        suite_check_result(
            "tracking_expectations", ASSET, tracking_suite(staged.read("tracking"), part["layout"])
        ),
        suite_check_result("plays_expectations", ASSET, plays_suite(staged.read("plays"))),
        accounting_check_result(part),
    ]


ACCOUNTING_KEYS = (
    "plays_in",
    "plays_accepted",
    "plays_quarantined",
    "rows_in",
    "rows_accepted",
    "rows_quarantined",
    "duplicate_rows_dropped",
)


def accounting_check_result(summary: dict) -> dg.AssetCheckResult:
    """``plays_accounted_for``: conservation of the plays and rows counted as read (``plays_in``,
    ``rows_in``, counted before any rule runs) against what was accepted and quarantined."""
    plays_lost = summary["plays_in"] - summary["plays_accepted"] - summary["plays_quarantined"]
    rows_lost = (
        summary["rows_in"]
        - summary["rows_accepted"]
        - summary["rows_quarantined"]
        - summary["duplicate_rows_dropped"]
    )
    return dg.AssetCheckResult(
        check_name="plays_accounted_for",
        asset_key=ASSET,
        passed=plays_lost == 0 and rows_lost == 0,
        metadata=rounded(
            {
                **{k: summary[k] for k in ACCOUNTING_KEYS},
                "plays_unaccounted": plays_lost,
                "rows_unaccounted": rows_lost,
            }
        ),
    )
