"""Asset metadata as the UI shows it: floats at a readable precision, through one helper every asset's
metadata goes through."""

from __future__ import annotations

import ast
from pathlib import Path

import dagster as dg
import polars as pl

from qb_assets.defs.metadata import rounded, table_preview
from tests.conftest import REPO_ROOT


def test_floats_keep_four_significant_digits_everywhere() -> None:
    metadata = rounded(
        {
            "pit_ks_limit": 0.08839916156110239,
            "seconds": 512.3456,
            "verdict": {"passing": {"nll_change": -0.0123456}},
            "failures": dg.MetadataValue.json({"shares": [1 / 3, 2]}),
            "plays": 2311,
            "passed": True,
            "model_version": "abc123",
        }
    )
    assert metadata["pit_ks_limit"] == 0.0884 and metadata["seconds"] == 512.3
    assert metadata["verdict"] == {"passing": {"nll_change": -0.01235}}
    assert metadata["failures"].data == {"shares": [0.3333, 2]}
    assert metadata["plays"] == 2311 and metadata["passed"] is True and metadata["model_version"] == "abc123"
    preview = table_preview(pl.DataFrame({"play_id": [83], "passing_percentile": [0.8312345678]}))
    assert "0.8312" in preview.value and "0.83123" not in preview.value


def test_every_asset_metadata_goes_through_the_helper() -> None:
    """Each ``metadata=`` of a MaterializeResult, AssetCheckResult or Failure in qb_assets/defs."""
    unrounded = []
    for path in sorted((REPO_ROOT / "qb_assets" / "defs").glob("*.py")):
        for node in ast.walk(ast.parse(path.read_text())):
            if not isinstance(node, ast.Call):
                continue
            for keyword in node.keywords:
                value = keyword.value
                helper = isinstance(value, ast.Call) and getattr(value.func, "id", None) == "rounded"
                if keyword.arg == "metadata" and not helper:
                    unrounded.append(f"{Path(path).name}:{node.lineno}")
    assert not unrounded
