"""``qb-score query`` is a sandbox: a statement sees the warehouse and nothing else. Every escape attempt
(files, globs, other databases, exports, extensions, settings, pragmas, calls, several statements, a
write hidden in a CTE) is refused with a one-line error, by ``run_query`` and by the command (exit 1),
and leaves the warehouse file byte for byte as it was; the warehouse's own queries keep working."""

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
# What an escape would leave behind if it got through.
WRITTEN = ("other.duckdb", "copied.csv", "copied.parquet", "exported")


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.mark.parametrize("name", sorted(ESCAPES))
def test_escape_attempts_are_refused(
    name: str, warehouse: Path, outside: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sql = ESCAPES[name].format(outside=outside)
    before = digest(warehouse)
    with pytest.raises(ValueError, match=REFUSAL) as error:
        run_query(sql, str(warehouse), "csv")
    assert "\n" not in str(error.value)
    assert SECRET not in str(error.value)

    assert main(["query", sql, "--warehouse", str(warehouse)]) == 1
    out, err = capsys.readouterr()
    assert out == ""
    assert len(err.splitlines()) == 1 and re.match(r"qb-score: error: ", err)
    assert SECRET not in err

    assert digest(warehouse) == before
    assert sorted(p.name for p in warehouse.parent.iterdir()) == ["outside", "warehouse.duckdb"]
    assert not any((outside / name).exists() for name in WRITTEN)


def test_the_sandbox_settings_are_in_force(warehouse: Path) -> None:
    rows = json.loads(
        run_query(
            "SELECT name, value FROM duckdb_settings() WHERE name IN ('enable_external_access', "
            "'lock_configuration', 'autoinstall_known_extensions', 'autoload_known_extensions', "
            "'allow_community_extensions')",
            str(warehouse),
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
def test_reading_the_warehouse_still_works(warehouse: Path, sql: str, first_column: str) -> None:
    rows = json.loads(run_query(sql, str(warehouse), "json"))
    assert rows and next(iter(rows[0])) == first_column
