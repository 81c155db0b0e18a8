"""S3: locations, clients and object-store options, and an ``s3://bucket/prefix`` landing zone as a
tracking source (the production profile's input).

boto3 finds credentials and the endpoint the usual way (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL`` for
an S3-compatible server, instance roles in AWS). Files are listed under the prefix (one level, like a
folder) and read whole into memory, which suits weekly files of a few hundred MB.
"""

from __future__ import annotations

import io
import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import polars as pl

from qb_assets.io.files import (
    END_BYTES,
    TABLE_SUFFIXES,
    SourceError,
    SourceFile,
    csv_header_columns,
    read_table_file,
)


def is_s3(uri: str | Path) -> bool:
    """Whether ``uri`` names an S3 location (``s3://bucket/prefix``)."""
    return str(uri).startswith("s3://")


def s3_location(uri: str | Path, *parts: str) -> tuple[str, str]:
    """(bucket, key) of ``parts`` joined under the ``s3://bucket/prefix`` root ``uri``."""
    bucket, _, prefix = str(uri).removeprefix("s3://").partition("/")
    return bucket, "/".join(p for p in (prefix.strip("/"), *parts) if p)


def s3_client():
    """A boto3 S3 client, configured the usual AWS way (environment, profile, instance role)."""
    import boto3  # noqa: PLC0415 - only S3 locations need it (a 0.5 s import)

    return boto3.client("s3")


def storage_options() -> dict[str, str]:
    """Polars object-store options from the AWS environment (endpoint, region, plain HTTP for local)."""
    options = {"aws_region": os.environ.get("AWS_DEFAULT_REGION", os.environ.get("AWS_REGION", "us-east-1"))}
    endpoint = os.environ.get("AWS_ENDPOINT_URL")
    if endpoint:
        options["aws_endpoint_url"] = endpoint
        options["aws_allow_http"] = str(endpoint.startswith("http://")).lower()
    return options


@dataclass(frozen=True)
class S3PrefixSource:
    uri: str
    client: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.client is None:
            object.__setattr__(self, "client", s3_client())

    @property
    def bucket(self) -> str:
        return s3_location(self.uri)[0]

    @property
    def prefix(self) -> str:
        """The folder-like key prefix, ending in '/' (empty for a whole bucket)."""
        key = s3_location(self.uri)[1]
        return f"{key}/" if key else ""

    def _objects(self) -> list[dict]:
        try:
            pages = self.client.get_paginator("list_objects_v2").paginate(
                Bucket=self.bucket, Prefix=self.prefix, Delimiter="/"
            )
            return [obj for page in pages for obj in page.get("Contents", [])]
        except Exception as exc:  # botocore raises many types; all mean the prefix cannot be listed
            raise SourceError(f"{self.uri}: cannot list the S3 prefix: {exc}") from exc

    def list_files(self) -> list[SourceFile]:
        return [
            SourceFile(uri=f"s3://{self.bucket}/{obj['Key']}", name=obj["Key"].rsplit("/", 1)[-1])
            for obj in sorted(self._objects(), key=lambda o: o["Key"])
            if obj["Key"].lower().endswith(TABLE_SUFFIXES)
        ]

    def fingerprint(self, file: SourceFile) -> str:
        key = file.uri.removeprefix(f"s3://{self.bucket}/")
        head = self.client.head_object(Bucket=self.bucket, Key=key)
        return f"{head['ContentLength']}-{head['ETag'].strip(chr(34))}"

    def _get(self, file: SourceFile, byte_range: str | None = None) -> bytes:
        key = file.uri.removeprefix(f"s3://{self.bucket}/")
        try:
            extra = {"Range": byte_range} if byte_range else {}
            return self.client.get_object(Bucket=self.bucket, Key=key, **extra)["Body"].read()
        except Exception as exc:
            raise SourceError(f"{file.uri}: cannot read the object: {exc}") from exc

    def columns(self, file: SourceFile) -> list[str]:
        if file.is_parquet:  # the schema sits in the footer: the whole object, but no rows decoded
            return list(pl.read_parquet_schema(io.BytesIO(self._get(file))))
        return csv_header_columns(self.read_ends(file)[0], gzipped=file.is_gzip)

    def read_ends(self, file: SourceFile, size: int = END_BYTES) -> tuple[bytes, bytes]:
        return self._get(file, f"bytes=0-{size - 1}"), self._get(file, f"bytes=-{size}")

    def read_frame(
        self,
        file: SourceFile,
        *,
        as_strings: bool = True,
        columns: list[str] | None = None,
        schema_overrides: dict[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        # The same reader as LocalFolderSource.read_frame, on the object's bytes (deliberately alike).
        body = self._get(file)
        if file.name.lower().endswith(".gz"):
            import gzip  # noqa: PLC0415

            body = gzip.decompress(body)
        return read_table_file(
            io.BytesIO(body),
            is_parquet=file.is_parquet,
            as_strings=as_strings,
            columns=columns,
            schema_overrides=schema_overrides,
            name=file.uri,
        )
