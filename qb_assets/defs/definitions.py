"""The qb-score code location: one Definitions object (loaded by `dagster dev -w workspace.yaml`)."""

from __future__ import annotations

from typing import Any

import dagster as dg

from qb_assets.defs.automation import new_tracking_files, nightly_season_refresh, refresh_jobs
from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.model import (
    baseline_models,
    model_evaluation,
    promoted_model,
    sbp_model,
    training_set,
)
from qb_assets.defs.pbp import pbp_plays, pbp_scores, situation_model
from qb_assets.defs.resources import default_resources
from qb_assets.defs.scoring import play_scores
from qb_assets.defs.warehouse import warehouse

ASSETS = [
    raw_tracking,
    play_features,
    training_set,
    sbp_model,
    baseline_models,
    model_evaluation,
    promoted_model,
    play_scores,
    warehouse,
    pbp_plays,
    situation_model,
    pbp_scores,
]


def build_definitions(resources: dict[str, Any]) -> dg.Definitions:
    """The code location with ``resources`` bound (the demo binds its work dir's); its jobs run the
    ``pbp`` group when the tracking source is a play-by-play file (``automation.refresh_jobs``)."""
    return dg.Definitions(
        assets=ASSETS,
        jobs=refresh_jobs(resources["tracking_source"].is_play_by_play()),
        schedules=[nightly_season_refresh],
        sensors=[new_tracking_files],
        resources=resources,
    )


defs = build_definitions(default_resources())
