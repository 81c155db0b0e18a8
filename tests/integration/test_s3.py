"""The S3 landing zone against a real S3-compatible server (moto in server mode on 127.0.0.1)."""

from __future__ import annotations

import gzip
from pathlib import Path

import boto3
import dagster as dg
import polars as pl
import pytest
import yaml

from qb_assets.features.store import build_features
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.io.files import SourceError
from qb_assets.io.sources import open_source
from tests.conftest import REAL_GAME_FILE, REPO_ROOT

BUCKET = "landing"


@pytest.fixture(scope="module", autouse=True)
def landing_bucket(s3_endpoint: str) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)


def test_ingest_from_an_s3_prefix_matches_the_local_folder(
    s3_endpoint, real_dir: Path, tmp_path: Path
) -> None:
    raw = (real_dir / REAL_GAME_FILE).read_bytes()
    s3 = boto3.client("s3")
    s3.put_object(Bucket=BUCKET, Key="bdb/2018/week14.csv.gz", Body=gzip.compress(raw))
    s3.put_object(Bucket=BUCKET, Key="bdb/2018/notes.txt", Body=b"not a table")
    source = open_source(f"s3://{BUCKET}/bdb/2018")
    assert [f.name for f in source.list_files()] == ["week14.csv.gz"]
    summary = ingest_source(f"s3://{BUCKET}/bdb/2018", tmp_path / "lake")
    (tmp_path / "local").mkdir()
    (tmp_path / "local" / "week14.csv").write_bytes(raw)
    local = ingest_source(tmp_path / "local", tmp_path / "lake_local")
    assert summary["plays_in"] == local["plays_in"] == 73
    assert summary["plays_accepted"] == local["plays_accepted"]
    ours = lake_io.scan_table(tmp_path / "lake", "plays").collect()
    theirs = lake_io.scan_table(tmp_path / "lake_local", "plays").collect()
    assert ours.drop("layout").equals(theirs.drop("layout"))
    # The sensor's fingerprint (from the listing) changes when the object does.
    before = source.list_files()[0].fingerprint
    s3.put_object(Bucket=BUCKET, Key="bdb/2018/week14.csv.gz", Body=gzip.compress(raw + b"\n"))
    assert source.list_files()[0].fingerprint != before


def test_an_s3_object_is_tracking_by_its_columns_and_a_cut_one_is_named(
    s3_endpoint, real_dir: Path, tmp_path
) -> None:
    """The header and the last line come from ranged reads of the object."""
    raw = (real_dir / REAL_GAME_FILE).read_bytes()
    cut = raw[: raw.index(b"\n", len(raw) // 2) + 30]
    boto3.client("s3").put_object(Bucket=BUCKET, Key="cut/game_2018120600.csv", Body=cut)
    summary = ingest_source(f"s3://{BUCKET}/cut", tmp_path / "lake")
    line = cut.count(b"\n") + 1
    assert summary["truncated_files"] == [{"file": f"s3://{BUCKET}/cut/game_2018120600.csv", "line": line}]
    assert summary["plays_accepted"] > 20


def test_missing_bucket_is_a_clear_error(s3_endpoint) -> None:
    with pytest.raises(SourceError, match="s3://no-such-bucket/x: cannot list the source"):
        open_source("s3://no-such-bucket/x").list_files()


def test_compute_logs_land_in_s3(s3_endpoint, tmp_path: Path) -> None:
    """The production profile's S3 compute-log manager, pointed at the local S3 server."""
    s3 = boto3.client("s3")
    s3.create_bucket(Bucket="compute-logs")
    compute_logs = yaml.safe_load((REPO_ROOT / "deploy" / "dagster.production.yaml").read_text())[
        "compute_logs"
    ]
    compute_logs["config"].update(bucket="compute-logs", endpoint_url=s3_endpoint)
    (tmp_path / "dagster.yaml").write_text(yaml.safe_dump({"compute_logs": compute_logs}))

    @dg.asset
    def chatty() -> int:
        print("a line the step printed")
        return 1

    with dg.DagsterInstance.from_config(str(tmp_path)) as instance:
        result = dg.materialize([chatty], instance=instance)
    assert result.success
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket="compute-logs").get("Contents", [])]
    stdout = [k for k in keys if result.run_id in k and k.endswith(".out")]
    assert stdout and all(k.startswith("compute-logs/") for k in keys)
    body = s3.get_object(Bucket="compute-logs", Key=stdout[0])["Body"].read().decode()
    assert "a line the step printed" in body


def test_lake_on_s3(s3_endpoint, real_source: Path, tmp_path: Path) -> None:
    """The lake itself on S3: ingest, features and the warehouse load read and write s3:// partitions."""
    boto3.client("s3").create_bucket(Bucket="lake")
    lake = "s3://lake/qb-score"
    summary = ingest_source(real_source, lake)
    local = ingest_source(real_source, tmp_path / "local")
    assert summary["plays_accepted"] == local["plays_accepted"]
    assert lake_io.list_partitions(lake, "tracking") == [(2018, 14)]
    for table in ("tracking", "plays", "quarantine", "games", "players"):
        assert (
            lake_io.scan_table(lake, table)
            .collect()
            .equals(lake_io.scan_table(tmp_path / "local", table).collect())
        )
    features = build_features(lake)
    assert features["feature_rows"] == build_features(str(tmp_path / "local"))["feature_rows"]
    assert lake_io.scan_table(lake, "features").collect()["tensor"].to_numpy().shape[1:] == (60, 22, 10)
    # Re-ingesting publishes a new version and deletes the one it replaced: one file per table.
    ingest_source(real_source, lake)
    assert _keys("lake", "qb-score/plays/") == [
        lake_io.partition_files(lake, "plays")[0].removeprefix("s3://lake/")
    ]
    assert _keys("lake", "qb-score/_manifests/") == [
        "qb-score/_manifests/season=2018/week=14/feature_quarantine+features.json",
        "qb-score/_manifests/season=2018/week=14/games+players+plays+quarantine+tracking.json",
    ]


def _keys(bucket: str, prefix: str) -> list[str]:
    return [
        o["Key"] for o in boto3.client("s3").list_objects_v2(Bucket=bucket, Prefix=prefix).get("Contents", [])
    ]


def test_a_rejected_partition_on_s3_leaves_the_previous_one(s3_endpoint) -> None:
    boto3.client("s3").create_bucket(Bucket="wap")
    lake = "s3://wap/lake"

    def tables(value: int) -> dict[str, pl.DataFrame]:
        return {"plays": pl.DataFrame({"a": [value]}), "games": pl.DataFrame({"a": [value, value]})}

    def read(table: str) -> list[int]:
        return lake_io.scan_table(lake, table).collect()["a"].to_list()

    lake_io.publish_partition(lake, 2024, 1, tables(1))
    before = _keys("wap", "lake/")
    staged_games: list[list[int]] = []

    def verify(staged: lake_io.PartitionVersion) -> list[str]:
        staged_games.append(staged.read("games")["a"].to_list())  # the checks read the staged objects
        return ["games_expectations"]

    with pytest.raises(lake_io.PartitionRejected, match="games_expectations failed"):
        lake_io.publish_partition(lake, 2024, 1, tables(2), verify=verify)
    assert staged_games == [[2, 2]]
    assert (read("plays"), read("games")) == ([1], [1, 1])
    assert _keys("wap", "lake/") == before  # the staged objects are gone, the manifest is the old one
    lake_io.publish_partition(lake, 2024, 1, tables(3))
    assert (read("plays"), read("games")) == ([3], [3, 3])
    assert len(_keys("wap", "lake/")) == len(before) == 3  # two tables and the manifest
