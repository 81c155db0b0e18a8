"""An ``s3://bucket/prefix`` landing zone as a tracking source (the production profile's input).

boto3 finds credentials and the endpoint the usual way (``AWS_ACCESS_KEY_ID``, ``AWS_ENDPOINT_URL`` for
an S3-compatible server, instance roles in AWS). Files are listed under the prefix (one level, like a
folder) and read whole into memory, which suits weekly files of a few hundred MB.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from typing import Any

import polars as pl

from qb_assets.io.sources import TABLE_SUFFIXES, SourceError, SourceFile, read_table_file


@dataclass(frozen=True)
class S3PrefixSource:
    uri: str
    client: Any = field(default=None, compare=False, repr=False)

    def __post_init__(self) -> None:
        if self.client is None:
            import boto3  # noqa: PLC0415 - only the S3 profile needs it

            object.__setattr__(self, "client", boto3.client("s3"))

    @property
    def bucket(self) -> str:
        return self.uri.removeprefix("s3://").split("/", 1)[0]

    @property
    def prefix(self) -> str:
        rest = self.uri.removeprefix("s3://").split("/", 1)
        return rest[1].rstrip("/") + "/" if len(rest) > 1 and rest[1] else ""

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

    def read_frame(
        self,
        file: SourceFile,
        *,
        as_strings: bool = True,
        columns: list[str] | None = None,
        schema_overrides: dict[str, pl.DataType] | None = None,
    ) -> pl.DataFrame:
        key = file.uri.removeprefix(f"s3://{self.bucket}/")
        try:
            body = self.client.get_object(Bucket=self.bucket, Key=key)["Body"].read()
        except Exception as exc:
            raise SourceError(f"{file.uri}: cannot read the object: {exc}") from exc
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
