"""Scoring: ``play_scores`` (each week's pass attempts scored by the accepted model version) and its
checks (percentiles and quantiles valid, blocking; the held-out plays of that version calibrated, a
warning that also fires while the version has scored no held-out play; the partition inside what the
model learned, ``model_applicability``: a warning above the limit, an error far above it)."""

import dagster as dg

from ml.errors import ArtifactError
from qb_assets.defs.features import play_features
from qb_assets.defs.metadata import picture, rounded, table_preview
from qb_assets.defs.model import promoted_model
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource, ModelStoreResource
from qb_assets.model.applicability import Applicability
from qb_assets.model.store import accepted_version_dir, version_name
from qb_assets.scoring.explain import explain_play
from qb_assets.scoring.score import (
    HELDOUT_KS_LIMIT,
    HeldoutUniformity,
    applicability_warning,
    heldout_uniformity,
    invalid_scores,
    score_and_measure,
)

ASSET = "play_scores"
PLAY_SCORES_CHECKS = [
    dg.AssetCheckSpec(
        "percentiles_in_unit_interval",
        asset=ASSET,
        blocking=True,
        description="every percentile in [0, 1] and every quantile ordered",
    ),
    dg.AssetCheckSpec(
        "model_applicability",
        asset=ASSET,
        description="the partition's shift from the model's training features (README, Applicability): "
        "warns above max(0.2, 1.95 / sqrt(plays)), fails (error) above twice that",
    ),
    dg.AssetCheckSpec(
        "heldout_percentiles_uniform",
        asset=ASSET,
        description="randomized PIT of the held-out plays scored so far by this partition's model version: "
        "KS distance to uniform < 0.05; fails (a warning) while that version has scored no held-out play",
    ),
]
PREVIEW_COLUMNS = (
    "game_id",
    "play_id",
    "passer_nfl_id",
    "pass_result",
    "yards_gained",
    "passing_percentile",
    "execution_percentile",
    "decision_value",
    "predicted_median",
    "expected_yards",
)
MEAN_COLUMNS = ("passing_percentile", "execution_percentile", "decision_value")


@dg.asset(
    group_name="scores",
    partitions_def=season_week_partitions,
    deps=[play_features, promoted_model],
    check_specs=PLAY_SCORES_CHECKS,
    kinds={"pytorch", "parquet"},
    description="Per pass attempt: the passing percentile (where the actual yards fall in the passing "
    "model's distribution for a league-average QB given the field), the execution percentile (given the "
    "chosen target too), the decision value, both models' PIT bounds, the passing model's median, "
    "quantiles and expected yards, with the split columns.",
)
def play_scores(
    context: dg.AssetExecutionContext, lake: LakeResource, model_store: ModelStoreResource
) -> dg.MaterializeResult:
    season, week = season_week(context)
    try:
        version_dir = accepted_version_dir(model_store.sbp_root)
    except ArtifactError as exc:
        raise dg.Failure(f"not scoring: {exc}") from exc
    scores, shift = score_and_measure(lake.root, version_dir, season, week)
    invalid = invalid_scores(scores)
    pictures = {}
    if scores.height:
        # The week's best-scored play, drawn: its predicted distribution and where the result fell.
        best = scores.sort("passing_percentile", descending=True).row(0, named=True)
        png, _ = explain_play(lake.root, version_dir, best["game_id"], best["play_id"])
        pictures["best_play"] = picture(png, "the week's best-scored play")
    return dg.MaterializeResult(
        metadata=rounded(
            {
                **pictures,
                "plays_scored": scores.height,
                **{f"mean_{c}": float(scores[c].mean()) if scores.height else None for c in MEAN_COLUMNS},
                "heldout_plays": int(scores["heldout"].sum()),
                "model_version": version_name(version_dir),
                "applicability": shift.shift,
                "applicability_verdict": shift.verdict,
                "preview": table_preview(scores.select(PREVIEW_COLUMNS)),
            }
        ),
        check_results=[
            dg.AssetCheckResult(
                check_name="percentiles_in_unit_interval",
                asset_key=ASSET,
                passed=invalid.is_empty(),
                metadata=rounded({"plays": scores.height, "violations": invalid.height}),
            ),
            applicability_result(f"{season}|{week}", shift),
            uniformity_result(lake.root, version_name(version_dir)),
        ],
    )


def applicability_result(partition: str, shift: Applicability) -> dg.AssetCheckResult:
    """``model_applicability``: passes within the warning limit; above it fails as a warning, above the
    fail limit as an error; a version without a training profile fails as a warning (unknown)."""
    severity = dg.AssetCheckSeverity.ERROR if shift.verdict == "fail" else dg.AssetCheckSeverity.WARN
    return dg.AssetCheckResult(
        check_name="model_applicability",
        asset_key=ASSET,
        passed=shift.verdict == "ok",
        severity=severity,
        description=None if shift.verdict == "ok" else applicability_warning(partition, shift),
        metadata=rounded(
            {
                "shift": shift.shift if shift.shift is not None else "no training profile",
                "verdict": shift.verdict,
                "warn_limit": shift.warn_limit,
                "fail_limit": shift.fail_limit,
                "plays": shift.plays,
                "unsupported_share": shift.unsupported_share,
                "ks_by_feature": dg.MetadataValue.json(shift.ks_by_feature),
            }
        ),
    )


def uniformity_result(lake: str, model_version: str, asset: str = ASSET) -> dg.AssetCheckResult:
    """The held-out calibration of ``model_version`` over every partition it scored (a warning, never
    blocking). Other versions' plays are never mixed in; they are listed in the metadata. No held-out
    plays fails the check (nothing was tested), with ``no_heldout_plays`` set."""
    by_version = heldout_uniformity(lake)
    nothing = HeldoutUniformity(model_version, 0, 0, 0, None, HELDOUT_KS_LIMIT)  # an empty week
    mine = by_version.get(model_version, nothing)
    others = {
        version: f"{u.partitions} partitions, {u.heldout_plays} held-out plays, KS "
        + ("-" if u.ks_distance is None else f"{u.ks_distance:.4f}")
        for version, u in by_version.items()
        if version != model_version
    }
    return dg.AssetCheckResult(
        check_name="heldout_percentiles_uniform",
        asset_key=asset,
        passed=mine.passed,
        severity=dg.AssetCheckSeverity.WARN,
        description=None
        if mine.heldout_plays
        else f"model {model_version} has scored no held-out plays yet: calibration not tested",
        metadata=rounded(
            {
                "model_version": model_version,
                "ks_distance": mine.ks_distance if mine.ks_distance is not None else "no held-out plays",
                **{f"{model}_ks_distance": ks for model, ks in mine.ks_by_model.items()},
                "no_heldout_plays": mine.heldout_plays == 0,
                "heldout_plays": mine.heldout_plays,
                "partitions": mine.partitions,
                "limit": mine.limit,
                "other_model_versions": dg.MetadataValue.json(others),
            }
        ),
    )
