"""play_scores: every featurized pass attempt scored by a model version, one lake partition per week.

Per play, the three numbers of the score (README, "The score"): ``passing_percentile`` (where the
actual yards fall in the passing model's distribution for a league-average QB given the field only),
``execution_percentile`` (the same under the execution model, given the chosen target too) and
``decision_value`` (how much the chosen target raised the expected passing percentile); an interception
scores 0 in both percentiles. Also: each model's randomized-PIT bounds (``passing_cdf_lower`` ...), the
passing model's predicted median, 5/25/75/95% quantiles and expected yards (all capped at the goal lines),
the model version and feature schema hash, whether the play was held out of training (``heldout``: its
game is in the version's recorded test split, or the model never saw it), the play's EPA where the
source carries it, and the analysis columns the splits need. ``is_touchdown`` is a completion whose
yards reach the end zone (yards gained >= yards to the end zone).
"""

from __future__ import annotations

import math
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.features.store import FEATURES_TABLE, training_data
from qb_assets.ingest.season_calendar import season_from_game_id
from qb_assets.io import lake as lake_io
from qb_assets.model.applicability import Applicability, applicability, read_profile
from qb_assets.model.store import UNSEEN, game_splits, is_heldout, local_version_dir, play_splits
from qb_assets.model.training import MODEL_INPUTS, model_dir

PLAY_SCORES_TABLE = "play_scores"
TRACKING_SOURCE = "tracking"
PLAY_COLUMNS = (
    "game_id",
    "play_id",
    "season",
    "week",
    "passer_nfl_id",
    "target_nfl_id",
    "possession_team",
    "defensive_team",
    "pass_result",
)
ANALYSIS_COLUMNS = [
    "under_pressure",
    "time_to_throw_s",
    "time_to_throw_bucket",
    "air_yards",
    "is_deep",
    "down",
    "yards_to_go",
    "yards_to_endzone",
    "quarter",
    "defenders_within_2yd_of_target_at_release",
]


def partition_predictions(
    lake: str, version_dir: str | Path, key: tuple[int, int]
) -> tuple[dict, pl.DataFrame]:
    """Each model's (capped distribution, record) for one feature partition, and its plays (the version
    read from a local copy when it is stored on S3)."""
    import torch  # noqa: PLC0415 - torch only when scoring

    from ml.artifacts import load_artifact  # noqa: PLC0415
    from ml.inference import to_tensors  # noqa: PLC0415
    from ml.score import capped_predictions  # noqa: PLC0415

    version_dir = local_version_dir(version_dir)
    predictions = {}
    for name in MODEL_INPUTS:
        data, plays = training_data(lake, [key], inputs=MODEL_INPUTS[name])
        model, config, record = load_artifact(model_dir(version_dir, name), data.meta["feature_schema_hash"])
        tensors = to_tensors(data, np.arange(len(data.label)), torch.device("cpu"))
        predictions[name] = (capped_predictions(model, config, tensors), record)
    return predictions, plays


def score_partition(lake: str, version_dir: str | Path, season: int, week: int) -> pl.DataFrame:
    """Score one feature partition with the model version in ``version_dir`` (its passing and execution
    models) and write it; returns the scores. ``heldout`` comes from the version's game -> split table,
    not from this week's games; ``applicability`` is the partition's shift from the version's training
    features (``model.applicability``), one value for the partition.

    Refuses an artifact whose feature schema hash differs from the features' (``ArtifactError``)."""
    return score_and_measure(lake, version_dir, season, week)[0]


def score_and_measure(
    lake: str, version_dir: str | Path, season: int, week: int
) -> tuple[pl.DataFrame, Applicability]:
    """``score_partition``'s scores and the partition's applicability record."""
    from ml.score import capped_scores, decision_values  # noqa: PLC0415 - torch only when scoring

    version_dir = local_version_dir(version_dir)
    predictions, plays = partition_predictions(lake, version_dir, (season, week))
    shift = applicability(read_profile(version_dir), plays)
    yards = plays["yards_gained"].to_numpy()
    intercepted = (plays["pass_result"] == "IN").to_numpy()
    passing = capped_scores(predictions["passing"][0], yards, intercepted)
    execution = capped_scores(predictions["execution"][0], yards, intercepted)
    record = predictions["passing"][1]
    frame = plays.select(
        *PLAY_COLUMNS, pl.col("yards_gained").cast(pl.Float64), *ANALYSIS_COLUMNS
    ).with_columns(
        pl.Series("passing_percentile", passing.pop("percentile")),
        pl.Series("execution_percentile", execution["percentile"]),
        pl.Series("decision_value", decision_values(predictions["passing"][0], predictions["execution"][0])),
        *[pl.Series(f"passing_{bound}", passing.pop(bound)) for bound in ("cdf_lower", "cdf_upper")],
        *[pl.Series(f"execution_{bound}", execution[bound]) for bound in ("cdf_lower", "cdf_upper")],
        *[pl.Series(name, values) for name, values in passing.items()],
        pl.lit(record["model_version"]).alias("model_version"),
        pl.lit(record["feature_schema_hash"]).alias("feature_schema_hash"),
        (
            (pl.col("pass_result") == "C") & (pl.col("yards_gained") >= pl.col("yards_to_endzone").round(0))
        ).alias("is_touchdown"),
        pl.Series("heldout", is_heldout(play_splits(version_dir, plays["game_id"]))),
        pl.lit(season not in fitted_seasons(version_dir)).alias("out_of_sample"),
        pl.lit(TRACKING_SOURCE).alias("source"),
    )
    frame = frame.join(_expected_points(lake, season, week), on=["game_id", "play_id"], how="left")
    frame = frame.with_columns(pl.lit(shift.shift, dtype=pl.Float64).alias("applicability"))
    lake_io.write_partition(lake, PLAY_SCORES_TABLE, season, week, frame)
    return frame, shift


def fitted_seasons(version_dir: str | Path) -> set[int]:
    """The seasons of the games the version fitted (train or validation): its in-sample seasons."""
    fitted = game_splits(version_dir).filter(~pl.col("split").is_in(["test", UNSEEN]))
    return set(fitted.select(season_from_game_id(pl.col("game_id")))["game_id"].to_list())


def _expected_points(lake: str, season: int, week: int) -> pl.DataFrame:
    """The partition's plays' EPA from the lake's play table (null where the source has none, or the
    lake holds the features without the plays they were built from)."""
    try:
        plays = lake_io.scan_table(lake, "plays", [(season, week)])
    except FileNotFoundError:
        return pl.DataFrame(schema={"game_id": pl.Int64, "play_id": pl.Int64, "epa": pl.Float64})
    if "epa" not in plays.collect_schema().names():  # ingested before the play table carried EPA
        return plays.select("game_id", "play_id", pl.lit(None, dtype=pl.Float64).alias("epa")).collect()
    return plays.select("game_id", "play_id", pl.col("epa").cast(pl.Float64)).collect()


def score_lake(
    lake: str,
    model_dir: str | Path,
    partitions: Iterable[tuple[int, int]] | None = None,
    progress: Progress | None = None,
) -> dict:
    """Score every feature partition (or the given ones)."""
    keys = list(partitions) if partitions is not None else lake_io.list_partitions(lake, FEATURES_TABLE)
    started, scored, shifts = time.perf_counter(), 0, {}
    for index, (season, week) in enumerate(keys, 1):
        frame, shift = score_and_measure(lake, model_dir, season, week)
        scored += frame.height
        shifts[f"{season}|{week}"] = shift
        if progress:
            progress(f"[{index}/{len(keys)}] season {season} week {week}: {frame.height} plays scored")
    return {
        "plays_scored": scored,
        "partitions": len(keys),
        "applicability": {key: shift.as_dict() for key, shift in shifts.items()},
        "applicability_warnings": [
            applicability_warning(key, shift) for key, shift in shifts.items() if shift.verdict != "ok"
        ],
        "seconds": round(time.perf_counter() - started, 2),
    }


def applicability_warning(partition: str, shift: Applicability) -> str:
    """One line saying that (and how far) partition ``season|week`` is outside what the model learned."""
    season, week = partition.split("|")
    where = f"season {season} week {week}"
    if shift.verdict == "unknown":
        return f"{where}: the model version records no training profile; applicability unknown (retrain)"
    worst = max(shift.ks_by_feature.items(), key=lambda item: item[1], default=("-", 0.0))
    level = "far outside" if shift.verdict == "fail" else "outside"
    return (
        f"{where}: scored {level} what the model learned: shift {shift.shift:.2f} (warn above "
        f"{shift.warn_limit:.2f}, fail above {shift.fail_limit:.2f}); {shift.unsupported_share:.0%} of "
        f"the plays in a context it barely saw; largest feature KS {worst[1]:.2f} ({worst[0]})"
    )


def invalid_scores(scores: pl.DataFrame) -> pl.DataFrame:
    """The rows of ``scores`` whose percentiles leave [0, 1], whose decision value leaves [-1/2, 1/2] or
    whose quantiles are out of order."""
    return scores.filter(
        ~pl.col("passing_percentile").is_between(0.0, 1.0)
        | ~pl.col("execution_percentile").is_between(0.0, 1.0)
        | ~pl.col("decision_value").is_between(-0.5, 0.5)
        | (pl.col("q05") > pl.col("predicted_median"))
        | (pl.col("predicted_median") > pl.col("q95"))
    )


HELDOUT_KS_LIMIT = 0.05
KS_CRITICAL_1PCT = 1.63


@dataclass(frozen=True)
class HeldoutUniformity:
    """The randomized-PIT KS test of the held-out plays one model version scored across the lake, for
    both of its models; ``ks_distance`` is the worse of the two (``ks_by_model`` has each)."""

    model_version: str
    partitions: int
    plays: int
    heldout_plays: int
    ks_distance: float | None  # None when the version scored no held-out play
    limit: float
    ks_by_model: dict[str, float] = field(default_factory=dict)

    @property
    def passed(self) -> bool:
        """Uniform within the limit; no held-out plays is not a pass (nothing was tested)."""
        return self.ks_distance is not None and self.ks_distance < self.limit


def heldout_uniformity(lake: str, seed: int = 0) -> dict[str, HeldoutUniformity]:
    """Per model version found in ``play_scores``: the KS distance of the randomized PIT of the held-out
    plays it scored, and the limit. Versions are never mixed: each calibrates on its own test games.

    The mid-point percentile of an integer outcome is not uniform even under the true distribution (an
    incompletion's jump is one value), so the check draws u ~ U(F(y - 0.5), F(y + 0.5)), which is. The
    limit is 0.05, or the 1% KS critical value 1.63 / sqrt(n) when fewer plays make 0.05 too strict."""
    from ml.evaluate import ks_distance  # noqa: PLC0415 - torch only when scoring

    scores = lake_io.scan_table(lake, PLAY_SCORES_TABLE)
    counts = (
        scores.group_by("model_version")
        .agg(
            pl.struct("season", "week").n_unique().alias("partitions"),
            pl.len().alias("plays"),
            pl.col("heldout").sum().alias("heldout_plays"),
        )
        .sort("model_version")
        .collect()
    )
    bounds = [f"{model}_{bound}" for model in MODEL_INPUTS for bound in ("cdf_lower", "cdf_upper")]
    heldout = scores.filter(pl.col("heldout")).select("model_version", *bounds).collect()
    results = {}
    for row in counts.iter_rows(named=True):
        mine = heldout.filter(pl.col("model_version") == row["model_version"])
        ks_by_model = {}
        for model in MODEL_INPUTS if mine.height else ():
            if mine[f"{model}_cdf_lower"].is_null().all():  # a situation-only version has no execution model
                continue
            lower, upper = mine[f"{model}_cdf_lower"].to_numpy(), mine[f"{model}_cdf_upper"].to_numpy()
            pit = lower + np.random.default_rng(seed).uniform(size=len(lower)) * (upper - lower)
            ks_by_model[model] = ks_distance(pit)
        limit = (
            max(HELDOUT_KS_LIMIT, KS_CRITICAL_1PCT / math.sqrt(mine.height))
            if mine.height
            else HELDOUT_KS_LIMIT
        )
        results[row["model_version"]] = HeldoutUniformity(
            **row,
            ks_distance=max(ks_by_model.values()) if ks_by_model else None,
            limit=limit,
            ks_by_model=ks_by_model,
        )
    return results
