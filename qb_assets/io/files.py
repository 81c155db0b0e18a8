"""Files of a tracking source, whatever the backend: their names, what they hold, and how one is read.

``SourceFile`` names one file (``uri`` is what error messages name); ``read_table_file`` reads one CSV,
CSV.gz or Parquet file (a path or bytes) into a Polars frame, as text when asked so that parsing, and its
errors naming the column and play, happens in one place (``ingest.formats.parse_tracking``).
``csv_header_columns`` and ``csv_last_line_cut`` read a CSV's first and last bytes: its column names
(which tell a tracking file from another table, whatever its name) and whether it was cut mid-line.
"""

from __future__ import annotations

import csv
import io
import re
import zlib
from dataclasses import dataclass, field

import polars as pl

TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet")
# The optional tables of a source, found by their file names (plays.csv, games.parquet, ...).
TABLE_NAMES = ("plays", "games", "players")
# Null markers seen in the Big Data Bowl releases: "NA" in the 2017 tables, empty fields elsewhere.
CSV_NULL_VALUES = ["NA", ""]
# Bytes read from either end of a file for its header and its last line (a tracking line is ~150 bytes).
END_BYTES = 64 * 1024

_TRACKING_NAME = re.compile(r"^(tracking_gameId_\d+|tracking_week_\d+|week\d+)$", re.IGNORECASE)
_WEEK_IN_NAME = re.compile(r"week_?(\d+)", re.IGNORECASE)


class SourceError(Exception):
    """A source that cannot be read: missing folder, unreadable file."""


@dataclass(frozen=True)
class SourceFile:
    """One file of a source. ``uri`` is what error messages name; ``stem`` has no table suffix;
    ``fingerprint`` changes when the file's content may have (size and ETag or modification time, from
    the listing that found it)."""

    uri: str
    name: str
    fingerprint: str = field(default="", compare=False)

    @property
    def stem(self) -> str:
        for suffix in TABLE_SUFFIXES:
            if self.name.lower().endswith(suffix):
                return self.name[: -len(suffix)]
        return self.name

    @property
    def is_parquet(self) -> bool:
        return self.name.lower().endswith(".parquet")

    @property
    def is_gzip(self) -> bool:
        return self.name.lower().endswith(".gz")

    @property
    def is_table(self) -> bool:
        """One of the optional plays/games/players tables (by name)."""
        return self.stem.lower() in TABLE_NAMES

    @property
    def named_like_tracking(self) -> bool:
        """A Big Data Bowl tracking file name (``week14.csv``, ``tracking_week_3.csv``, ...). Files of
        other names are tracking when their columns say so (``ingest.pipeline``)."""
        return bool(_TRACKING_NAME.match(self.stem))

    @property
    def week_from_name(self) -> int | None:
        """Week number written in the file name (``week14.csv``, ``tracking_week_3.csv``), if any."""
        if self.stem.lower().startswith("tracking_gameid"):
            return None
        match = _WEEK_IN_NAME.search(self.stem)
        return int(match.group(1)) if match else None


def read_table_file(
    uri: str | io.BytesIO,
    *,
    is_parquet: bool,
    as_strings: bool,
    columns: list[str] | None = None,
    schema_overrides: dict[str, pl.DataType] | None = None,
    name: str | None = None,
) -> pl.DataFrame:
    """Read one CSV/CSV.gz/Parquet file. ``as_strings`` keeps CSV fields as text (except the columns
    named in ``schema_overrides``) so that parsing, and its errors naming the column and play, happens
    in one place: ``formats.parse_tracking``."""
    try:
        if is_parquet:
            return pl.read_parquet(uri, columns=columns)
        return pl.read_csv(
            uri,
            infer_schema=not as_strings,
            schema_overrides=schema_overrides,
            null_values=CSV_NULL_VALUES,
            low_memory=False,
            columns=columns,
        )
    except (OSError, pl.exceptions.PolarsError) as exc:
        raise SourceError(f"{name or uri}: cannot read file: {exc}".splitlines()[0]) from exc


def _decompressed_head(head: bytes, gzipped: bool) -> bytes | None:
    """A file's first bytes as text bytes: gunzipped as far as they go when ``gzipped`` (None if they
    are not gzip)."""
    if not gzipped:
        return head
    try:
        return zlib.decompressobj(wbits=zlib.MAX_WBITS | 16).decompress(head)
    except zlib.error:
        return None


def csv_head_lines(head: bytes, *, gzipped: bool) -> bytes:
    """The whole lines among a CSV's first bytes ``head`` (compressed when ``gzipped``): the text up to
    its last newline, or all of it when ``head`` is the whole file (shorter than ``END_BYTES``)."""
    text = _decompressed_head(head, gzipped) or b""
    return text if len(head) < END_BYTES else text[: text.rfind(b"\n") + 1]


def csv_header_columns(head: bytes, *, gzipped: bool) -> list[str]:
    """The column names on the first line of a CSV, from its first bytes (compressed when ``gzipped``)."""
    text = _decompressed_head(head, gzipped)
    if text is None:
        return []
    first_line = text.split(b"\n", 1)[0].decode("utf-8", errors="replace").removeprefix("\ufeff")
    return next(csv.reader([first_line.rstrip("\r")]), [])


def csv_last_line_cut(head: bytes, tail: bytes) -> bool:
    """Whether a plain CSV (``head`` and ``tail``: its first and last bytes) ends in the middle of a line:
    no final newline and fewer fields on the last line than the header names. (A last line with every
    field but no newline cannot be told from a writer that omits the final newline, and passes.)"""
    if not tail or tail.endswith(b"\n") or b"\n" not in tail:
        return False
    last_line = tail.rsplit(b"\n", 1)[1].decode("utf-8", errors="replace").rstrip("\r")
    fields = next(csv.reader([last_line]), [])
    return len(fields) < len(csv_header_columns(head, gzipped=False))
