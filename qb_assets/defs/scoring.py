"""play_scores: each week's pass attempts scored by the accepted model."""

import json
from pathlib import Path

import dagster as dg

from qb_assets.defs.checks import PLAY_SCORES_CHECKS, accepted_model_version, play_scores_check_results
from qb_assets.defs.features import play_features
from qb_assets.defs.model import model_evaluation
from qb_assets.defs.partitions import season_week, season_week_partitions
from qb_assets.defs.resources import LakeResource, ModelStoreResource
from qb_assets.scoring.plots import markdown_image
from qb_assets.scoring.score import explain_play, score_partition


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
    version = json.loads((Path(model_store.sbp_dir) / "config.json").read_text())["model_version"]
    if accepted_model_version(model_store.root) != version:
        raise dg.Failure(
            f"model {version} in {model_store.sbp_dir} has not passed model_not_regressed; not scoring"
        )
    scores = score_partition(lake.root, model_store.sbp_dir, season, week)
    pictures = {}
    if scores.height:
        # The week's best-scored play, drawn: its predicted distribution and where the result fell.
        best = scores.sort("percentile", descending=True).row(0, named=True)
        png, _ = explain_play(lake.root, model_store.sbp_dir, best["game_id"], best["play_id"])
        pictures["best_play"] = dg.MetadataValue.md(markdown_image(png, "the week's best-scored play"))
    return dg.MaterializeResult(
        metadata={
            **pictures,
            "plays_scored": scores.height,
            "mean_percentile": float(scores["percentile"].mean()) if scores.height else None,
            "heldout_plays": int(scores["heldout"].sum()),
            "model_version": version,
            "preview": dg.MetadataValue.md(
                scores.select(
                    "game_id",
                    "play_id",
                    "passer_nfl_id",
                    "pass_result",
                    "yards_gained",
                    "percentile",
                    "predicted_median",
                    "expected_yards",
                )
                .head(10)
                .to_pandas()
                .to_markdown(index=False)
            ),
        },
        check_results=play_scores_check_results(scores, lake.root),
    )
