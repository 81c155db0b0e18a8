"""The Parquet lake: Hive-style partitions ``LAKE/<table>/season=YYYY/week=W/``, published through one
manifest per partition, after their checks (write-audit-publish).

LAKE is a local folder or an ``s3://bucket/prefix`` (``io.storage``). Layout::

    LAKE/<table>/season=YYYY/week=W/part-<version>.parquet   immutable data, one file per table version
    LAKE/_manifests/season=YYYY/week=W/<table>+<table>.json  the partition's published version

A writer publishes a *partition*: the tables that belong together (ingest's ``tracking``, ``plays``,
``quarantine``, ``games``, ``players``; the features and their quarantine) under one new version
(``<UTC time>-<random>``, e.g. ``20241205T143000123456Z-1a2b3c4d``):

1. stage: each table is written to a new ``part-<version>.parquet``, which no reader follows yet;
2. audit: ``verify`` (the blocking checks) reads the staged tables; if a check fails the staged files
   are deleted and ``PartitionRejected`` is raised;
3. publish: the manifest naming every table's file is replaced in one step (locally a temporary file
   moved into place with ``os.replace``; on S3 one PUT, visible all at once);
4. clean up: the files the previous manifest named, and staged files older than ``STAGING_GRACE``
   that no manifest names (left by a killed writer), are deleted.

Readers follow manifests only: ``list_partitions`` is one listing of ``_manifests/`` (the manifest's
name says which tables it holds) and ``scan_table`` reads the manifests of the partitions it scans, so a
reader sees every table of a partition old or every table new, never a mix, and never a file that is
being written or failed its checks. A crash at any point leaves the previous partition in service; the
rerun publishes. The manifest (rather than a staging folder renamed into place) is the commit because
the tables of a partition live under different table folders, and S3 has no rename at all: one small
object replaced in one PUT is atomic on both backends.

Superseded files are deleted right after a publish, so a reader that resolved the previous manifest
just before it and reads later fails with a missing file (rerun it). ``STAGING_GRACE`` protects a
concurrent writer's staged files; one partition is meant to have one writer at a time. A table named
by several manifests of a partition (published alone after being published with others) is read from
the newest. Lakes written before manifests (``data.parquet`` files) are invisible: re-ingest them.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import polars as pl

from qb_assets.io.storage import Storage, is_remote, join_uri, open_storage

MANIFESTS = "_manifests"
STAGING_GRACE = timedelta(hours=1)
LEGACY_FILE = "data.parquet"  # the single-file partitions of lakes written before manifests
_TABLE_NAME = re.compile(r"^[a-z][a-z0-9_]*$")
_VERSION = re.compile(r"(\d{8}T\d{12})Z-[0-9a-f]{8}")
_MANIFEST_KEY = re.compile(r"season=(\d+)/week=(\d+)/([a-z0-9_+]+)\.json$")
_LEGACY_NAME = re.compile(r"^(data\.parquet|\.data\.parquet\..*\.tmp)$")
_READ_THREADS = 16
_PARTITION = re.compile(r"/season=(\d+)/week=(\d+)/")
_HIVE_SCHEMA = {"season": pl.Int32, "week": pl.Int32}


class PartitionRejected(ValueError):
    """A staged partition its checks refused: nothing was published, the previous partition stays."""


@dataclass(frozen=True)
class PartitionVersion:
    """One version of a partition's tables: staged (what ``verify`` reads), then published.

    ``files`` maps each table to its data file's key, relative to the lake root."""

    lake: str
    season: int
    week: int
    version: str
    files: dict[str, str]

    def uri(self, table: str) -> str:
        """Where ``table``'s file of this version is (a local path or an s3:// URI)."""
        return _uri(self.lake, self.files[table])

    def scan(self, table: str) -> pl.LazyFrame:
        """``table`` of this version, with ``season`` and ``week`` columns, as ``scan_table`` gives it."""
        return _scan(self.lake, [self.uri(table)])

    def read(self, table: str) -> pl.DataFrame:
        return self.scan(table).collect()


Verify = Callable[[PartitionVersion], Iterable[str]]


def partition_dir(lake: str | Path, table: str, season: int, week: int) -> Path | str:
    """The folder (or S3 prefix) holding ``table``'s files for one partition."""
    if is_remote(lake):
        return join_uri(lake, table, f"season={season}", f"week={week}")
    return Path(lake) / table / f"season={season}" / f"week={week}"


def _uri(lake: str | Path, key: str) -> str:
    """The local path or s3:// URI of ``key`` (relative to the lake root)."""
    return join_uri(lake, key)


def _partition_prefix(table: str, season: int, week: int) -> str:
    return f"{table}/season={season}/week={week}/"


def _manifest_key(season: int, week: int, tables: Iterable[str]) -> str:
    return f"{MANIFESTS}/season={season}/week={week}/{'+'.join(sorted(tables))}.json"


def _new_version() -> str:
    return f"{datetime.now(UTC):%Y%m%dT%H%M%S%f}Z-{uuid.uuid4().hex[:8]}"


def _is_stale(name: str, now: datetime) -> bool:
    """Whether an unpublished file ``name`` may be deleted: a legacy single file or temporary, or one
    whose version is older than ``STAGING_GRACE`` (younger ones may belong to a writer still at work)."""
    if _LEGACY_NAME.match(name):
        return True
    match = _VERSION.search(name)
    if not match:
        return False  # not a file the lake writes: leave it alone
    created = datetime.strptime(match.group(1), "%Y%m%dT%H%M%S%f").replace(tzinfo=UTC)
    return now - created > STAGING_GRACE


# --- writing --------------------------------------------------------------------------------------------


def publish_partition(
    lake: str | Path,
    season: int,
    week: int,
    tables: Mapping[str, pl.DataFrame],
    verify: Verify | None = None,
) -> PartitionVersion:
    """Stage ``tables`` as one new version of partition (season, week), run ``verify`` on the staged
    version (it returns the names of the checks that failed), and publish it only when none did.

    Raises ``PartitionRejected`` naming the failed checks; then, or on any error before the publish,
    the staged files are deleted and the previous partition stays in service. ``season``/``week``
    columns are dropped from the frames (they are path keys)."""
    storage = open_storage(lake)
    if not tables or any(not _TABLE_NAME.match(name) for name in tables):
        raise ValueError(f"table names must match {_TABLE_NAME.pattern}, got {sorted(tables)}")
    version = _new_version()
    staged = PartitionVersion(
        str(lake),
        season,
        week,
        version,
        {table: f"{_partition_prefix(table, season, week)}part-{version}.parquet" for table in tables},
    )
    committing = False
    try:
        for table, frame in tables.items():
            storage.write_parquet(staged.files[table], frame.drop("season", "week", strict=False))
        failed = list(verify(staged)) if verify is not None else []
        if failed:
            raise PartitionRejected(
                f"season {season} week {week}: check(s) {', '.join(failed)} failed, so "
                f"{', '.join(tables)} were not published; the previous partition stays in service"
            )
        committing = True  # past this point a failure may follow a successful PUT: keep the files
        previous = _commit(storage, staged)
    except BaseException:
        if not committing:
            storage.delete(list(staged.files.values()))
        raise
    _clean_up(storage, staged, previous)
    return staged


def write_partition(lake: str | Path, table: str, season: int, week: int, frame: pl.DataFrame) -> str:
    """Publish one table's partition on its own (no checks); returns its file's URI."""
    return publish_partition(lake, season, week, {table: frame}).uri(table)


def _commit(storage: Storage, staged: PartitionVersion) -> dict:
    """Replace the partition's manifest with one naming ``staged``; returns the one it replaced."""
    key = _manifest_key(staged.season, staged.week, staged.files)
    previous = _load_manifest(storage, key)
    manifest = {
        "season": staged.season,
        "week": staged.week,
        "version": staged.version,
        "published_at": datetime.now(UTC).isoformat(),
        "tables": {table: {"file": file} for table, file in staged.files.items()},
    }
    storage.put_atomic(key, json.dumps(manifest, indent=2).encode())
    return previous or {}


def _clean_up(storage: Storage, published: PartitionVersion, previous: dict) -> None:
    """Delete what no reader follows any more: the files ``previous`` named, stale staged files and
    temporaries in the published tables' partition folders and the manifest folder."""
    season, week = published.season, published.week
    named = {
        entry["file"]
        for key in _partition_manifest_keys(storage, season, week)
        for entry in (_load_manifest(storage, key) or {}).get("tables", {}).values()
    }
    superseded = {entry["file"] for entry in previous.get("tables", {}).values()} - named
    now = datetime.now(UTC)
    folders = [_partition_prefix(table, season, week) for table in published.files]
    folders.append(f"{MANIFESTS}/season={season}/week={week}/")
    unused = [
        key
        for folder in folders
        for key in storage.list(folder)
        if key not in named
        and not key.endswith(".json")
        and (key in superseded or _is_stale(key.rsplit("/", 1)[-1], now))
    ]
    storage.delete(unused)


# --- reading --------------------------------------------------------------------------------------------


def _manifest_index(storage: Storage) -> list[tuple[int, int, frozenset[str], str]]:
    """(season, week, tables, key) of every manifest: one listing, no manifest is read."""
    index = []
    for key in storage.list(f"{MANIFESTS}/"):
        match = _MANIFEST_KEY.search(key)
        if match:
            tables = frozenset(match.group(3).split("+"))
            index.append((int(match.group(1)), int(match.group(2)), tables, key))
    return index


def _partition_manifest_keys(storage: Storage, season: int, week: int) -> list[str]:
    prefix = f"{MANIFESTS}/season={season}/week={week}/"
    return [key for key in storage.list(prefix) if _MANIFEST_KEY.search(key)]


def _load_manifest(storage: Storage, key: str) -> dict | None:
    return storage.read_json(key)


def list_partitions(lake: str | Path, table: str) -> list[tuple[int, int]]:
    """(season, week) pairs published for ``table``, sorted."""
    index = _manifest_index(open_storage(lake))
    return sorted({(season, week) for season, week, tables, _ in index if table in tables})


def partition_files(
    lake: str | Path, table: str, partitions: Iterable[tuple[int, int]] | None = None
) -> list[str]:
    """The published data file of ``table`` for each partition (all, or ``partitions`` in that order),
    as local paths or s3:// URIs. Raises FileNotFoundError naming a partition that is not published."""
    storage = open_storage(lake)
    keys_of: dict[tuple[int, int], list[str]] = {}
    if partitions is None:
        for season, week, tables, key in _manifest_index(storage):
            if table in tables:
                keys_of.setdefault((season, week), []).append(key)
        wanted = sorted(keys_of)
    else:
        # Only the asked partitions' manifest folders are listed: a reader of one week (every load and
        # scoring step) must not pay for a listing of the whole lake.
        wanted = list(partitions)
        with ThreadPoolExecutor(min(_READ_THREADS, max(1, len(wanted)))) as pool:
            listed = pool.map(lambda key: _partition_manifest_keys(storage, *key), wanted)
            for partition, keys in zip(wanted, listed, strict=True):
                mine = [key for key in keys if table in _MANIFEST_KEY.search(key).group(3).split("+")]
                if mine:
                    keys_of[partition] = mine
    missing = [key for key in wanted if key not in keys_of]
    if missing:
        season, week = missing[0]
        raise FileNotFoundError(
            f"lake table {table!r} has no published partition season={season}/week={week} under {lake}"
        )
    manifest_keys = [key for partition in wanted for key in keys_of[partition]]
    with ThreadPoolExecutor(min(_READ_THREADS, max(1, len(manifest_keys)))) as pool:
        loaded = pool.map(lambda key: _load_manifest(storage, key), manifest_keys)
        manifests = dict(zip(manifest_keys, loaded, strict=True))
    files = []
    for partition in wanted:
        found = [manifests[key] for key in keys_of[partition] if manifests[key] is not None]
        if not found:  # deleted between the listing and the read
            raise FileNotFoundError(f"lake table {table!r}: the manifest of {partition} disappeared")
        newest = max(found, key=lambda manifest: manifest["version"])
        files.append(_uri(lake, newest["tables"][table]["file"]))
    return files


def scan_table(
    lake: str | Path, table: str, partitions: Iterable[tuple[int, int]] | None = None
) -> pl.LazyFrame:
    """A lazy frame over the published partitions of ``table`` (all, or ``partitions``), with ``season``
    and ``week`` columns from the partition keys."""
    files = partition_files(lake, table, partitions)
    if not files:
        legacy = [k for k in open_storage(lake).list(f"{table}/") if k.endswith(f"/{LEGACY_FILE}")]
        hint = (
            f" ({len(legacy)} {LEGACY_FILE} file(s) written before partition manifests: re-run "
            "`qb-score ingest` and `qb-score features` to publish them)"
            if legacy
            else ""
        )
        raise FileNotFoundError(f"lake table {table!r} is empty under {lake}{hint}")
    return _scan(lake, files)


def _scan(lake: str | Path, files: list[str]) -> pl.LazyFrame:
    """The files as one lazy frame with ``season`` and ``week`` from their partition folders. Local files
    are scanned by Polars itself; objects are read through the storage layer's file objects (one S3
    client, its retries), whose partition columns are added the same way Hive partitioning would."""
    if not is_remote(lake):
        return pl.scan_parquet(files, hive_partitioning=True, hive_schema=_HIVE_SCHEMA)
    fs = open_storage(lake).fs
    frames = []
    for uri in files:
        season, week = _PARTITION.search(uri).groups()
        frames.append(
            pl.scan_parquet(fs.open(uri, "rb")).with_columns(
                pl.lit(int(season), pl.Int32).alias("season"), pl.lit(int(week), pl.Int32).alias("week")
            )
        )
    return pl.concat(frames, how="vertical")
