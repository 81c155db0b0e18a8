"""The model store: every training run publishes an immutable version folder; promotion moves a pointer.

```text
MODEL_ROOT/                 QB_MODELS/sbp for the Dagster assets; `qb-score train --model-root`
  <version>/                the weights' content hash; published once, atomically
    model.pt, config.json, metrics.json     the artifact (ml.artifacts)
    split.parquet           game_id -> train | validation | test: the games the model was fitted on
    baselines/              the comparison models on that split (baseline_models)
    evaluation.json         the held-out metrics table and the regression verdict (model_evaluation)
  candidate.json            the version the last training run produced: what is evaluated and promoted
  accepted.json             the promoted version: what scoring uses
```

MODEL_ROOT is a local folder or an ``s3://bucket/prefix`` (``QB_MODELS=s3://...``), through the storage
layer (``io.storage``). Locally a version is written into a hidden temporary folder of MODEL_ROOT and
renamed to ``<version>``; on S3 it is written into a local temporary folder and uploaded with its
``config.json`` last: a version is listed and loaded only once its ``config.json`` is there, so a crash
mid-upload leaves an invisible prefix (completed by the next publish of the same weights), never a
half-written version. A version that already exists is left as it is, so re-training identical weights
changes nothing. The pointers and ``evaluation.json`` are replaced atomically (a temporary file moved
into place with ``os.replace``; one PUT on S3). ``baselines/`` is written to a temporary folder and
swapped in locally; on S3 it is uploaded to a new ``baselines-<id>/`` prefix and the pointer object
``baselines.json`` is replaced to name it. Loading a version from S3 reads a local copy
(``io.storage.local_copy``; its name is its content hash, so the copy never goes stale).

Retention: after each publish the newest ``keep_versions`` versions (``DEFAULT_KEEP_VERSIONS``, by
creation time) stay, plus the accepted and the candidate versions whatever their age; older ones are
deleted (renamed to a hidden folder first, so that a listing never sees half of one).
"""

from __future__ import annotations

import os
import shutil
import tempfile
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from ml.errors import ArtifactError
from qb_assets.io.storage import is_remote, join_uri, local_copy, open_storage, uri_name

SPLIT_FILE = "split.parquet"
EVALUATION_FILE = "evaluation.json"
BASELINES_DIR = "baselines"
ACCEPTED_FILE = "accepted.json"
CANDIDATE_FILE = "candidate.json"
METRICS_FILE = "metrics.json"  # ml.artifacts.METRICS_FILE
SBP_ROOT = "sbp"  # the model root inside the model store folder (QB_MODELS/sbp)
DEFAULT_KEEP_VERSIONS = 5
# The split of a play whose game the model never saw: out of sample, so held out.
UNSEEN = "unseen"
FITTED_SPLITS = ("train", "validation")
_HIDDEN = "."
CONFIG_FILE = "config.json"  # ml.artifacts.CONFIG_FILE (not imported: that module imports torch)
# What may change in a version after it was published: left out of its local copies.
MUTABLE_IN_VERSION = (EVALUATION_FILE, BASELINES_DIR)


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def location(root: str | Path, *parts: str) -> str | Path:
    """``parts`` under the model root ``root``: a ``Path`` for a local root, a URI for an object store."""
    return join_uri(root, *parts) if is_remote(root) else Path(root, *parts)


def version_name(version_dir: str | Path) -> str:
    """The version a version folder (a local path or a URI) holds."""
    return uri_name(version_dir)


def local_version_dir(version_dir: str | Path) -> Path:
    """A local folder with the version's artifact files (``version_dir`` itself when it is local)."""
    return local_copy(version_dir, skip=MUTABLE_IN_VERSION)


def _parent_and_name(path: str | Path) -> tuple[str, str]:
    """(the folder, the file name) of a local path or a URI."""
    text = str(path).rstrip("/")
    if is_remote(text):
        parent, _, name = text.rpartition("/")
        return parent, name
    return str(Path(text).parent), Path(text).name


def write_json_atomic(path: str | Path, value: dict) -> str | Path:
    """Write ``value`` as JSON to ``path`` atomically (a temporary file moved into place; one PUT on S3)."""
    parent, name = _parent_and_name(path)
    open_storage(parent).write_json(name, value)
    return path


def _read_json(path: str | Path) -> dict | None:
    parent, name = _parent_and_name(path)
    return open_storage(parent).read_json(name)


def _discard(folder: str | Path) -> None:
    """Delete a folder so that nobody sees half of it: locally rename it to a hidden name, then remove
    it; on S3 delete its ``config.json`` (what makes it a version) first, then the rest."""
    if is_remote(folder):
        storage = open_storage(folder)
        storage.delete([CONFIG_FILE])
        storage.delete_prefix("")
        return
    folder = Path(folder)
    hidden = folder.with_name(f"{_HIDDEN}deleted-{folder.name}-{uuid.uuid4().hex}")
    os.rename(folder, hidden)
    shutil.rmtree(hidden)


def publish_version(
    model_root: str | Path, fill: Callable[[Path], None], keep_versions: int = DEFAULT_KEEP_VERSIONS
) -> tuple[str | Path, list[str]]:
    """Publish one version: ``fill(folder)`` writes the artifact (``ml.artifacts.save_artifact``) and its
    split into a temporary folder, which becomes ``MODEL_ROOT/<version>`` unless that version exists.
    The version becomes the candidate; old versions are pruned. Returns (version folder, pruned)."""
    if is_remote(model_root):
        return _publish_remote_version(str(model_root), fill, keep_versions)
    from ml.artifacts import artifact_record  # noqa: PLC0415 - torch only when a model is involved

    root = Path(model_root)
    root.mkdir(parents=True, exist_ok=True)
    for stale in root.glob(f"{_HIDDEN}tmp-*"):  # left by a writer that crashed; never visible
        shutil.rmtree(stale, ignore_errors=True)
    temporary = root / f"{_HIDDEN}tmp-{uuid.uuid4().hex}"
    temporary.mkdir()
    try:
        fill(temporary)
        if not (temporary / SPLIT_FILE).exists():
            raise ArtifactError(f"{temporary}: the artifact has no {SPLIT_FILE}")
        target = root / artifact_record(temporary)["model_version"]
        if not target.exists():
            try:
                os.rename(temporary, target)
            except OSError:
                if not target.exists():  # not a concurrent publish of the same version
                    raise
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)
    write_json_atomic(root / CANDIDATE_FILE, {"model_version": target.name, "trained_at": _now()})
    return target, prune_versions(root, keep_versions)


def _publish_remote_version(
    model_root: str, fill: Callable[[Path], None], keep_versions: int
) -> tuple[str, list[str]]:
    """``publish_version`` on an object store: fill a local folder, upload it with ``config.json`` last."""
    from ml.artifacts import artifact_record  # noqa: PLC0415

    storage = open_storage(model_root)
    with tempfile.TemporaryDirectory(prefix="qb-model-") as temporary:
        folder = Path(temporary)
        fill(folder)
        if not (folder / SPLIT_FILE).exists():
            raise ArtifactError(f"{folder}: the artifact has no {SPLIT_FILE}")
        version = artifact_record(folder)["model_version"]
        if not storage.exists(f"{version}/{CONFIG_FILE}"):
            storage.upload_folder(folder, version, last=(CONFIG_FILE,))
    storage.write_json(CANDIDATE_FILE, {"model_version": version, "trained_at": _now()})
    return storage.uri(version), prune_versions(model_root, keep_versions)


def publish_folder(target: str | Path, fill: Callable[[Path], None]) -> str | Path:
    """Replace the folder ``target`` (e.g. a version's baselines) with what ``fill`` writes into a
    temporary sibling: the old folder is moved aside, the new one renamed in, the old one deleted. On an
    object store the files go to a new prefix ``<target>-<id>/`` and the pointer ``<target>.json`` is
    replaced to name it (``stored_folder`` follows it); returns the folder written."""
    if is_remote(target):
        return _publish_remote_folder(str(target), fill)
    target = Path(target)
    temporary = target.with_name(f"{_HIDDEN}tmp-{target.name}-{uuid.uuid4().hex}")
    temporary.mkdir(parents=True)
    try:
        fill(temporary)
        if target.exists():
            _discard(target)
        os.rename(temporary, target)
    finally:
        if temporary.exists():
            shutil.rmtree(temporary)
    return target


def _publish_remote_folder(target: str, fill: Callable[[Path], None]) -> str:
    parent, name = _parent_and_name(target)
    storage = open_storage(parent)
    previous = (storage.read_json(f"{name}.json") or {}).get("folder")
    folder = f"{name}-{uuid.uuid4().hex[:12]}"
    with tempfile.TemporaryDirectory(prefix="qb-folder-") as temporary:
        fill(Path(temporary))
        storage.upload_folder(Path(temporary), folder)
    storage.write_json(f"{name}.json", {"folder": folder, "published_at": _now()})
    if previous:
        storage.delete_prefix(previous)
    return storage.uri(folder)


def stored_folder(target: str | Path) -> Path | None:
    """A local folder with what ``publish_folder(target)`` last published (None when nothing was)."""
    if not is_remote(target):
        return Path(target) if Path(target).is_dir() else None
    parent, name = _parent_and_name(target)
    pointer = open_storage(parent).read_json(f"{name}.json")
    return None if pointer is None else local_copy(join_uri(parent, pointer["folder"]))


def split_table(game_id: pl.Series, split: np.ndarray) -> pl.DataFrame:
    """One row per game: ``game_id`` and its ``split`` (per-play arrays in, as ``ml.train`` returns)."""
    return (
        pl.DataFrame({"game_id": game_id.cast(pl.Int64), "split": pl.Series(split, dtype=pl.String)})
        .unique("game_id")
        .sort("game_id")
    )


def game_splits(version_dir: str | Path) -> pl.DataFrame:
    """The version's game -> split table (``SPLIT_FILE``)."""
    path = local_version_dir(version_dir) / SPLIT_FILE
    if not path.exists():
        raise ArtifactError(
            f"{version_dir}: no {SPLIT_FILE} (a model trained before artifacts recorded their split); "
            "retrain it with `qb-score train`"
        )
    return pl.read_parquet(path)


def play_splits(version_dir: str | Path, game_id: pl.Series) -> np.ndarray:
    """Per play, the split its game had when the model was trained ('train' | 'validation' | 'test'),
    or ``UNSEEN`` for a game the model never saw."""
    plays = game_id.cast(pl.Int64).to_frame("game_id")
    joined = plays.join(game_splits(version_dir), on="game_id", how="left", maintain_order="left")
    return joined["split"].fill_null(UNSEEN).to_numpy()


def is_heldout(split: np.ndarray) -> np.ndarray:
    """Plays the model never fitted: its test games and the games it never saw."""
    return ~np.isin(split, FITTED_SPLITS)


def accepted_record(model_root: str | Path) -> dict | None:
    """The accepted pointer (version, its test NLL and PIT KS, when and what it replaced), or None."""
    return _read_json(location(model_root, ACCEPTED_FILE))


def accepted_version_dir(model_root: str | Path) -> str | Path:
    """The folder of the accepted version."""
    record = accepted_record(model_root)
    if record is None:
        raise ArtifactError(
            f"{model_root}: no accepted model ({ACCEPTED_FILE}): run the train_model job, whose "
            "promoted_model step accepts a model that passed model_not_regressed, or pass a version folder"
        )
    return location(model_root, record["model_version"])


def candidate_version_dir(model_root: str | Path) -> str | Path:
    """The folder of the version the last training run produced."""
    record = _read_json(location(model_root, CANDIDATE_FILE))
    if record is None:
        raise ArtifactError(f"{model_root}: no trained model ({CANDIDATE_FILE}): train one first")
    return location(model_root, record["model_version"])


def resolve_model_dir(path: str | Path) -> str | Path:
    """A version folder as given, a model root's accepted version, or, for the model store folder
    (``QB_MODELS``, e.g. ``work/models`` or ``s3://bucket/models``, which holds the root ``SBP_ROOT``),
    its root's accepted version."""
    storage = open_storage(path)
    if storage.exists(CONFIG_FILE):
        return location(path)
    is_store = not storage.exists(ACCEPTED_FILE) and storage.exists(f"{SBP_ROOT}/{ACCEPTED_FILE}")
    if not is_store and not storage.remote and not storage.exists(ACCEPTED_FILE):
        is_store = Path(path, SBP_ROOT).is_dir()  # names the store's root in the error below
    return accepted_version_dir(location(path, SBP_ROOT) if is_store else path)


def read_evaluation(version_dir: str | Path) -> dict | None:
    """The version's evaluation (metrics table and ``verdict``), or None before model_evaluation ran."""
    return _read_json(location(version_dir, EVALUATION_FILE))


def write_evaluation(version_dir: str | Path, evaluation: dict) -> str | Path:
    return write_json_atomic(location(version_dir, EVALUATION_FILE), evaluation)


def promote(model_root: str | Path, version: str) -> dict:
    """Make ``version`` the accepted model, if its evaluation passed the regression rule; returns the
    new pointer. Refuses (``ArtifactError``) a version never evaluated or rejected."""
    root = model_root
    record = _version_record(location(root, version))
    evaluation = read_evaluation(location(root, version))
    if evaluation is None:
        raise ArtifactError(
            f"{location(root, version)}: not evaluated yet ({EVALUATION_FILE}); run model_evaluation"
        )
    previous = accepted_record(root)
    kept = previous["model_version"] if previous else "none"
    if not evaluation["verdict"]["passed"]:
        raise ArtifactError(
            f"model {version} did not pass model_not_regressed ({evaluation['verdict']}); "
            f"the accepted model stays {kept}"
        )
    models = evaluation["models"]
    pointer = {
        "model_version": version,
        "feature_schema_hash": record["feature_schema_hash"],
        # The regression rule compares each model's test NLL with the accepted version's.
        **{
            f"{name}_{key}": models[name][key]
            for name in ("passing", "execution")
            if name in models  # a situation-only version has no execution model
            for key in ("nll", "pit_ks")
        },
        "n_test": evaluation["n_test"],
        "promoted_at": _now(),
        "previous_version": previous["model_version"] if previous else None,
    }
    write_json_atomic(location(root, ACCEPTED_FILE), pointer)
    return pointer


def _version_record(version_dir: str | Path) -> dict:
    """The version's config record (``ml.artifacts.artifact_record`` without the weights check)."""
    record = _read_json(location(version_dir, CONFIG_FILE))
    if record is None:
        raise ArtifactError(f"{version_dir}: not a model artifact (expected {CONFIG_FILE})")
    return record


def _created_at(version_dir: str | Path, record: dict) -> str:
    if "created_at" in record or is_remote(version_dir):
        return record.get("created_at", "")
    mtime = (Path(version_dir) / CONFIG_FILE).stat().st_mtime  # artifacts written before records had it
    return datetime.fromtimestamp(mtime, UTC).isoformat(timespec="microseconds")


def list_versions(model_root: str | Path) -> list[dict]:
    """Every version under ``model_root``, newest first: version, created_at, data range, test metrics
    (``metrics.json``), evaluation verdict (None before evaluation), accepted, candidate."""
    storage = open_storage(model_root)
    if not storage.remote and not Path(model_root).is_dir():
        raise FileNotFoundError(f"{model_root}: no such model root")
    accepted = (accepted_record(model_root) or {}).get("model_version")
    candidate = (_read_json(location(model_root, CANDIDATE_FILE)) or {}).get("model_version")
    names = sorted(
        key.split("/")[0]
        for key in storage.list()
        if key.count("/") == 1 and key.endswith(f"/{CONFIG_FILE}") and not key.startswith(_HIDDEN)
    )
    rows = []
    for name in names:
        folder = location(model_root, name)
        record = _version_record(folder)
        evaluation = read_evaluation(folder)
        rows.append(
            {
                "version": name,
                "created_at": _created_at(folder, record),
                "data": {k: record["data"].get(k) for k in ("seasons", "weeks", "games", "plays")},
                "test": (storage.read_json(f"{name}/{METRICS_FILE}") or {}).get("test", {}),
                "passed_regression_check": evaluation["verdict"]["passed"] if evaluation else None,
                "accepted": name == accepted,
                "candidate": name == candidate,
            }
        )
    return sorted(rows, key=lambda row: row["created_at"], reverse=True)


def prune_versions(model_root: str | Path, keep_versions: int = DEFAULT_KEEP_VERSIONS) -> list[str]:
    """Delete all but the newest ``keep_versions`` versions, never the accepted or the candidate one;
    returns the deleted versions."""
    if keep_versions < 1:
        raise ValueError(f"keep_versions must be at least 1, got {keep_versions}")
    versions = list_versions(model_root)
    doomed = [v["version"] for v in versions[keep_versions:] if not (v["accepted"] or v["candidate"])]
    for version in doomed:
        _discard(location(model_root, version))
    return doomed
