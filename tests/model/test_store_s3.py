"""The model store under ``s3://`` (a local S3 server): versions, pointers and baselines published with
the same rules as on a local folder, and ``QB_MODELS=s3://...`` scoring with the accepted version read
from S3."""

from __future__ import annotations

import shutil
from pathlib import Path

import boto3
import polars as pl
import pytest

from qb_assets.defs.resources import default_resources
from qb_assets.model.store import (
    ACCEPTED_FILE,
    accepted_version_dir,
    candidate_version_dir,
    list_versions,
    promote,
    publish_folder,
    publish_version,
    resolve_model_dir,
    stored_folder,
    version_name,
)
from qb_assets.scoring.score import score_partition
from tests.model.test_store import evaluated, filler

BUCKET = "models"


@pytest.fixture(scope="module", autouse=True)
def bucket(s3_endpoint: str) -> None:
    boto3.client("s3").create_bucket(Bucket=BUCKET)


def _keys(prefix: str) -> list[str]:
    listed = boto3.client("s3").list_objects_v2(Bucket=BUCKET, Prefix=prefix).get("Contents", [])
    return sorted(o["Key"].removeprefix(prefix) for o in listed)


def test_versions_pointers_and_baselines_on_s3(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("QB_CACHE", str(tmp_path / "cache"))
    root = f"s3://{BUCKET}/unit/sbp"
    first, _ = publish_version(root, filler(0))
    with pytest.raises(OSError, match="disk full"):
        publish_version(root, filler(1, crash_after_weights=True))
    assert first == f"{root}/{version_name(first)}" and candidate_version_dir(root) == first
    assert _keys("unit/sbp/") == sorted(
        ["candidate.json"] + [f"{version_name(first)}/{n}" for n in ("config.json", "metrics.json",
                                                                      "model.pt", "split.parquet")]
    )  # fmt: skip
    evaluated(first, passed=True)
    promote(root, version_name(first))
    assert accepted_version_dir(root) == first and ACCEPTED_FILE in _keys("unit/sbp/")
    assert resolve_model_dir(f"s3://{BUCKET}/unit") == first  # the store folder: its sbp root's accepted
    # Baselines: a new prefix, then one pointer object; the previous prefix is deleted.
    target = f"{first}/baselines"
    publish_folder(target, lambda folder: (folder / "trees.txt").write_text("one"))
    publish_folder(target, lambda folder: (folder / "trees.txt").write_text("two"))
    assert (stored_folder(target) / "trees.txt").read_text() == "two"
    assert len([k for k in _keys(f"unit/sbp/{version_name(first)}/") if k.endswith("trees.txt")]) == 1
    second, pruned = publish_version(root, filler(2), keep_versions=1)
    assert pruned == [] and [v["version"] for v in list_versions(root)] == [
        version_name(second),
        version_name(first),
    ]  # the accepted version is kept whatever its age


def test_qb_models_on_s3_scores_with_the_accepted_version(
    small_season, trained_model: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A model published to QB_MODELS=s3://... and accepted there is what scoring loads (from S3: a local
    copy in QB_CACHE), scoring exactly like the same version read from a local folder."""
    _, lake = small_season
    monkeypatch.setenv("QB_MODELS", f"s3://{BUCKET}/store")
    monkeypatch.setenv("QB_CACHE", str(tmp_path / "cache"))
    model_store = default_resources()["model_store"]
    uploaded, _ = publish_version(
        model_store.sbp_root, lambda folder: shutil.copytree(trained_model, folder, dirs_exist_ok=True)
    )
    evaluated(uploaded, passed=True)
    promote(model_store.sbp_root, version_name(uploaded))
    version_dir = accepted_version_dir(model_store.sbp_root)
    assert str(version_dir).startswith(f"s3://{BUCKET}/store/sbp/")
    local_lake, s3_lake = tmp_path / "local", tmp_path / "from_s3"
    for copy in (local_lake, s3_lake):
        shutil.copytree(lake, copy)
    from_s3 = score_partition(str(s3_lake), version_dir, 2024, 3)
    assert list((tmp_path / "cache").iterdir())  # the version came from S3
    local = score_partition(str(local_lake), trained_model, 2024, 3)
    assert from_s3["model_version"].unique().to_list() == [version_name(uploaded)] == [trained_model.name]
    assert from_s3.height > 0 and from_s3.equals(local)
    assert pl.Series(from_s3["heldout"]).all()  # week 3 was held out in training
