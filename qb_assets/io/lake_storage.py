"""The lake's bytes on a local folder or under an ``s3://bucket/prefix``, behind one small interface.

``open_storage(lake)`` returns a ``LocalStorage`` or an ``S3Storage``; ``io.lake`` builds partitions,
manifests and their cleanup on these operations only, so both backends follow the same rules. Keys are
``/``-separated paths relative to the lake root. ``put_atomic`` is the one operation readers may race:
locally a hidden temporary file (fsynced) is moved over the key with ``os.replace``; on S3 it is one
PUT, which S3 makes visible all at once. ``write_parquet`` writes a new key in place (locally fsynced,
so a manifest published afterwards never names data still in the page cache only).
"""

from __future__ import annotations

import contextlib
import io
import os
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import polars as pl

from qb_assets.io.s3 import is_s3, s3_client, s3_location

_S3_DELETE_BATCH = 1000  # the most keys one DeleteObjects request takes


class LakeStorage(Protocol):
    """What ``io.lake`` needs from a backend."""

    def write_parquet(self, key: str, frame: pl.DataFrame) -> None: ...

    def put_atomic(self, key: str, data: bytes, temporary_suffix: str) -> None: ...

    def get(self, key: str) -> bytes | None: ...

    def list(self, prefix: str) -> list[str]: ...

    def delete(self, keys: list[str]) -> None: ...


def _fsync(path: Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class LocalStorage:
    """The lake as a local folder."""

    root: Path

    def write_parquet(self, key: str, frame: pl.DataFrame) -> None:
        path = self.root / key
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path, statistics=True)
        _fsync(path)

    def put_atomic(self, key: str, data: bytes, temporary_suffix: str) -> None:
        target = self.root / key
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{temporary_suffix}.tmp")
        try:
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        with contextlib.suppress(
            OSError
        ):  # make the rename durable; not every file system can fsync a folder
            _fsync(target.parent)

    def get(self, key: str) -> bytes | None:
        try:
            return (self.root / key).read_bytes()
        except FileNotFoundError:
            return None

    def list(self, prefix: str) -> list[str]:
        folder = self.root / prefix
        if not folder.is_dir():
            return []
        return sorted(p.relative_to(self.root).as_posix() for p in folder.rglob("*") if p.is_file())

    def delete(self, keys: list[str]) -> None:
        for key in keys:
            (self.root / key).unlink(missing_ok=True)


@dataclass(frozen=True)
class S3Storage:
    """The lake under an ``s3://bucket/prefix`` (boto3, configured the usual AWS way)."""

    lake: str
    client: Any

    def _key(self, key: str) -> tuple[str, str]:
        return s3_location(self.lake, key)

    def write_parquet(self, key: str, frame: pl.DataFrame) -> None:
        buffer = io.BytesIO()
        frame.write_parquet(buffer, statistics=True)
        self.put_atomic(key, buffer.getvalue(), "")

    def put_atomic(self, key: str, data: bytes, temporary_suffix: str) -> None:
        bucket, full_key = self._key(key)
        self.client.put_object(Bucket=bucket, Key=full_key, Body=data)

    def get(self, key: str) -> bytes | None:
        bucket, full_key = self._key(key)
        try:
            return self.client.get_object(Bucket=bucket, Key=full_key)["Body"].read()
        except self.client.exceptions.NoSuchKey:
            return None

    def list(self, prefix: str) -> list[str]:
        bucket, root = s3_location(self.lake, "")
        _, full_prefix = self._key(prefix)
        pages = self.client.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=full_prefix)
        strip = len(root) + 1 if root else 0
        return sorted(obj["Key"][strip:] for page in pages for obj in page.get("Contents", []))

    def delete(self, keys: list[str]) -> None:
        bucket = s3_location(self.lake, "")[0]
        for start in range(0, len(keys), _S3_DELETE_BATCH):
            batch = [{"Key": self._key(key)[1]} for key in keys[start : start + _S3_DELETE_BATCH]]
            self.client.delete_objects(Bucket=bucket, Delete={"Objects": batch, "Quiet": True})


def open_storage(lake: str | Path) -> LakeStorage:
    """The backend of the lake root ``lake``: a local folder or an ``s3://bucket/prefix``."""
    if is_s3(lake):
        return S3Storage(str(lake).rstrip("/"), s3_client())
    return LocalStorage(Path(lake))
