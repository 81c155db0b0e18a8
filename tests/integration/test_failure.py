"""A run killed mid-way leaves every partition old or new, never half-written, and a re-run finishes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.synthetic.season import generate_season
from tests.conftest import REPO_ROOT
from tests.lake_content import INGEST_TABLES, partition_hashes


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    source = tmp_path_factory.mktemp("failure") / "source"
    generate_season(source, season=2024, weeks=[1, 2, 3, 4, 5, 6], games_per_week=3, seed=11)
    return source


def test_killed_ingest_leaves_whole_partitions_and_a_rerun_finishes(season: Path, tmp_path: Path) -> None:
    reference = ingest_source(season, tmp_path / "reference")
    lake = tmp_path / "lake"
    ingest_source(season, lake, partitions=[(2024, 1), (2024, 2)])  # an older state of the lake
    before = {key: lake_io.scan_table(lake, "plays", [key]).collect() for key in [(2024, 1), (2024, 2)]}

    process = subprocess.Popen(
        [sys.executable, "-m", "qb_assets.cli", "ingest", str(season), "--lake", str(lake)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    # Kill it as soon as it reports its second partition: mid-way through the weeks.
    lines = 0
    deadline = time.monotonic() + 300
    while lines < 2 and time.monotonic() < deadline:
        line = process.stderr.readline()
        lines += line.startswith("[")
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert lines == 2

    # Every partition present is readable and complete: the old one or the new one.
    for table in ("tracking", "plays", "quarantine", "games", "players"):
        for key in lake_io.list_partitions(lake, table):
            frame = lake_io.scan_table(lake, table, [key]).collect()
            assert frame.height > 0 or table == "quarantine", (table, key)
    for key, old in before.items():
        now = lake_io.scan_table(lake, "plays", [key]).collect()
        assert now.equals(old)  # ingestion is deterministic: old and new are the same rows
    written = lake_io.list_partitions(lake, "plays")
    assert (2024, 6) not in written or len(written) == 6

    rerun = ingest_source(season, lake)
    assert (
        rerun["plays_in"] == reference["plays_in"] and rerun["plays_accepted"] == reference["plays_accepted"]
    )
    assert lake_io.list_partitions(lake, "plays") == [(2024, week) for week in range(1, 7)]
    final = lake_io.scan_table(lake, "plays").collect().sort("game_id", "play_id")
    expected = lake_io.scan_table(tmp_path / "reference", "plays").collect().sort("game_id", "play_id")
    assert final.equals(expected)


# --- crashes inside a partition's writes --------------------------------------------------------------

WEEK_1 = (2024, 1)


@pytest.fixture(scope="module")
def new_week_1(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Another week 1 (another seed): new content for every table of the partition the `season` wrote."""
    source = tmp_path_factory.mktemp("failure_new") / "source"
    generate_season(source, season=2024, weeks=[1], games_per_week=3, seed=12)
    return source


@pytest.fixture
def old_lake(season: Path, tmp_path: Path) -> tuple[Path, dict]:
    """A lake holding the old week 1, and the content hash of each of its tables."""
    lake = tmp_path / "lake"
    ingest_source(season, lake, partitions=[WEEK_1])
    return lake, partition_hashes(lake, WEEK_1)


def _published_content(source: Path, tmp_path: Path) -> dict:
    ingest_source(source, tmp_path / "reference_new")
    return partition_hashes(tmp_path / "reference_new", WEEK_1)


def test_sigkill_inside_a_write_keeps_the_previous_partition_whole(
    old_lake: tuple[Path, dict], new_week_1: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake, before = old_lake
    new = _published_content(new_week_1, tmp_path)
    assert all(new[table] != before[table] for table in ("tracking", "plays", "games"))  # old != new

    # The child writes `tracking` whole, then is killed half-way through the bytes of `plays`.
    child = subprocess.Popen(
        [sys.executable, "-m", "tests.integration.crash_writer", str(new_week_1), str(lake), "2"],
        cwd=REPO_ROOT,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    line = child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait()
    assert line.startswith("mid-write "), child.stderr.read()
    assert Path(line.removeprefix("mid-write ").strip()).stat().st_size > 0  # the torn file is on disk

    assert partition_hashes(lake, WEEK_1) == before  # every table: the old partition, readable
    ingest_source(new_week_1, lake)
    assert partition_hashes(lake, WEEK_1) == new

    # The killed writer's staged files are never read; the first publish after STAGING_GRACE (here 0:
    # as if an hour had passed) deletes them, leaving only the files the manifest names.
    torn = Path(line.removeprefix("mid-write ").strip())
    assert torn.exists()
    monkeypatch.setattr(lake_io, "STAGING_GRACE", timedelta(0))
    ingest_source(new_week_1, lake)
    assert not torn.exists()
    on_disk = {str(p) for t in INGEST_TABLES for p in Path(lake_io.partition_dir(lake, t, *WEEK_1)).iterdir()}
    assert on_disk == {lake_io.partition_files(lake, t, [WEEK_1])[0] for t in INGEST_TABLES}


def test_a_failed_second_table_write_leaves_every_table_old(
    old_lake: tuple[Path, dict], new_week_1: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lake, before = old_lake
    new = _published_content(new_week_1, tmp_path)
    write_parquet, calls = pl.DataFrame.write_parquet, []

    def fails_on_the_second_table(self: pl.DataFrame, file, **kwargs):
        calls.append(file)
        if len(calls) == 2:
            raise OSError("disk full")
        return write_parquet(self, file, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", fails_on_the_second_table)
    with pytest.raises(OSError, match="disk full"):
        ingest_source(new_week_1, lake)
    monkeypatch.undo()

    assert partition_hashes(lake, WEEK_1) == before
    ingest_source(new_week_1, lake)
    assert partition_hashes(lake, WEEK_1) == new
