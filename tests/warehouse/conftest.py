"""The fabricated two-week warehouse (tests/warehouse/fabricated.py), loaded once per module."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from qb_assets.warehouse import load as wh
from tests.warehouse.fabricated import SEASON, build_fabricated_warehouse, partition_tables


@pytest.fixture(scope="module")
def built_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fabricated_warehouse(tmp_path_factory.mktemp("warehouse") / "warehouse.duckdb")


@pytest.fixture(scope="module")
def built_ducklake(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The same two weeks in a DuckLake (``ducklake:<catalog file>``, data beside it), once per module;
    its data path is recorded in the catalog, so a test that writes builds its own (``ducklake_at``)."""
    return ducklake_at(tmp_path_factory.mktemp("ducklake"))


def ducklake_at(folder: Path) -> str:
    """The fabricated two-week warehouse loaded into a new DuckLake in ``folder``, week 1 twice (so its
    tables hold deleted rows: the maintenance functions have work to do); returns its URI."""
    uri = build_fabricated_warehouse(f"ducklake:{folder / 'warehouse.ducklake'}")
    wh.load_partition(uri, SEASON, 1, partition_tables(1))
    return uri


@pytest.fixture
def warehouse(built_warehouse: Path, tmp_path: Path) -> Path:
    """A private copy of the two-week warehouse (loading it once per module keeps the tests fast)."""
    path = tmp_path / "warehouse.duckdb"
    shutil.copyfile(built_warehouse, path)
    return path


@pytest.fixture(params=["duckdb", "ducklake"])
def any_warehouse(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """A private two-week warehouse on each backend: a copy of the embedded file, a new DuckLake."""
    if request.param == "duckdb":
        return request.getfixturevalue("warehouse")
    return ducklake_at(tmp_path / "lake")


@pytest.fixture(params=["duckdb", "ducklake"])
def read_warehouse(request: pytest.FixtureRequest) -> Path | str:
    """The module's two-week warehouse on each backend, for tests that only read it."""
    return request.getfixturevalue("built_warehouse" if request.param == "duckdb" else "built_ducklake")
