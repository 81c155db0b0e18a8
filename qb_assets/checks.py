"""Asset checks: great-expectations suites and accounting, as blocking checks on the assets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import dagster as dg

from qb_assets import lake as lake_io
from qb_assets.quality_suites import SuiteOutcome, features_suite, plays_suite, tracking_suite

RAW_TRACKING_CHECKS = [
    dg.AssetCheckSpec(
        "tracking_expectations",
        asset="raw_tracking",
        blocking=True,
        description="great-expectations suite on canonical tracking (ranges, keys, frames, players per side)",
    ),
    dg.AssetCheckSpec(
        "plays_expectations",
        asset="raw_tracking",
        blocking=True,
        description="great-expectations suite on the play table (keys, results, ranges)",
    ),
    dg.AssetCheckSpec(
        "plays_accounted_for",
        asset="raw_tracking",
        blocking=True,
        description="plays_in = plays_accepted + plays_quarantined",
    ),
]


def _result(name: str, outcome: SuiteOutcome, asset: str = "raw_tracking") -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        check_name=name,
        asset_key=asset,
        passed=outcome.success,
        severity=dg.AssetCheckSeverity.ERROR,
        description=outcome.description,
        metadata={"expectations": outcome.evaluated, "failures": dg.MetadataValue.json(outcome.failures)},
    )


def raw_tracking_check_results(lake: str, season: int, week: int, summary: dict) -> list[dg.AssetCheckResult]:
    tracking = lake_io.scan_table(lake, "tracking", [(season, week)]).collect()
    plays = lake_io.scan_table(lake, "plays", [(season, week)]).collect()
    layout = summary["layouts"][0] if len(summary["layouts"]) == 1 else "mixed"
    accounted = summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"]
    return [
        _result("tracking_expectations", tracking_suite(tracking, layout)),
        _result("plays_expectations", plays_suite(plays)),
        dg.AssetCheckResult(
            check_name="plays_accounted_for",
            asset_key="raw_tracking",
            passed=accounted,
            metadata={k: summary[k] for k in ("plays_in", "plays_accepted", "plays_quarantined")},
        ),
    ]


PLAY_FEATURES_CHECKS = [
    dg.AssetCheckSpec(
        "feature_expectations",
        asset="play_features",
        blocking=True,
        description="great-expectations suite on the feature table (model inputs, ranges, tensor layout)",
    ),
    dg.AssetCheckSpec(
        "features_accounted_for",
        asset="play_features",
        blocking=True,
        description="feature rows + feature-quarantined = pass attempts accepted upstream",
    ),
]


def play_features_check_results(lake: str, season: int, week: int, stats: dict) -> list[dg.AssetCheckResult]:
    features = lake_io.scan_table(lake, "features", [(season, week)]).collect()
    accounted = stats["feature_rows"] + stats["feature_quarantined"] == stats["pass_attempts"]
    return [
        _result("feature_expectations", features_suite(features), "play_features"),
        dg.AssetCheckResult(
            check_name="features_accounted_for",
            asset_key="play_features",
            passed=accounted and features.height == stats["feature_rows"],
            metadata={k: stats[k] for k in ("pass_attempts", "feature_rows", "feature_quarantined")},
        ),
    ]


# A model is used for scoring only if its test PIT is not rejected as non-uniform at the 1% level
# (KS critical value 1.63 / sqrt(n), but never stricter than 0.03) and its test NLL is no more than
# NLL_TOLERANCE nats worse than the last accepted model's on the same feature schema.
PIT_KS_FLOOR = 0.03
KS_CRITICAL_1PCT = 1.63
NLL_TOLERANCE = 0.05
ACCEPTED_MODEL_FILE = "accepted_model.json"

MODEL_EVALUATION_CHECKS = [
    dg.AssetCheckSpec(
        "model_not_regressed",
        asset="model_evaluation",
        blocking=True,
        description="test PIT KS within the 1% KS critical value; NLL within 0.05 nats of the last accepted",
    )
]


def model_regression_check(model_store_root: str, result: dict) -> dg.AssetCheckResult:
    sbp = result["models"]["sbp"]
    ks_limit = max(PIT_KS_FLOOR, KS_CRITICAL_1PCT / math.sqrt(result["n_test"]))
    accepted_file = Path(model_store_root) / ACCEPTED_MODEL_FILE
    accepted = json.loads(accepted_file.read_text()) if accepted_file.exists() else None
    same_schema = accepted is not None and accepted["feature_schema_hash"] == result["feature_schema_hash"]
    nll_limit = accepted["nll"] + NLL_TOLERANCE if same_schema else math.inf
    passed = sbp["pit_ks"] <= ks_limit and sbp["nll"] <= nll_limit
    if passed:
        accepted_file.write_text(
            json.dumps(
                {
                    "nll": sbp["nll"],
                    "pit_ks": sbp["pit_ks"],
                    "feature_schema_hash": result["feature_schema_hash"],
                }
            )
        )
    return dg.AssetCheckResult(
        check_name="model_not_regressed",
        asset_key="model_evaluation",
        passed=passed,
        metadata={
            "pit_ks": sbp["pit_ks"],
            "pit_ks_limit": ks_limit,
            "nll": sbp["nll"],
            "nll_limit": nll_limit if math.isfinite(nll_limit) else "none (first model)",
        },
    )
