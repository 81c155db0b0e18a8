"""The storage layer (``qb_assets.io.storage``) on a local folder and on a local S3 server: round trips,
atomic replace, the landing zone's listing, and the bounded, logged retry of S3 reads against a proxy
that answers a share of the requests with HTTP 503."""

from __future__ import annotations

import logging
import os
from pathlib import Path
from urllib.parse import unquote

import boto3
import polars as pl
import pytest

from qb_assets.io import lake as lake_io
from qb_assets.io.files import SourceError
from qb_assets.io.sources import open_source
from qb_assets.io.storage import open_storage
from tests.s3_server import FaultyProxy

BUCKET = "storage"


@pytest.fixture(scope="module", autouse=True)
def bucket(s3_proxy: FaultyProxy) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)


@pytest.fixture(autouse=True)
def no_faults(s3_proxy: FaultyProxy):
    s3_proxy.fail = lambda *_: False
    yield
    s3_proxy.fail = lambda *_: False


@pytest.fixture(params=["local", "s3"])
def root(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    return str(tmp_path / "root") if request.param == "local" else f"s3://{BUCKET}/{tmp_path.name}"


def test_round_trip_listing_and_replace(root: str) -> None:
    storage = open_storage(root)
    assert storage.read_bytes("a/b.json") is None and storage.list() == []
    storage.write_json("a/b.json", {"value": 1})
    storage.put_atomic("a/c/d.bin", b"0123456789")
    storage.write_parquet("t/season=2024/week=1/part.parquet", pl.DataFrame({"x": [1, 2]}))
    assert storage.list() == ["a/b.json", "a/c/d.bin", "t/season=2024/week=1/part.parquet"]
    assert storage.read_bytes("a/c/d.bin", 0, 3) == b"012" and storage.read_bytes("a/c/d.bin", -3) == b"789"
    listed = storage.list_folder("a")
    assert [(f.key, f.name, f.size) for f in listed] == [("a/b.json", "b.json", len(b'{\n  "value": 1\n}'))]
    storage.write_json("a/b.json", {"value": 22})
    assert storage.read_json("a/b.json") == {"value": 22}
    assert storage.list_folder("a")[0].stamp != listed[0].stamp  # the fingerprint follows the content
    storage.delete(["a/b.json", "a/never-written.json"])
    assert storage.list("a/") == ["a/c/d.bin"]


def test_a_local_replace_that_fails_leaves_the_old_bytes(tmp_path: Path, monkeypatch) -> None:
    storage = open_storage(tmp_path)
    storage.put_atomic("pointer.json", b"old")

    def crash(*_: object) -> None:
        raise OSError("disk full")

    monkeypatch.setattr(os, "replace", crash)
    with pytest.raises(OSError, match="disk full"):
        storage.put_atomic("pointer.json", b"new")
    assert storage.read_bytes("pointer.json") == b"old"
    assert storage.list() == ["pointer.json"]  # no temporary left behind


def test_an_s3_replace_is_one_put(s3_proxy: FaultyProxy) -> None:
    """Publishing a lake partition replaces its manifest with one PUT, the only write to that key."""
    lake = f"s3://{BUCKET}/wap"
    lake_io.publish_partition(lake, 2024, 1, {"plays": pl.DataFrame({"a": [1]})})
    s3_proxy.log.clear()
    lake_io.publish_partition(lake, 2024, 1, {"plays": pl.DataFrame({"a": [2]})})
    manifest = f"/{BUCKET}/wap/_manifests/season=2024/week=1/plays.json"
    writes = [
        r
        for r in s3_proxy.log
        if unquote(r.path.split("?")[0]) == manifest and r.method in ("PUT", "POST", "DELETE")
    ]
    assert [(r.method, r.status) for r in writes] == [("PUT", 200)]
    assert lake_io.scan_table(lake, "plays").collect()["a"].to_list() == [2]


def test_the_landing_zone_is_fingerprinted_by_its_listing(s3_proxy: FaultyProxy) -> None:
    s3 = boto3.client("s3")
    for name in ("week1.csv", "week2.csv.gz", "notes.txt"):
        s3.put_object(Bucket=BUCKET, Key=f"landing/{name}", Body=b"gameId,playId,x,y\n1,1,0,0\n")
    s3_proxy.log.clear()
    files = open_source(f"s3://{BUCKET}/landing").list_files()
    assert [f.name for f in files] == ["week1.csv", "week2.csv.gz"]
    assert all(f.fingerprint.startswith("26-") for f in files)
    assert [r.method for r in s3_proxy.log] == ["GET"]  # one listing, no request per file


@pytest.mark.production_profile
def test_s3_reads_retry_transient_errors_and_log_each(
    s3_proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """Every read request (GET, HEAD) fails once with 503: each is retried, logged, and the lake and the
    landing zone read what a fault-free read gets."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    lake = f"s3://{BUCKET}/retried"
    lake_io.publish_partition(
        lake, 2024, 1, {"plays": pl.DataFrame({"a": [1, 2]}), "games": pl.DataFrame({"g": [7]})}
    )
    boto3.client("s3").put_object(Bucket=BUCKET, Key="retried-landing/week1.csv", Body=b"gameId,x\n1,2.5\n")
    expected = lake_io.scan_table(lake, "plays").collect()
    s3_proxy.log.clear()
    s3_proxy.fail = lambda method, _path, _range, seen: method in ("GET", "HEAD") and not seen
    with caplog.at_level(logging.WARNING, logger="qb_assets.io.storage"):
        plays = lake_io.scan_table(lake, "plays").collect()
        source = open_source(f"s3://{BUCKET}/retried-landing")
        frame = source.read_frame(source.list_files()[0])
    assert plays.equals(expected) and frame.rows() == [("1", "2.5")]
    failed = s3_proxy.answered("GET", 503) + s3_proxy.answered("HEAD", 503)
    assert len(failed) >= 4  # listings, manifest, data file, landing-zone object
    retried = [r for r in s3_proxy.log if r.status != 503 and (r.method, r.path, r.byte_range) in
               {(f.method, f.path, f.byte_range) for f in failed}]  # fmt: skip
    assert len(retried) == len(failed)  # every failed request was retried and then answered
    warnings = [r.getMessage() for r in caplog.records if r.name == "qb_assets.io.storage"]
    assert len(warnings) == len(failed)
    assert all("attempt 1 of 3 failed (HTTP 503" in w and w.endswith("retrying") for w in warnings)


@pytest.mark.production_profile
def test_s3_read_retries_are_bounded(
    s3_proxy: FaultyProxy, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """A read that keeps failing is tried AWS_MAX_ATTEMPTS times, each logged, then a clear error."""
    monkeypatch.setenv("AWS_MAX_ATTEMPTS", "3")
    boto3.client("s3").put_object(Bucket=BUCKET, Key="down/week1.csv", Body=b"gameId,x\n1,2.5\n")
    source = open_source(f"s3://{BUCKET}/down")
    file = source.list_files()[0]
    s3_proxy.log.clear()
    s3_proxy.fail = lambda method, path, _range, _seen: method == "GET" and "week1.csv" in path
    with (
        caplog.at_level(logging.WARNING, logger="qb_assets.io.storage"),
        pytest.raises(SourceError, match=f"s3://{BUCKET}/down/week1.csv: cannot read the file"),
    ):
        source.read_frame(file)
    assert [r.status for r in s3_proxy.log if r.method == "GET"] == [503] * 3
    warnings = [r.getMessage() for r in caplog.records if r.name == "qb_assets.io.storage"]
    assert [w.split(": attempt ")[1].split(" failed")[0] for w in warnings] == ["1 of 3", "2 of 3", "3 of 3"]
    assert warnings[-1].endswith("giving up")
