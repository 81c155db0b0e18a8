"""Scoring: ``play_scores`` (each week's pass attempts scored by the accepted model) and its checks
(percentiles and quantiles valid, blocking; held-out plays calibrated, a warning)."""

import dagster as dg

from qb_assets.defs.features import play_features
from qb_assets.defs.metadata import picture, table_preview
from qb_assets.defs.model import model_evaluation
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource, ModelStoreResource
from qb_assets.model.evaluation import accepted_model_version, artifact_version
from qb_assets.scoring.explain import explain_play
from qb_assets.scoring.score import heldout_uniformity, invalid_scores, score_partition

ASSET = "play_scores"
PLAY_SCORES_CHECKS = [
    dg.AssetCheckSpec(
        "percentiles_in_unit_interval",
        asset=ASSET,
        blocking=True,
        description="every percentile in [0, 1] and every quantile ordered",
    ),
    dg.AssetCheckSpec(
        "heldout_percentiles_uniform",
        asset=ASSET,
        description="randomized PIT of the held-out plays scored so far: KS distance to uniform < 0.05",
    ),
]
PREVIEW_COLUMNS = (
    "game_id",
    "play_id",
    "passer_nfl_id",
    "pass_result",
    "yards_gained",
    "percentile",
    "predicted_median",
    "expected_yards",
)


@dg.asset(
    group_name="scores",
    partitions_def=season_week_partitions,
    deps=[play_features, model_evaluation],
    check_specs=PLAY_SCORES_CHECKS,
    kinds={"pytorch", "parquet"},
    description="Per pass attempt: the percentile of the actual yards under the predicted distribution for a "
    "league-average QB, the predicted median, quantiles and expected yards, with the split columns.",
)
def play_scores(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    season, week = season_week(context)
    version = artifact_version(model_store.sbp_dir)
    if accepted_model_version(model_store.root) != version:
        raise dg.Failure(
            f"model {version} in {model_store.sbp_dir} has not passed model_not_regressed; not scoring"
        )
    scores = score_partition(lake.root, model_store.sbp_dir, season, week)
    invalid = invalid_scores(scores)
    pictures = {}
    if scores.height:
        # The week's best-scored play, drawn: its predicted distribution and where the result fell.
        best = scores.sort("percentile", descending=True).row(0, named=True)
        png, _ = explain_play(lake.root, model_store.sbp_dir, best["game_id"], best["play_id"])
        pictures["best_play"] = picture(png, "the week's best-scored play")
    return dg.MaterializeResult(
        metadata={
            **pictures,
            "plays_scored": scores.height,
            "mean_percentile": float(scores["percentile"].mean()) if scores.height else None,
            "heldout_plays": int(scores["heldout"].sum()),
            "model_version": version,
            "preview": table_preview(scores.select(PREVIEW_COLUMNS)),
        },
        check_results=[
            dg.AssetCheckResult(
                check_name="percentiles_in_unit_interval",
                asset_key=ASSET,
                passed=invalid.is_empty(),
                metadata={"plays": scores.height, "violations": invalid.height},
            ),
            uniformity_result(lake.root),
        ],
    )


def uniformity_result(lake: str) -> dg.AssetCheckResult:
    """The held-out calibration check over every scored partition (a warning, not blocking)."""
    ks, plays, limit = heldout_uniformity(lake)
    return dg.AssetCheckResult(
        check_name="heldout_percentiles_uniform",
        asset_key=ASSET,
        passed=ks is None or ks < limit,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "ks_distance": ks if ks is not None else "no held-out plays yet",
            "heldout_plays": plays,
            "limit": limit,
        },
    )
