"""Files of a tracking source, whatever the backend: their names, what they hold, and how one is read.

``SourceFile`` names one file (``uri`` is what error messages name); ``read_table_file`` reads one CSV,
CSV.gz or Parquet file (a path or bytes) into a Polars frame, as text when asked so that parsing, and its
errors naming the column and play, happens in one place (``ingest.formats.parse_tracking``).
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass

import polars as pl

TABLE_SUFFIXES = (".csv", ".csv.gz", ".parquet")
# Null markers seen in the Big Data Bowl releases: "NA" in the 2017 tables, empty fields elsewhere.
CSV_NULL_VALUES = ["NA", ""]

_TRACKING_NAME = re.compile(r"^(tracking_gameId_\d+|tracking_week_\d+|week\d+)$", re.IGNORECASE)
_WEEK_IN_NAME = re.compile(r"week_?(\d+)", re.IGNORECASE)


class SourceError(Exception):
    """A source that cannot be read: missing folder, unreadable file."""


@dataclass(frozen=True)
class SourceFile:
    """One file of a source. ``uri`` is what error messages name; ``stem`` has no table suffix."""

    uri: str
    name: str

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
    def is_tracking(self) -> bool:
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
