"""Resources: where tracking files come from and where the lake lives.

Defaults come from environment variables so that ``dagster dev``, the nightly schedule and the CLI agree
without repeating paths: ``QB_SOURCE`` (tracking folder), ``QB_LAKE`` (lake root), ``QB_LAYOUT``
(``auto`` or a Big Data Bowl layout name). Relative defaults live under ``./work``.
"""

from __future__ import annotations

import dagster as dg

from qb_assets.tracking.formats import LAYOUT_CHOICES
from qb_assets.tracking.source import TrackingSource, open_source


class TrackingSourceResource(dg.ConfigurableResource):
    """A folder of Big Data Bowl files (an ``s3://`` prefix once the S3 backend lands)."""

    uri: str = "work/source"
    layout: str = "auto"

    def open(self) -> TrackingSource:
        if self.layout not in LAYOUT_CHOICES:
            raise ValueError(f"layout {self.layout!r} is not one of {', '.join(LAYOUT_CHOICES)}")
        return open_source(self.uri)


class LakeResource(dg.ConfigurableResource):
    """Root of the Parquet lake (``LAKE/<table>/season=YYYY/week=W/data.parquet``)."""

    root: str = "work/lake"


def default_resources() -> dict[str, dg.ConfigurableResource]:
    return {
        "tracking_source": TrackingSourceResource(
            uri=dg.EnvVar("QB_SOURCE").get_value("work/source") or "work/source",
            layout=dg.EnvVar("QB_LAYOUT").get_value("auto") or "auto",
        ),
        "lake": LakeResource(root=dg.EnvVar("QB_LAKE").get_value("work/lake") or "work/lake"),
    }
