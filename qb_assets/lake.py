"""The Parquet lake: Hive-style partitions ``LAKE/<table>/season=YYYY/week=W/data.parquet``.

Each partition is one file written to a hidden temporary name in the same folder and moved into place
with ``os.replace``, which is atomic on one filesystem: a reader sees the old partition or the new one,
never half of either, and re-writing a partition replaces it (idempotent re-materialization).
"""

from __future__ import annotations

import os
import uuid
from pathlib import Path

import polars as pl

PARTITION_FILE = "data.parquet"


def partition_dir(lake: str | Path, table: str, season: int, week: int) -> Path:
    return Path(lake) / table / f"season={season}" / f"week={week}"


def write_partition(lake: str | Path, table: str, season: int, week: int, frame: pl.DataFrame) -> Path:
    """Atomically replace one partition of ``table`` with ``frame`` (season/week are path keys, so they
    are dropped from the file's columns if present)."""
    folder = partition_dir(lake, table, season, week)
    folder.mkdir(parents=True, exist_ok=True)
    # A writer killed mid-write leaves its hidden temporary file behind; it was never visible to readers.
    for stale in folder.glob(f".{PARTITION_FILE}.*.tmp"):
        stale.unlink(missing_ok=True)
    target = folder / PARTITION_FILE
    temporary = folder / f".{PARTITION_FILE}.{uuid.uuid4().hex}.tmp"
    try:
        frame.drop([c for c in ("season", "week") if c in frame.columns]).write_parquet(
            temporary, statistics=True
        )
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def partition_files(lake: str | Path, table: str) -> list[Path]:
    return sorted((Path(lake) / table).glob(f"season=*/week=*/{PARTITION_FILE}"))


def list_partitions(lake: str | Path, table: str) -> list[tuple[int, int]]:
    """(season, week) pairs present for ``table``, sorted."""
    keys = []
    for path in partition_files(lake, table):
        season = int(path.parent.parent.name.split("=", 1)[1])
        week = int(path.parent.name.split("=", 1)[1])
        keys.append((season, week))
    return sorted(keys)


def scan_table(lake: str | Path, table: str, partitions: list[tuple[int, int]] | None = None) -> pl.LazyFrame:
    """A lazy frame over ``table`` with ``season`` and ``week`` columns from the partition keys."""
    keys = list_partitions(lake, table) if partitions is None else partitions
    paths = [partition_dir(lake, table, s, w) / PARTITION_FILE for s, w in keys]
    missing = [str(p) for p in paths if not p.exists()]
    if missing:
        raise FileNotFoundError(f"lake table {table!r} has no partition file {missing[0]}")
    if not paths:
        raise FileNotFoundError(f"lake table {table!r} is empty under {lake}")
    return pl.scan_parquet(
        [str(p) for p in paths],
        hive_partitioning=True,
        hive_schema={"season": pl.Int32, "week": pl.Int32},
    )
