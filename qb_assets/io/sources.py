"""Where tracking files come from: a local folder (or one local file), or an ``s3://bucket/prefix``,
through one implementation on the storage layer (``io.storage``).

A source lists its files and reads one into a Polars frame. Everything downstream works on
``SourceFile`` objects and never touches paths itself. Files are listed one level under the root, like
a folder; each listed file carries its fingerprint (size and ETag on S3, size and modification time
locally: from the listing itself, no request per file). A file is read whole into memory through the
storage layer (gzip is Polars' to undo), which suits weekly files of a few hundred MB; local files are
handed to Polars as paths.
"""

from __future__ import annotations

import io
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
from qb_assets.io.storage import Storage, is_remote, open_storage


class TrackingSource(Protocol):
    """The interface of a source."""

    uri: str

    def list_files(self) -> list[SourceFile]:
        """The CSV, CSV.gz and Parquet files, sorted by name, each with its ``fingerprint``."""
        ...

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


@dataclass(frozen=True)
class StorageSource:
    """A folder of Big Data Bowl files (CSV, CSV.gz or Parquet) on the local disk or under an S3 prefix,
    or one local file (``uri`` names the file)."""

    uri: str

    @property
    def _single_file(self) -> bool:
        return not is_remote(self.uri) and Path(self.uri).is_file()

    @property
    def storage(self) -> Storage:
        return open_storage(Path(self.uri).parent if self._single_file else self.uri)

    def _key(self, file: SourceFile) -> str:
        return file.name

    def list_files(self) -> list[SourceFile]:
        if self._single_file and not self.uri.lower().endswith(TABLE_SUFFIXES):
            raise SourceError(f"{self.uri}: not a CSV, CSV.gz or Parquet file")
        if not is_remote(self.uri) and not Path(self.uri).exists():
            raise SourceError(f"{self.uri}: tracking source folder or file does not exist")
        storage = self.storage
        try:
            listed = storage.list_folder()
        except Exception as exc:  # botocore/aiohttp raise many types; all mean the root cannot be listed
            raise SourceError(f"{self.uri}: cannot list the source: {exc}") from exc
        wanted = Path(self.uri).name if self._single_file else None
        return [
            SourceFile(uri=storage.uri(found.key), name=found.name, fingerprint=found.stamp)
            for found in listed
            if found.name.lower().endswith(TABLE_SUFFIXES) and wanted in (None, found.name)
        ]

    def _read(self, file: SourceFile, start: int | None = None, end: int | None = None) -> bytes:
        try:
            data = self.storage.read_bytes(self._key(file), start, end)
        except Exception as exc:  # transient errors were retried (io.storage); this one is final
            raise SourceError(f"{file.uri}: cannot read the file: {exc}".splitlines()[0]) from exc
        if data is None:
            raise SourceError(f"{file.uri}: the file disappeared from the source")
        return data

    def columns(self, file: SourceFile) -> list[str]:
        if file.is_parquet:  # the schema sits in the footer: no rows decoded
            try:
                return list(pl.read_parquet_schema(self._source(file)))
            except (OSError, pl.exceptions.PolarsError) as exc:
                raise SourceError(f"{file.uri}: cannot read file: {exc}".splitlines()[0]) from exc
        return csv_header_columns(self.read_ends(file)[0], gzipped=file.is_gzip)

    def read_ends(self, file: SourceFile, size: int = END_BYTES) -> tuple[bytes, bytes]:
        head = self._read(file, 0, size)
        if len(head) < size:  # the whole file: its end is in hand
            return head, head[-size:]
        return head, self._read(file, -size)

    def _source(self, file: SourceFile) -> str | io.BytesIO:
        """What Polars reads: a local path, or the object's bytes."""
        return file.uri if not is_remote(self.uri) else io.BytesIO(self._read(file))

    def read_frame(
        self,
        file: SourceFile,
        *,
        as_strings: bool = True,
        columns: list[str] | None = None,
        schema_overrides: dict[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        return read_table_file(
            self._source(file),
            is_parquet=file.is_parquet,
            as_strings=as_strings,
            columns=columns,
            schema_overrides=schema_overrides,
            name=file.uri,
        )


def open_source(uri: str | Path) -> TrackingSource:
    """The source at ``uri``: a local folder or file, or an ``s3://bucket/prefix``."""
    text = str(uri)
    if is_remote(text) and not text.startswith(("s3://", "s3a://")):
        raise SourceError(f"{text}: tracking sources are local folders or s3:// prefixes")
    return StorageSource(text)
