"""The DuckLake warehouse with its data files on S3 (moto in server mode on 127.0.0.1, the
``s3_endpoint`` fixture of tests/s3_server.py): loads write Parquet objects under the data path, the
views and ``qb-score query`` read them, and the query sandbox reads that prefix only (another prefix or
bucket stays refused)."""

from __future__ import annotations

from pathlib import Path

import boto3
import pytest

from qb_assets.warehouse.backend import WarehouseLocation
from qb_assets.warehouse.query import run_query
from tests.warehouse.fabricated import SCORES, build_fabricated_warehouse, counts
from tests.warehouse.test_query_sandbox import REFUSAL, SECRET

BUCKET = "analytics"


def test_a_ducklake_with_its_data_on_s3(s3_endpoint: str, tmp_path: Path) -> None:
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket=BUCKET)
    for key in ("private/secret.csv", "warehouse-other/secret.csv"):
        s3.put_object(Bucket=BUCKET, Key=key, Body=f"secret\n{SECRET}\n".encode())
    lake = WarehouseLocation(f"ducklake:{tmp_path / 'warehouse.ducklake'}", f"s3://{BUCKET}/warehouse")
    build_fabricated_warehouse(lake)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="warehouse/")["Contents"]]
    assert any(k.startswith("warehouse/main/play_scores/") and k.endswith(".parquet") for k in keys)
    assert not (tmp_path / "warehouse.ducklake.files").exists()
    assert counts(lake)["play_scores"] == SCORES.height
    # Only the catalog is named: the data path comes from it.
    rows = run_query("SELECT count(*) AS n FROM qb_season_scores", lake.uri, "csv")
    assert rows == "n\n5"
    for sql in (
        f"SELECT * FROM read_csv('s3://{BUCKET}/private/secret.csv')",
        f"SELECT * FROM read_csv('s3://{BUCKET}/warehouse-other/secret.csv')",
        f"COPY (SELECT 1) TO 's3://{BUCKET}/warehouse/x.parquet'",
    ):
        with pytest.raises(ValueError, match=REFUSAL) as error:
            run_query(sql, lake.uri, "csv")
        assert SECRET not in str(error.value)
    after = [o["Key"] for o in s3.list_objects_v2(Bucket=BUCKET, Prefix="warehouse/")["Contents"]]
    assert sorted(after) == sorted(keys)
