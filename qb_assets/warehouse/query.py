"""The read side of the warehouse (``qb-score query``): one read-only SQL statement against the
warehouse, formatted as an aligned table, CSV or JSON (a list of row objects).

The statement sees the warehouse and nothing else. The connection is opened with ``read_only=True``,
so DuckDB itself refuses any write, and with ``SANDBOX_CONFIG`` applied before the statement runs: no
file, URL or other database outside the warehouse (``enable_external_access = false`` covers the
table functions that read files, globs, ATTACH, COPY, EXPORT and extension installs), no extension
auto-loading, and a locked configuration that no SET, RESET or PRAGMA can loosen. Statement kinds
that only make sense outside the sandbox (COPY, EXPORT, ATTACH, INSTALL, LOAD, SET, PRAGMA, CALL, ...)
are refused before they run, and only one statement runs; a read must also begin with a keyword that
begins a read (DuckDB 1.5 parses ``PRAGMA database_list`` as the SELECT it stands for). Every refusal or
failure is a ValueError with a one-line message.

A DuckLake (``backend.py``) is attached read-only before the sandbox closes; its data files are read by
the ducklake extension itself, so no directory is opened to the statement (every file, its own data
files included, stays refused, and so does any deletion of them). A PostgreSQL catalog is not reached
from the sandbox at all: the postgres extension would offer the statement ``postgres_scan`` and
``postgres_query`` to any server, so a separate connection copies the catalog's tables, in one
transaction, into a temporary DuckDB file, and the sandbox attaches that consistent snapshot with only the
ducklake extension loaded (plus httpfs for data on S3).
"""

from __future__ import annotations

import csv
import io
import json
import math
import tempfile
from datetime import date, datetime, time
from decimal import Decimal
from typing import Any

import duckdb

from qb_assets.warehouse.backend import (
    NO_EXTENSION_DOWNLOADS,
    POSTGRES_PREFIX,
    WarehouseLike,
    WarehouseLocation,
    as_location,
    attach_ducklake,
    exists,
    recorded_data_path,
    sql_literal,
)
from qb_assets.warehouse.extensions import load_extensions

FORMATS = ("table", "csv", "json")
# Statement types that only read. DESCRIBE, SHOW, SUMMARIZE and FROM-first queries parse as SELECT.
READ_STATEMENTS = {duckdb.StatementType.SELECT, duckdb.StatementType.EXPLAIN}
# The keywords a read may begin with: a statement of a read type that begins otherwise (a PRAGMA that
# DuckDB rewrites into a SELECT of its table function) is refused like its own kind.
READ_LEADING_KEYWORDS = {"SELECT", "WITH", "FROM", "VALUES", "TABLE", "DESCRIBE", "DESC", "SHOW", "SUMMARIZE",
                         "EXPLAIN", "("}  # fmt: skip
# Types that DuckDB refuses on a read-only connection anyway: run them, and report its message.
WRITE_STATEMENTS = {
    getattr(duckdb.StatementType, name)
    for name in (
        "INSERT",
        "UPDATE",
        "DELETE",
        "CREATE",
        "DROP",
        "ALTER",
        "CREATE_FUNC",
        "VACUUM",
        "ANALYZE",
        "MERGE_INTO",
    )
    if hasattr(duckdb.StatementType, name)
}
# The DuckLake operators and table functions of a plan that only read the lake; any other DUCKLAKE_ one
# maintains it (compaction, cleanup, expiry, inlined-data flush, options) and is refused.
DUCKLAKE_READ_OPERATORS = {
    f"DUCKLAKE_{name}"
    for name in ("SCAN", "SNAPSHOTS", "TABLE_INFO", "LIST_FILES", "TABLE_CHANGES", "TABLE_INSERTIONS",
                 "TABLE_DELETIONS", "CURRENT_SNAPSHOT", "LAST_COMMITTED_SNAPSHOT", "OPTIONS", "SETTINGS")
}  # fmt: skip
# Keywords of a statement that writes: one that does not parse but holds one is refused as a write.
WRITE_KEYWORDS = {"INSERT", "UPDATE", "DELETE", "MERGE", "TRUNCATE", "CREATE", "DROP", "ALTER", "COPY"}
READ_ONLY_PREFIX = "the warehouse is opened read-only"
SANDBOX_PREFIX = "the query may read only the warehouse"
# Applied when the connection opens, so they hold before the user's statement runs; lock_configuration
# makes every other setting final (DuckDB refuses SET, RESET and setting PRAGMAs afterwards).
SANDBOX_CONFIG = {**NO_EXTENSION_DOWNLOADS, "enable_external_access": False, "lock_configuration": True}
# How DuckDB says the sandbox stopped a statement: a PermissionException for a file, URL, database or
# extension outside the warehouse, this message for a setting the lock keeps.
LOCKED_CONFIGURATION = "the configuration has been locked"


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def _plan_operators(con: duckdb.DuckDBPyConnection, query: str) -> set[str]:
    """The operator and table-function names of ``query``'s physical plan (bound, not run)."""
    names: set[str] = set()
    plans = con.execute(f"EXPLAIN (FORMAT json) {query}").fetchall()
    pending = [node for _, plan in plans for node in json.loads(plan)]
    while pending:
        node = pending.pop()
        names.add(str(node.get("name", "")).upper())
        names.add(str(node.get("extra_info", {}).get("Function", "")).upper())
        pending += node.get("children", [])
    return names - {""}


def _refuse_lake_maintenance(con: duckdb.DuckDBPyConnection, sql: str, query: str) -> None:
    """On a DuckLake: refuse a statement whose plan maintains the lake (compaction, file cleanup,
    expiry, options: they write data files or delete them, which reading its data folder would allow)."""
    if _keywords(sql) >= {"EXPLAIN", "ANALYZE"}:
        raise ValueError(f"{SANDBOX_PREFIX}: EXPLAIN ANALYZE runs the statement; use EXPLAIN")
    if _leading_keyword(sql) == "EXPLAIN":
        return  # a plan that is shown, not run
    refused = sorted(
        name
        for name in _plan_operators(con, query)
        if (name.startswith("DUCKLAKE_") and name not in DUCKLAKE_READ_OPERATORS) or "COPY_TO_FILE" in name
    )
    if refused:
        raise ValueError(f"{SANDBOX_PREFIX}: {', '.join(refused)} would change the lake's files")


def _execute(
    con: duckdb.DuckDBPyConnection, sql: str, ducklake: bool = False
) -> tuple[list[str], list[tuple]]:
    try:
        statements = duckdb.extract_statements(sql)
    except duckdb.Error as exc:
        writes = sorted(_keywords(sql) & WRITE_KEYWORDS)
        if writes:
            # DuckDB 1.5 cannot parse a write inside a CTE; it is a write all the same.
            raise ValueError(f"{READ_ONLY_PREFIX}: {', '.join(writes)} ({_first_line(exc)})") from exc
        raise ValueError(f"query failed: {_first_line(exc)}") from exc
    if len(statements) != 1:
        raise ValueError(f"query takes exactly one SQL statement, got {len(statements)}")
    statement = statements[0]
    kind = statement.type
    if kind not in READ_STATEMENTS and kind not in WRITE_STATEMENTS:
        name = getattr(kind, "name", str(kind))
        raise ValueError(f"{SANDBOX_PREFIX}: {name} statements are not allowed here")
    leading = _leading_keyword(sql)
    if kind in READ_STATEMENTS and leading not in READ_LEADING_KEYWORDS:
        raise ValueError(f"{SANDBOX_PREFIX}: {leading} statements are not allowed here")
    try:
        if ducklake and kind in READ_STATEMENTS:
            _refuse_lake_maintenance(con, sql, statement.query)
        result = con.execute(statement.query)
        columns = [d[0] for d in result.description or []]
        return columns, result.fetchall()
    except duckdb.Error as exc:
        message = _first_line(exc)
        if isinstance(exc, duckdb.PermissionException) or LOCKED_CONFIGURATION in message:
            raise ValueError(f"{SANDBOX_PREFIX}: {message}") from exc
        if kind in WRITE_STATEMENTS or "read-only" in message or "readonly" in message:
            raise ValueError(f"{READ_ONLY_PREFIX}: {message}") from exc
        raise ValueError(f"query failed: {message}") from exc


def _keywords(sql: str) -> set[str]:
    """The keyword tokens of ``sql`` (not identifiers, not strings), upper-cased."""
    tokens = duckdb.tokenize(sql)
    bounds = [*(start for start, _ in tokens), len(sql)]
    return {
        sql[bounds[i] : bounds[i + 1]].strip().upper()
        for i, (_, kind) in enumerate(tokens)
        if kind == duckdb.token_type.keyword
    }


def _leading_keyword(sql: str) -> str:
    """The statement's first token (comments skipped), upper-cased."""
    tokens = duckdb.tokenize(sql)
    if not tokens:
        return ""
    end = tokens[1][0] if len(tokens) > 1 else len(sql)
    return sql[tokens[0][0] : end].strip().upper()


def _json_value(value: Any) -> Any:
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, date | datetime | time):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    if isinstance(value, bool | int | float | str) or value is None:
        return value
    return str(value)


def _cell(value: Any) -> str:
    if value is None:
        return "NULL"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        # Four decimals read well for percentiles, ratings and yards alike; trailing zeros dropped.
        return f"{value:.4f}".rstrip("0").rstrip(".") if math.isfinite(value) else str(value)
    return str(value)


def format_table(columns: list[str], rows: list[tuple]) -> str:
    """Aligned columns: numbers right-aligned, text left-aligned, a dashed rule under the header."""
    cells = [[_cell(v) for v in row] for row in rows]
    widths = [max([len(c), *(len(r[i]) for r in cells)]) for i, c in enumerate(columns)]
    numeric = []
    for i in range(len(columns)):
        values = [r[i] for r in rows if r[i] is not None]
        # bool is an int subclass, but true/false read better left-aligned like text.
        numeric.append(
            bool(values)
            and all(isinstance(v, int | float | Decimal) and not isinstance(v, bool) for v in values)
        )

    def line(values: list[str]) -> str:
        parts = [v.rjust(w) if num else v.ljust(w) for v, w, num in zip(values, widths, numeric, strict=True)]
        return "  ".join(parts).rstrip()

    out = [line(columns), "  ".join("-" * w for w in widths)]
    out += [line(r) for r in cells]
    out.append(f"({len(rows)} row{'s' if len(rows) != 1 else ''})")
    return "\n".join(out)


def format_csv(columns: list[str], rows: list[tuple]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    # Empty for NULL, true/false for booleans (as DuckDB's own CSV writer), everything else as str().
    writer.writerows(
        [["" if v is None else str(v).lower() if isinstance(v, bool) else v for v in row] for row in rows]
    )
    return buffer.getvalue().rstrip("\n")


def format_json(columns: list[str], rows: list[tuple]) -> str:
    records = [{c: _json_value(v) for c, v in zip(columns, row, strict=True)} for row in rows]
    return json.dumps(records, indent=2)


def _snapshot_postgres_catalog(location: WarehouseLocation, folder: str) -> str:
    """Copy the DuckLake catalog tables (``ducklake_*``) of the PostgreSQL database into a DuckDB file in
    ``folder``, in one read-only transaction (a consistent snapshot); returns the file's path."""
    path = f"{folder}/catalog.ducklake"
    con = duckdb.connect(config=NO_EXTENSION_DOWNLOADS)
    try:
        load_extensions(con, "postgres")
        dsn = sql_literal(location.catalog.removeprefix(POSTGRES_PREFIX))
        con.execute(f"ATTACH {dsn} AS catalog_source (TYPE postgres, READ_ONLY)")
        con.execute(f"ATTACH '{path}' AS catalog_snapshot")
        con.begin()
        tables = con.execute(
            "SELECT schema_name, table_name FROM duckdb_tables() WHERE database_name = 'catalog_source' "
            "AND schema_name = 'public' AND starts_with(table_name, 'ducklake_')"
        ).fetchall()
        if not tables:
            raise ValueError(f"no DuckLake catalog in {location} (load the warehouse first)")
        for schema, table in tables:
            source = f'catalog_source."{schema}"."{table}"'
            con.execute(f'CREATE TABLE catalog_snapshot.main."{table}" AS SELECT * FROM {source}')
        con.commit()
    finally:
        con.close()
    return path


def _open_sandboxed_ducklake(location: WarehouseLocation, folder: str) -> duckdb.DuckDBPyConnection:
    catalog = _snapshot_postgres_catalog(location, folder) if location.catalog_in_postgres else None
    con = duckdb.connect(config=NO_EXTENSION_DOWNLOADS)
    try:
        attach_ducklake(con, WarehouseLocation(location.uri), read_only=True, catalog=catalog)
        data_path = recorded_data_path(con)
        # The lake's data files are the one place the sandbox reads (the plan check keeps writes out).
        con.execute(f"SET allowed_directories = [{sql_literal(data_path)}]")
        for name in ("enable_external_access", "lock_configuration"):
            con.execute(f"SET {name} = {str(SANDBOX_CONFIG[name]).lower()}")
    except BaseException:
        con.close()
        raise
    return con


def run_query(sql: str, warehouse: WarehouseLike, fmt: str = "table") -> str:
    """Run one statement read-only, in the sandbox, against the warehouse (a DuckDB file or a DuckLake)
    and return it formatted as ``fmt``."""
    if fmt not in FORMATS:
        raise ValueError(f"unknown format {fmt!r}; expected one of {', '.join(FORMATS)}")
    location = as_location(warehouse)
    if not exists(location):
        what = "DuckLake catalog" if location.is_ducklake else "warehouse file"
        raise ValueError(f"no {what} at {location} (build one with the warehouse load first)")
    with tempfile.TemporaryDirectory(prefix="qb-query-") as folder:
        try:
            if location.is_ducklake:
                con = _open_sandboxed_ducklake(location, folder)
            else:
                con = duckdb.connect(location.uri, read_only=True, config=SANDBOX_CONFIG)
        except duckdb.Error as exc:
            # Typically the file lock of a running load (one read-write process excludes readers).
            raise ValueError(f"cannot open the warehouse {location} read-only: {_first_line(exc)}") from exc
        try:
            columns, rows = _execute(con, sql, ducklake=location.is_ducklake)
        finally:
            con.close()
    formatter = {"table": format_table, "csv": format_csv, "json": format_json}[fmt]
    return formatter(columns, rows)
