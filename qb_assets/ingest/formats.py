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


# A file holds tracking when it has positions or frame numbers, whatever its name; its layout is then
# detected (or it is refused naming the closest layout's missing columns).
_FRAME_COLUMNS = frozenset(layout.frame_column for layout in LAYOUTS.values())


def looks_like_tracking(columns: Iterable[str]) -> bool:
    """Whether a file's columns are meant as tracking: x and y, or a frame number column."""
    present = set(columns)
    return {"x", "y"} <= present or bool(present & _FRAME_COLUMNS)


def closest_layout(columns: Iterable[str]) -> tuple[Layout, list[str]]:
    """The layout the columns miss the fewest columns of, and those columns."""
    present = set(columns)
    closest = min(LAYOUTS.values(), key=lambda lay: len(_missing(present, lay)))
    return closest, _missing(present, closest)


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
    closest, missing = closest_layout(present)
    raise LayoutError(
        f"{file_uri}: unknown tracking layout; closest is {closest.name}, "
        f"missing columns: {', '.join(missing)}"
    )


def parse_tracking(raw: pl.DataFrame, source_file: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """Map a raw tracking frame of any layout (text or typed columns) to canonical names and types.

    Returns ``(parsed, parse_errors)``. ``parsed`` has the canonical raw columns plus ``source_file``
    and ``source_row`` (the line in the file, header = line 1). ``parse_errors`` has one row per
    (row, column) whose value did not parse: game_id, play_id (null when the id itself is bad),
    source_row, column, value, expected, source_file.
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
        if canonical in _NUMERIC_TYPES:
            # Whether read as numbers (the fast path) or as text, a value that is not one (an id or
            # frame of 12.5, NaN, "12,5yd") becomes an error naming its line, never a silent null.
            value, bad = parse_number(source, raw.schema[source], target)
            exprs.append(value.alias(canonical))
            if bad is not None:
                checks.append(value_error(source, bad, target))
        elif canonical == "time":
            exprs.append(_parse_time(raw_text, _time_format(raw[source])).alias("time"))
        elif canonical == "event":
            exprs.append(
                pl.when(raw_text.is_in(NO_EVENT_VALUES)).then(None).otherwise(raw_text).alias("event")
            )
        else:
            exprs.append(pl.when(raw_text == "").then(None).otherwise(raw_text).alias(canonical))
    parsed, errors = split_value_errors(raw.select(*exprs, *checks), ["game_id", "play_id", "source_row"])
    file_column = pl.lit(source_file).alias("source_file")
    return parsed.with_columns(file_column), errors.with_columns(file_column)


def parse_number(column: str, raw_dtype: pl.DataType, target: pl.DataType) -> tuple[pl.Expr, pl.Expr | None]:
    """``column`` parsed as ``target``, and the mask of the values that do not parse (None where
    nothing can fail: numbers read as numbers into a float).

    Text is stripped and read as a float; an integer target takes whole numbers only, so "2539237.0"
    parses while "12.5", "NaN", "inf" or "12,5yd" do not. Empty text and nulls are missing values,
    not errors."""
    if raw_dtype.is_integer():
        value = pl.col(column).cast(target, strict=False)
        return value, pl.col(column).is_not_null() & value.is_null()
    if raw_dtype.is_numeric():
        present = pl.col(column).is_not_null()
        number = pl.col(column).cast(pl.Float64)
    else:
        text = pl.col(column).cast(pl.String).str.strip_chars()
        present = text.is_not_null() & (text != "")
        number = text.cast(pl.Float64, strict=False)
    if target.is_integer():
        whole = number.is_not_nan() & (number == number.round(0))
        value = pl.when(whole).then(number).otherwise(None).cast(target, strict=False)
    elif raw_dtype.is_numeric():
        return number.cast(target), None
    else:
        value = number.cast(target)
    return value, present & value.is_null()


def value_error(column: str, bad: pl.Expr, target: pl.DataType | str) -> pl.Expr:
    """An error column for ``split_value_errors``: where ``bad``, the raw column's name, its value as
    written and what it should have been (a type, or a description such as "a clock MM:SS")."""
    number = "a whole number" if not isinstance(target, str) and target.is_integer() else "a number"
    expected = target if isinstance(target, str) else number
    return (
        pl.when(bad)
        .then(
            pl.struct(
                column=pl.lit(column),
                value=pl.col(column).cast(pl.String).str.strip_chars(),
                expected=pl.lit(expected),
            )
        )
        .alias(f"__err_{column}")
    )


def split_value_errors(parsed: pl.DataFrame, keep: list[str]) -> tuple[pl.DataFrame, pl.DataFrame]:
    """``parsed`` without its ``value_error`` columns, and one row per bad value: the ``keep`` columns
    plus column, value and expected."""
    err_cols = [c for c in parsed.columns if c.startswith("__err_")]
    schema = {c: parsed.schema[c] for c in keep} | dict.fromkeys(["column", "value", "expected"], pl.String)
    if not err_cols:
        return parsed, pl.DataFrame(schema=schema)
    errors = (
        parsed.filter(pl.any_horizontal(pl.col(err_cols).is_not_null()))
        .select(*keep, pl.concat_list(err_cols).alias("err"))
        .explode("err")
        .drop_nulls("err")
        .unnest("err")
    )
    return parsed.drop(err_cols), errors.cast(schema)


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


def is_football(club: pl.Expr) -> pl.Expr:
    return club.str.to_lowercase().is_in(FOOTBALL_TEAM_VALUES)
