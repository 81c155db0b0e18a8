"""The DuckLake warehouse with its catalog in a real PostgreSQL database (the production profile's): the
loads, the views and ``qb-score query`` give what the embedded file gives, and the query sandbox keeps
the statement away from PostgreSQL (no ``postgres_scan``/``postgres_query`` of the catalog's server or
any other) and from the catalog's tables, besides every escape the embedded file refuses."""

from __future__ import annotations

import json
import os
from pathlib import Path

import polars as pl
import psycopg2
import pytest
from polars.testing import assert_frame_equal

from qb_assets.cli.main import main
from qb_assets.warehouse.backend import WarehouseLocation
from qb_assets.warehouse.query import run_query
from tests.conftest import new_postgres_database
from tests.warehouse.fabricated import build_fabricated_warehouse, counts
from tests.warehouse.test_query_sandbox import DUCKLAKE_ESCAPES, ESCAPES, REFUSAL, SECRET, WRITTEN

VIEWS = ("qb_season_scores", "qb_game_scores", "qb_split_scores", "qb_weekly_trend")


@pytest.fixture(scope="module")
def pg_lake(postgres: int, tmp_path_factory: pytest.TempPathFactory) -> tuple[WarehouseLocation, str]:
    """(the two-week warehouse in a DuckLake on PostgreSQL, its database's connection string); the
    database also holds a table ``secret`` that no query may read."""
    dsn = new_postgres_database(postgres, f"catalog_{os.getpid()}")
    con = psycopg2.connect(dsn)
    with con, con.cursor() as cursor:
        cursor.execute("CREATE TABLE secret (value TEXT)")
        cursor.execute("INSERT INTO secret VALUES (%s)", [SECRET])
    con.close()
    data = tmp_path_factory.mktemp("pg_lake") / "data"
    lake = WarehouseLocation(f"ducklake:postgres:{dsn}", str(data))
    build_fabricated_warehouse(lake)
    return lake, dsn


def catalog_state(dsn: str) -> list[tuple]:
    """The catalog's snapshots (any write to the lake adds one)."""
    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cursor:
            cursor.execute("SELECT snapshot_id, schema_version FROM ducklake_snapshot ORDER BY 1")
            return cursor.fetchall()
    finally:
        con.close()


def test_views_and_query_match_the_embedded_file(pg_lake, built_warehouse: Path) -> None:
    lake, _ = pg_lake
    assert counts(lake) == counts(built_warehouse)
    for view in VIEWS:
        sql = f"SELECT * FROM {view} ORDER BY ALL"
        # Only the catalog string travels: the data path is recorded in the catalog.
        on_lake, on_file = (
            pl.DataFrame(json.loads(run_query(sql, w, "json"))) for w in (lake.uri, str(built_warehouse))
        )
        assert on_lake.height > 0
        # Equal but for the last bits of sums taken in another order.
        assert_frame_equal(on_lake, on_file, check_exact=False, rel_tol=1e-12, abs_tol=1e-15)


@pytest.mark.parametrize("name", sorted({*DUCKLAKE_ESCAPES, "read_text", "attach_file", "copy_to", "load"}))
def test_escapes_are_refused_on_a_postgres_catalog(name: str, pg_lake, tmp_path: Path) -> None:
    lake, dsn = pg_lake
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "secret.txt").write_text(SECRET)
    sql = {**ESCAPES, **DUCKLAKE_ESCAPES}[name].format(outside=outside, data=lake.data_path)
    before = catalog_state(dsn)
    with pytest.raises(ValueError, match=REFUSAL):
        run_query(sql, lake.uri, "csv")
    assert catalog_state(dsn) == before
    assert not any((outside / written).exists() for written in WRITTEN)


@pytest.mark.parametrize(
    "sql",
    [
        "SELECT * FROM postgres_scan('{dsn}', 'public', 'secret')",
        "SELECT * FROM postgres_query('__ducklake_metadata_warehouse', 'SELECT * FROM secret')",
        "SELECT * FROM postgres_query('{dsn}', 'SELECT * FROM secret')",
        "SELECT * FROM __ducklake_metadata_warehouse.public.secret",
        "SELECT * FROM __ducklake_metadata_warehouse.secret",
        "ATTACH '{dsn}' AS pg (TYPE postgres)",
    ],
)
def test_postgres_is_out_of_the_query_s_reach(sql: str, pg_lake, capsys: pytest.CaptureFixture[str]) -> None:
    lake, dsn = pg_lake
    sql = sql.format(dsn=dsn)
    with pytest.raises(ValueError) as error:
        run_query(sql, lake.uri, "json")
    assert SECRET not in str(error.value)
    assert main(["query", sql, "--warehouse", lake.uri]) == 1
    out, err = capsys.readouterr()
    assert SECRET not in out + err
    # The same connection string reads the table outside the sandbox: the test's secret is really there.
    con = psycopg2.connect(dsn)
    try:
        with con.cursor() as cursor:
            cursor.execute("SELECT value FROM secret")
            assert cursor.fetchall() == [(SECRET,)]
    finally:
        con.close()


def test_the_sandbox_has_no_postgres_extension(pg_lake) -> None:
    lake, _ = pg_lake
    sql = (
        "SELECT DISTINCT function_name FROM duckdb_functions() "
        "WHERE function_name SIMILAR TO '(postgres|ducklake)_.*'"
    )
    functions = {r["function_name"] for r in json.loads(run_query(sql, lake.uri, "json"))}
    assert "ducklake_snapshots" in functions
    assert not [name for name in functions if name.startswith("postgres")]
