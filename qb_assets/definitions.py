"""The qb-score code location: one Definitions object (loaded by `dagster dev -w workspace.yaml`)."""

from __future__ import annotations

import dagster as dg

from qb_assets.assets.features import play_features
from qb_assets.assets.ingest import raw_tracking
from qb_assets.assets.model import baseline_models, model_evaluation, sbp_model, training_set
from qb_assets.assets.scores import play_scores
from qb_assets.assets.warehouse import warehouse
from qb_assets.resources import default_resources

ingest_job = dg.define_asset_job(
    "ingest_week",
    selection=[raw_tracking, play_features],
    description="Ingest one season x week of tracking into the lake and build its features.",
)

train_job = dg.define_asset_job(
    "train_model",
    selection=[training_set, sbp_model, baseline_models, model_evaluation],
    description="Gather the feature store, train the SBP model and the baselines, evaluate them.",
)

defs = dg.Definitions(
    assets=[
        raw_tracking,
        play_features,
        training_set,
        sbp_model,
        baseline_models,
        model_evaluation,
        play_scores,
        warehouse,
    ],
    jobs=[ingest_job, train_job],
    resources=default_resources(),
)
