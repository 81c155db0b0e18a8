"""Ingest a folder of Big Data Bowl files into the lake: canonical tracking, a play table, quarantine.

Tracking files are found by their columns, whatever their names (``classify_files``): a file with x and
y or a frame column is tracking, and its layout is detected from its header before anything is ingested
(an unknown one names the closest layout's missing columns); ``plays``, ``games`` and ``players`` are
the optional tables; other files are ignored and listed in the summary (``files_ignored``).

Plan: every tracking file belongs to one (season, week) partition: season from the date in its first
gameId; week from the games table, else the file name (``week14.csv``), else the calendar rule of
``season_calendar.week_from_game_date``; regular-season and postseason weeks, 1 to
``season_calendar.MAX_WEEK``. Each partition's files are processed together and its five tables
(``INGEST_TABLES``) are published together as one version of the partition (``io.lake``): staged, checked
by ``verify`` when one is given (the ``raw_tracking`` asset's blocking checks), then made visible at
once; a failed check or a crash leaves the previous partition in service.

Accounting, per partition and in total: ``plays_in = plays_accepted + plays_quarantined`` and
``rows_in = rows_accepted + rows_quarantined + duplicate_rows_dropped``, where ``plays_in`` (distinct
gameId/playId) and ``rows_in`` are counted as the files are read, before any rule runs, so that a play
or row lost on the way breaks the equations (the ``plays_accounted_for`` asset check).
"""

from __future__ import annotations

import io
import itertools
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path

import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.ingest import formats, season_calendar
from qb_assets.ingest.aux_tables import AuxTables
from qb_assets.ingest.partition import PartitionKey, PartitionResult, ingest_partition
from qb_assets.ingest.pbp_ingest import pbp_partitions
from qb_assets.io import lake as lake_io
from qb_assets.io.files import SourceError, SourceFile, csv_head_lines
from qb_assets.io.sources import TrackingSource, open_source

INGEST_TABLES = ("tracking", "plays", "quarantine", "games", "players")
# Partitions computed at once (``_computed_in_order``): two keep both cores of a small machine busy.
PARTITIONS_IN_FLIGHT = 2
# Checks a staged partition must pass to be published: called with the staged version and ``part=`` the
# partition's summary; returns the names of the checks that failed.
PartitionVerify = Callable[..., Iterable[str]]


@dataclass
class IngestSummary:
    source: str
    lake: str
    files_ignored: list[str] = field(default_factory=list)
    partitions: list[dict] = field(default_factory=list)
    quarantine_reasons: dict[str, int] = field(default_factory=dict)
    quarantine_examples: dict[str, str] = field(default_factory=dict)
    truncated_files: list[dict] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, result: PartitionResult) -> None:
        self.partitions.append(result.summary())
        self.truncated_files += result.truncated_files
        by_reason = result.quarantine.group_by("reason", maintain_order=True).agg(
            pl.len(), pl.col("detail").first()
        )
        for reason, count, detail in by_reason.iter_rows():
            self.quarantine_reasons[reason] = self.quarantine_reasons.get(reason, 0) + count
            self.quarantine_examples.setdefault(reason, detail)

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
            "quarantine_examples": dict(sorted(self.quarantine_examples.items())),
            "truncated_files": self.truncated_files,
            "files_ignored": self.files_ignored,
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


def classify_files(
    source: TrackingSource, files: list[SourceFile], layout: str = "auto"
) -> tuple[list[SourceFile], list[SourceFile]]:
    """(tracking files, ignored files) of a source: a file is tracking when its name is a Big Data Bowl
    tracking name or its columns look like tracking (``formats.looks_like_tracking``), whatever its name;
    each tracking file's layout is checked from its header here, so that a file of no known layout
    stops the ingest before anything is written (``LayoutError`` naming the closest layout's missing
    columns). The plays/games/players tables are neither."""
    tracking, ignored = [], []
    for file in files:
        if file.is_table:
            continue
        columns = source.columns(file)
        if file.named_like_tracking or formats.looks_like_tracking(columns):
            formats.detect_layout(columns, file.uri, layout)
            tracking.append(file)
        else:
            ignored.append(file)
    if not tracking:
        found = ", ".join(f.name for f in ignored) or "no CSV, CSV.gz or Parquet file"
        raise SourceError(
            f"{source.uri}: no tracking files (a tracking file, of any name, has x and y or a frame "
            f"column; plays, games and players tables are found by those names); found: {found}"
        )
    return tracking, ignored


def _first_game_id(source: TrackingSource, file: SourceFile) -> int:
    """The file's first parseable gameId (per-game files carry it in their name)."""
    if file.stem.lower().startswith("tracking_gameid_"):
        return int(file.stem.split("_")[-1])
    if not file.is_parquet:  # the first lines usually hold one: no need to parse the whole file
        lines = csv_head_lines(source.read_ends(file)[0], gzipped=file.is_gzip)
        try:
            found = _first_parseable_id(
                pl.read_csv(io.BytesIO(lines), infer_schema=False, columns=["gameId"])
            )
        except pl.exceptions.PolarsError:  # a quoted field across the cut, say: the whole file decides
            found = None
        if found is not None:
            return found
    found = _first_parseable_id(source.read_frame(file, as_strings=True, columns=["gameId"]))
    if found is None:
        raise SourceError(f"{file.uri}: column gameId has no parseable value")
    return found


def _first_parseable_id(frame: pl.DataFrame) -> int | None:
    parsed = frame["gameId"].cast(pl.String).cast(pl.Float64, strict=False).drop_nulls()
    return int(parsed[0]) if parsed.len() else None


def plan_partitions(
    source: TrackingSource, tracking_files: list[SourceFile], games: pl.DataFrame | None
) -> dict[PartitionKey, list[SourceFile]]:
    """Group tracking files (``classify_files``) by (season, week) partition; raises SourceError for a
    file whose week is outside 1-MAX_WEEK (a preseason game, a bad week in the games table or file name)."""
    week_of_game = dict(games.select("game_id", "week").drop_nulls().iter_rows()) if games is not None else {}
    plan: dict[PartitionKey, list[SourceFile]] = {}
    for file in tracking_files:
        game_id = _first_game_id(source, file)
        ids = pl.select(pl.lit(game_id, dtype=pl.Int64).alias("g"))
        season = int(ids.select(season_calendar.season_from_game_id(pl.col("g"))).item())
        if game_id in week_of_game:
            week, origin = week_of_game[game_id], "the games table"
        elif file.week_from_name is not None:
            week, origin = file.week_from_name, "the file name"
        else:
            week = ids.select(season_calendar.week_from_game_date(pl.col("g"))).item()
            origin = "the game date"
        if not 1 <= week <= season_calendar.MAX_WEEK:
            raise SourceError(
                f"{file.uri}: game {game_id} is in week {week} of season {season} by {origin}; weeks run "
                f"1-{season_calendar.MAX_WEEK} (regular season and postseason, no preseason)"
            )
        plan.setdefault((season, int(week)), []).append(file)
    return dict(sorted(plan.items()))


# --- the whole source -----------------------------------------------------------------------------------


def ingest_source(
    source: str | Path | TrackingSource,
    lake: str | Path,
    layout: str = "auto",
    *,
    partitions: Iterable[PartitionKey] | None = None,
    progress: Progress | None = None,
    verify: PartitionVerify | None = None,
) -> dict:
    """Ingest ``source`` (a folder or file path, or a TrackingSource) into ``lake``; returns the JSON
    summary (``ingest_problems`` says whether it is a failure all the same).

    ``partitions`` restricts the work to those (season, week) keys (the Dagster asset ingests one).
    ``verify`` runs on each staged partition; a partition with a failed check is not published and
    ``io.lake.PartitionRejected`` is raised (the partitions before it stay published).
    """
    started = time.perf_counter()
    src = source if not isinstance(source, str | Path) else open_source(source)
    files = src.list_files()
    tracking, ignored = classify_files(src, files, layout)
    aux = AuxTables.load(src, files)
    plan = plan_partitions(src, tracking, aux.games)
    if partitions is not None:
        wanted = set(partitions)
        plan = {k: v for k, v in plan.items() if k in wanted}
        if not plan:
            raise SourceError(f"{src.uri}: no tracking files for partition(s) {sorted(wanted)}")
    held = sorted(set(plan) & set(pbp_partitions(lake)))
    if held:  # publishing would replace a week's play-by-play plays with tracking ones
        raise SourceError(
            f"{src.uri}: the lake {lake} holds play-by-play for season x week {held[:5]}: a partition "
            "holds tracking or play-by-play, not both; ingest the tracking into another lake"
        )
    summary = IngestSummary(source=src.uri, lake=str(lake), files_ignored=[f.uri for f in ignored])
    if ignored and progress:
        progress(
            f"ignored (not tracking, not a plays/games/players table): {', '.join(f.name for f in ignored)}"
        )
    for index, result in enumerate(_computed_in_order(src, plan, aux, layout), 1):
        key = (result.season, result.week)
        lake_io.publish_partition(
            lake,
            result.season,
            result.week,
            {table: getattr(result, table) for table in INGEST_TABLES},
            verify=None if verify is None else partial(verify, part=result.summary()),
        )
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


def _computed_in_order(
    source: TrackingSource, plan: dict[PartitionKey, list[SourceFile]], aux: AuxTables, layout: str
) -> Iterator[PartitionResult]:
    """Each planned partition's ``ingest_partition`` result, in plan order, computed up to
    ``PARTITIONS_IN_FLIGHT`` at a time on worker threads: Polars releases the GIL, so one partition's
    joins fill the cores while another's many small steps (and the caller's publish) wait on Python.
    Results are pure (nothing written), so a caller that stops early loses nothing but the work."""
    with ThreadPoolExecutor(max_workers=PARTITIONS_IN_FLIGHT, thread_name_prefix="ingest") as pool:
        pending: deque[Future[PartitionResult]] = deque()
        keys = iter(plan.items())
        try:
            for key, files in itertools.islice(keys, PARTITIONS_IN_FLIGHT):
                pending.append(pool.submit(ingest_partition, source, files, key, aux, layout))
            while pending:
                result = pending.popleft().result()
                for key, files in itertools.islice(keys, 1):
                    pending.append(pool.submit(ingest_partition, source, files, key, aux, layout))
                yield result
        finally:
            for future in pending:
                future.cancel()


def plan_source(source: str | Path | TrackingSource) -> dict[PartitionKey, list[SourceFile]]:
    """The (season, week) partitions of a source and the tracking files of each."""
    src = source if not isinstance(source, str | Path) else open_source(source)
    files = src.list_files()
    return plan_partitions(src, classify_files(src, files)[0], AuxTables.load(src, files).games)


def source_partitions(source: str | Path | TrackingSource) -> list[PartitionKey]:
    """The (season, week) partitions a source's tracking files fall into."""
    return list(plan_source(source))


def ingest_problems(summary: dict) -> str | None:
    """What makes an ingest a failure although it ran (one line; None when nothing does): files cut
    mid-line, and a run that accepted no play, with its quarantine reasons and an example."""
    problems = [
        f"truncated file {cut['file']}: it ends in the middle of line {cut['line']} (its last play is "
        "quarantined as truncated_file; copy the file again)"
        for cut in summary["truncated_files"]
    ]
    if summary["plays_accepted"] == 0:
        reasons = summary["quarantine_reasons"]
        counts = (
            ", ".join(f"{reason} {count}" for reason, count in reasons.items()) or "no plays in the files"
        )
        example = f"; e.g. {summary['quarantine_examples'][max(reasons, key=reasons.get)]}" if reasons else ""
        problems.append(
            f"no play accepted from {summary['source']}: {summary['plays_quarantined']} quarantined "
            f"({counts}){example}"
        )
    return "; ".join(problems) or None
