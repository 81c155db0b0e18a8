"""Library results as Dagster metadata: rounded numbers, table previews, pictures and great-expectations
outcomes."""

from __future__ import annotations

import math
import numbers
from typing import Any

import dagster as dg
import polars as pl
import polars.selectors as cs

from qb_assets.common.expectations import SuiteOutcome
from qb_assets.scoring.plots import markdown_image

PREVIEW_ROWS = 10
# Metadata floats keep 4 significant digits: an NLL of 2.547, a KS limit of 0.08840, 512.3 seconds.
SIGNIFICANT_DIGITS = 4


def rounded(value: Any) -> Any:
    """``value`` with every float rounded to SIGNIFICANT_DIGITS significant digits, through dicts,
    lists and JSON metadata values; everything else as it is. Every asset's metadata goes through it."""
    if isinstance(value, numbers.Real) and not isinstance(value, numbers.Integral):
        number = float(value)
        return float(f"{number:.{SIGNIFICANT_DIGITS}g}") if math.isfinite(number) else number
    if isinstance(value, dg.JsonMetadataValue):
        return dg.MetadataValue.json(rounded(value.data))
    if isinstance(value, dg.MetadataValue):  # other records (some are tuples) hold no raw numbers
        return value
    if isinstance(value, dict):
        return {key: rounded(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [rounded(item) for item in value]
    return value


def table_preview(frame: pl.DataFrame, empty: str = "no rows") -> dg.MetadataValue | str:
    """The first rows of ``frame`` as a Markdown table (``empty`` when it has none)."""
    if frame.is_empty():
        return empty
    preview = frame.head(PREVIEW_ROWS).with_columns(cs.float().round_sig_figs(SIGNIFICANT_DIGITS))
    return dg.MetadataValue.md(preview.to_pandas().to_markdown(index=False))


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
        metadata=rounded(
            {"expectations": outcome.evaluated, "failures": dg.MetadataValue.json(outcome.failures)}
        ),
    )
