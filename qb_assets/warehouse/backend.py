"""Where the warehouse lives and how a connection to it opens: one interface, two backends.

A warehouse is named by one string (``QB_WAREHOUSE``, ``--warehouse``):

- a file path (``work/warehouse.duckdb``): the embedded default, one DuckDB file. One process may open it
  read-write at a time (DuckDB's file lock); readers open it read-only when no writer holds it.
- ``ducklake:<catalog>``: a DuckLake, whose catalog is a local DuckDB file (``ducklake:work/wh.ducklake``,
  one process at a time, like the embedded file) or a PostgreSQL database
  (``ducklake:postgres:dbname=qb host=db user=qb``: any number of writers and readers on any machine, with
  transactions across them). Its Parquet data files lie in the data path given when the lake is created
  (``QB_WAREHOUSE_DATA``, a folder or ``s3://bucket/prefix``; default for a file catalog:
  ``<catalog>.files/`` beside it); the catalog records it, so later connections need only the catalog.

Either way the connection's default database is the warehouse, so every statement of ``load.py``,
``sql/`` and ``qb-score query`` runs unchanged on both. S3 credentials and the endpoint come from the
usual AWS chain (environment, profile, container role) through botocore.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

import duckdb

from qb_assets.warehouse.extensions import load_extensions

DUCKLAKE_PREFIX = "ducklake:"
POSTGRES_PREFIX = "postgres:"
# The name the DuckLake is attached under (the embedded file's database is named after the file).
CATALOG_ALIAS = "warehouse"
# Settings of every connection that may run a user's statement: no download, no auto-loading.
NO_EXTENSION_DOWNLOADS = {
    "autoinstall_known_extensions": False,
    "autoload_known_extensions": False,
    "allow_community_extensions": False,
}


@dataclass(frozen=True)
class WarehouseLocation:
    """A warehouse: ``uri`` (a DuckDB file path or ``ducklake:<catalog>``) and, for a DuckLake,
    ``data_path``, where a new lake's files go (ignored once the catalog records one)."""

    uri: str
    data_path: str = ""

    @property
    def is_ducklake(self) -> bool:
        return self.uri.startswith(DUCKLAKE_PREFIX)

    @property
    def catalog(self) -> str:
        """The DuckLake catalog: a file path or ``postgres:<libpq connection string>``."""
        return self.uri.removeprefix(DUCKLAKE_PREFIX)

    @property
    def catalog_in_postgres(self) -> bool:
        return self.is_ducklake and self.catalog.startswith(POSTGRES_PREFIX)

    def __str__(self) -> str:
        # Messages and metadata never show a password of the connection string.
        return re.sub(r"(password\s*=\s*)\S+", r"\1***", self.uri)


WarehouseLike = str | Path | WarehouseLocation


def as_location(warehouse: WarehouseLike) -> WarehouseLocation:
    """``warehouse`` as a WarehouseLocation (a string or path is its ``uri``)."""
    if isinstance(warehouse, WarehouseLocation):
        return warehouse
    return WarehouseLocation(str(warehouse))


def sql_literal(text: str) -> str:
    """``text`` as a SQL string literal."""
    return "'" + text.replace("'", "''") + "'"


def exists(location: WarehouseLocation) -> bool:
    """Whether a reader can expect a warehouse there (a PostgreSQL catalog is assumed to exist)."""
    if location.catalog_in_postgres:
        return True
    return Path(location.catalog if location.is_ducklake else location.uri).is_file()


def missing_error(location: WarehouseLocation) -> FileNotFoundError:
    what = "DuckLake catalog" if location.is_ducklake else "warehouse file"
    return FileNotFoundError(f"no {what} at {location.catalog if location.is_ducklake else location.uri}")


def configure_s3(con: duckdb.DuckDBPyConnection) -> None:
    """A DuckDB S3 secret from the AWS credential chain and ``AWS_ENDPOINT_URL`` (a local S3 server is
    reached by path-style plain HTTP). No credentials found: nothing is configured."""
    import boto3  # noqa: PLC0415 - only S3 data paths need it (a 0.5 s import)

    session = boto3.Session()
    credentials = session.get_credentials()
    if credentials is None:
        return
    frozen = credentials.get_frozen_credentials()
    options = {
        "KEY_ID": frozen.access_key,
        "SECRET": frozen.secret_key,
        "REGION": session.region_name or os.environ.get("AWS_REGION") or "us-east-1",
    }
    if frozen.token:
        options["SESSION_TOKEN"] = frozen.token
    endpoint = os.environ.get("AWS_ENDPOINT_URL_S3") or os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["ENDPOINT"] = re.sub(r"^https?://", "", endpoint).rstrip("/")
        options["URL_STYLE"] = "path"
        options["USE_SSL"] = "true" if endpoint.startswith("https://") else "false"
    body = ", ".join(
        f"{key} {value}" if key == "USE_SSL" else f"{key} {sql_literal(value)}"
        for key, value in options.items()
    )
    con.execute(f"CREATE OR REPLACE SECRET qb_warehouse_s3 (TYPE s3, {body})")


def attach_ducklake(
    con: duckdb.DuckDBPyConnection, location: WarehouseLocation, read_only: bool, catalog: str | None = None
) -> None:
    """Load the extensions and attach the DuckLake (or ``catalog``, a stand-in for its catalog) as the
    connection's default database ``CATALOG_ALIAS``."""
    catalog = catalog or location.catalog
    in_postgres = catalog.startswith(POSTGRES_PREFIX)
    data_path = location.data_path
    # httpfs always: attaching a lake whose recorded data path is on S3 needs it loaded.
    load_extensions(con, "ducklake", "httpfs", *(["postgres"] if in_postgres else []))
    s3_configured = data_path.startswith("s3://")
    if s3_configured:
        configure_s3(con)
    # No data inlined into the catalog: every row in Parquet files, so a query's copy of a PostgreSQL
    # catalog (query.py) holds nothing whose types differ between catalog databases (PostgreSQL keeps
    # inlined dates as text), and conflicts between writers are the documented file-level ones.
    options = ["READ_ONLY"] if read_only else ["DATA_INLINING_ROW_LIMIT 0"]
    if data_path and not read_only:
        if not data_path.startswith("s3://"):
            Path(data_path).mkdir(parents=True, exist_ok=True)
        options.append(f"DATA_PATH {sql_literal(data_path.rstrip('/') + '/')}")
    if not in_postgres and not read_only:
        Path(catalog).parent.mkdir(parents=True, exist_ok=True)
    suffix = f" ({', '.join(options)})" if options else ""
    try:
        con.execute(f"ATTACH {sql_literal(DUCKLAKE_PREFIX + catalog)} AS {CATALOG_ALIAS}{suffix}")
    except duckdb.Error as exc:
        first = str(exc).strip().splitlines()[0]
        hint = ""
        if in_postgres and not data_path and "DATA_PATH" in first.upper():
            hint = " (a new DuckLake needs its data path: set QB_WAREHOUSE_DATA or --warehouse-data)"
        raise ValueError(f"cannot attach the DuckLake {location}: {first}{hint}") from exc
    con.execute(f"USE {CATALOG_ALIAS}")
    if not s3_configured and recorded_data_path(con).startswith("s3://"):
        configure_s3(con)


def recorded_data_path(con: duckdb.DuckDBPyConnection) -> str:
    """The data path the attached DuckLake's catalog records."""
    sql = f"SELECT value FROM __ducklake_metadata_{CATALOG_ALIAS}.ducklake_metadata WHERE key = 'data_path'"
    row = con.execute(sql).fetchone()
    return row[0] if row else ""


def open_connection(warehouse: WarehouseLike, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """A connection whose default database is the warehouse (no schema created: ``load.connect`` does).
    Read-only opens of a warehouse that does not exist raise FileNotFoundError."""
    location = as_location(warehouse)
    if read_only and not exists(location):
        raise missing_error(location)
    if not location.is_ducklake:
        path = Path(location.uri)
        if not read_only:
            path.parent.mkdir(parents=True, exist_ok=True)
        return duckdb.connect(str(path), read_only=read_only)
    con = duckdb.connect(config=NO_EXTENSION_DOWNLOADS)
    try:
        attach_ducklake(con, location, read_only)
    except BaseException:
        con.close()
        raise
    return con
