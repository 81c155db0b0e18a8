"""DuckDB extensions loaded offline from their PyPI wheels, never downloaded.

The DuckLake warehouse needs three extensions: ``ducklake`` (the table format), ``httpfs`` (data files on
S3) and ``postgres`` (a PostgreSQL catalog). Each ``duckdb-extension-<name>`` wheel, pinned to the DuckDB
release in ``pyproject.toml``, ships the binary at
``duckdb_extension_<name>/extensions/v<duckdb version>/<name>.duckdb_extension``; ``load_extensions``
LOADs it from there, so a machine without internet access (a CI runner, a locked-down ECS task) works
the same as one with it, and DuckDB's own download (``INSTALL``, auto-loading) is never used.

DuckDB derives an extension's entry point from the file name, and the postgres extension's real name is
``postgres_scanner``: its file is linked under that name into a per-user folder of the temporary
directory first (a symbolic link, created atomically, so concurrent processes agree).
"""

from __future__ import annotations

import importlib.util
import os
import tempfile
from pathlib import Path

import duckdb

# name used here -> (the wheel's Python package, the name DuckDB knows the extension by).
EXTENSION_WHEELS = {
    "ducklake": ("duckdb_extension_ducklake", "ducklake"),
    "httpfs": ("duckdb_extension_httpfs", "httpfs"),
    "postgres": ("duckdb_extension_postgres", "postgres_scanner"),
}


class ExtensionMissingError(RuntimeError):
    """An extension's wheel is not installed for the running DuckDB release."""


def _wheel_file(name: str) -> Path:
    if name not in EXTENSION_WHEELS:
        raise ValueError(f"unknown DuckDB extension {name!r}; expected one of {sorted(EXTENSION_WHEELS)}")
    package, _ = EXTENSION_WHEELS[name]
    wheel = f"{package.replace('_', '-')}=={duckdb.__version__}"
    spec = importlib.util.find_spec(package)
    if spec is None or not spec.submodule_search_locations:
        raise ExtensionMissingError(f"the DuckDB extension {name!r} is not installed: pip install '{wheel}'")
    folder = Path(next(iter(spec.submodule_search_locations))) / "extensions" / f"v{duckdb.__version__}"
    path = folder / f"{name}.duckdb_extension"
    if not path.is_file():
        found = sorted(p.name for p in folder.parent.glob("v*")) if folder.parent.is_dir() else []
        raise ExtensionMissingError(
            f"the DuckDB extension {name!r} has no build for DuckDB {duckdb.__version__} in {package} "
            f"(it has {found or 'none'}): pip install '{wheel}'"
        )
    return path


def extension_file(name: str) -> Path:
    """The file to LOAD for extension ``name`` (a key of ``EXTENSION_WHEELS``), named as DuckDB expects."""
    path = _wheel_file(name)
    _, real_name = EXTENSION_WHEELS[name]
    if path.stem == real_name:
        return path
    folder = Path(tempfile.gettempdir()) / f"qb-score-duckdb-extensions-{os.getuid()}"
    folder /= f"v{duckdb.__version__}"
    link = folder / f"{real_name}.duckdb_extension"
    if not (link.is_symlink() and link.resolve() == path.resolve()):
        folder.mkdir(parents=True, exist_ok=True)
        staged = folder / f".{real_name}.{os.getpid()}.tmp"
        staged.unlink(missing_ok=True)
        staged.symlink_to(path)
        staged.replace(link)  # atomic: a concurrent process sees the old link or the new one
    return link


def load_extensions(con: duckdb.DuckDBPyConnection, *names: str) -> None:
    """LOAD each extension in ``names`` into ``con`` from its wheel (no download, no auto-install)."""
    for name in names:
        con.execute(f"LOAD '{extension_file(name)}'")
