"""Held-out evaluation of the trained model against the baselines, and the acceptance rule that keeps
a regressed model from scoring.

``evaluate_model`` reproduces the artifact's split from its config, so it always tests on the plays
training never saw. The oracle (the true distributions, known only for a generated season) comes in
as a function from the caller: this package never imports the generator.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.features.store import training_data

# (test plays with game_id and play_id, integer-yard grid (G,)) -> true probabilities (N, G).
OraclePmf = Callable[[pl.DataFrame, np.ndarray], np.ndarray]
METRIC_COLUMNS = ("nll", "crps", "mae_median", "pit_ks", "coverage_50", "coverage_90")

# A model is used for scoring only if its test PIT is not rejected as non-uniform at the 1% level
# (KS critical value 1.63 / sqrt(n), but never stricter than 0.03) and its test NLL is no more than
# NLL_TOLERANCE nats worse than the last accepted model's on the same feature schema.
PIT_KS_FLOOR = 0.03
KS_CRITICAL_1PCT = 1.63
NLL_TOLERANCE = 0.05
ACCEPTED_MODEL_FILE = "accepted_model.json"


def evaluate_model(
    lake: str,
    model_dir: str | Path,
    oracle: OraclePmf | None = None,
    baselines_dir: str | Path | None = None,
    progress: Progress | None = None,
) -> dict:
    """The metrics table on the artifact's test split: the SBP artifact, the baselines (loaded from
    ``baselines_dir`` when given, else trained here on the same split), the empirical marginal, and the
    oracle when ``oracle`` gives the true probabilities of the test plays."""
    from ml.artifacts import load_artifact  # noqa: PLC0415
    from ml.compare import Baselines, evaluate_models, train_baselines  # noqa: PLC0415 - torch on use
    from ml.evaluate import YARD_GRID  # noqa: PLC0415
    from ml.train import config_split  # noqa: PLC0415

    data, plays = training_data(lake)
    model, config, record = load_artifact(model_dir, data.meta["feature_schema_hash"])
    split = config_split(data, config)
    if baselines_dir is not None:
        baselines = Baselines.load(baselines_dir, data.meta["feature_schema_hash"])
    else:
        baselines = train_baselines(data, split, config, progress)
    test_plays = plays.filter(pl.Series(split == "test"))
    oracle_pmf = oracle(test_plays, YARD_GRID) if oracle is not None else None
    result = evaluate_models(data, split, config, model, baselines, oracle_pmf=oracle_pmf)
    return {
        **result,
        "model_dir": str(model_dir),
        "feature_schema_hash": record["feature_schema_hash"],
        "model_version": record["model_version"],
    }


def format_metrics_table(result: dict) -> str:
    """The ``models`` of an evaluation as a Markdown table, one row per model, and the test plays."""
    lines = ["| model | " + " | ".join(METRIC_COLUMNS) + " |", "|---" * (len(METRIC_COLUMNS) + 1) + "|"]
    for name, metrics in result["models"].items():
        cells = ["-" if metrics[c] is None else f"{metrics[c]:.4f}" for c in METRIC_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    return "\n".join([*lines, f"\ntest plays: {result['n_test']}"])


def artifact_version(model_dir: str | Path) -> str:
    """The model version (content hash of the weights) recorded in the artifact at ``model_dir``."""
    return json.loads((Path(model_dir) / "config.json").read_text())["model_version"]


def accepted_model(model_store_root: str | Path) -> dict | None:
    """The record of the model that last passed the regression rule (None before any did)."""
    accepted_file = Path(model_store_root) / ACCEPTED_MODEL_FILE
    return json.loads(accepted_file.read_text()) if accepted_file.exists() else None


def accepted_model_version(model_store_root: str | Path) -> str | None:
    """The model version that last passed the regression rule (None before any did)."""
    record = accepted_model(model_store_root)
    return record.get("model_version") if record else None


def regression_verdict(model_store_root: str | Path, result: dict) -> tuple[bool, dict]:
    """(passed, metadata) of the regression rule for the evaluation ``result``; a passing model becomes
    the accepted one (its record is written to ``ACCEPTED_MODEL_FILE``)."""
    sbp = result["models"]["sbp"]
    ks_limit = max(PIT_KS_FLOOR, KS_CRITICAL_1PCT / math.sqrt(result["n_test"]))
    accepted = accepted_model(model_store_root)
    same_schema = accepted is not None and accepted["feature_schema_hash"] == result["feature_schema_hash"]
    nll_limit = accepted["nll"] + NLL_TOLERANCE if same_schema else math.inf
    passed = sbp["pit_ks"] <= ks_limit and sbp["nll"] <= nll_limit
    if passed:
        record = {
            "nll": sbp["nll"],
            "pit_ks": sbp["pit_ks"],
            "feature_schema_hash": result["feature_schema_hash"],
            "model_version": result["model_version"],
        }
        (Path(model_store_root) / ACCEPTED_MODEL_FILE).write_text(json.dumps(record))
    return passed, {
        "pit_ks": sbp["pit_ks"],
        "pit_ks_limit": ks_limit,
        "nll": sbp["nll"],
        "nll_limit": nll_limit if math.isfinite(nll_limit) else "none (first model)",
    }
