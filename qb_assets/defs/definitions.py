"""The qb-score code location: one Definitions object (loaded by `dagster dev -w workspace.yaml`)."""

from __future__ import annotations

from typing import Any

import dagster as dg

from qb_assets.defs.automation import (
    full_refresh,
    new_tracking_files,
    nightly_season_refresh,
    train_model,
    weekly_refresh,
)
from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.model import (
    baseline_models,
    model_evaluation,
    promoted_model,
    sbp_model,
    training_set,
)
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
]


def build_definitions(resources: dict[str, Any]) -> dg.Definitions:
    """The code location with ``resources`` bound (the demo binds its work dir's)."""
    return dg.Definitions(
        assets=ASSETS,
        jobs=[weekly_refresh, train_model, full_refresh],
        schedules=[nightly_season_refresh],
        sensors=[new_tracking_files],
        resources=resources,
    )


defs = build_definitions(default_resources())
