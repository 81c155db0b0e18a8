"""Big Data Bowl vintages -> one canonical schema.

Layouts (docs/data.md section 1):

=========  =======================================  ============================================
layout     tracking files                           what sets it apart
=========  =======================================  ============================================
bdb2019    ``tracking_gameId_*.csv``                ``frame.id``; team home/away/ball; no a/o/playDirection
bdb2021    ``week*.csv``                            ``position`` in tracking; team home/away/football
bdb2023    ``week*.csv`` / ``tracking_week_*.csv``  ``team`` or ``club`` holds the club abbreviation
bdb2024    ``tracking_week_*.csv``                  as 2023 plus ``displayName``
bdb2025    ``tracking_week_*.csv``                  ``frameType`` (BEFORE_SNAP/SNAP/AFTER_SNAP)
=========  =======================================  ============================================

Tracking is read as text and parsed here, so that a bad value becomes a quarantine row naming the
file, play and column instead of a reader exception that loses the whole file.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

import polars as pl


class LayoutError(Exception):
    """A tracking file matches no known layout (or not the one forced). The CLI exits 2 on it."""


@dataclass(frozen=True)
class Layout:
    name: str
    required: frozenset[str]
    frame_column: str
    # Columns of which at least one must exist, e.g. the team column is `team` or `club`.
    one_of: tuple[tuple[str, ...], ...] = (("team", "club"),)
    # Columns that must be absent for auto-detection to pick this layout.
    absent: frozenset[str] = frozenset()


_COMMON = {"gameId", "playId", "nflId", "time", "x", "y", "s", "dis", "dir", "event", "jerseyNumber"}
LAYOUTS: dict[str, Layout] = {
    layout.name: layout
    for layout in (
        # Order matters for detection: most specific first.
        Layout(
            "bdb2025", frozenset(_COMMON | {"frameId", "a", "o", "playDirection", "frameType"}), "frameId"
        ),
        Layout("bdb2019", frozenset(_COMMON | {"frame.id", "displayName"}), "frame.id", (("team",),)),
        Layout(
            "bdb2021",
            frozenset(_COMMON | {"frameId", "a", "o", "playDirection", "position", "displayName"}),
            "frameId",
            (("team",),),
        ),
        Layout(
            "bdb2024",
            frozenset(_COMMON | {"frameId", "a", "o", "playDirection", "displayName"}),
            "frameId",
            absent=frozenset({"position", "frameType"}),
        ),
        Layout(
            "bdb2023",
            frozenset(_COMMON | {"frameId", "a", "o", "playDirection"}),
            "frameId",
            absent=frozenset({"position", "frameType", "displayName"}),
        ),
    )
}
LAYOUT_CHOICES = ("auto", *LAYOUTS)

# Canonical column -> the raw column it comes from (first that exists wins).
_TRACKING_COLUMNS: dict[str, tuple[str, ...]] = {
    "game_id": ("gameId",),
    "play_id": ("playId",),
    "nfl_id": ("nflId",),
    "frame_id": ("frameId", "frame.id"),
    "time": ("time",),
    "club": ("club", "team"),
    "position": ("position",),
    "display_name": ("displayName",),
    "jersey_number": ("jerseyNumber",),
    "play_direction": ("playDirection",),
    "x": ("x",),
    "y": ("y",),
    "s": ("s",),
    "a": ("a",),
    "dis": ("dis",),
    "o": ("o",),
    "dir": ("dir",),
    "event": ("event",),
}
_NUMERIC_TYPES: dict[str, pl.DataType] = {
    "game_id": pl.Int64(),
    "play_id": pl.Int64(),
    "nfl_id": pl.Int64(),
    "frame_id": pl.Int32(),
    "jersey_number": pl.Int32(),
    "x": pl.Float64(),
    "y": pl.Float64(),
    "s": pl.Float64(),
    "a": pl.Float64(),
    "dis": pl.Float64(),
    "o": pl.Float64(),
    "dir": pl.Float64(),
}
# The fast path reads these raw columns as numbers; a file where one fails to parse is re-read as text
# so that each bad value is pinned to its line and column (see partition._read_tracking).
NUMERIC_READ_TYPES: dict[str, pl.DataType] = {
    raw: pl.Float64()
    for canonical, candidates in _TRACKING_COLUMNS.items()
    if canonical in _NUMERIC_TYPES
    for raw in candidates
}
# Values that name the football in the team column, per vintage.
FOOTBALL_TEAM_VALUES = ("football", "ball")
# Events that mean "no event" in some vintages (BDB 2021 writes the string "None").
NO_EVENT_VALUES = ("None", "none", "")


def _has(columns: set[str], layout: Layout) -> bool:
    return (
        layout.required <= columns
        and all(any(c in columns for c in group) for group in layout.one_of)
        and not (layout.absent & columns)
    )


def _missing(columns: set[str], layout: Layout) -> list[str]:
    missing = sorted(layout.required - columns)
    missing += [" or ".join(group) for group in layout.one_of if not any(c in columns for c in group)]
    return missing


def detect_layout(columns: Iterable[str], file_uri: str, forced: str = "auto") -> Layout:
    """The layout of a tracking file from its columns; ``forced`` (a layout name) skips detection
    but still checks that the file has that layout's columns."""
    present = set(columns)
    if forced != "auto":
        if forced not in LAYOUTS:
            raise LayoutError(f"unknown layout {forced!r}; choose one of {', '.join(LAYOUT_CHOICES)}")
        layout = LAYOUTS[forced]
        missing = _missing(present, layout)
        if missing:
            raise LayoutError(
                f"{file_uri}: not a {forced} tracking file, missing columns: {', '.join(missing)}"
            )
        return layout
    for layout in LAYOUTS.values():
        if _has(present, layout):
            return layout
    closest = min(LAYOUTS.values(), key=lambda lay: len(_missing(present, lay)))
    raise LayoutError(
        f"{file_uri}: unknown tracking layout; closest is {closest.name}, "
        f"missing columns: {', '.join(_missing(present, closest))}"
    )


def parse_tracking(raw: pl.DataFrame, source_file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Map a raw tracking frame of any layout (text or typed columns) to canonical names and types.

    Returns ``(parsed, parse_errors)``. ``parsed`` has the canonical raw columns plus ``source_file``
    and ``source_row`` (the line in the file, header = line 1). ``parse_errors`` has one row per
    (row, column) whose value did not parse: game_id, play_id (null when the id itself is bad),
    column, value, source_row.
    """
    # Line numbers as an editor shows them: the header is line 1, the first data row line 2.
    raw = raw.with_row_index("source_row", offset=2)
    exprs: list[pl.Expr] = [pl.col("source_row").cast(pl.Int64)]
    checks: list[pl.Expr] = []
    for canonical, candidates in _TRACKING_COLUMNS.items():
        source = next((c for c in candidates if c in raw.columns), None)
        target = _NUMERIC_TYPES.get(canonical, pl.String())
        if source is None:
            exprs.append(pl.lit(None, dtype=target).alias(canonical))
            continue
        raw_text = pl.col(source).cast(pl.String)
        text = raw_text.str.strip_chars()
        if canonical in _NUMERIC_TYPES and raw.schema[source].is_numeric():
            # Read as numbers already: nothing can have failed to parse.
            value = pl.col(source).cast(pl.Float64)
            if target.is_integer():
                value = (
                    pl.when(value == value.round(0)).then(value).otherwise(None).cast(target, strict=False)
                )
            exprs.append(value.alias(canonical))
        elif canonical in _NUMERIC_TYPES:
            # Integers written as floats ("2539237.0") still parse; anything else fails loudly.
            value = text.cast(pl.Float64, strict=False)
            if target.is_integer():
                whole = value.is_not_nan() & (value == value.round(0))
                value = pl.when(whole).then(value).otherwise(None).cast(target, strict=False)
            exprs.append(value.alias(canonical))
            checks.append(
                pl.when(text.is_not_null() & (text != "") & value.is_null())
                .then(pl.struct(column=pl.lit(source), value=text))
                .alias(f"__err_{canonical}")
            )
        elif canonical == "time":
            exprs.append(_parse_time(raw_text, _time_format(raw[source])).alias("time"))
        elif canonical == "event":
            exprs.append(
                pl.when(raw_text.is_in(NO_EVENT_VALUES)).then(None).otherwise(raw_text).alias("event")
            )
        else:
            exprs.append(pl.when(raw_text == "").then(None).otherwise(raw_text).alias(canonical))
    parsed = raw.select(*exprs, *checks)
    err_cols = [c for c in parsed.columns if c.startswith("__err_")]
    error_schema = {
        "game_id": pl.Int64,
        "play_id": pl.Int64,
        "source_row": pl.Int64,
        "column": pl.String,
        "value": pl.String,
    }
    errors = (
        parsed.select("game_id", "play_id", "source_row", pl.concat_list(err_cols).alias("err"))
        .explode("err")
        .drop_nulls("err")
        .unnest("err")
        if err_cols
        else pl.DataFrame(schema=error_schema)
    ).with_columns(pl.lit(source_file).alias("source_file"))
    parsed = parsed.drop(err_cols).with_columns(pl.lit(source_file).alias("source_file"))
    return parsed, errors


def _time_format(values: pl.Series) -> str:
    """The strptime format of a file's timestamps, from its first value: ISO with 'T' (BDB 2019/2021,
    '2018-12-07T01:23:42.598Z') or with a space (BDB 2023+, '2021-09-10 00:26:31.100')."""
    first = values.drop_nulls().head(1).cast(pl.String).to_list()
    separator = " " if first and " " in first[0] else "T"
    return f"%Y-%m-%d{separator}%H:%M:%S%.f"


def _parse_time(text: pl.Expr, time_format: str) -> pl.Expr:
    """Parse timestamps as UTC; a trailing 'Z' is optional, unparseable times become null (frames,
    not times, drive all timing)."""
    return (
        text.str.strip_suffix("Z")
        .str.strptime(pl.Datetime("us"), time_format, strict=False)
        .dt.replace_time_zone("UTC")
    )


# --- plays / games / players tables -------------------------------------------------------------------

# canonical -> raw candidates across vintages (first present wins).
_PLAYS_COLUMNS: dict[str, tuple[str, ...]] = {
    "game_id": ("gameId",),
    "play_id": ("playId",),
    "quarter": ("quarter",),
    "game_clock": ("gameClock", "GameClock"),
    "down": ("down",),
    "yards_to_go": ("yardsToGo",),
    "possession_team": ("possessionTeam",),
    "defensive_team": ("defensiveTeam",),
    "yardline_side": ("yardlineSide",),
    "yardline_number": ("yardlineNumber",),
    "home_score": ("preSnapHomeScore", "HomeScoreBeforePlay"),
    "visitor_score": ("preSnapVisitorScore", "VisitorScoreBeforePlay"),
    "pass_result_official": ("passResult", "PassResult"),
    # Official yards, newest vintage first (docs/data.md 1.7: some include penalties).
    "yards_official": (
        "yardsGained",
        "prePenaltyYardsGained",
        "prePenaltyPlayResult",
        "offensePlayResult",
        "PlayResult",
    ),
    "air_yards_official": ("passLength", "PassLength"),
}
_PLAYS_TYPES: dict[str, pl.DataType] = {
    "game_id": pl.Int64(),
    "play_id": pl.Int64(),
    "quarter": pl.Int32(),
    "down": pl.Int32(),
    "yards_to_go": pl.Int32(),
    "yardline_number": pl.Int32(),
    "home_score": pl.Int32(),
    "visitor_score": pl.Int32(),
    "yards_official": pl.Float64(),
    "air_yards_official": pl.Float64(),
}
_GAMES_COLUMNS: dict[str, tuple[str, ...]] = {
    "game_id": ("gameId",),
    "season": ("season",),
    "week": ("week",),
    "home_team": ("homeTeamAbbr",),
    "visitor_team": ("visitorTeamAbbr",),
}
_GAMES_TYPES: dict[str, pl.DataType] = {"game_id": pl.Int64(), "season": pl.Int32(), "week": pl.Int32()}
_PLAYERS_COLUMNS: dict[str, tuple[str, ...]] = {
    "nfl_id": ("nflId",),
    "display_name": ("displayName",),
    "player_position": ("position", "officialPosition", "PositionAbbr"),
    "first_name": ("FirstName",),
    "last_name": ("LastName",),
}


def _select_aliases(
    frame: pl.DataFrame, columns: dict[str, tuple[str, ...]], types: dict[str, pl.DataType]
) -> pl.DataFrame:
    exprs = []
    for canonical, candidates in columns.items():
        source = next((c for c in candidates if c in frame.columns), None)
        dtype = types.get(canonical, pl.String())
        if source is None:
            exprs.append(pl.lit(None, dtype=dtype).alias(canonical))
        elif dtype.is_integer():
            exprs.append(
                pl.col(source).cast(pl.Float64, strict=False).cast(dtype, strict=False).alias(canonical)
            )
        else:
            exprs.append(pl.col(source).cast(dtype, strict=False).alias(canonical))
    return frame.select(exprs)


def normalize_plays_table(frame: pl.DataFrame) -> pl.DataFrame:
    """Any vintage's plays table -> canonical situation and official-result columns."""
    plays = _select_aliases(frame, _PLAYS_COLUMNS, _PLAYS_TYPES)
    # Clocks are "MM:SS" (2021+) or "MM:SS:00" (2019): minutes and seconds are the first two fields.
    parts = pl.col("game_clock").str.split(":")
    clock_s = parts.list.get(0, null_on_oob=True).cast(pl.Int32, strict=False) * 60 + parts.list.get(
        1, null_on_oob=True
    ).cast(pl.Int32, strict=False)
    return plays.with_columns(clock_s.alias("game_clock_s")).drop("game_clock").unique(["game_id", "play_id"])


def normalize_games_table(frame: pl.DataFrame) -> pl.DataFrame:
    return _select_aliases(frame, _GAMES_COLUMNS, _GAMES_TYPES).unique("game_id")


def normalize_players_table(frame: pl.DataFrame) -> pl.DataFrame:
    players = _select_aliases(frame, _PLAYERS_COLUMNS, {"nfl_id": pl.Int64()})
    name = pl.coalesce("display_name", pl.concat_str("first_name", "last_name", separator=" "))
    return players.with_columns(name.alias("display_name")).drop("first_name", "last_name").unique("nfl_id")


# --- season and week -----------------------------------------------------------------------------------

_GAME_ID = re.compile(r"^(\d{4})(\d{2})(\d{2})\d{2}$")


def season_from_game_id(game_id: pl.Expr) -> pl.Expr:
    """gameId is YYYYMMDDNN; January/February games belong to the previous season."""
    year = (game_id // 1_000_000).cast(pl.Int32)
    month = ((game_id // 10_000) % 100).cast(pl.Int32)
    return pl.when(month <= 2).then(year - 1).otherwise(year).cast(pl.Int32)


def week_from_game_date(game_id: pl.Expr) -> pl.Expr:
    """Regular-season week from the game date: weeks run Tuesday to Monday, and week 1 starts the
    Tuesday after Labor Day (the first Monday of September). Used only when neither a games table nor
    the file name gives the week."""
    season = season_from_game_id(game_id)
    date = pl.date(
        (game_id // 1_000_000).cast(pl.Int32),
        ((game_id // 10_000) % 100).cast(pl.Int8),
        ((game_id // 100) % 100).cast(pl.Int8),
    )
    september_first = pl.date(season, 9, 1)
    # Monday is weekday 1 in Polars; days until the first Monday of September.
    to_monday = (8 - september_first.dt.weekday()) % 7
    week_one_tuesday = september_first + pl.duration(days=to_monday + 1)
    return ((date - week_one_tuesday).dt.total_days() // 7 + 1).cast(pl.Int32)


def is_football(club: pl.Expr) -> pl.Expr:
    return club.str.to_lowercase().is_in(FOOTBALL_TEAM_VALUES)
