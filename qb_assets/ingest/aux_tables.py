"""The source's optional plays, games and players tables: any vintage's columns -> canonical ones,
parsed as strictly as the tracking (docs/data.md 1.7).

Nothing is coerced silently. The tables are read as text, so each bad value is pinned to its line:

* a value that does not parse in ``plays`` quarantines its play (``unparseable_value``: file, line,
  column and value); one that cannot be tied to a play is a ``SourceError`` naming the file, line,
  column and value: a bad or missing ``gameId``/``playId`` in ``plays``, and any bad value in ``games``
  or ``players``, whose rows are whole games (the week decides the partition) and players;
* identical duplicate rows are dropped; rows sharing a key with different content quarantine their
  play (``conflicting_table_rows``, naming every line) and leave the table, since no rule could say
  which is right; in ``games`` and ``players`` they are a ``SourceError``.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import polars as pl

from qb_assets.ingest import formats
from qb_assets.ingest import quarantine as rules
from qb_assets.ingest.events import PLAY_KEY
from qb_assets.ingest.season_calendar import POSTSEASON, REGULAR_SEASON
from qb_assets.io.files import SourceError, SourceFile
from qb_assets.io.sources import TrackingSource

# canonical -> raw candidates across vintages (first present wins).
_PLAYS_COLUMNS: dict[str, tuple[str, ...]] = {
    "game_id": ("gameId",),
    "play_id": ("playId",),
    "quarter": ("quarter",),
    "game_clock_s": ("gameClock", "GameClock"),
    "down": ("down",),
    "yards_to_go": ("yardsToGo",),
    "possession_team": ("possessionTeam",),
    "defensive_team": ("defensiveTeam",),
    "yardline_side": ("yardlineSide",),
    "yardline_number": ("yardlineNumber",),
    "home_score": ("preSnapHomeScore", "HomeScoreBeforePlay"),
    "visitor_score": ("preSnapVisitorScore", "VisitorScoreBeforePlay"),
    "pass_result_official": ("passResult", "PassResult"),
    # The label counts yards before penalties (docs/data.md 1.7), so the pre-penalty columns come
    # first; yardsGained (BDB 2025) and PlayResult (BDB 2019) include penalty yards and are used only
    # on plays the table marks as without penalty (YARDS_WITH_PENALTIES).
    "yards_official": (
        "prePenaltyYardsGained",
        "prePenaltyPlayResult",
        "offensePlayResult",
        "yardsGained",
        "PlayResult",
    ),
    "is_penalty": ("isPenalty",),
    "air_yards_official": ("passLength", "PassLength"),
    # Expected points added, where the release publishes it (BDB 2021 epa, BDB 2025 expectedPointsAdded).
    "epa": ("epa", "expectedPointsAdded"),
}
YARDS_WITH_PENALTIES = ("yardsGained", "PlayResult")
_PLAYS_TYPES: dict[str, pl.DataType] = {
    "game_id": pl.Int64(),
    "play_id": pl.Int64(),
    "quarter": pl.Int32(),
    "game_clock_s": pl.Int32(),
    "down": pl.Int32(),
    "yards_to_go": pl.Int32(),
    "yardline_number": pl.Int32(),
    "home_score": pl.Int32(),
    "visitor_score": pl.Int32(),
    "yards_official": pl.Float64(),
    "is_penalty": pl.Boolean(),
    "air_yards_official": pl.Float64(),
    "epa": pl.Float64(),
}
_GAMES_COLUMNS: dict[str, tuple[str, ...]] = {
    "game_id": ("gameId",),
    "season": ("season",),
    "week": ("week",),
    "home_team": ("homeTeamAbbr",),
    "visitor_team": ("visitorTeamAbbr",),
    # REG/POST (nflfastR's season_type), or nflverse's game_type (REG, WC, DIV, CON, SB).
    "season_type": ("seasonType", "season_type", "gameType", "game_type"),
}
_GAMES_TYPES: dict[str, pl.DataType] = {"game_id": pl.Int64(), "season": pl.Int32(), "week": pl.Int32()}
_PLAYERS_COLUMNS: dict[str, tuple[str, ...]] = {
    "nfl_id": ("nflId",),
    "display_name": ("displayName",),
    "player_position": ("position", "officialPosition", "PositionAbbr"),
    "first_name": ("FirstName",),
    "last_name": ("LastName",),
}
_PLAYERS_TYPES: dict[str, pl.DataType] = {"nfl_id": pl.Int64()}
# Clocks are "MM:SS" (2021+) or "MM:SS:00" (2019): minutes and seconds are the first two fields.
_CLOCK = r"^(\d{1,2}):(\d{2})(?::\d{2})?$"
_FLAGS = {"true": True, "false": False, "1": True, "0": False}
# nflverse's game types name the postseason round.
_SEASON_TYPES = {"REG": REGULAR_SEASON, "POST": POSTSEASON, "WC": POSTSEASON, "DIV": POSTSEASON}
_SEASON_TYPES |= {"CON": POSTSEASON, "SB": POSTSEASON}


@dataclass(frozen=True)
class ParsedTable:
    """One table after parsing: canonical ``frame`` (with ``source_row``), ``errors`` (one row per bad
    value: source_row, the key columns, column, value, expected), ``conflicts`` (rows sharing a key with
    different content, left out of ``frame``) and ``sources`` (canonical -> raw column read);
    identical duplicate rows are dropped."""

    file: SourceFile
    frame: pl.DataFrame
    errors: pl.DataFrame
    conflicts: pl.DataFrame
    sources: dict[str, str]


def _parse_clock(column: str) -> tuple[pl.Expr, pl.Expr]:
    text = pl.col(column).cast(pl.String).str.strip_chars()
    parts = text.str.extract_groups(_CLOCK)
    seconds = parts.struct["1"].cast(pl.Int32) * 60 + parts.struct["2"].cast(pl.Int32)
    return seconds, text.is_not_null() & (text != "") & seconds.is_null()


def _parse_flag(column: str) -> tuple[pl.Expr, pl.Expr]:
    text = pl.col(column).cast(pl.String).str.strip_chars().str.to_lowercase()
    value = text.replace_strict(_FLAGS, default=None, return_dtype=pl.Boolean)
    return value, text.is_not_null() & (text != "") & value.is_null()


def _parse_season_type(column: str) -> tuple[pl.Expr, pl.Expr]:
    text = pl.col(column).cast(pl.String).str.strip_chars().str.to_uppercase()
    value = text.replace_strict(_SEASON_TYPES, default=None, return_dtype=pl.String)
    return value, text.is_not_null() & (text != "") & value.is_null()


def _column_parser(
    canonical: str, source: str, raw: pl.DataFrame, dtype: pl.DataType
) -> tuple[pl.Expr, pl.Expr | None, pl.DataType | str]:
    """(value, mask of values that do not parse or None, what a good value is) of one column."""
    if canonical == "game_clock_s":
        return (*_parse_clock(source), "a clock MM:SS")
    if canonical == "season_type":
        return (*_parse_season_type(source), f"one of {', '.join(_SEASON_TYPES)}")
    if dtype == pl.Boolean():
        return (*_parse_flag(source), "TRUE or FALSE")
    if dtype.is_numeric():
        return (*formats.parse_number(source, raw.schema[source], dtype), dtype)
    text = pl.col(source).cast(pl.String)
    return pl.when(text != "").then(text), None, dtype


def parse_table(
    raw: pl.DataFrame,
    file: SourceFile,
    columns: dict[str, tuple[str, ...]],
    types: dict[str, pl.DataType],
    key: list[str],
) -> ParsedTable:
    """Parse ``raw`` (read as text, or typed from Parquet) into the canonical ``columns`` (absent
    ones null), keyed by ``key``."""
    content = list(raw.columns)
    raw = raw.with_row_index("source_row", offset=2).unique(content, keep="first", maintain_order=True)
    exprs: list[pl.Expr] = [pl.col("source_row").cast(pl.Int64)]
    checks: list[pl.Expr] = []
    sources: dict[str, str] = {}
    for canonical, candidates in columns.items():
        source = next((c for c in candidates if c in raw.columns), None)
        dtype = types.get(canonical, pl.String())
        if source is None and canonical in key:
            raise SourceError(f"{file.uri}: no {' or '.join(candidates)} column")
        if source is None:
            exprs.append(pl.lit(None, dtype=dtype).alias(canonical))
            continue
        sources[canonical] = source
        value, bad, expected = _column_parser(canonical, source, raw, dtype)
        exprs.append(value.alias(canonical))
        if bad is not None:
            checks.append(formats.value_error(source, bad, expected))
    frame, errors = formats.split_value_errors(raw.select(*exprs, *checks), ["source_row", *key])
    keyed = frame.filter(pl.all_horizontal(pl.col(key).is_not_null()))
    conflicts = keyed.filter(pl.struct(key).is_duplicated())
    return ParsedTable(file, frame.join(conflicts, on=key, how="anti"), errors, conflicts, sources)


def _refuse(table: ParsedTable, key: list[str], whole_rows: bool) -> None:
    """A SourceError for the first problem that cannot be tied to a play: a bad or missing key and,
    when ``whole_rows`` (every value describes a whole game or player), any bad value or conflict."""
    key_columns = [table.sources[k] for k in key]
    bad = table.errors if whole_rows else table.errors.filter(pl.col("column").is_in(key_columns))
    if bad.height:
        row = bad.sort("source_row").row(0, named=True)
        raise SourceError(
            f"{table.file.uri} line {row['source_row']}: column {row['column']} value "
            f"'{row['value']}' is not {row['expected']}"
        )
    missing = table.frame.filter(pl.any_horizontal(pl.col(key).is_null()))
    if missing.height:
        row = missing.sort("source_row").row(0, named=True)
        empty = next(column for k, column in zip(key, key_columns, strict=True) if row[k] is None)
        raise SourceError(f"{table.file.uri} line {row['source_row']}: column {empty} is empty")
    if whole_rows and table.conflicts.height:
        first = table.conflicts.filter(pl.struct(key) == pl.struct(key).first()).sort("source_row")
        lines = ", ".join(str(line) for line in first["source_row"])
        which = ", ".join(f"{column} {first[k][0]}" for k, column in zip(key, key_columns, strict=True))
        raise SourceError(f"{table.file.uri} lines {lines}: different rows for {which}")


def plays_table_issues(table: ParsedTable) -> pl.DataFrame:
    """Quarantine issues (game_id, play_id, reason, detail) from the plays table itself: its bad values
    and its conflicting rows."""
    uri = pl.lit(table.file.uri)
    conflicts = table.conflicts.group_by(PLAY_KEY).agg(
        pl.col("source_row").sort().cast(pl.String).str.join(", ").alias("lines"), pl.len().alias("rows")
    )
    return pl.concat(
        [
            rules.parse_issues(table.errors.with_columns(uri.alias("source_file"))),
            rules.play_issues(
                conflicts,
                "conflicting_table_rows",
                pl.format("{} lines {}: {} different rows for this play", uri, "lines", "rows"),
            ),
        ]
    )


def _pre_penalty_yards(table: ParsedTable) -> pl.DataFrame:
    """The plays frame with ``yards_official`` dropped on penalty plays when its column includes
    penalty yards (docs/data.md 1.7): the tracking then measures the label."""
    if table.sources.get("yards_official") not in YARDS_WITH_PENALTIES:
        return table.frame
    penalty = pl.col("is_penalty").fill_null(False)
    return table.frame.with_columns(pl.when(~penalty).then(pl.col("yards_official")).alias("yards_official"))


@dataclass
class AuxTables:
    """The optional plays/games/players tables of a source, canonicalized (None when absent), and the
    plays the plays table itself quarantines (``play_issues``: game_id, play_id, reason, detail)."""

    plays: pl.DataFrame | None = None
    games: pl.DataFrame | None = None
    players: pl.DataFrame | None = None
    play_issues: pl.DataFrame = field(
        default_factory=lambda: pl.DataFrame(
            schema={"game_id": pl.Int64, "play_id": pl.Int64, "reason": pl.String, "detail": pl.String}
        )
    )

    @classmethod
    def load(cls, source: TrackingSource, files: list[SourceFile]) -> AuxTables:
        """Read and parse the source's ``plays``, ``games`` and ``players`` tables that exist; raises
        SourceError on a problem that cannot be tied to a play (see the module docstring)."""
        by_stem = {f.stem.lower(): f for f in files}
        tables: dict = {}
        for name, columns, types, key in (
            ("plays", _PLAYS_COLUMNS, _PLAYS_TYPES, PLAY_KEY),
            ("games", _GAMES_COLUMNS, _GAMES_TYPES, ["game_id"]),
            ("players", _PLAYERS_COLUMNS, _PLAYERS_TYPES, ["nfl_id"]),
        ):
            file = by_stem.get(name)
            if file is None:
                continue
            table = parse_table(source.read_frame(file, as_strings=True), file, columns, types, key)
            _refuse(table, key, whole_rows=name != "plays")
            tables[name] = (_pre_penalty_yards(table) if name == "plays" else table.frame).drop("source_row")
            if name == "plays":
                tables["play_issues"] = plays_table_issues(table)
        if "players" in tables:
            display = pl.coalesce("display_name", pl.concat_str("first_name", "last_name", separator=" "))
            tables["players"] = tables["players"].with_columns(display.alias("display_name"))
            tables["players"] = tables["players"].drop("first_name", "last_name")
        return cls(**tables)
