"""Running the ingest and feature assets on the real 2018 week-14 game in process, shared by the Dagster
integration tests."""

from __future__ import annotations

from pathlib import Path

import dagster as dg

from qb_assets.defs.partitions import materialize_partition
from qb_assets.defs.resources import LakeResource, TrackingSourceResource

WEEK_14 = (2018, 14)


def materialize_week_14(assets: list, source: Path, lake: Path) -> dg.ExecuteInProcessResult:
    """Materialize ``assets`` for the 2018 week-14 partition from ``source`` into ``lake``; a failed step
    is returned, not raised."""
    return materialize_partition(
        assets,
        *WEEK_14,
        resources={
            "tracking_source": TrackingSourceResource(uri=str(source)),
            "lake": LakeResource(root=str(lake)),
        },
        raise_on_error=False,
    )


def check_outcomes(result: dg.ExecuteInProcessResult) -> dict[str, bool]:
    """Each asset check's name -> whether it passed."""
    return {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
