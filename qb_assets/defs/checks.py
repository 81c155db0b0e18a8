"""Asset checks: great-expectations suites and accounting, as blocking checks on the assets."""

from __future__ import annotations

import json
import math
from pathlib import Path

import dagster as dg

from qb_assets.common.expectations import SuiteOutcome, features_suite, plays_suite, tracking_suite
from qb_assets.io import lake as lake_io

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
                    "model_version": result["model_version"],
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


def accepted_model_version(model_store_root: str) -> str | None:
    """The model version that last passed ``model_not_regressed`` (None before any did)."""
    accepted_file = Path(model_store_root) / ACCEPTED_MODEL_FILE
    return json.loads(accepted_file.read_text()).get("model_version") if accepted_file.exists() else None


PLAY_SCORES_CHECKS = [
    dg.AssetCheckSpec(
        "percentiles_in_unit_interval",
        asset="play_scores",
        blocking=True,
        description="every percentile in [0, 1] and every quantile ordered",
    ),
    dg.AssetCheckSpec(
        "heldout_percentiles_uniform",
        asset="play_scores",
        description="randomized PIT of the held-out plays scored so far: KS distance to uniform < 0.05",
    ),
]
HELDOUT_KS_LIMIT = 0.05


def heldout_uniformity(lake: str, seed: int = 0) -> tuple[float | None, int, float]:
    """(KS distance, plays, limit) of the randomized PIT of every held-out play scored in the lake.

    The mid-point percentile of an integer outcome is not uniform even under the true distribution (an
    incompletion's jump is one value), so the check draws u ~ U(F(y - 0.5), F(y + 0.5)), which is. The
    limit is 0.05, or the 1% KS critical value 1.63 / sqrt(n) when fewer plays make 0.05 too strict."""
    import numpy as np  # noqa: PLC0415
    import polars as pl  # noqa: PLC0415

    from ml.evaluate import ks_distance  # noqa: PLC0415

    heldout = (
        lake_io.scan_table(lake, "play_scores")
        .filter(pl.col("heldout"))
        .select("cdf_lower", "cdf_upper")
        .collect()
    )
    if heldout.is_empty():
        return None, 0, HELDOUT_KS_LIMIT
    lower, upper = heldout["cdf_lower"].to_numpy(), heldout["cdf_upper"].to_numpy()
    pit = lower + np.random.default_rng(seed).uniform(size=len(lower)) * (upper - lower)
    return ks_distance(pit), len(pit), max(HELDOUT_KS_LIMIT, KS_CRITICAL_1PCT / math.sqrt(len(pit)))


def play_scores_check_results(scores, lake: str) -> list[dg.AssetCheckResult]:
    import polars as pl  # noqa: PLC0415

    bad = scores.filter(
        ~pl.col("percentile").is_between(0.0, 1.0)
        | (pl.col("q05") > pl.col("predicted_median"))
        | (pl.col("predicted_median") > pl.col("q95"))
    )
    return [
        dg.AssetCheckResult(
            check_name="percentiles_in_unit_interval",
            asset_key="play_scores",
            passed=bad.is_empty(),
            metadata={"plays": scores.height, "violations": bad.height},
        ),
        uniformity_result(lake),
    ]


def uniformity_result(lake: str) -> dg.AssetCheckResult:
    ks, plays, limit = heldout_uniformity(lake)
    return dg.AssetCheckResult(
        check_name="heldout_percentiles_uniform",
        asset_key="play_scores",
        passed=ks is None or ks < limit,
        severity=dg.AssetCheckSeverity.WARN,
        metadata={
            "ks_distance": ks if ks is not None else "no held-out plays yet",
            "heldout_plays": plays,
            "limit": limit,
        },
    )


WAREHOUSE_CHECKS = [
    dg.AssetCheckSpec(
        "no_duplicate_keys",
        asset="warehouse",
        blocking=True,
        description="play_scores and plays have one row per (game_id, play_id)",
    ),
    dg.AssetCheckSpec(
        "scores_join_plays",
        asset="warehouse",
        blocking=True,
        description="every play score joins a play of the same partition",
    ),
]


def warehouse_check_results(path: str, season: int, week: int) -> list[dg.AssetCheckResult]:
    from qb_assets.warehouse.load import connect  # noqa: PLC0415

    con = connect(path, read_only=True)
    try:
        duplicates = sum(
            con.execute(
                f"SELECT count(*) - count(DISTINCT (game_id, play_id)) FROM {table} "
                "WHERE season = ? AND week = ?",
                [season, week],
            ).fetchone()[0]
            for table in ("play_scores", "plays")
        )
        orphans = con.execute(
            "SELECT count(*) FROM play_scores s ANTI JOIN plays p USING (game_id, play_id) "
            "WHERE s.season = ? AND s.week = ?",
            [season, week],
        ).fetchone()[0]
    finally:
        con.close()
    return [
        dg.AssetCheckResult(
            check_name="no_duplicate_keys",
            asset_key="warehouse",
            passed=duplicates == 0,
            metadata={"duplicate_rows": duplicates},
        ),
        dg.AssetCheckResult(
            check_name="scores_join_plays",
            asset_key="warehouse",
            passed=orphans == 0,
            metadata={"scores_without_a_play": orphans},
        ),
    ]
