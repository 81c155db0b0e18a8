"""Ingest an nflfastR play-by-play file (Parquet, CSV or CSV.gz) into the lake: one season x week partition
per week holding ``plays`` (``source = 'pbp'``), ``quarantine``, ``games`` and ``players`` (the passers),
published together like a tracking partition, without ``tracking`` (``pbp_plays`` has the rules).

Accounting: ``rows_in = rows_other_play_types + plays_in + duplicate_rows``; ``plays_in`` (distinct
game/play ids among the pass-play rows) is counted before any rule runs, and ``plays_in =
plays_accepted + plays_quarantined`` is checked, not assumed. Identical duplicate rows are dropped;
rows that share a key with different content quarantine the play (``conflicting_table_rows``).

A lake partition holds tracking or play-by-play, not both: a play-by-play week whose partition already
holds tracking stops the ingest before anything is written (use a separate lake for play-by-play).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from functools import partial
from pathlib import Path

import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.ingest import pbp_plays
from qb_assets.ingest.pbp_plays import FORMAT, PbpFormatError
from qb_assets.io import lake as lake_io
from qb_assets.io.files import read_table_file

PBP_TABLES = ("plays", "quarantine", "games", "players")
_KEY = ["game_id", "play_id"]
# Checks a staged partition must pass to be published (as ``pipeline.PartitionVerify``): called with the
# staged version and ``part=`` the partition's counts; returns the names of the checks that failed.
PbpVerify = Callable[..., Iterable[str]]


def is_pbp_file(path: str | Path) -> bool:
    """Whether ``path`` is one Parquet/CSV file whose header is nflfastR play-by-play."""
    path = Path(path)
    if not path.is_file():
        return False
    parquet = path.name.lower().endswith(".parquet")
    try:
        columns = pl.read_parquet_schema(path).keys() if parquet else pl.read_csv(path, n_rows=0).columns
    except (OSError, pl.exceptions.PolarsError):
        return False
    return pbp_plays.is_pbp_frame(list(columns))


def read_pbp(path: str | Path) -> pl.DataFrame:
    """The file's rows with ``_line``: the CSV line (header = line 1) or the Parquet row (from 1). CSV
    fields stay text, so that a value that does not parse is quarantined naming its column."""
    path = Path(path)
    parquet = path.name.lower().endswith(".parquet")
    frame = read_table_file(str(path), is_parquet=parquet, as_strings=True, name=str(path))
    if not pbp_plays.is_pbp_frame(frame.columns):
        missing = [c for c in pbp_plays.SIGNATURE if c not in frame.columns]
        raise PbpFormatError(
            f"{path}: not nflfastR play-by-play, missing columns: {', '.join(missing) or 'game_id'}"
        )
    return frame.with_row_index("_line", offset=2 if not parquet else 1).with_columns(
        pl.col("_line").cast(pl.Int64)
    )


def _split_duplicates(plays: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame, int]:
    """(plays one row per key, conflicting keys' rows, duplicate rows beyond one per key)."""
    content = [c for c in plays.columns if c != "_line"]
    distinct = plays.unique(content, keep="first", maintain_order=True)
    counts = distinct.group_by(_KEY).len()
    conflicting = distinct.join(counts.filter(pl.col("len") > 1), on=_KEY, how="semi")
    unique = distinct.join(conflicting, on=_KEY, how="anti")
    return unique, conflicting, plays.height - plays.select(_KEY).n_unique()


def _conflict_quarantine(conflicting: pl.DataFrame, file: str) -> pl.DataFrame:
    grouped = conflicting.group_by(_KEY, maintain_order=True).agg(
        pl.col("season").first(),
        pl.col("week").first(),
        pl.col("_line").sort().cast(pl.String).str.join(", "),
    )
    return pbp_plays.quarantine_rows(
        grouped.with_columns(
            pl.format("conflicting_table_rows|lines {}: different rows for one play", pl.col("_line")).alias(
                "_problem"
            )
        ),
        file,
    )


def pbp_tables(
    path: str | Path, partitions: Iterable[tuple[int, int]] | None = None
) -> tuple[dict[tuple[int, int], dict[str, pl.DataFrame]], dict]:
    """The partitions' tables {(season, week): {plays, quarantine, games, players}} and the accounting,
    of the whole file or of the rows of the given (season, week) ``partitions`` only."""
    file = str(path)
    raw = pbp_plays.with_keys(read_pbp(path), file)
    if partitions is not None:
        wanted = pl.DataFrame(list(partitions), schema={"season": pl.Int32, "week": pl.Int32}, orient="row")
        raw = raw.join(wanted, on=["season", "week"], how="semi")
    is_pass = raw.select(pbp_plays.pass_plays(raw)).to_series()
    rows = raw.filter(is_pass)
    plays_in = rows.select(_KEY).n_unique()
    unique, conflicting, duplicate_rows = _split_duplicates(rows)
    canonical = pbp_plays.canonical_plays(unique)
    accepted = canonical.filter(pl.col("_problem").is_null()).drop("_line", "_problem")
    quarantine = pl.concat(
        [
            pbp_plays.quarantine_rows(canonical.filter(pl.col("_problem").is_not_null()), file),
            _conflict_quarantine(conflicting, file),
        ]
    )
    quarantined = quarantine.select(_KEY).n_unique()
    if accepted.height + quarantined != plays_in:
        raise RuntimeError(
            f"{file}: play accounting broken: {plays_in} in, {accepted.height} accepted, "
            f"{quarantined} quarantined"
        )
    games, players = pbp_plays.games_and_passers(accepted, unique)
    keys = sorted(
        {
            *accepted.select("season", "week").unique().iter_rows(),
            *quarantine.select("season", "week").unique().iter_rows(),
        }
    )
    tables, summaries = {}, []
    for season, week in keys:
        in_week = (pl.col("season") == season) & (pl.col("week") == week)
        week_plays = accepted.filter(in_week)
        tables[(season, week)] = {
            "plays": week_plays,
            "quarantine": quarantine.filter(in_week),
            "games": games.filter(in_week),
            "players": players.join(
                week_plays.select(pl.col("passer_nfl_id").alias("nfl_id")).unique(), on="nfl_id", how="semi"
            ),
        }
        summaries.append(
            {
                "season": season,
                "week": week,
                "plays_in": rows.filter(in_week).select(_KEY).n_unique(),
                "plays_accepted": week_plays.height,
                "plays_quarantined": tables[(season, week)]["quarantine"].select(_KEY).n_unique(),
            }
        )
    accounting = {
        "rows_in": raw.height,
        "rows_other_play_types": raw.height - rows.height,
        "duplicate_rows": duplicate_rows,
        "plays_in": plays_in,
        "plays_accepted": accepted.height,
        "plays_quarantined": quarantined,
        "quarantine_reasons": dict(quarantine.group_by("reason").len().sort("reason").iter_rows()),
        "quarantine_examples": dict(
            quarantine.group_by("reason").agg(pl.col("detail").first()).sort("reason").iter_rows()
        ),
        # The file is read whole by Polars: a CSV cut mid-line is a parse error, not a quarantined play.
        "truncated_files": [],
        "partitions": summaries,
    }
    return tables, accounting


def pbp_partitions(lake: str | Path) -> list[tuple[int, int]]:
    """The lake's play-by-play partitions: those with plays and no tracking (a partition holds one or
    the other, module docstring)."""
    tracking = set(lake_io.list_partitions(lake, "tracking"))
    return [k for k in lake_io.list_partitions(lake, "plays") if k not in tracking]


def pbp_source_partitions(path: str | Path) -> list[tuple[int, int]]:
    """The (season, week) partitions a play-by-play file's pass plays fall into."""
    return list(pbp_tables(path)[0])


def ingest_pbp(
    path: str | Path,
    lake: str | Path,
    progress: Progress | None = None,
    *,
    partitions: Iterable[tuple[int, int]] | None = None,
    verify: PbpVerify | None = None,
) -> dict:
    """Ingest one play-by-play file into ``lake``; returns the JSON summary (module docstring).

    ``partitions`` restricts the work to those (season, week) keys (the Dagster asset ingests one).
    ``verify`` runs on each staged partition with ``part=`` its counts; a partition with a failed check is
    not published and ``io.lake.PartitionRejected`` is raised (the partitions before it stay published).
    """
    started = time.perf_counter()
    wanted = None if partitions is None else sorted(set(partitions))
    tables, accounting = pbp_tables(path, wanted)
    if wanted is not None and not tables:
        raise PbpFormatError(f"{path}: no pass plays for partition(s) {wanted}")
    clash = sorted(set(tables) & set(lake_io.list_partitions(lake, "tracking")))
    if clash:
        raise PbpFormatError(
            f"{path}: the lake {lake} holds tracking for season x week {clash[:5]}: a partition holds "
            "tracking or play-by-play, not both; ingest the play-by-play into another lake"
        )
    for index, (part, week_tables) in enumerate(
        zip(accounting["partitions"], tables.values(), strict=True), 1
    ):
        check = None if verify is None else partial(verify, part=part)
        lake_io.publish_partition(lake, part["season"], part["week"], week_tables, verify=check)
        if progress:
            progress(
                f"[{index}/{len(tables)}] season {part['season']} week {part['week']}: "
                f"{part['plays_accepted']} plays accepted, {part['plays_quarantined']} quarantined"
            )
    return {
        "source": str(path),
        "lake": str(lake),
        "format": FORMAT,
        **accounting,
        "seconds": round(time.perf_counter() - started, 2),
    }
