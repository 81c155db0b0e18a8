"""Every byte outside the warehouse, on a local folder or under an ``s3://bucket/prefix``, through fsspec.

``open_storage(root)`` returns a ``Storage``: a root and ``/``-separated keys relative to it. The landing
zone (``io.sources``), the lake (``io.lake``) and the model store (``model.store``) are built on its
operations only, so each runs the same code on both backends; fsspec's local file system and s3fs
(aiobotocore) do the I/O. Credentials, region and endpoint come the usual AWS way
(``AWS_ACCESS_KEY_ID``, ``AWS_DEFAULT_REGION``, ``AWS_ENDPOINT_URL`` for an S3-compatible server,
instance or task roles in AWS).

Atomic replace (``put_atomic``, the one operation readers may race): locally a hidden temporary file,
fsynced, moved over the key with ``os.replace``; on S3 one PUT, which S3 makes visible all at once.

Transient S3 failures (HTTP 5xx, throttling, a dropped connection) are retried by botocore's standard
retry mode with jittered exponential backoff, at most ``AWS_MAX_ATTEMPTS`` attempts per request
(``DEFAULT_S3_ATTEMPTS``); every failed attempt is logged as a warning on the ``qb_assets.io.storage``
logger, naming the request, the attempt and the error. A body cut off mid-read is re-requested by s3fs
(at most as many times). Listings are never cached: other runs write the same lake and model store.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import posixpath
import shutil
import tempfile
import uuid
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import IO, Any

import fsspec
import polars as pl

logger = logging.getLogger(__name__)

DEFAULT_S3_ATTEMPTS = 5  # botocore's standard mode default: 1 request + 4 retries
# HTTP statuses a retry may cure: throttling and server-side errors (S3's 500, 502, 503, 504).
_TRANSIENT_STATUS = 500
_THROTTLED_STATUS = 429


def is_remote(uri: str | Path) -> bool:
    """Whether ``uri`` names an object store location (``s3://...``) rather than a local path."""
    return "://" in str(uri) and not str(uri).startswith("file://")


def join_uri(root: str | Path, *parts: str) -> str:
    """``parts`` joined under ``root``: a local path or a ``scheme://bucket/prefix/...`` URI."""
    if is_remote(root):
        return "/".join([str(root).rstrip("/"), *(p.strip("/") for p in parts if p)])
    return str(Path(root, *parts))


def uri_name(uri: str | Path) -> str:
    """The last component of a local path or an object store URI (a model version's name)."""
    return posixpath.basename(str(uri).rstrip("/")) if is_remote(uri) else Path(uri).name


def _attempts() -> int:
    return int(os.environ.get("AWS_MAX_ATTEMPTS") or DEFAULT_S3_ATTEMPTS)


def _log_failed_attempt(
    attempts: int = 0,
    response: Any = None,
    caught_exception: BaseException | None = None,
    request_dict: dict | None = None,
    operation: Any = None,
    **_: Any,
) -> None:
    """botocore's ``needs-retry`` event: log an attempt that failed with a transient error (the retry
    handler registered beside this one decides on the retry; this one only reports)."""
    if caught_exception is not None:
        reason = f"{type(caught_exception).__name__}: {caught_exception}"
    elif response is not None and (
        response[0].status_code >= _TRANSIENT_STATUS or response[0].status_code == _THROTTLED_STATUS
    ):
        error = (response[1] or {}).get("Error", {})
        reason = f"HTTP {response[0].status_code} {error.get('Code', '')}".rstrip()
    else:
        return
    limit = _attempts()
    outcome = "retrying" if attempts < limit else "giving up"
    url = (request_dict or {}).get("url", "?")
    name = getattr(operation, "name", "request")
    logger.warning("S3 %s %s: attempt %d of %d failed (%s); %s", name, url, attempts, limit, reason, outcome)


@lru_cache(maxsize=8)
def _s3_filesystem(endpoint: str | None, attempts: int, pid: int) -> fsspec.AbstractFileSystem:
    """One s3fs file system per endpoint and process (an s3fs instance is not fork-safe)."""
    import s3fs  # noqa: PLC0415 - only S3 locations need it
    from aiobotocore.session import AioSession  # noqa: PLC0415

    session = AioSession()
    session.register("needs-retry.s3", _log_failed_attempt)
    return s3fs.S3FileSystem(
        session=session,
        client_kwargs={"endpoint_url": endpoint} if endpoint else {},
        config_kwargs={"retries": {"mode": "standard", "total_max_attempts": attempts}},
        retries=attempts,
        use_listings_cache=False,
        skip_instance_cache=True,
    )


def filesystem(uri: str | Path) -> fsspec.AbstractFileSystem:
    """The fsspec file system of ``uri`` (s3fs for ``s3://``, configured as the module docstring says)."""
    protocol = str(uri).split("://", 1)[0] if is_remote(uri) else "file"
    if protocol in ("s3", "s3a"):
        return _s3_filesystem(os.environ.get("AWS_ENDPOINT_URL") or None, _attempts(), os.getpid())
    return fsspec.filesystem(protocol)


def _fsync(path: str | Path) -> None:
    descriptor = os.open(path, os.O_RDONLY)
    try:
        os.fsync(descriptor)
    finally:
        os.close(descriptor)


@dataclass(frozen=True)
class StoredFile:
    """One file of a listing: its key, size and a stamp that changes with its content (ETag on S3,
    modification time locally)."""

    key: str
    size: int
    stamp: str

    @property
    def name(self) -> str:
        return self.key.rsplit("/", 1)[-1]


@dataclass(frozen=True)
class Storage:
    """Keys under ``root`` (a local folder or an ``s3://bucket/prefix``), through one fsspec file system."""

    root: str
    fs: Any

    @property
    def remote(self) -> bool:
        return is_remote(self.root)

    def uri(self, key: str = "") -> str:
        """The local path or the URI of ``key`` (what error messages and Polars get)."""
        return join_uri(self.root, key) if key else self.root

    def _path(self, key: str) -> str:
        """The file system's own path of ``key`` (no scheme)."""
        return self.fs._strip_protocol(self.uri(key))

    def _key(self, path: str) -> str:
        root = self.fs._strip_protocol(self.root).rstrip("/")
        return path[len(root) + 1 :] if root else path

    # --- reading ----------------------------------------------------------------------------------------

    def read_bytes(self, key: str, start: int | None = None, end: int | None = None) -> bytes | None:
        """The bytes of ``key`` (``start``/``end`` as in a slice; negative counts from the end), or None
        when it does not exist."""
        try:
            return self.fs.cat_file(self._path(key), start=start, end=end)
        except FileNotFoundError:
            return None

    def read_json(self, key: str) -> dict | None:
        data = self.read_bytes(key)
        return None if data is None else json.loads(data)

    def open(self, key: str, mode: str = "rb") -> IO[bytes]:
        return self.fs.open(self._path(key), mode)

    def exists(self, key: str) -> bool:
        return self.fs.exists(self._path(key))

    def list(self, prefix: str = "") -> list[str]:
        """Every key under ``prefix`` (recursive, hidden files included), sorted."""
        path = self._path(prefix)
        if not self.remote and not os.path.isdir(path):
            return []
        return sorted(self._key(found) for found in self.fs.find(path))

    def list_folder(self, prefix: str = "") -> list[StoredFile]:
        """The files directly under ``prefix`` (one level, like a folder) with their size and stamp, from
        the listing alone (one request per 1,000 objects on S3). Raises FileNotFoundError."""
        entries = self.fs.ls(self._path(prefix), detail=True)
        return sorted(
            (
                StoredFile(self._key(entry["name"]), int(entry["size"]), _stamp(entry))
                for entry in entries
                if entry["type"] == "file"
            ),
            key=lambda found: found.key,
        )

    # --- writing ----------------------------------------------------------------------------------------

    def put_atomic(self, key: str, data: bytes) -> None:
        """Replace ``key`` with ``data`` so that a reader sees the old or the new bytes, never a mix."""
        if self.remote:
            self.fs.pipe_file(self._path(key), data)  # one PUT
            return
        target = Path(self._path(key))
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_name(f".{target.name}.{uuid.uuid4().hex}.tmp")
        try:
            with open(temporary, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(temporary, target)
        finally:
            temporary.unlink(missing_ok=True)
        with contextlib.suppress(OSError):  # make the rename durable; not every file system can
            _fsync(target.parent)

    def write_json(self, key: str, value: dict) -> None:
        """``value`` as indented JSON, replaced atomically (``put_atomic``)."""
        self.put_atomic(key, json.dumps(value, indent=2, default=str).encode())

    def write_parquet(self, key: str, frame: pl.DataFrame) -> None:
        """A new key written in place (locally fsynced, so a manifest published afterwards never names
        data still in the page cache only); on S3 one PUT."""
        if self.remote:
            with self.fs.open(self._path(key), "wb") as out:
                frame.write_parquet(out, statistics=True)
            return
        path = Path(self._path(key))
        path.parent.mkdir(parents=True, exist_ok=True)
        frame.write_parquet(path, statistics=True)
        _fsync(path)

    def upload_folder(self, folder: Path, prefix: str, last: tuple[str, ...] = ()) -> None:
        """Copy the local ``folder``'s files under ``prefix``; the files named in ``last`` (relative
        paths) are copied after all others, so their presence says the rest is complete."""
        files = sorted(p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_file())
        for name in [f for f in files if f not in last] + [f for f in last if f in files]:
            self.fs.put_file(
                str(folder / name), self._path(f"{prefix.rstrip('/')}/{name}" if prefix else name)
            )

    def download_folder(self, prefix: str, folder: Path, skip: tuple[str, ...] = ()) -> int:
        """Copy the files under ``prefix`` (``""``: the root) into the local ``folder``, except those whose
        relative path starts with one of ``skip``; returns how many were copied."""
        base = f"{prefix.rstrip('/')}/" if prefix else ""
        copied = 0
        for key in self.list(base):
            relative = key[len(base) :]
            if relative.startswith(skip):
                continue
            (folder / relative).parent.mkdir(parents=True, exist_ok=True)
            self.fs.get_file(self._path(key), str(folder / relative))
            copied += 1
        return copied

    def delete(self, keys: list[str]) -> None:
        """Delete ``keys`` (missing ones are fine); S3 takes up to 1,000 per request."""
        if not keys:
            return
        if self.remote:
            self.fs.rm([self._path(key) for key in keys])
            return
        for key in keys:
            Path(self._path(key)).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> None:
        """Delete every key under ``prefix``."""
        self.delete(self.list(prefix.rstrip("/") + "/"))
        if not self.remote:
            with contextlib.suppress(FileNotFoundError, OSError):
                for folder in sorted(Path(self._path(prefix)).rglob("*"), reverse=True):
                    folder.rmdir()
                Path(self._path(prefix)).rmdir()


def _stamp(entry: dict) -> str:
    """What changes when a listed file does: the ETag on S3, the modification time locally."""
    etag = entry.get("ETag") or entry.get("etag")
    if etag:
        return f"{entry['size']}-{str(etag).strip(chr(34))}"
    return f"{entry['size']}-{entry.get('mtime', entry.get('LastModified', ''))}"


def open_storage(root: str | Path) -> Storage:
    """The storage under ``root``: a local folder (need not exist yet) or an ``s3://bucket/prefix``."""
    text = str(root).rstrip("/") if is_remote(root) else str(root)
    return Storage(text, filesystem(text))


def cache_root() -> Path:
    """Where local copies of stored folders live: ``QB_CACHE``, else ``<temp dir>/qb-score-cache``."""
    return Path(os.environ.get("QB_CACHE") or Path(tempfile.gettempdir()) / "qb-score-cache")


def local_copy(uri: str | Path, skip: tuple[str, ...] = ()) -> Path:
    """A local folder with the files stored under ``uri``: a local path as it is; for an object store,
    a copy under ``cache_root()`` keyed by the URI, made once (downloaded into a temporary folder that is
    renamed into place, so concurrent readers share one and never see half of it). Only for folders
    that never change once written (a model version: its name is its content hash); ``skip`` leaves out
    relative paths that may change (a version's evaluation)."""
    if not is_remote(uri):
        return Path(uri)
    text = str(uri).rstrip("/")
    digest = hashlib.sha256(text.encode()).hexdigest()[:16]
    target = cache_root() / f"{uri_name(text)}-{digest}"
    if target.is_dir():
        return target
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = Path(tempfile.mkdtemp(prefix=".tmp-", dir=target.parent))
    try:
        if open_storage(text).download_folder("", temporary, skip=skip) == 0:
            raise FileNotFoundError(f"{text}: nothing stored there")
        with contextlib.suppress(OSError):  # another reader renamed its copy first: the same files
            os.rename(temporary, target)
    finally:
        shutil.rmtree(temporary, ignore_errors=True)
    return target
