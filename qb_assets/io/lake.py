"""The Parquet lake: Hive-style partitions ``LAKE/<table>/season=YYYY/week=W/data.parquet``.

LAKE is a local folder or an ``s3://bucket/prefix``. Each partition is one file, replaced atomically:
locally it is written to a hidden temporary name in the same folder and moved into place with
``os.replace``; on S3 it is one PUT of the whole object, which S3 makes visible all at once. Either way
a reader sees the old partition or the new one, never half of either, and re-writing a partition
replaces it (idempotent re-materialization). S3 access uses boto3 and Polars' object store with the
usual AWS environment (``AWS_ENDPOINT_URL`` for an S3-compatible server).
"""

from __future__ import annotations

import io
import os
import re
import uuid
from pathlib import Path

import polars as pl

from qb_assets.io.s3 import is_s3, s3_client, s3_location, storage_options

PARTITION_FILE = "data.parquet"


_KEY = re.compile(r"season=(\d+)/week=(\d+)/" + re.escape(PARTITION_FILE) + "$")


def partition_dir(lake: str | Path, table: str, season: int, week: int) -> Path | str:
    if is_s3(lake):
        return f"{str(lake).rstrip('/')}/{table}/season={season}/week={week}"
    return Path(lake) / table / f"season={season}" / f"week={week}"


def partition_uri(lake: str | Path, table: str, season: int, week: int) -> str:
    return f"{partition_dir(lake, table, season, week)}/{PARTITION_FILE}"


def write_partition(lake: str | Path, table: str, season: int, week: int, frame: pl.DataFrame) -> Path:
    """Atomically replace one partition of ``table`` with ``frame`` (season/week are path keys, so they
    are dropped from the file's columns if present)."""
    frame = frame.drop([c for c in ("season", "week") if c in frame.columns])
    if is_s3(lake):
        buffer = io.BytesIO()
        frame.write_parquet(buffer, statistics=True)
        bucket, key = s3_location(lake, table, f"season={season}", f"week={week}", PARTITION_FILE)
        s3_client().put_object(Bucket=bucket, Key=key, Body=buffer.getvalue())
        return partition_uri(lake, table, season, week)
    folder = partition_dir(lake, table, season, week)
    folder.mkdir(parents=True, exist_ok=True)
    # A writer killed mid-write leaves its hidden temporary file behind; it was never visible to readers.
    for stale in folder.glob(f".{PARTITION_FILE}.*.tmp"):
        stale.unlink(missing_ok=True)
    target = folder / PARTITION_FILE
    temporary = folder / f".{PARTITION_FILE}.{uuid.uuid4().hex}.tmp"
    try:
        frame.write_parquet(temporary, statistics=True)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    return target


def partition_files(lake: str | Path, table: str) -> list[Path]:
    return sorted((Path(lake) / table).glob(f"season=*/week=*/{PARTITION_FILE}"))


def list_partitions(lake: str | Path, table: str) -> list[tuple[int, int]]:
    """(season, week) pairs present for ``table``, sorted."""
    if is_s3(lake):
        bucket, prefix = s3_location(lake, table, "")
        pages = s3_client().get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix)
        names = [obj["Key"] for page in pages for obj in page.get("Contents", [])]
    else:
        names = [path.as_posix() for path in partition_files(lake, table)]
    return sorted((int(m.group(1)), int(m.group(2))) for m in map(_KEY.search, names) if m)


def scan_table(lake: str | Path, table: str, partitions: list[tuple[int, int]] | None = None) -> pl.LazyFrame:
    """A lazy frame over ``table`` with ``season`` and ``week`` columns from the partition keys."""
    present = list_partitions(lake, table)
    keys = present if partitions is None else list(partitions)
    missing = [key for key in keys if key not in present]
    if missing:
        raise FileNotFoundError(
            f"lake table {table!r} has no partition file {partition_uri(lake, table, *missing[0])}"
        )
    if not keys:
        raise FileNotFoundError(f"lake table {table!r} is empty under {lake}")
    return pl.scan_parquet(
        [partition_uri(lake, table, s, w) for s, w in keys],
        hive_partitioning=True,
        hive_schema={"season": pl.Int32, "week": pl.Int32},
        storage_options=storage_options() if is_s3(lake) else None,
    )
