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

A version is written into a hidden temporary folder of MODEL_ROOT and renamed to ``<version>``; a
version that already exists is left as it is, so re-training identical weights changes nothing. A
crash leaves a hidden temporary folder (removed by the next publish), never a half-written version.
The pointers and ``evaluation.json`` are written to a temporary file moved into place with
``os.replace``; ``baselines/`` is written to a temporary folder and swapped in.

Retention: after each publish the newest ``keep_versions`` versions (``DEFAULT_KEEP_VERSIONS``, by
creation time) stay, plus the accepted and the candidate versions whatever their age; older ones are
deleted (renamed to a hidden folder first, so that a listing never sees half of one).
"""

from __future__ import annotations

import json
import os
import shutil
import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import numpy as np
import polars as pl

from ml.errors import ArtifactError
from qb_assets.common.ranges import format_int_ranges

SPLIT_FILE = "split.parquet"
EVALUATION_FILE = "evaluation.json"
BASELINES_DIR = "baselines"
ACCEPTED_FILE = "accepted.json"
CANDIDATE_FILE = "candidate.json"
SBP_ROOT = "sbp"  # the model root inside the model store folder (QB_MODELS/sbp)
DEFAULT_KEEP_VERSIONS = 5
# The split of a play whose game the model never saw: out of sample, so held out.
UNSEEN = "unseen"
FITTED_SPLITS = ("train", "validation")
_HIDDEN = "."


def _now() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def write_json_atomic(path: str | Path, value: dict) -> Path:
    """Write ``value`` as JSON to ``path``: a temporary file in the same folder, then ``os.replace``."""
    path = Path(path)
    temporary = path.with_name(f"{_HIDDEN}{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        temporary.write_text(json.dumps(value, indent=2, default=str))
        os.replace(temporary, path)
    finally:
        temporary.unlink(missing_ok=True)
    return path


def _read_json(path: Path) -> dict | None:
    return json.loads(path.read_text()) if path.exists() else None


def _discard(folder: Path) -> None:
    """Delete a folder so that nobody sees half of it: rename it to a hidden name, then remove it."""
    hidden = folder.with_name(f"{_HIDDEN}deleted-{folder.name}-{uuid.uuid4().hex}")
    os.rename(folder, hidden)
    shutil.rmtree(hidden)


def publish_version(
    model_root: str | Path, fill: Callable[[Path], None], keep_versions: int = DEFAULT_KEEP_VERSIONS
) -> tuple[Path, list[str]]:
    """Publish one version: ``fill(folder)`` writes the artifact (``ml.artifacts.save_artifact``) and its
    split into a temporary folder, which becomes ``MODEL_ROOT/<version>`` unless that version exists.
    The version becomes the candidate; old versions are pruned. Returns (version folder, pruned)."""
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


def publish_folder(target: str | Path, fill: Callable[[Path], None]) -> Path:
    """Replace the folder ``target`` (e.g. a version's baselines) with what ``fill`` writes into a
    temporary sibling: the old folder is moved aside, the new one renamed in, the old one deleted."""
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


def split_table(game_id: pl.Series, split: np.ndarray) -> pl.DataFrame:
    """One row per game: ``game_id`` and its ``split`` (per-play arrays in, as ``ml.train`` returns)."""
    return (
        pl.DataFrame({"game_id": game_id.cast(pl.Int64), "split": pl.Series(split, dtype=pl.String)})
        .unique("game_id")
        .sort("game_id")
    )


def game_splits(version_dir: str | Path) -> pl.DataFrame:
    """The version's game -> split table (``SPLIT_FILE``)."""
    path = Path(version_dir) / SPLIT_FILE
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
    return _read_json(Path(model_root) / ACCEPTED_FILE)


def accepted_version_dir(model_root: str | Path) -> Path:
    """The folder of the accepted version."""
    record = accepted_record(model_root)
    if record is None:
        raise ArtifactError(
            f"{model_root}: no accepted model ({ACCEPTED_FILE}): run the train_model job, whose "
            "promoted_model step accepts a model that passed model_not_regressed, or pass a version folder"
        )
    return Path(model_root) / record["model_version"]


def candidate_version_dir(model_root: str | Path) -> Path:
    """The folder of the version the last training run produced."""
    record = _read_json(Path(model_root) / CANDIDATE_FILE)
    if record is None:
        raise ArtifactError(f"{model_root}: no trained model ({CANDIDATE_FILE}): train one first")
    return Path(model_root) / record["model_version"]


def resolve_model_dir(path: str | Path) -> Path:
    """A version folder as given, a model root's accepted version, or, for the model store folder
    (``QB_MODELS``, e.g. ``work/models``, which holds the root ``SBP_ROOT``), its root's accepted version."""
    from ml.artifacts import CONFIG_FILE  # noqa: PLC0415

    path = Path(path)
    if (path / CONFIG_FILE).exists():
        return path
    is_store = not (path / ACCEPTED_FILE).exists() and (path / SBP_ROOT).is_dir()
    return accepted_version_dir(path / SBP_ROOT if is_store else path)


def read_evaluation(version_dir: str | Path) -> dict | None:
    """The version's evaluation (metrics table and ``verdict``), or None before model_evaluation ran."""
    return _read_json(Path(version_dir) / EVALUATION_FILE)


def write_evaluation(version_dir: str | Path, evaluation: dict) -> Path:
    return write_json_atomic(Path(version_dir) / EVALUATION_FILE, evaluation)


def promote(model_root: str | Path, version: str) -> dict:
    """Make ``version`` the accepted model, if its evaluation passed the regression rule; returns the
    new pointer. Refuses (``ArtifactError``) a version never evaluated or rejected."""
    from ml.artifacts import artifact_record  # noqa: PLC0415

    root = Path(model_root)
    record = artifact_record(root / version)
    evaluation = read_evaluation(root / version)
    if evaluation is None:
        raise ArtifactError(f"{root / version}: not evaluated yet ({EVALUATION_FILE}); run model_evaluation")
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
    write_json_atomic(root / ACCEPTED_FILE, pointer)
    return pointer


def _created_at(version_dir: Path, record: dict) -> str:
    if "created_at" in record:
        return record["created_at"]
    mtime = (version_dir / "config.json").stat().st_mtime  # artifacts written before records had it
    return datetime.fromtimestamp(mtime, UTC).isoformat(timespec="microseconds")


def list_versions(model_root: str | Path) -> list[dict]:
    """Every version under ``model_root``, newest first: version, created_at, data range, test metrics
    (``metrics.json``), evaluation verdict (None before evaluation), accepted, candidate."""
    from ml.artifacts import CONFIG_FILE, METRICS_FILE, artifact_record  # noqa: PLC0415

    root = Path(model_root)
    if not root.is_dir():
        raise FileNotFoundError(f"{root}: no such model root")
    accepted = (accepted_record(root) or {}).get("model_version")
    candidate = (_read_json(root / CANDIDATE_FILE) or {}).get("model_version")
    rows = []
    for folder in root.iterdir():
        if folder.name.startswith(_HIDDEN) or not (folder / CONFIG_FILE).exists():
            continue
        record = artifact_record(folder)
        evaluation = read_evaluation(folder)
        rows.append(
            {
                "version": folder.name,
                "created_at": _created_at(folder, record),
                "data": {k: record["data"].get(k) for k in ("seasons", "weeks", "games", "plays")},
                "test": json.loads((folder / METRICS_FILE).read_text()).get("test", {}),
                "passed_regression_check": evaluation["verdict"]["passed"] if evaluation else None,
                "accepted": folder.name == accepted,
                "candidate": folder.name == candidate,
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
        _discard(Path(model_root) / version)
    return doomed


VERSION_COLUMNS = (
    "version",
    "created (UTC)",
    "data",
    "plays",
    "passing test NLL",
    "passing test CRPS",
    "passing test PIT KS",
    "check",
    "accepted",
)


def format_versions_table(versions: list[dict]) -> str:
    """``list_versions`` as a Markdown table, newest first; ``check`` is the regression verdict."""
    verdicts = {True: "passed", False: "failed", None: "not evaluated"}
    lines = ["| " + " | ".join(VERSION_COLUMNS) + " |", "|---" * len(VERSION_COLUMNS) + "|"]
    for row in versions:
        data, test = row["data"], row["test"]
        cells = [
            row["version"] + (" (candidate)" if row["candidate"] else ""),
            row["created_at"][:19].replace("T", " "),
            f"{format_int_ranges(data['seasons'] or [])} weeks {format_int_ranges(data['weeks'] or [])}",
            str(data["plays"]),
            *(f"{test[k]:.4f}" if test.get(k) is not None else "-" for k in ("nll", "crps", "pit_ks")),
            verdicts[row["passed_regression_check"]],
            "yes" if row["accepted"] else "no",
        ]
        lines.append("| " + " | ".join(cells) + " |")
    return "\n".join(lines)
