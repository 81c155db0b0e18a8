"""Library results as Dagster metadata: table previews, pictures and great-expectations outcomes."""

from __future__ import annotations

import dagster as dg
import polars as pl

from qb_assets.common.expectations import SuiteOutcome
from qb_assets.scoring.plots import markdown_image

PREVIEW_ROWS = 10


def table_preview(frame: pl.DataFrame, empty: str = "no rows") -> dg.MetadataValue | str:
    """The first rows of ``frame`` as a Markdown table (``empty`` when it has none)."""
    if frame.is_empty():
        return empty
    return dg.MetadataValue.md(frame.head(PREVIEW_ROWS).to_pandas().to_markdown(index=False))


def picture(png: bytes, alt: str) -> dg.MetadataValue:
    """A PNG inlined in Markdown, which the UI renders in the asset's metadata."""
    return dg.MetadataValue.md(markdown_image(png, alt))


def suite_check_result(check_name: str, asset: str, outcome: SuiteOutcome) -> dg.AssetCheckResult:
    """A great-expectations suite's outcome as an ERROR-severity asset check result."""
    return dg.AssetCheckResult(
        check_name=check_name,
        asset_key=asset,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=outcome.description,
        metadata={"expectations": outcome.evaluated, "failures": dg.MetadataValue.json(outcome.failures)},
    )
