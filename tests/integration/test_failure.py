"""A run killed mid-way leaves every partition old or new, never half-written, and a re-run finishes."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.synthetic.season import generate_season


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
    assert not list(lake.rglob("*.tmp"))


def test_stale_temporary_files_are_cleaned_on_the_next_write(tmp_path: Path) -> None:
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [1]}))
    stale = lake_io.partition_dir(tmp_path, "plays", 2024, 1) / ".data.parquet.deadbeef.tmp"
    stale.write_bytes(b"half a file from a killed writer")
    assert lake_io.scan_table(tmp_path, "plays").collect()["a"].to_list() == [1]  # readers never see it
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [2]}))
    assert not stale.exists()
