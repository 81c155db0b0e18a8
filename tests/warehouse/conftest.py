"""The fabricated two-week warehouse (tests/warehouse/fabricated.py), loaded once per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from tests.warehouse.fabricated import build_fabricated_warehouse


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fabricated_warehouse(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")


@pytest.fixture
def warehouse(built_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the two-week warehouse (loading it once per module keeps the tests fast)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, path)
    return path
