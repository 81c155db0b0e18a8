"""The DuckDB extensions of the DuckLake warehouse load from their pinned wheels: nothing is downloaded
or read from DuckDB's own extension folder, and a missing wheel is a one-line error saying what to
install."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pytest

from qb_assets.warehouse import extensions
from qb_assets.warehouse.extensions import ExtensionMissingError, load_extensions


def test_every_extension_loads_from_its_wheel_offline(tmp_path: Path) -> None:
    empty = tmp_path / "duckdb-extension-directory"
    empty.mkdir()
    con = duckdb.connect(
        config={
            "extension_directory": str(empty),
            "autoinstall_known_extensions": False,
            "autoload_known_extensions": False,
        }
    )
    try:
        load_extensions(con, *extensions.EXTENSION_WHEELS)
        loaded = {
            name
            for (name,) in con.execute(
                "SELECT extension_name FROM duckdb_extensions() WHERE loaded"
            ).fetchall()
        }
        # The functions each one brings are there.
        functions = {
            name
            for (name,) in con.execute(
                "SELECT DISTINCT function_name FROM duckdb_functions() WHERE function_name IN "
                "('ducklake_snapshots', 'postgres_scan', 'read_parquet')"
            ).fetchall()
        }
    finally:
        con.close()
    assert {"ducklake", "httpfs", "postgres_scanner"} <= loaded
    assert {"ducklake_snapshots", "postgres_scan"} <= functions
    assert list(empty.iterdir()) == []


def test_a_missing_wheel_says_what_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(
        extensions.EXTENSION_WHEELS, "ducklake", ("duckdb_extension_not_installed", "ducklake")
    )
    con = duckdb.connect()
    try:
        with pytest.raises(
            ExtensionMissingError,
            match=rf"pip install 'duckdb-extension-not-installed=={duckdb.__version__}'",
        ):
            load_extensions(con, "ducklake")
    finally:
        con.close()
