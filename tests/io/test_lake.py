"""Lake writes are atomic and idempotent."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.io import lake as lake_io


def test_write_replaces_a_partition(tmp_path: Path) -> None:
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [1, 2, 3], "season": [2024] * 3}))
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [4]}))
    frame = lake_io.scan_table(tmp_path, "plays").collect()
    assert frame["a"].to_list() == [4]
    assert frame["season"].to_list() == [2024] and frame["week"].to_list() == [1]
    assert [p.name for p in lake_io.partition_dir(tmp_path, "plays", 2024, 1).iterdir()] == ["data.parquet"]


def test_failed_write_leaves_the_old_partition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [1, 2, 3]}))

    def crash(self: pl.DataFrame, path: Path, **kwargs: object) -> None:
        Path(path).write_bytes(b"half a parquet file")
        raise OSError("disk full")

    monkeypatch.setattr(pl.DataFrame, "write_parquet", crash)
    with pytest.raises(OSError, match="disk full"):
        lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [9]}))
    monkeypatch.undo()
    assert lake_io.scan_table(tmp_path, "plays").collect()["a"].to_list() == [1, 2, 3]
    assert [p.name for p in lake_io.partition_dir(tmp_path, "plays", 2024, 1).iterdir()] == ["data.parquet"]


def test_scan_names_missing_partitions(tmp_path: Path) -> None:
    with pytest.raises(FileNotFoundError, match="season=2024/week=2"):
        lake_io.scan_table(tmp_path, "plays", [(2024, 2)])
