"""Ingest a folder of Big Data Bowl files into the lake: canonical tracking, a play table, quarantine.

Plan: every tracking file belongs to one (season, week) partition: season from the date in its first
gameId; week from the games table, else the file name (``week14.csv``), else the calendar rule of
``formats.week_from_game_date``. Each partition's files are processed together and the three tables
(``tracking``, ``plays``, ``quarantine``) of that partition are replaced.

Accounting, per partition and in total: ``plays_in = plays_accepted + plays_quarantined`` and
``rows_in = rows_accepted + rows_quarantined + duplicate_rows_dropped``.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.ingest import formats
from qb_assets.ingest.partition import PartitionKey, PartitionResult, ingest_partition
from qb_assets.ingest.tables import AuxTables
from qb_assets.io import lake as lake_io
from qb_assets.io.files import SourceError, SourceFile
from qb_assets.io.sources import TrackingSource, open_source


@dataclass
class IngestSummary:
    source: str
    lake: str
    partitions: list[dict] = field(default_factory=list)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    seconds: float = 0.0

    def add(self, result: PartitionResult) -> None:
        self.partitions.append(result.summary())
        for reason, count in result.quarantine.group_by("reason").len().iter_rows():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + count

    def total(self, key: str) -> int:
        return sum(p[key] for p in self.partitions)

    def as_dict(self) -> dict:
        return {
            "source": self.source,
            "lake": self.lake,
            "plays_in": self.total("plays_in"),
            "plays_accepted": self.total("plays_accepted"),
            "plays_quarantined": self.total("plays_quarantined"),
            "quarantine_reasons": dict(sorted(self.quarantine_reasons.items())),
            "rows_in": self.total("rows_in"),
            "rows_accepted": self.total("rows_accepted"),
            "rows_quarantined": self.total("rows_quarantined"),
            "duplicate_rows_dropped": self.total("duplicate_rows_dropped"),
            "layouts": sorted({p["layout"] for p in self.partitions}),
            "partitions": [
                {k: p[k] for k in ("season", "week", "plays_accepted", "plays_quarantined")}
                for p in self.partitions
            ],
            "seconds": round(self.seconds, 2),
        }


# --- planning -------------------------------------------------------------------------------------------


def _first_game_id(source: TrackingSource, file: SourceFile) -> int:
    """The file's first parseable gameId (per-game files carry it in their name)."""
    if file.stem.lower().startswith("tracking_gameid_"):
        return int(file.stem.split("_")[-1])
    try:
        ids = source.read_frame(file, as_strings=True, columns=["gameId"])["gameId"]
    except (SourceError, pl.exceptions.ColumnNotFoundError) as exc:
        raise formats.LayoutError(f"{file.uri}: no gameId column") from exc
    parsed = ids.cast(pl.String).cast(pl.Float64, strict=False).drop_nulls()
    if parsed.len() == 0:
        raise SourceError(f"{file.uri}: column gameId has no parseable value")
    return int(parsed[0])


def plan_partitions(
    source: TrackingSource, files: list[SourceFile], games: pl.DataFrame | None
) -> dict[PartitionKey, list[SourceFile]]:
    """Group the source's tracking files by (season, week) partition."""
    week_of_game = dict(games.select("game_id", "week").drop_nulls().iter_rows()) if games is not None else {}
    plan: dict[PartitionKey, list[SourceFile]] = {}
    for file in files:
        if not file.is_tracking:
            continue
        game_id = _first_game_id(source, file)
        ids = pl.select(pl.lit(game_id, dtype=pl.Int64).alias("g"))
        season = ids.select(formats.season_from_game_id(pl.col("g"))).item()
        week = (
            week_of_game.get(game_id)
            or file.week_from_name
            or ids.select(formats.week_from_game_date(pl.col("g"))).item()
        )
        plan.setdefault((int(season), int(week)), []).append(file)
    return dict(sorted(plan.items()))


# --- the whole source -----------------------------------------------------------------------------------


def ingest_source(
    source: str | Path | TrackingSource,
    lake: str | Path,
    layout: str = "auto",
    partitions: Iterable[PartitionKey] | None = None,
    progress: Progress | None = None,
) -> dict:
    """Ingest ``source`` (a folder path or a TrackingSource) into ``lake``; returns the JSON summary.

    ``partitions`` restricts the work to those (season, week) keys (the Dagster asset ingests one).
    """
    started = time.perf_counter()
    src = source if not isinstance(source, str | Path) else open_source(source)
    files = src.list_files()
    if not any(f.is_tracking for f in files):
        raise SourceError(
            f"{src.uri}: no tracking files (expected tracking_gameId_*.csv, week*.csv or "
            "tracking_week_*.csv, optionally .gz or .parquet)"
        )
    aux = AuxTables.load(src, files)
    plan = plan_partitions(src, files, aux.games)
    if partitions is not None:
        wanted = set(partitions)
        plan = {k: v for k, v in plan.items() if k in wanted}
        if not plan:
            raise SourceError(f"{src.uri}: no tracking files for partition(s) {sorted(wanted)}")
    summary = IngestSummary(source=src.uri, lake=str(lake))
    for index, (key, key_files) in enumerate(plan.items(), 1):
        result = ingest_partition(src, key_files, key, aux, layout)
        for table, frame in (
            ("tracking", result.tracking),
            ("plays", result.plays),
            ("quarantine", result.quarantine),
            ("games", result.games),
            ("players", result.players),
        ):
            lake_io.write_partition(lake, table, result.season, result.week, frame)
        summary.add(result)
        if progress:
            part, elapsed_s = result.summary(), time.perf_counter() - started
            progress(
                f"[{index}/{len(plan)}] season {key[0]} week {key[1]}: "
                f"{part['plays_accepted']} plays accepted, "
                f"{part['plays_quarantined']} quarantined, {part['rows_in']:,} rows ({elapsed_s:.1f} s)"
            )
    summary.seconds = time.perf_counter() - started
    return summary.as_dict()


def plan_source(source: str | Path | TrackingSource) -> dict[PartitionKey, list[SourceFile]]:
    """The (season, week) partitions of a source and the tracking files of each."""
    src = source if not isinstance(source, str | Path) else open_source(source)
    files = src.list_files()
    return plan_partitions(src, files, AuxTables.load(src, files).games)


def source_partitions(source: str | Path | TrackingSource) -> list[PartitionKey]:
    """The (season, week) partitions a source's tracking files fall into."""
    return list(plan_source(source))
