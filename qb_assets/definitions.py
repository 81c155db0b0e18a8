"""The qb-score code location: one Definitions object (loaded by `dagster dev -w workspace.yaml`)."""

from __future__ import annotations

import dagster as dg

from qb_assets.assets.features import play_features
from qb_assets.assets.ingest import raw_tracking
from qb_assets.resources import default_resources

ingest_job = dg.define_asset_job(
    "ingest_week",
    selection=[raw_tracking, play_features],
    description="Ingest one season x week of tracking into the lake and build its features.",
)

defs = dg.Definitions(
    assets=[raw_tracking, play_features],
    jobs=[ingest_job],
    resources=default_resources(),
)
