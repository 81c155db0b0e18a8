"""Where tracking files come from: a local folder, or an ``s3://`` prefix through the same interface.

A source lists its files and reads one into a Polars frame. Everything downstream works on
``SourceFile`` objects and never touches paths itself, so a new backend only has to implement
``list_files``, ``read_frame``, ``columns``, ``read_ends`` and ``fingerprint``. A local source is a
folder or a single file.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import polars as pl

from qb_assets.io.files import (
    END_BYTES,
    TABLE_SUFFIXES,
    SourceError,
    SourceFile,
    csv_header_columns,
    read_table_file,
)
from qb_assets.io.s3 import S3PrefixSource


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

    def columns(self, file: SourceFile) -> list[str]:
        """The file's column names, from its header (a Parquet file's schema), without reading rows."""
        ...

    def read_ends(self, file: SourceFile, size: int = END_BYTES) -> tuple[bytes, bytes]:
        """The first and the last ``size`` bytes of the file as stored (compressed for .gz)."""
        ...

    def fingerprint(self, file: SourceFile) -> str:
        """A string that changes when the file's content may have changed (size and modification time)."""
        ...


@dataclass(frozen=True)
class LocalFolderSource:
    """A folder of Big Data Bowl files (CSV, CSV.gz or Parquet) on the local disk, or one such file."""

    uri: str

    def fingerprint(self, file: SourceFile) -> str:
        stat = Path(file.uri).stat()
        return f"{stat.st_size}-{stat.st_mtime_ns}"

    def list_files(self) -> list[SourceFile]:
        root = Path(self.uri)
        if root.is_file():
            if not root.name.lower().endswith(TABLE_SUFFIXES):
                raise SourceError(f"{self.uri}: not a CSV, CSV.gz or Parquet file")
            return [SourceFile(uri=str(root), name=root.name)]
        if not root.is_dir():
            raise SourceError(f"{self.uri}: tracking source folder or file does not exist")
        return [
            SourceFile(uri=str(path), name=path.name)
            for path in sorted(root.iterdir())
            if path.is_file() and path.name.lower().endswith(TABLE_SUFFIXES)
        ]

    def columns(self, file: SourceFile) -> list[str]:
        if file.is_parquet:
            try:
                return list(pl.read_parquet_schema(file.uri))
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise SourceError(f"{file.uri}: cannot read file: {exc}".splitlines()[0]) from exc
        return csv_header_columns(self.read_ends(file)[0], gzipped=file.is_gzip)

    def read_ends(self, file: SourceFile, size: int = END_BYTES) -> tuple[bytes, bytes]:
        with open(file.uri, "rb") as handle:
            head = handle.read(size)
            end = handle.seek(0, 2)
            handle.seek(max(end - size, 0))
            return head, handle.read(size)

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
        return S3PrefixSource(text)
    if "://" in text:
        raise SourceError(f"{text}: tracking sources are local folders or s3:// prefixes")
    return LocalFolderSource(text)
