"""Model artifacts: a directory with the weights (``WEIGHTS_FILE``), the config record (``CONFIG_FILE``:
model version, creation time, training config, model shape, feature schema and its hash, data range) and
the metrics (``METRICS_FILE``). ``load_artifact`` refuses a model trained on another feature schema.

``save_artifact`` fills the directory it is given; making that directory an immutable, atomically
published version (a temporary folder renamed into place) is the model store's job
(``qb_assets.model.store``)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path

import torch

from ml.config import TrainConfig
from ml.errors import ArtifactError
from ml.sbp import YARD_BIN_COUNT, YARD_BINS
from ml.tcn import PassOutcomeNet, network_for

__all__ = [
    "CONFIG_FILE",
    "METRICS_FILE",
    "WEIGHTS_FILE",
    "artifact_record",
    "load_artifact",
    "save_artifact",
    "weights_hash",
]

WEIGHTS_FILE = "model.pt"
CONFIG_FILE = "config.json"
METRICS_FILE = "metrics.json"


def save_artifact(
    out_dir: str | Path,
    model: PassOutcomeNet,
    config: TrainConfig,
    data_meta: dict,
    metrics: dict,
    *,
    version: str | None = None,
) -> Path:
    """Weights, config (model + training), feature schema and its hash, data range, metrics. The record's
    ``model_version`` is ``version`` when given (a model set naming itself), else the weights' hash."""
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), out / WEIGHTS_FILE)
    record = {
        # The weights' content hash names the model version that scores carry.
        "model_version": version or weights_hash(out / WEIGHTS_FILE),
        "created_at": datetime.now(UTC).isoformat(timespec="microseconds"),
        "train_config": asdict(config),
        "model": {
            "frame_shape": list(model.frame_shape) if model.frame_shape else None,
            "tabular_features": model.tabular_mean.numel(),
            "out_features": model.head[-1].out_features,
            "bins": list(YARD_BINS),
            "bin_count": YARD_BIN_COUNT,
        },
        "feature_schema_hash": data_meta["feature_schema_hash"],
        "feature_schema": data_meta.get("feature_schema"),
        "data": {k: v for k, v in data_meta.items() if k not in ("feature_schema", "feature_schema_hash")},
    }
    (out / CONFIG_FILE).write_text(json.dumps(record, indent=2, default=str))
    (out / METRICS_FILE).write_text(json.dumps(metrics, indent=2, default=str))
    return out


def weights_hash(*weights_files: str | Path) -> str:
    """The content hash (12 hex digits) of one or more weights files, in order."""
    digest = hashlib.sha256()
    for path in weights_files:
        digest.update(Path(path).read_bytes())
    return digest.hexdigest()[:12]


def artifact_record(model_dir: str | Path) -> dict:
    """The config record of the artifact in ``model_dir`` (without loading the weights)."""
    folder = Path(model_dir)
    if not (folder / CONFIG_FILE).exists() or not (folder / WEIGHTS_FILE).exists():
        raise ArtifactError(f"{folder}: not a model artifact (expected {CONFIG_FILE} and {WEIGHTS_FILE})")
    return json.loads((folder / CONFIG_FILE).read_text())


def load_artifact(
    model_dir: str | Path, expected_schema_hash: str
) -> tuple[PassOutcomeNet, TrainConfig, dict]:
    """Load a trained model; refuses one whose feature schema hash differs from the data's."""
    folder = Path(model_dir)
    record = artifact_record(folder)
    if record["feature_schema_hash"] != expected_schema_hash:
        raise ArtifactError(
            f"{folder}: model was trained on feature schema {record['feature_schema_hash']}, "
            f"the features are {expected_schema_hash}; retrain with `qb-score train`"
        )
    stored = record["train_config"]
    # JSON has no tuples: restore the tuple-typed fields.
    config = TrainConfig(**{k: tuple(v) if isinstance(v, list) else v for k, v in stored.items()})
    shape = record["model"]
    frame_shape = tuple(shape["frame_shape"]) if shape["frame_shape"] else None
    model = network_for(config, frame_shape, shape["tabular_features"], shape["out_features"])
    model.load_state_dict(torch.load(folder / WEIGHTS_FILE, map_location="cpu", weights_only=True))
    model.eval()
    return model, config, record
