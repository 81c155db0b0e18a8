"""Concurrent writers and a killed writer on a DuckLake warehouse whose catalog is a real PostgreSQL
database (the production profile's): loads run in separate threads, each with its own DuckDB instance
(as separate runs would), or in a child process that is killed. A barrier holds every load just before
it commits until all of them have written everything, so their commits race for real."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import threading
from pathlib import Path

import polars as pl
import pytest
from polars.testing import assert_frame_equal

from qb_assets.warehouse import ducklake
from qb_assets.warehouse import load as wh
from qb_assets.warehouse.backend import WarehouseLocation
from tests.conftest import REPO_ROOT, new_postgres_database
from tests.warehouse.fabricated import (
    SCORES,
    SEASON,
    build_fabricated_warehouse,
    counts,
    partition_tables,
    query,
)

pytestmark = pytest.mark.production_profile

# The child of the kill test: loads week 1 with every score changed, and once all of its rows are written
# inside the transaction (just before the commit) says so and waits to be killed.
KILLED_LOAD = """
import sys, time
import polars as pl
from qb_assets.warehouse import ducklake, load as wh
from qb_assets.warehouse.backend import WarehouseLocation
from tests.warehouse.fabricated import SEASON, partition_tables

def hang(con, season, week):
    print("written, not committed", flush=True)
    time.sleep(600)

ducklake.record_load = hang
tables = partition_tables(1)
tables["play_scores"] = tables["play_scores"].with_columns(passing_percentile=pl.lit(0.999))
wh.load_partition(WarehouseLocation(sys.argv[1], sys.argv[2]), SEASON, 1, tables)
"""


@pytest.fixture
def lake(postgres: int, tmp_path: Path, request: pytest.FixtureRequest) -> WarehouseLocation:
    """A new DuckLake: its catalog a new PostgreSQL database, its data in a local folder."""
    dsn = new_postgres_database(postgres, f"lake_{request.node.name.lower()[:40]}_{os.getpid()}")
    return WarehouseLocation(f"ducklake:postgres:{dsn}", str(tmp_path / "data"))


def concurrent_loads(lake: WarehouseLocation, weeks: list[int], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Load ``weeks`` at once, one thread each; each waits for the others before its first commit.
    Returns the retry messages of all loads."""
    barrier = threading.Barrier(len(weeks), timeout=60)
    waited: set[int] = set()
    record_load = ducklake.record_load

    def record_then_wait(con, season: int, week: int) -> None:
        record_load(con, season, week)
        if threading.get_ident() not in waited:  # the first attempt only: a retry commits at once
            waited.add(threading.get_ident())
            barrier.wait()

    monkeypatch.setattr(ducklake, "record_load", record_then_wait)
    messages: list[str] = []
    errors: list[BaseException] = []

    def load(week: int) -> None:
        try:
            con = wh.connect(lake)
            try:
                wh.replace_partition(con, SEASON, week, partition_tables(week), progress=messages.append)
            finally:
                con.close()
        except BaseException as exc:
            errors.append(exc)

    wh.connect(lake).close()  # the schema first: its creation is not what races here
    threads = [threading.Thread(target=load, args=(week,)) for week in weeks]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=300)
    assert not errors, errors
    return messages


def test_two_partitions_committing_at_once_both_land(
    lake: WarehouseLocation, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = concurrent_loads(lake, [1, 2], monkeypatch)
    assert any("commit conflict" in m for m in messages), "the two commits raced"
    by_week = {
        r["week"]: r["n"] for r in query(lake, "SELECT week, count(*) AS n FROM play_scores GROUP BY 1")
    }
    assert by_week == {w: SCORES.filter(pl.col("week") == w).height for w in (1, 2)}
    # The season's aggregates and priors are those of both weeks, as if loaded one after the other:
    # each load rebuilt them, and the one that committed second did so on the other's week.
    serial = build_fabricated_warehouse(tmp_path / "serial.duckdb")
    for table in ("season_aggregates", "split_aggregates", "score_priors"):
        concurrent, alone = (
            pl.DataFrame(query(w, f"SELECT * FROM {table} ORDER BY ALL")) for w in (lake, serial)
        )
        # Equal but for the last bits of sums taken in another order.
        assert_frame_equal(concurrent, alone, check_exact=False, rel_tol=1e-12, abs_tol=1e-15)
    assert counts(lake) == counts(serial)


def test_one_partition_loaded_twice_at_once_ends_with_one_copy(
    lake: WarehouseLocation, monkeypatch: pytest.MonkeyPatch
) -> None:
    messages = concurrent_loads(lake, [1, 1], monkeypatch)
    assert any("commit conflict" in m for m in messages), "the two commits raced"
    week1 = partition_tables(1)
    assert counts(lake)["play_scores"] == week1["play_scores"].height
    assert counts(lake)["plays"] == week1["plays"].height
    assert counts(lake)["players"] == week1["players"].height
    assert query(lake, "SELECT count(*) - count(DISTINCT (game_id, play_id)) AS n FROM play_scores") == [
        {"n": 0}
    ]
    assert query(lake, "SELECT loads FROM load_ledger") == [{"loads": 2}]


def test_a_load_killed_before_its_commit_leaves_the_previous_contents(lake: WarehouseLocation) -> None:
    build_fabricated_warehouse(lake)
    before = {
        t: query(lake, f"SELECT * FROM {t} ORDER BY ALL") for t in ("play_scores", "score_priors", "players")
    }
    files_before = set(Path(lake.data_path).rglob("*.parquet"))
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOAD, lake.uri, lake.data_path],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)},
    )
    try:
        line = child.stdout.readline()
        assert line.strip() == "written, not committed", child.stderr.read()
        # The child had written its new data files into the lake's folder when it was killed.
        assert set(Path(lake.data_path).rglob("*.parquet")) - files_before
        child.send_signal(signal.SIGKILL)
        child.wait(timeout=30)
    finally:
        if child.poll() is None:
            child.kill()
    assert child.returncode == -signal.SIGKILL
    after = {t: query(lake, f"SELECT * FROM {t} ORDER BY ALL") for t in before}
    assert after == before
    assert query(lake, "SELECT max(passing_percentile) AS p FROM play_scores")[0]["p"] < 0.999
    # The lake takes the next load (no lock or half-written state left behind).
    wh.load_partition(lake, SEASON, 1, partition_tables(1))
    assert counts(lake)["play_scores"] == SCORES.height
