"""What the DuckLake backend adds to the warehouse: its tables derived from ``sql/schema.sql``, the keys
and checks DuckLake does not enforce, and loads that commit as if they ran one at a time.

DuckLake stores no PRIMARY KEY, UNIQUE or CHECK constraint. ``sql/schema.sql`` stays the one definition:
its tables are created in an in-memory DuckDB (the reference), and the lake gets the same columns, types
and NOT NULLs; each load verifies the reference's keys and checks on the rows it writes, inside its
transaction, and fails with DuckDB's ``ConstraintException`` as the embedded file would.

Concurrency: DuckLake commits optimistically and reports a conflict only when two transactions delete
from the same data file (or create the same name). Two loads that each delete nothing (a partition's
first load) would both commit, duplicating the partition, and two loads of one season would each rebuild
the season's aggregates without the other's week. So every load also updates the one row of
``load_ledger``: any two loads in flight at once conflict, the loser's transaction is rolled back and run
again on the new snapshot (``run_transaction``), and the result is that of the loads run one after the
other, in any order. The schema is written only when its fingerprint changes, so loads do not conflict
over re-created views.
"""

from __future__ import annotations

import contextlib
import functools
import hashlib
import random
import time
from collections.abc import Callable
from typing import TypeVar

import duckdb

Result = TypeVar("Result")

LEDGER_TABLE = "load_ledger"
SCHEMA_TABLE = "schema_fingerprint"
# A conflicting load retries this many times, waiting RETRY_WAIT_S * 1.5^attempt (with jitter).
MAX_ATTEMPTS = 12
RETRY_WAIT_S = 0.1
# How DuckDB reports a lost race at commit (DuckLake's conflict, a busy catalog).
CONFLICT_MARKERS = ("conflict", "failed to commit ducklake transaction")


def _leading_keywords(statement: str, count: int) -> list[str]:
    tokens = duckdb.tokenize(statement)
    bounds = [*(start for start, _ in tokens), len(statement)]
    return [statement[bounds[i] : bounds[i + 1]].strip().upper() for i in range(min(count, len(tokens)))]


def _is_table_ddl(statement: str) -> bool:
    return _leading_keywords(statement, 2) in (["CREATE", "TABLE"], ["ALTER", "TABLE"])


@functools.cache
def reference_schema(schema_sql: str) -> dict:
    """The tables of ``schema_sql`` as created by DuckDB: {table: {"columns": [(name, type, nullable)],
    "keys": [columns], "checks": [expressions]}} and the other statements (macros) to run as they are."""
    reference = duckdb.connect()
    others = []
    for statement in duckdb.extract_statements(schema_sql):
        if _is_table_ddl(statement.query):
            reference.execute(statement.query)
        else:
            others.append(statement.query)
    tables = {}
    for (table,) in reference.execute("SELECT table_name FROM duckdb_tables() ORDER BY table_oid").fetchall():
        columns = reference.execute(
            "SELECT column_name, data_type, is_nullable FROM duckdb_columns() WHERE table_name = ? "
            "ORDER BY column_index",
            [table],
        ).fetchall()
        constraints = reference.execute(
            "SELECT constraint_type, constraint_column_names, expression FROM duckdb_constraints() "
            "WHERE table_name = ? AND constraint_type IN ('PRIMARY KEY', 'CHECK')",
            [table],
        ).fetchall()
        keys = next((names for kind, names, _ in constraints if kind == "PRIMARY KEY"), [])
        checks = [expression for kind, _, expression in constraints if kind == "CHECK"]
        tables[table] = {"columns": columns, "keys": keys, "checks": checks}
    reference.close()
    return {"tables": tables, "statements": others}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sync_table(con: duckdb.DuckDBPyConnection, table: str, columns: list[tuple[str, str, bool]]) -> None:
    present = {
        name: nullable
        for name, nullable in con.execute(
            "SELECT column_name, is_nullable FROM duckdb_columns() WHERE database_name = current_database() "
            "AND table_name = ?",
            [table],
        ).fetchall()
    }
    if not present:
        body = ", ".join(f"{_quote(n)} {t}{'' if nullable else ' NOT NULL'}" for n, t, nullable in columns)
        con.execute(f"CREATE TABLE {_quote(table)} ({body})")
        return
    for name, data_type, nullable in columns:
        if name not in present:
            con.execute(f"ALTER TABLE {_quote(table)} ADD COLUMN {_quote(name)} {data_type}")
        elif nullable and not present[name]:
            con.execute(f"ALTER TABLE {_quote(table)} ALTER COLUMN {_quote(name)} DROP NOT NULL")


def create_schema(con: duckdb.DuckDBPyConnection, schema_sql: str, view_sql: list[str]) -> None:
    """Bring the lake to ``schema_sql`` and the views, in one transaction, when their fingerprint differs
    from the one the lake records (tables created or given the missing columns, macros and views
    replaced, the ledger row created)."""
    fingerprint = hashlib.sha256("\n".join([schema_sql, *view_sql]).encode()).hexdigest()

    def recorded() -> str | None:
        exists = con.execute(
            "SELECT count(*) FROM duckdb_tables() WHERE database_name = current_database() "
            "AND table_name = ?",
            [SCHEMA_TABLE],
        ).fetchone()[0]
        row = exists and con.execute(f"SELECT sha256 FROM {SCHEMA_TABLE}").fetchone()
        return row[0] if row else None

    if recorded() == fingerprint:
        return

    def write() -> None:
        if recorded() == fingerprint:
            return  # another writer did it while this one waited
        reference = reference_schema(schema_sql)
        for table, spec in reference["tables"].items():
            _sync_table(con, table, spec["columns"])
        for statement in [*reference["statements"], *view_sql]:
            con.execute(statement)
        con.execute(f"CREATE TABLE IF NOT EXISTS {SCHEMA_TABLE} (sha256 VARCHAR NOT NULL)")
        con.execute(f"DELETE FROM {SCHEMA_TABLE}")
        con.execute(f"INSERT INTO {SCHEMA_TABLE} VALUES (?)", [fingerprint])
        con.execute(
            f"CREATE TABLE IF NOT EXISTS {LEDGER_TABLE} (loads BIGINT NOT NULL, season INTEGER, "
            "week INTEGER, loaded_at TIMESTAMP WITH TIME ZONE)"
        )
        if con.execute(f"SELECT count(*) FROM {LEDGER_TABLE}").fetchone()[0] == 0:
            con.execute(f"INSERT INTO {LEDGER_TABLE} VALUES (0, NULL, NULL, NULL)")

    run_transaction(con, write)


def record_load(con: duckdb.DuckDBPyConnection, season: int, week: int) -> None:
    """Update the ledger's one row: makes any two loads in flight at once conflict (see the module)."""
    con.execute(
        f"UPDATE {LEDGER_TABLE} SET loads = loads + 1, season = ?, week = ?, loaded_at = now()",
        [season, week],
    )


def verify_constraints(con: duckdb.DuckDBPyConnection, schema_sql: str, table: str, incoming: str) -> None:
    """The reference's CHECKs on the rows of ``incoming`` and its primary key on ``table`` wherever it
    shares a key with them; a violation raises duckdb.ConstraintException (the transaction rolls back)."""
    spec = reference_schema(schema_sql)["tables"][table]
    for expression in spec["checks"]:
        bad = con.execute(f"SELECT count(*) FROM {incoming} WHERE NOT ({expression})").fetchone()[0]
        if bad:
            raise duckdb.ConstraintException(f"{table}: {bad} row(s) violate CHECK {expression}")
    keys = ", ".join(_quote(k) for k in spec["keys"])
    if keys:
        duplicated = con.execute(
            f"SELECT count(*) FROM (SELECT {keys} FROM {_quote(table)} SEMI JOIN {incoming} USING ({keys}) "
            f"GROUP BY ALL HAVING count(*) > 1)"
        ).fetchone()[0]
        if duplicated:
            raise duckdb.ConstraintException(
                f"{table}: duplicate key: {duplicated} value(s) of PRIMARY KEY ({keys}) appear more than once"
            )


def is_conflict(exc: BaseException) -> bool:
    """Whether ``exc`` is a lost commit race (retryable) rather than an error of the load itself."""
    return isinstance(exc, duckdb.TransactionException) and any(
        marker in str(exc).lower() for marker in CONFLICT_MARKERS
    )


def run_transaction(
    con: duckdb.DuckDBPyConnection,
    work: Callable[[], Result],
    on_retry: Callable[[str], None] | None = None,
) -> Result:
    """``work()`` in one transaction, committed; rolled back on any error. A commit that lost a race to
    another writer runs ``work`` again on the new snapshot, up to MAX_ATTEMPTS times (``on_retry`` is told
    each time); any other error is raised at once."""
    for attempt in range(1, MAX_ATTEMPTS + 1):
        con.begin()
        try:
            result = work()
            con.commit()
            return result
        except BaseException as exc:
            with contextlib.suppress(duckdb.Error):  # a failed commit has already ended the transaction
                con.rollback()
            if not is_conflict(exc) or attempt == MAX_ATTEMPTS:
                raise
            wait_s = RETRY_WAIT_S * 1.5**attempt * random.uniform(0.5, 1.5)
            if on_retry:
                on_retry(f"commit conflict with another writer (attempt {attempt}); again in {wait_s:.2f} s")
            time.sleep(wait_s)
    raise AssertionError("unreachable")
