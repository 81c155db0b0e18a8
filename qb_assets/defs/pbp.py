"""The play-by-play path (group ``pbp``), for a source that is one nflfastR play-by-play file instead of
tracking: ``pbp_plays`` (one season x week of the file -> the lake's plays, quarantine, games, players;
blocking checks on the staged partition, write-audit-publish as ``raw_tracking``) -> ``situation_model``
(the situation-only model on every ingested week, evaluated by the tracking models' regression rule and
accepted only when it passes) -> ``pbp_scores`` (each week scored by the accepted situation version) ->
``warehouse`` (the same asset as for tracking). ``automation.refresh_jobs`` puts these assets in
``weekly_refresh``, ``train_model`` and ``full_refresh`` when the source is play-by-play."""

from collections.abc import Iterator

import dagster as dg

from ml.errors import ArtifactError
from qb_assets.common.ranges import parse_int_ranges
from qb_assets.defs.ingest import StagedChecks
from qb_assets.defs.metadata import rounded, suite_check_result, table_preview
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.pools import GPU_POOL
from qb_assets.defs.resources import LakeResource, ModelStoreResource, TrackingSourceResource
from qb_assets.defs.scoring import PREVIEW_COLUMNS, uniformity_result
from qb_assets.ingest.expectations import pbp_plays_suite
from qb_assets.ingest.pbp_ingest import ingest_pbp, pbp_partitions
from qb_assets.io import lake as lake_io
from qb_assets.model.situation import default_train_seasons, evaluate_and_promote, train_situation_model
from qb_assets.model.store import accepted_version_dir, version_name
from qb_assets.scoring.score import invalid_scores
from qb_assets.scoring.situation import score_situation_partition

GROUP = "pbp"
PBP_PLAYS = "pbp_plays"
SITUATION_MODEL = "situation_model"
PBP_SCORES = "pbp_scores"
PBP_PLAYS_CHECKS = [
    dg.AssetCheckSpec(
        "pbp_plays_expectations",
        asset=PBP_PLAYS,
        blocking=True,
        description="great-expectations suite on the week's play-by-play plays (keys, passer, results, "
        "season type, down, distance, field position, quarter, yards)",
    ),
    dg.AssetCheckSpec(
        "pbp_plays_accounted_for",
        asset=PBP_PLAYS,
        blocking=True,
        description="the week's pass plays counted as the file was read, before any rule, are all accepted "
        "or quarantined (plays_in = plays_accepted + plays_quarantined), and the staged plays table holds "
        "the accepted ones",
    ),
]
SITUATION_MODEL_CHECKS = [
    dg.AssetCheckSpec(
        "situation_model_not_regressed",
        asset=SITUATION_MODEL,
        blocking=True,
        description="test PIT KS within the 1% KS critical value; test NLL within 0.05 nats of the "
        "accepted situation version's; a failure leaves the accepted version in service",
    )
]
PBP_SCORES_CHECKS = [
    dg.AssetCheckSpec(
        "pbp_percentiles_in_unit_interval",
        asset=PBP_SCORES,
        blocking=True,
        description="every passing percentile in [0, 1] and every quantile ordered",
    ),
    dg.AssetCheckSpec(
        "heldout_percentiles_uniform",
        asset=PBP_SCORES,
        description="randomized PIT of the held-out plays scored so far by this partition's situation "
        "version: KS distance to uniform under the limit; fails (a warning) while it scored none",
    ),
]


@dg.asset(
    name=PBP_PLAYS,
    group_name=GROUP,
    partitions_def=season_week_partitions,
    check_specs=PBP_PLAYS_CHECKS,
    kinds={"polars", "parquet"},
    description="One season x week of an nflfastR play-by-play file: the pass plays (source 'pbp'), the "
    "quarantine, games and passers, staged in the lake, checked by the blocking checks and published "
    "together only when they pass (LAKE/{plays,quarantine,games,players}/, no tracking).",
)
def pbp_plays(
    context: dg.AssetExecutionContext, tracking_source: TrackingSourceResource, lake: LakeResource
) -> Iterator[dg.AssetCheckResult | dg.MaterializeResult]:
    season, week = season_week(context)
    if not tracking_source.is_play_by_play():
        raise dg.Failure(f"{tracking_source.uri} is not an nflfastR play-by-play file (QB_SOURCE)")
    checks = StagedChecks(pbp_plays_check_results)
    try:
        summary = ingest_pbp(
            tracking_source.uri, lake.root, context.log.info, partitions=[(season, week)], verify=checks
        )
    except lake_io.PartitionRejected as rejected:
        yield from checks.results
        raise checks.failure(rejected) from rejected
    plays = checks.staged.read("plays")
    yield dg.MaterializeResult(
        metadata=rounded(
            {
                **{
                    key: summary[key]
                    for key in ("rows_in", "plays_in", "plays_accepted", "plays_quarantined")
                },
                "quarantine_reasons": dg.MetadataValue.json(summary["quarantine_reasons"]),
                "pass_results": dg.MetadataValue.json(
                    dict(plays.group_by("pass_result").len().sort("pass_result").iter_rows())
                ),
                "plays_preview": table_preview(plays),
                "lake_version": checks.staged.version,
            }
        ),
        check_results=checks.results,
    )


def pbp_plays_check_results(staged: lake_io.PartitionVersion, part: dict) -> list[dg.AssetCheckResult]:
    """The play-by-play suite on a staged partition's ``plays``, and its play accounting (``part``: the
    partition's counts, as ``ingest_pbp`` passes them to ``verify``)."""
    plays = staged.read("plays")
    lost = part["plays_in"] - part["plays_accepted"] - part["plays_quarantined"]
    return [
        suite_check_result("pbp_plays_expectations", PBP_PLAYS, pbp_plays_suite(plays)),
        dg.AssetCheckResult(
            check_name="pbp_plays_accounted_for",
            asset_key=PBP_PLAYS,
            passed=lost == 0 and plays.height == part["plays_accepted"],
            metadata=rounded(
                {
                    **{k: part[k] for k in ("plays_in", "plays_accepted", "plays_quarantined")},
                    "plays_unaccounted": lost,
                    "staged_plays": plays.height,
                }
            ),
        ),
    ]


@dg.asset(
    name=SITUATION_MODEL,
    group_name=GROUP,
    deps=[dg.AssetDep(PBP_PLAYS, partition_mapping=dg.AllPartitionMapping())],
    check_specs=SITUATION_MODEL_CHECKS,
    pool=GPU_POOL,
    kinds={"pytorch"},
    description="The situation-only model (a league-average QB's yards given down, distance, field "
    "position, quarter, clock and score) trained on the lake's play-by-play: the train seasons are "
    "fitted (ModelStoreResource.train_seasons; by default every season but the last), the others held "
    "out; published as an immutable version and accepted when it passes its regression check.",
)
def situation_model(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    seasons = sorted({season for season, _ in pbp_partitions(lake.root)})
    train_seasons = parse_int_ranges(model_store.train_seasons) or default_train_seasons(seasons)
    overrides = {k: v for k, v in model_store.overrides().items() if k != "test_weeks"}
    summary = train_situation_model(
        lake.root,
        model_store.situation_root,
        train_seasons,
        context.log.info,
        model_store.keep_versions,
        **overrides,
    )
    passed, verdict = evaluate_and_promote(model_store.situation_root, summary)
    test = summary["test"]["passing"] or {}
    return dg.MaterializeResult(
        metadata=rounded(
            {
                **{
                    f"test_{key}": test[key] for key in ("nll", "crps", "pit_ks", "mae_median") if key in test
                },
                "model_version": summary["model_version"],
                "train_seasons": str(summary["train_seasons"]),
                "split_plays": dg.MetadataValue.json(summary["split_plays"]),
                "epochs_run": summary["epochs_run"],
                "device": summary["device"],
                "seconds": summary["seconds"],
                "accepted": passed,
                "artifact": dg.MetadataValue.path(summary["model_dir"]),
            }
        ),
        check_results=[
            dg.AssetCheckResult(
                check_name="situation_model_not_regressed",
                asset_key=SITUATION_MODEL,
                passed=passed,
                metadata=rounded(verdict),
            )
        ],
    )


@dg.asset(
    name=PBP_SCORES,
    group_name=GROUP,
    partitions_def=season_week_partitions,
    deps=[PBP_PLAYS, SITUATION_MODEL],
    check_specs=PBP_SCORES_CHECKS,
    kinds={"pytorch", "parquet"},
    description="Per pass attempt of the week: the passing percentile under the accepted situation model, "
    "its PIT bounds, quantiles and expected yards, heldout and out_of_sample; no execution percentile or "
    "decision value (no tracking): LAKE/play_scores with source 'pbp'.",
)
def pbp_scores(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    season, week = season_week(context)
    try:
        version_dir = accepted_version_dir(model_store.situation_root)
    except ArtifactError as exc:
        raise dg.Failure(f"not scoring: {exc} (materialize situation_model)") from exc
    scores = score_situation_partition(lake.root, version_dir, season, week)
    invalid = invalid_scores(scores)
    return dg.MaterializeResult(
        metadata=rounded(
            {
                "plays_scored": scores.height,
                "mean_passing_percentile": float(scores["passing_percentile"].mean())
                if scores.height
                else None,
                "heldout_plays": int(scores["heldout"].sum()),
                "out_of_sample_plays": int(scores["out_of_sample"].sum()),
                "model_version": version_name(version_dir),
                "preview": table_preview(scores.select(PREVIEW_COLUMNS)),
            }
        ),
        check_results=[
            dg.AssetCheckResult(
                check_name="pbp_percentiles_in_unit_interval",
                asset_key=PBP_SCORES,
                passed=invalid.is_empty(),
                metadata=rounded({"plays": scores.height, "violations": invalid.height}),
            ),
            uniformity_result(lake.root, version_name(version_dir), asset=PBP_SCORES),
        ],
    )
