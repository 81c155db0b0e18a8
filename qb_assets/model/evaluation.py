"""Held-out evaluation of a trained model version against the baselines, and the acceptance rule that
keeps a regressed model from being promoted (``model.store.promote``).

``evaluate_model`` tests on the test games recorded in the version (``split.parquet``), so it always
tests on the plays training never saw, whatever was added to the lake since. The oracle (the true
distributions, known only for a generated season) comes in as a function from the caller: this
package never imports the generator.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.features.store import training_data
from qb_assets.model.store import BASELINES_DIR, local_version_dir, location, play_splits, stored_folder
from qb_assets.model.training import MODEL_INPUTS, model_dir

# (test plays with game_id and play_id, integer-yard grid (G,)) -> true probabilities (N, G).
OraclePmf = Callable[[pl.DataFrame, np.ndarray], np.ndarray]
METRIC_COLUMNS = ("nll", "crps", "mae_median", "pit_ks", "coverage_50", "coverage_90")

# A model is used for scoring only if its test PIT is not rejected as non-uniform at the 1% level
# (KS critical value 1.63 / sqrt(n), but never stricter than 0.03) and its test NLL is no more than
# NLL_TOLERANCE nats worse than the accepted model's on the same feature schema.
PIT_KS_FLOOR = 0.03
KS_CRITICAL_1PCT = 1.63
NLL_TOLERANCE = 0.05


def evaluate_model(
    lake: str,
    version_dir: str | Path,
    oracles: dict[str, OraclePmf] | None = None,
    baselines_dir: str | Path | None = None,
    progress: Progress | None = None,
    *,
    with_baselines: bool = True,
) -> dict:
    """The metrics table on the test games of the model version in ``version_dir``, both models side by
    side: ``passing`` and ``execution`` (the SBP models), their oracles when ``oracles`` gives the true
    probabilities of the test plays under each definition (``passing_oracle``, ``execution_oracle``),
    and, unless ``with_baselines`` is False, the stored baselines on the passing model's inputs
    (``baselines_dir``, by default the version's ``baselines/``): ``gaussian``, ``trees``, ``marginal``.
    Evaluation never trains: when no baselines are stored, the models are evaluated alone and
    ``baselines_missing`` says how to train them (``qb-score train --baselines``, or the
    ``baseline_models`` asset)."""
    from ml.artifacts import load_artifact  # noqa: PLC0415
    from ml.compare import Baselines, evaluate_models, sbp_metrics  # noqa: PLC0415
    from ml.evaluate import YARD_GRID  # noqa: PLC0415

    oracles = oracles or {}
    stored = baselines_dir if baselines_dir is not None else location(version_dir, BASELINES_DIR)
    baselines_dir = stored_folder(stored)  # a local folder; None when none is stored
    missing = None
    if with_baselines and baselines_dir is None:
        missing = (
            f"no stored baselines in {stored}: the models are evaluated alone (train them with "
            "`qb-score train --baselines` or materialize the baseline_models asset)"
        )
        if progress:
            progress(missing)
    rows: dict[str, dict] = {}
    records: dict[str, dict] = {}
    for name in MODEL_INPUTS:
        data, plays = training_data(lake, inputs=MODEL_INPUTS[name])
        model, config, records[name] = load_artifact(
            model_dir(local_version_dir(version_dir), name), data.meta["feature_schema_hash"]
        )
        split = play_splits(version_dir, plays["game_id"])
        test_plays = plays.filter(pl.Series(split == "test"))
        oracle_pmf = oracles[name](test_plays, YARD_GRID) if name in oracles else None
        if name == "passing" and with_baselines and missing is None:
            baselines = Baselines.load(baselines_dir, data.meta["feature_schema_hash"])
            result = evaluate_models(data, split, config, model, baselines, oracle_pmf=oracle_pmf)
            found, n_test = result["models"], result["n_test"]
        else:
            found = sbp_metrics(data, split, config, model, oracle_pmf=oracle_pmf)
            n_test = int((split == "test").sum())
        rows[name] = found.pop("sbp")
        if "oracle" in found:
            rows[f"{name}_oracle"] = found.pop("oracle")
        rows.update(found)
    order = ("passing", "passing_oracle", "execution", "execution_oracle", "gaussian", "trees", "marginal")
    return {
        "models": {name: rows[name] for name in order if name in rows},
        "n_test": n_test,
        "model_dir": str(version_dir),
        "feature_schema_hash": records["passing"]["feature_schema_hash"],
        "model_version": records["passing"]["model_version"],
        **({"baselines_missing": missing} if missing else {}),
    }


def format_metrics_table(result: dict) -> str:
    """The ``models`` of an evaluation as a Markdown table, one row per model, and the test plays."""
    lines = ["| model | " + " | ".join(METRIC_COLUMNS) + " |", "|---" * (len(METRIC_COLUMNS) + 1) + "|"]
    for name, metrics in result["models"].items():
        cells = ["-" if metrics[c] is None else f"{metrics[c]:.4f}" for c in METRIC_COLUMNS]
        lines.append(f"| {name} | " + " | ".join(cells) + " |")
    notes = [f"\ntest plays: {result['n_test']}"]
    if result.get("baselines_missing"):
        notes.append(result["baselines_missing"])
    return "\n".join([*lines, *notes])


def regression_verdict(accepted: dict | None, result: dict) -> tuple[bool, dict]:
    """(passed, metadata) of the regression rule for the evaluation ``result`` against the ``accepted``
    pointer (``model.store.accepted_record``; None before any model was accepted): each model's test PIT
    within the KS limit, and each model's test NLL within NLL_TOLERANCE of the accepted version's. A
    situation-only version (``model.situation``) has only the passing model in ``result["models"]``."""
    ks_limit = max(PIT_KS_FLOOR, KS_CRITICAL_1PCT / math.sqrt(result["n_test"]))
    same_schema = accepted is not None and accepted["feature_schema_hash"] == result["feature_schema_hash"]
    passed, verdict = (
        True,
        {
            "model_version": result["model_version"],
            "accepted_version": accepted["model_version"] if accepted else "none",
            "pit_ks_limit": ks_limit,
        },
    )
    for name in (name for name in MODEL_INPUTS if name in result["models"]):
        metrics = result["models"][name]
        accepted_nll = accepted.get(f"{name}_nll") if same_schema else None
        nll_limit = accepted_nll + NLL_TOLERANCE if accepted_nll is not None else math.inf
        passed = passed and metrics["pit_ks"] <= ks_limit and metrics["nll"] <= nll_limit
        verdict[f"{name}_pit_ks"] = metrics["pit_ks"]
        verdict[f"{name}_nll"] = metrics["nll"]
        verdict[f"{name}_nll_limit"] = (
            nll_limit if math.isfinite(nll_limit) else "none (first model on this feature schema)"
        )
    return passed, verdict
