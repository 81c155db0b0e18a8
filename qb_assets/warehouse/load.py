"""The DuckDB warehouse: play scores and their context, loaded from the Parquet lake, with SQL views of
the QB passing score per game, season, split and week.

One DuckDB file holds tables ``games``, ``players``, ``plays`` and ``play_scores`` (``sql/schema.sql``)
and the views in ``sql/views/*.sql``. A load replaces one (season, week) partition inside one
transaction: it deletes that partition's rows, inserts the new ones, upserts players by ``nfl_id`` and
rebuilds the materialized aggregates of the touched season (among them ``score_priors``, the
empirical-Bayes priors measured from the season's data), so re-running a load is idempotent and a
failed load leaves the previous contents intact.

The warehouse is an embedded DuckDB file or a DuckLake (``backend.py``): every function here takes
either (a path, a ``ducklake:<catalog>`` string or a ``backend.WarehouseLocation``). Concurrency: DuckDB
lets ONE process open a database file read-write (it holds a file lock), while any number of processes
may open it read-only when no writer has it open, so loads into the file run one at a time (the Dagster
side uses a concurrency pool of 1 for the warehouse asset) and readers, such as ``qb-score query``, open
it read-only. A DuckLake with a PostgreSQL catalog takes loads from any number of processes at once: they
commit as if run one after the other (``ducklake.py``).
"""

from __future__ import annotations

import time
from collections.abc import Iterable, Mapping
from importlib.resources.abc import Traversable
from pathlib import Path

import duckdb
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.common.project_files import project_file
from qb_assets.io import lake as lake_io
from qb_assets.warehouse import ducklake
from qb_assets.warehouse.backend import WarehouseLike, as_location, open_connection
from qb_assets.warehouse.hold import hold_if_asked

# The repository's sql/, shipped in the wheel as package data (common/project_files.py).
SQL_DIR = project_file("sql")
SCHEMA_FILE = SQL_DIR / "schema.sql"
VIEWS_DIR = SQL_DIR / "views"

# Tables replaced per (season, week) partition: delete the partition's rows, insert the new ones.
PARTITIONED_TABLES = ("games", "plays", "play_scores")
# Players carry no week: a load upserts them by this key (deletes the rows it brings, inserts them).
UPSERT_KEYS = {"players": "nfl_id"}
# Load order inside a partition's transaction: the dimensions, then the facts.
LOADABLE_TABLES = ("games", "players", "plays", "play_scores")
# The lake table that defines which partitions exist to load; the others are optional per partition.
DRIVING_TABLE = "play_scores"
# The materialized aggregates (table, the live view it copies), rebuilt in this order per season.
MATERIALIZED = (
    ("season_aggregates", "league_seasons"),
    ("split_aggregates", "qb_split_stats"),
    ("score_priors", "league_score_priors"),
)
# A play_scores column of the score before the passing/execution/decision redefinition: a warehouse
# holding it cannot take today's play scores (nor can its scores be converted: the lake is rescored).
RETIRED_SCORE_COLUMN = "percentile"
# The per-play numbers of the score: every play_scores frame has them (null where the source lacks one).
SCORE_CONTRACT_COLUMNS = ("passing_percentile", "execution_percentile", "decision_value")
# play_scores.source of rows that carry none (loaded before the column existed).
TRACKING_SOURCE = "tracking"


def connect(warehouse: WarehouseLike, read_only: bool = False) -> duckdb.DuckDBPyConnection:
    """Open the warehouse (a DuckDB file or a DuckLake, ``backend.py``). Read-write opens create it (and
    its schema); read-only opens of one that does not exist fail with FileNotFoundError instead of
    DuckDB's generic error."""
    con = open_connection(warehouse, read_only=read_only)
    if not read_only:
        try:
            create_schema(con)
        except BaseException:
            con.close()
            raise
    return con


def is_ducklake(con: duckdb.DuckDBPyConnection) -> bool:
    """Whether the connection's default database is a DuckLake."""
    sql = "SELECT type FROM duckdb_databases() WHERE database_name = current_database()"
    row = con.execute(sql).fetchone()
    return row is not None and row[0] == "ducklake"


def view_files() -> list[Traversable]:
    """The view definitions, in the order they are created (file name order: dependencies first)."""
    return sorted((f for f in VIEWS_DIR.iterdir() if f.name.endswith(".sql")), key=lambda f: f.name)


def create_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the tables (if absent) and macros, then (re)create every view. Idempotent. A warehouse
    built before the score's redefinition is refused with a ValueError saying how to rebuild it."""
    _refuse_retired_schema(con)
    if is_ducklake(con):
        ducklake.create_schema(con, SCHEMA_FILE.read_text(), [f.read_text() for f in view_files()])
        return
    con.execute(SCHEMA_FILE.read_text())
    for path in view_files():
        con.execute(path.read_text())


def _refuse_retired_schema(con: duckdb.DuckDBPyConnection) -> None:
    columns = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = 'play_scores'"
    ).fetchall()
    if (RETIRED_SCORE_COLUMN,) in columns:
        path = con.execute(
            "SELECT path FROM duckdb_databases() WHERE database_name = current_database()"
        ).fetchone()[0]
        raise ValueError(
            f"{path}: play_scores has the retired column {RETIRED_SCORE_COLUMN!r} (the score before "
            "passing_percentile, execution_percentile and decision_value); delete the warehouse file and "
            "load it again from the rescored lake"
        )


def table_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    # An empty select: far cheaper than information_schema, which is a view over every catalog.
    return [d[0] for d in con.execute(f"SELECT * FROM {table} LIMIT 0").description]


def _conform(
    con: duckdb.DuckDBPyConnection, table: str, frame: pl.DataFrame, season: int, week: int
) -> pl.DataFrame:
    """``frame`` reduced to ``table``'s columns, with the partition keys filled in and checked."""
    if table == "players" and "position" not in frame.columns and "player_position" in frame.columns:
        # The lake's canonical players table (qb_assets/ingest) calls it player_position.
        frame = frame.rename({"player_position": "position"})
    if table in PARTITIONED_TABLES:
        for key, value in (("season", season), ("week", week)):
            if key not in frame.columns:
                frame = frame.with_columns(pl.lit(value, dtype=pl.Int32).alias(key))
            elif frame.height and (frame[key].is_null().any() or (frame[key] != value).any()):
                # Rows of another partition would escape this partition's delete: no longer idempotent.
                raise ValueError(f"{table}: rows outside partition season={season} week={week} ({key})")
    columns = table_columns(con, table)
    absent = [c for c in columns if c not in frame.columns]
    if absent:
        _refuse_missing_required(con, table, absent)
    columns = [c for c in columns if c in frame.columns]
    if table == "players":
        # One row per player: an upsert may not touch the same key twice in one statement.
        frame = frame.unique("nfl_id", keep="last", maintain_order=True)
    return frame.select(columns)


def _refuse_missing_required(con: duckdb.DuckDBPyConnection, table: str, absent: list[str]) -> None:
    """A clear error for a frame without a NOT NULL column (say, play scores written before the
    score's redefinition) instead of DuckDB's constraint error from inside the transaction."""
    required = con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE database_name = current_database() "
        "AND table_name = ? AND NOT is_nullable",
        [table],
    ).fetchall()
    # The score's per-play columns are nullable (a situation-only score has no execution percentile
    # and no decision value) but every play_scores frame must carry them, null or not.
    required += [(c,) for c in SCORE_CONTRACT_COLUMNS if table == "play_scores" and (c,) not in required]
    missing = [c for (c,) in required if c in absent]
    if missing:
        raise ValueError(f"{table}: the frame lacks the required column(s) {', '.join(missing)}")


def refresh_aggregates(con: duckdb.DuckDBPyConnection, seasons: Iterable[int] | None = None) -> None:
    """Rebuild the materialized aggregates (``season_aggregates``, ``split_aggregates`` and the
    measured priors ``score_priors``) of ``seasons`` (default: all) from their live views, in
    ``MATERIALIZED`` order (the priors read the other two). The caller owns the transaction;
    ``load_partition`` calls this inside its own, so the aggregates change atomically with the play
    scores."""
    for table, view in MATERIALIZED:
        if seasons is None:
            con.execute(f"DELETE FROM {table}")
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view}")
            continue
        for season in sorted(set(seasons)):
            con.execute(f"DELETE FROM {table} WHERE season = ?", [season])
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM {view} WHERE season = ?", [season])


def _refuse_mixed_sources(
    con: duckdb.DuckDBPyConnection, season: int, week: int, scores: pl.DataFrame
) -> None:
    """A season holds play scores of one source ('tracking' or 'pbp'): its priors and league constants
    are measured over all of its plays, and tracking and situation-only percentiles are different
    measurements. A partition of another source than the season's other weeks is refused."""
    incoming = (
        set(scores["source"].fill_null(TRACKING_SOURCE).unique()) if "source" in scores.columns else set()
    )
    present = {
        row[0]
        for row in con.execute(
            "SELECT DISTINCT coalesce(source, ?) FROM play_scores WHERE season = ? AND week <> ?",
            [TRACKING_SOURCE, season, week],
        ).fetchall()
    }
    if len(incoming | present) > 1:
        raise ValueError(
            f"season {season} week {week}: play scores from {sorted(incoming)} cannot join the season's "
            f"{sorted(present)} scores: a season holds one source; load the other into another warehouse"
        )


def replace_partition(
    con: duckdb.DuckDBPyConnection,
    season: int,
    week: int,
    tables: Mapping[str, pl.DataFrame],
    progress: Progress | None = None,
) -> dict[str, int]:
    """``load_partition`` on an open read-write connection (one transaction; rolled back on error; run
    again when it lost a commit race to another writer of a DuckLake, which ``progress`` is told)."""
    unknown = sorted(set(tables) - set(LOADABLE_TABLES))
    if unknown:
        raise ValueError(f"unknown warehouse table(s) {unknown}; expected some of {list(LOADABLE_TABLES)}")
    frames = {t: _conform(con, t, tables[t], season, week) for t in LOADABLE_TABLES if t in tables}
    lake = is_ducklake(con)

    def write() -> None:
        if "play_scores" in frames:
            _refuse_mixed_sources(con, season, week, frames["play_scores"])
        for table in frames:
            if table in PARTITIONED_TABLES:
                con.execute(f"DELETE FROM {table} WHERE season = ? AND week = ?", [season, week])
            else:
                key = UPSERT_KEYS[table]
                con.execute(f"DELETE FROM {table} WHERE {key} IN (SELECT {key} FROM _incoming_{table})")
            # BY NAME: the frame's column order is irrelevant and absent columns stay NULL.
            con.execute(f"INSERT INTO {table} BY NAME SELECT * FROM _incoming_{table}")
            if lake:
                ducklake.verify_constraints(con, SCHEMA_FILE.read_text(), table, f"_incoming_{table}")
        if "play_scores" in frames:
            refresh_aggregates(con, [season])
        hold_if_asked(season, week)  # tests only: a reader's view of a load in flight (hold.py)
        if lake:
            ducklake.record_load(con, season, week)

    # Registered outside the transaction: DuckDB refuses even an unregister in an aborted transaction.
    for table, frame in frames.items():
        con.register(f"_incoming_{table}", frame.to_arrow())
    try:
        ducklake.run_transaction(con, write, on_retry=progress)
    finally:
        for table in frames:
            con.unregister(f"_incoming_{table}")
    return {table: frame.height for table, frame in frames.items()}


def load_partition(
    path: WarehouseLike, season: int, week: int, tables: Mapping[str, pl.DataFrame]
) -> dict[str, int]:
    """Replace the (season, week) partition of each table in ``tables`` (keys among ``games``,
    ``plays``, ``play_scores``, ``players``) in ONE transaction: delete the partition's rows, insert
    the frame's, upsert players by nfl_id, rebuild the season's aggregates. Tables not given are left
    alone. Returns the rows loaded per table. Idempotent; on any error nothing changes."""
    con = connect(path)
    try:
        return replace_partition(con, season, week, tables)
    finally:
        con.close()


def load_lake(
    lake: str | Path,
    path: WarehouseLike,
    partitions: Iterable[tuple[int, int]] | None = None,
    progress: Progress | None = None,
) -> dict:
    """Load every partition of the lake's ``play_scores`` (or only ``partitions``) into the warehouse
    at ``path``, with the same partition of ``games``, ``plays`` and ``players`` where the lake has
    it. Each partition is its own transaction: an error stops the load, keeping the partitions before
    it. Returns {"warehouse", "partitions", "rows": {table: rows loaded}, "seconds"}."""
    started = time.perf_counter()
    available = lake_io.list_partitions(lake, DRIVING_TABLE)
    keys = available if partitions is None else sorted(set(partitions))
    missing = sorted(set(keys) - set(available))
    if missing:
        raise FileNotFoundError(f"lake table {DRIVING_TABLE!r} has no partition(s) {missing} under {lake}")
    rows = dict.fromkeys(LOADABLE_TABLES, 0)
    # Listed once: listing globs the whole table folder.
    present = {t: set(lake_io.list_partitions(lake, t)) for t in LOADABLE_TABLES}
    con = connect(path)
    try:
        for index, key in enumerate(keys, 1):
            frames = {
                t: lake_io.scan_table(lake, t, [key]).collect() for t in LOADABLE_TABLES if key in present[t]
            }
            for table, count in replace_partition(con, key[0], key[1], frames, progress).items():
                rows[table] += count
            if progress:
                progress(
                    f"[{index}/{len(keys)}] season {key[0]} week {key[1]}: "
                    f"{frames[DRIVING_TABLE].height} play scores ({time.perf_counter() - started:.1f} s)"
                )
    finally:
        con.close()
    return {
        "warehouse": str(as_location(path)),
        "partitions": [list(k) for k in keys],
        "rows": rows,
        "seconds": round(time.perf_counter() - started, 3),
    }


def table_counts(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Row counts of the loaded tables (for summaries and tests)."""
    return {t: con.execute(f"SELECT count(*) FROM {t}").fetchone()[0] for t in LOADABLE_TABLES}


def partition_integrity(path: WarehouseLike, season: int, week: int) -> dict[str, int]:
    """Key problems in one loaded partition: ``duplicate_rows`` (rows of ``play_scores`` or ``plays``
    beyond one per (game_id, play_id)) and ``scores_without_a_play`` (play scores with no play row)."""
    con = connect(path, read_only=True)
    try:
        duplicates = sum(
            con.execute(
                f"SELECT count(*) - count(DISTINCT (game_id, play_id)) FROM {table} "
                "WHERE season = ? AND week = ?",
                [season, week],
            ).fetchone()[0]
            for table in ("play_scores", "plays")
        )
        orphans = con.execute(
            "SELECT count(*) FROM play_scores s ANTI JOIN plays p USING (game_id, play_id) "
            "WHERE s.season = ? AND s.week = ?",
            [season, week],
        ).fetchone()[0]
    finally:
        con.close()
    return {"duplicate_rows": duplicates, "scores_without_a_play": orphans}


def season_model_versions(path: WarehouseLike, season: int) -> dict[str, int]:
    """The model versions that scored ``season``'s loaded passes, each with its number of play scores, in
    version order (plays without a recorded version are not counted). More than one entry: the season
    mixes models, as ``qb_season_scores.model_versions`` shows per passer."""
    con = connect(path, read_only=True)
    try:
        rows = con.execute(
            "SELECT model_version, count(*) FROM play_scores WHERE season = ? AND model_version IS NOT NULL "
            "GROUP BY model_version ORDER BY model_version",
            [season],
        ).fetchall()
    finally:
        con.close()
    return dict(rows)
