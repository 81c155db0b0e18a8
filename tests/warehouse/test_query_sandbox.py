"""``qb-score query`` is a sandbox: a statement sees the warehouse and nothing else. Every escape attempt
(files, globs, other databases, exports, extensions, settings, pragmas, calls, several statements, a
write hidden in a CTE) is refused with a one-line error, by ``run_query`` and by the command (exit 1),
and leaves the warehouse's files byte for byte as they were; the warehouse's own queries keep working.
Every test runs on both backends: the embedded DuckDB file and a DuckLake (a DuckDB catalog file and its
data folder), where the DuckLake's own functions that write or delete files are refused too."""

from __future__ import annotations

import hashlib
import json
import re
from pathlib import Path

import polars as pl
import pytest

from qb_assets.cli.main import main
from qb_assets.warehouse.query import run_query

SECRET = "not-for-the-warehouse-7f3c"
# A refusal names why: the statement kind is not allowed or a write met the read-only file, the sandbox
# kept the statement from reaching outside the warehouse, or there was more than one statement.
REFUSAL = (
    r"^(the warehouse is opened read-only: \S"
    r"|the query may read only the warehouse: \S"
    r"|query takes exactly one SQL statement, got \d+$)"
)


@pytest.fixture
def outside(tmp_path: Path) -> Path:
    """A folder beside the warehouse with files a query must not read, in the formats DuckDB reads."""
    folder = tmp_path / "outside"
    folder.mkdir()
    (folder / "secret.txt").write_text(f"{SECRET}\n")
    (folder / "secret.csv").write_text(f"secret\n{SECRET}\n")
    (folder / "secret.json").write_text(json.dumps({"secret": SECRET}))
    pl.DataFrame({"secret": [SECRET]}).write_parquet(folder / "secret.parquet")
    return folder


# {outside} is the folder above; each attempt is refused, whatever DuckDB would have done with it.
ESCAPES = {
    "read_text": "SELECT * FROM read_text('{outside}/secret.txt')",
    "read_blob": "SELECT * FROM read_blob('{outside}/secret.txt')",
    "read_csv": "SELECT * FROM read_csv('{outside}/secret.csv')",
    "csv_by_path": "SELECT * FROM '{outside}/secret.csv'",
    "read_json": "SELECT * FROM read_json('{outside}/secret.json')",
    "read_parquet": "SELECT * FROM read_parquet('{outside}/secret.parquet')",
    "glob": "SELECT * FROM glob('{outside}/*')",
    "sniff_csv": "SELECT * FROM sniff_csv('{outside}/secret.csv')",
    "file_in_subquery": "SELECT * FROM query('SELECT * FROM read_text(''{outside}/secret.txt'')')",
    "file_in_a_join": "SELECT p.* FROM players p, read_csv('{outside}/secret.csv') s",
    "url": "SELECT * FROM read_csv('http://127.0.0.1:9/secret.csv')",
    "attach_file": "ATTACH '{outside}/other.duckdb' AS other",
    "attach_memory": "ATTACH ':memory:' AS scratch",
    "copy_to": "COPY play_scores TO '{outside}/copied.csv'",
    "copy_query_to": "COPY (SELECT * FROM players) TO '{outside}/copied.parquet' (FORMAT parquet)",
    "export": "EXPORT DATABASE '{outside}/exported'",
    "install": "INSTALL httpfs",
    "load": "LOAD httpfs",
    "set_external_access": "SET enable_external_access = true",
    "set_lock": "SET lock_configuration = false",
    "set_threads": "SET threads = 1",
    "reset_external_access": "RESET enable_external_access",
    "set_allowed_directories": "SET allowed_directories = ['/']",
    "pragma": "PRAGMA enable_profiling",
    "pragma_database_list": "PRAGMA database_list",
    "call": "CALL read_text('{outside}/secret.txt')",
    "several_statements": "SELECT 1; SELECT * FROM read_text('{outside}/secret.txt')",
    "set_then_read": "SET enable_external_access = true; SELECT * FROM read_text('{outside}/secret.txt')",
    "write_in_a_cte": "WITH gone AS (DELETE FROM play_scores RETURNING *) SELECT count(*) FROM gone",
    "insert_after_a_cte": "WITH x AS (SELECT 1) INSERT INTO players SELECT 1, 'Nobody', 'QB'",
    "checkpoint": "CHECKPOINT",
    "detach": "DETACH warehouse",
}
# The DuckLake's maintenance functions write its catalog, write data files or delete them (also when
# named inside a dynamic query); reading its own data folder is allowed, writing there is not.
DUCKLAKE_ESCAPES = {
    "merge_files": "SELECT * FROM ducklake_merge_adjacent_files('warehouse')",
    "merge_in_a_query": "SELECT * FROM query('SELECT * FROM ducklake_' || "
    "'merge_adjacent_files(''warehouse'')')",
    "explain_analyze": "EXPLAIN ANALYZE SELECT * FROM ducklake_merge_adjacent_files('warehouse')",
    "expire_snapshots": "SELECT * FROM ducklake_expire_snapshots('warehouse', versions => [0])",
    "cleanup_files": "SELECT * FROM ducklake_cleanup_old_files('warehouse', cleanup_all => true)",
    "delete_orphans": "SELECT * FROM ducklake_delete_orphaned_files('warehouse', cleanup_all => true)",
    "set_option": "SELECT * FROM ducklake_set_option('warehouse', 'data_inlining_row_limit', 0)",
    "catalog_write": "DELETE FROM __ducklake_metadata_warehouse.ducklake_snapshot",
}
# What an escape would leave behind if it got through.
WRITTEN = ("other.duckdb", "copied.csv", "copied.parquet", "exported")


def digests(folder: Path) -> dict[str, str]:
    """Every file under ``folder`` (but the outside folder) with its SHA-256."""
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file() and "outside" not in p.relative_to(folder).parts
    }


@pytest.fixture(params=["duckdb", "ducklake"])
def target(request: pytest.FixtureRequest, tmp_path: Path) -> tuple[str, Path]:
    """(the warehouse as ``--warehouse`` names it, the folder holding all of its files): a private copy
    of the embedded file, or the module's DuckLake (tests here only read: each checks it is unchanged)."""
    if request.param == "duckdb":
        return str(request.getfixturevalue("warehouse")), tmp_path
    uri = request.getfixturevalue("built_ducklake")
    return uri, Path(uri.removeprefix("ducklake:")).parent


def assert_refused(
    sql: str, target: tuple[str, Path], outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    uri, folder = target
    before = digests(folder)
    assert before, "the warehouse's files are where the fixture says"
    with pytest.raises(ValueError, match=REFUSAL) as error:
        run_query(sql, uri, "csv")
    assert "\n" not in str(error.value)
    assert SECRET not in str(error.value)

    assert main(["query", sql, "--warehouse", uri]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and re.match(r"qb-score: error: ", err)
    assert SECRET not in err

    # Byte for byte, and no file added (a write-ahead log, an exported copy, a new data file).
    assert digests(folder) == before
    assert not any((outside / name).exists() for name in WRITTEN)


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_escape_attempts_are_refused(
    name: str, target: tuple[str, Path], outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert_refused(ESCAPES[name].format(outside=outside), target, outside, capsys)


@pytest.mark.parametrize("name", sorted(DUCKLAKE_ESCAPES))
def test_ducklake_escape_attempts_are_refused(
    name: str, built_ducklake: str, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    folder = Path(built_ducklake.removeprefix("ducklake:")).parent
    data = Path(built_ducklake.removeprefix("ducklake:") + ".files")
    assert any(data.rglob("*.parquet")), "the lake has data files to protect"
    sql = DUCKLAKE_ESCAPES[name].format(data=data)
    assert_refused(sql, (built_ducklake, folder), outside, capsys)


def test_the_sandbox_settings_are_in_force(target: tuple[str, Path]) -> None:
    rows = json.loads(
        run_query(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
            "'lock_configuration', 'autoinstall_known_extensions', 'autoload_known_extensions', "
            "'allow_community_extensions')",
            target[0],
            "json",
        )
    )
    assert {r["name"]: r["value"] for r in rows} == {
        "enable_external_access": "false",
        "lock_configuration": "true",
        "autoinstall_known_extensions": "false",
        "autoload_known_extensions": "false",
        "allow_community_extensions": "false",
    }


@pytest.mark.parametrize(
    ("sql", "first_column"),
    [
        ("DESCRIBE qb_season_scores", "column_name"),
        ("SUMMARIZE play_scores", "column_name"),
        ("SHOW TABLES", "name"),
        ("EXPLAIN SELECT * FROM qb_split_scores", "explain_key"),
        ("FROM qb_weekly_trend SELECT season, week, attempts_to_date", "season"),
        ("SELECT * FROM query('SELECT count(*) AS n FROM play_scores')", "n"),
        ("SELECT * FROM pragma_table_info('players')", "cid"),
    ],
)
def test_reading_the_warehouse_still_works(target: tuple[str, Path], sql: str, first_column: str) -> None:
    rows = json.loads(run_query(sql, target[0], "json"))
    assert rows and next(iter(rows[0])) == first_column
