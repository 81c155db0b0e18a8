"""The lake publishes a partition's tables together, after their checks, and cleans up what no reader
follows (write-audit-publish, ``qb_assets.io.lake``)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl
import pytest

from qb_assets.io import lake as lake_io

TABLES = ("plays", "games")


def _files(lake: Path, table: str) -> list[str]:
    return sorted(p.name for p in lake_io.partition_dir(lake, table, 2024, 1).iterdir())


def _read(lake: Path, table: str) -> list[int]:
    return lake_io.scan_table(lake, table, [(2024, 1)]).collect()["a"].to_list()


def _publish(lake: Path, value: int, **kwargs: object) -> lake_io.PartitionVersion:
    frames = {table: pl.DataFrame({"a": [value] * (1 + i)}) for i, table in enumerate(TABLES)}
    return lake_io.publish_partition(lake, 2024, 1, frames, **kwargs)


def test_write_replaces_a_partition(tmp_path: Path) -> None:
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [1, 2, 3], "season": [2024] * 3}))
    uri = lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [4]}))
    frame = lake_io.scan_table(tmp_path, "plays").collect()
    assert frame["a"].to_list() == [4]
    assert frame["season"].to_list() == [2024] and frame["week"].to_list() == [1]
    assert _files(tmp_path, "plays") == [Path(uri).name]  # the replaced version is deleted
    assert lake_io.partition_files(tmp_path, "plays") == [uri]


def test_tables_of_a_partition_are_published_together(tmp_path: Path) -> None:
    first = _publish(tmp_path, 1)
    seen: dict[str, list[int]] = {}

    def verify(staged: lake_io.PartitionVersion) -> list[str]:
        # While the checks run, readers still see the previous version; the checks see the new one.
        seen.update({table: _read(tmp_path, table) for table in TABLES})
        seen.update({f"staged {table}": staged.read(table)["a"].to_list() for table in TABLES})
        return []

    second = _publish(tmp_path, 2, verify=verify)
    assert seen == {"plays": [1], "games": [1, 1], "staged plays": [2], "staged games": [2, 2]}
    assert [_read(tmp_path, table) for table in TABLES] == [[2], [2, 2]]
    assert second.version > first.version
    manifests = list((tmp_path / lake_io.MANIFESTS).rglob("*"))
    assert [p.relative_to(tmp_path).as_posix() for p in manifests if p.is_file()] == [
        "_manifests/season=2024/week=1/games+plays.json"
    ]
    assert lake_io.list_partitions(tmp_path, "games") == [(2024, 1)]
    assert lake_io.list_partitions(tmp_path, "tracking") == []


def test_a_failed_check_publishes_nothing_and_leaves_no_staged_file(tmp_path: Path) -> None:
    _publish(tmp_path, 1)
    before = {table: _files(tmp_path, table) for table in TABLES}
    with pytest.raises(
        lake_io.PartitionRejected, match=re.escape("season 2024 week 1: check(s) too_big failed")
    ):
        _publish(tmp_path, 2, verify=lambda staged: ["too_big"])
    assert [_read(tmp_path, table) for table in TABLES] == [[1], [1, 1]]
    assert {table: _files(tmp_path, table) for table in TABLES} == before


def test_a_failed_write_leaves_the_old_partition(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    _publish(tmp_path, 1)
    before = {table: _files(tmp_path, table) for table in TABLES}
    write_parquet = pl.DataFrame.write_parquet
    writes: list[object] = []

    def half_then_crash(self: pl.DataFrame, path: Path, **kwargs: object) -> None:
        writes.append(path)
        if len(writes) == 2:  # the second table: the first one is staged whole
            Path(path).write_bytes(b"half a parquet file")
            raise OSError("disk full")
        write_parquet(self, path, **kwargs)

    monkeypatch.setattr(pl.DataFrame, "write_parquet", half_then_crash)
    with pytest.raises(OSError, match="disk full"):
        _publish(tmp_path, 2)
    monkeypatch.undo()
    assert [_read(tmp_path, table) for table in TABLES] == [[1], [1, 1]]
    assert {table: _files(tmp_path, table) for table in TABLES} == before


def test_stale_staged_files_are_cleaned_on_the_next_publish(tmp_path: Path) -> None:
    """A killed writer's staged files are invisible; the next publish of the partition deletes them
    once older than STAGING_GRACE (younger ones may be a concurrent writer's, still at work)."""
    _publish(tmp_path, 1)
    folder = lake_io.partition_dir(tmp_path, "plays", 2024, 1)
    old = datetime.now(UTC) - lake_io.STAGING_GRACE - timedelta(minutes=1)
    stale = folder / f"part-{old:%Y%m%dT%H%M%S%f}Z-deadbeef.parquet"
    young = folder / f"part-{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z-0badcafe.parquet"
    legacy = folder / "data.parquet"
    foreign = folder / "notes.txt"
    for path in (stale, young, legacy, foreign):
        path.write_bytes(b"half a file from a killed writer")
    assert _read(tmp_path, "plays") == [1]  # readers never see them

    published = _publish(tmp_path, 2)
    assert _files(tmp_path, "plays") == sorted([young.name, foreign.name, Path(published.uri("plays")).name])


def test_a_table_published_again_on_its_own_is_read_from_the_newest_manifest(tmp_path: Path) -> None:
    _publish(tmp_path, 1)
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [7]}))
    assert _read(tmp_path, "plays") == [7]
    assert _read(tmp_path, "games") == [1, 1]
    _publish(tmp_path, 3)
    assert _read(tmp_path, "plays") == [3]


def test_scan_names_missing_partitions(tmp_path: Path) -> None:
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [1]}))
    with pytest.raises(FileNotFoundError, match="season=2024/week=2"):
        lake_io.scan_table(tmp_path, "plays", [(2024, 2)])


def test_a_lake_written_before_manifests_says_so(tmp_path: Path) -> None:
    legacy = tmp_path / "plays" / "season=2024" / "week=1" / "data.parquet"
    legacy.parent.mkdir(parents=True)
    pl.DataFrame({"a": [1]}).write_parquet(legacy)
    with pytest.raises(
        FileNotFoundError, match=re.escape("1 data.parquet file(s) written before partition manifests")
    ):
        lake_io.scan_table(tmp_path, "plays")
    lake_io.write_partition(tmp_path, "plays", 2024, 1, pl.DataFrame({"a": [2]}))  # re-ingesting
    assert _read(tmp_path, "plays") == [2] and not legacy.exists()


@pytest.mark.parametrize("name", ["Plays", "plays+games", "../plays", ""])
def test_table_names_are_checked(tmp_path: Path, name: str) -> None:
    with pytest.raises(ValueError, match="table names must match"):
        lake_io.write_partition(tmp_path, name, 2024, 1, pl.DataFrame({"a": [1]}))
