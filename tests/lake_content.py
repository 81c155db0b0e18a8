"""Content hashes of lake partitions, for tests that must tell a partition's old content from its new."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from pathlib import Path

import polars as pl

from qb_assets.io import lake as lake_io

INGEST_TABLES = ("tracking", "plays", "quarantine", "games", "players")


def content_hash(frame: pl.DataFrame) -> str:
    """A hash of a frame's columns and rows, whatever the row order (Polars row hashes, sorted)."""
    digest = hashlib.sha256(",".join(f"{name}:{dtype}" for name, dtype in frame.schema.items()).encode())
    digest.update(frame.hash_rows().sort().to_numpy().tobytes())
    return digest.hexdigest()


def partition_hashes(lake: str | Path, key: tuple[int, int], tables: Iterable[str] = INGEST_TABLES) -> dict:
    """{table: content hash} of one partition as a reader sees it (every table must be readable)."""
    return {table: content_hash(lake_io.scan_table(lake, table, [key]).collect()) for table in tables}
