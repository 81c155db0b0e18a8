"""Where tracking files come from: a local folder today, an ``s3://`` prefix through the same interface.

A source lists its files and reads one into a Polars frame. Everything downstream works on
``SourceFile`` objects and never touches paths itself, so a new backend only has to implement
``list_files`` and ``read_frame``.
"""

from __future__ import annotations

import io
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

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


class TrackingSource(Protocol):
    """The interface every source backend implements."""

    uri: str

    def list_files(self) -> list[SourceFile]: ...

    def read_frame(
        self,
        file: SourceFile,
        *,
        as_strings: bool = True,
        columns: list[str] | None = None,
        schema_overrides: dict[str, pl.DataType] | None = None,
    ) -> pl.DataFrame: ...

    def fingerprint(self, file: SourceFile) -> str:
        """A string that changes when the file's content may have changed (size and modification time)."""
        ...


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


@dataclass(frozen=True)
class LocalFolderSource:
    """A folder of Big Data Bowl files (CSV, CSV.gz or Parquet) on the local disk."""

    uri: str

    def fingerprint(self, file: SourceFile) -> str:
        stat = Path(file.uri).stat()
        return f"{stat.st_size}-{stat.st_mtime_ns}"

    def list_files(self) -> list[SourceFile]:
        root = Path(self.uri)
        if not root.is_dir():
            raise SourceError(f"{self.uri}: tracking source folder does not exist")
        return [
            SourceFile(uri=str(path), name=path.name)
            for path in sorted(root.iterdir())
            if path.is_file() and path.name.lower().endswith(TABLE_SUFFIXES)
        ]

    def read_frame(
        self,
        file: SourceFile,
        *,
        as_strings: bool = True,
        columns: list[str] | None = None,
        schema_overrides: dict[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        return read_table_file(
            file.uri,
            is_parquet=file.is_parquet,
            as_strings=as_strings,
            columns=columns,
            schema_overrides=schema_overrides,
        )


def open_source(uri: str | Path) -> TrackingSource:
    """The source backend for ``uri``: a local folder path or an ``s3://bucket/prefix``."""
    text = str(uri)
    if text.startswith("s3://"):
        from qb_assets.io.s3 import S3PrefixSource  # noqa: PLC0415 - boto3 only for S3

        return S3PrefixSource(text)
    if "://" in text:
        raise SourceError(f"{text}: tracking sources are local folders or s3:// prefixes")
    return LocalFolderSource(text)
