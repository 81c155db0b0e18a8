"""Play scores of play-by-play partitions with a situation-only model version (``model.situation``).

The same ``play_scores`` columns as tracking scores, with ``source = 'pbp'``: ``passing_percentile`` is
where the actual yards fall under the situation model (a league-average QB in the same down, distance,
field position, quarter, clock and score; an interception 0, a touchdown the capped mid-point), with its
PIT bounds, quantiles and expected yards. There is no execution model and no tracking, so
``execution_percentile``, ``decision_value``, the execution PIT bounds, the target and the pocket columns
(``under_pressure``, time to throw) are null: the warehouse's views read a situation-only passing score
as the shrunk mean passing percentile (README, "The warehouse and SQL access"). ``heldout``: the game
was not fitted (a test game, or a season the model never saw); ``out_of_sample``: the play's season is
not one the model fitted.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.features.situation import situation_attempts, situation_schema_hash, situation_training_data
from qb_assets.ingest.pbp_ingest import pbp_partitions
from qb_assets.ingest.pbp_plays import SOURCE
from qb_assets.io import lake as lake_io
from qb_assets.model.store import is_heldout, local_version_dir, play_splits
from qb_assets.scoring.score import PLAY_COLUMNS, PLAY_SCORES_TABLE, fitted_seasons

DEEP_AIR_YARDS = 20
# Columns the situation source cannot fill, with the type tracking scores give them.
ABSENT_COLUMNS = {
    "target_nfl_id": pl.Int64,
    "under_pressure": pl.Boolean,
    "time_to_throw_s": pl.Float64,
    "time_to_throw_bucket": pl.String,
    "defenders_within_2yd_of_target_at_release": pl.Int32,
    "execution_percentile": pl.Float64,
    "decision_value": pl.Float64,
    "execution_cdf_lower": pl.Float64,
    "execution_cdf_upper": pl.Float64,
    "applicability": pl.Float64,  # no tracking read: no shift measured
}


def score_situation_lake(
    lake: str,
    version_dir: str | Path,
    partitions: Iterable[tuple[int, int]] | None = None,
    progress: Progress | None = None,
) -> dict:
    """Score every play-by-play partition of ``lake`` (or the given ones) with a situation model: one
    prediction over all their plays (the model is small; per-partition calls would pay its setup each
    time), then one ``play_scores`` partition written per week."""
    keys = list(partitions) if partitions is not None else pbp_partitions(lake)
    if not keys:
        raise FileNotFoundError(f"{lake}: no play-by-play partitions to score")
    started = time.perf_counter()
    scores = situation_scores(situation_attempts(lake, keys), version_dir)
    by_week = scores.partition_by("season", "week", as_dict=True)
    for index, (season, week) in enumerate(keys, 1):
        frame = by_week.get((season, week), scores.clear())
        lake_io.write_partition(lake, PLAY_SCORES_TABLE, season, week, frame)
        if progress:
            progress(f"[{index}/{len(keys)}] season {season} week {week}: {frame.height} plays scored")
    return {
        "plays_scored": scores.height,
        "heldout_plays": int(scores["heldout"].sum()),
        "out_of_sample_plays": int(scores["out_of_sample"].sum()),
        "partitions": len(keys),
        "seconds": round(time.perf_counter() - started, 2),
    }


def score_situation_partition(lake: str, version_dir: str | Path, season: int, week: int) -> pl.DataFrame:
    """Score one play-by-play partition with the situation model in ``version_dir`` and write it to
    ``play_scores``; returns the scores."""
    frame = situation_scores(situation_attempts(lake, [(season, week)]), version_dir)
    lake_io.write_partition(lake, PLAY_SCORES_TABLE, season, week, frame)
    return frame


def situation_scores(plays: pl.DataFrame, version_dir: str | Path) -> pl.DataFrame:
    """The play_scores rows of ``situation_attempts``' plays under the situation model in
    ``version_dir``. Refuses an artifact of another feature schema (``ArtifactError``)."""
    import torch  # noqa: PLC0415 - torch only when scoring

    from ml.artifacts import load_artifact  # noqa: PLC0415
    from ml.inference import to_tensors  # noqa: PLC0415
    from ml.score import capped_predictions, capped_scores  # noqa: PLC0415

    version_dir = local_version_dir(version_dir)
    data = situation_training_data(plays)
    model, config, record = load_artifact(version_dir, situation_schema_hash())
    tensors = to_tensors(data, np.arange(len(data.label)), torch.device("cpu"))
    yards = plays["yards_gained"].to_numpy()
    passing = capped_scores(
        capped_predictions(model, config, tensors), yards, (plays["pass_result"] == "IN").to_numpy()
    )
    in_sample = sorted(fitted_seasons(version_dir))
    return plays.select(
        *[c for c in PLAY_COLUMNS if c != "target_nfl_id"],
        pl.col("yards_gained").cast(pl.Float64),
        "air_yards",
        (pl.col("air_yards") >= DEEP_AIR_YARDS).alias("is_deep"),
        "down",
        "yards_to_go",
        "yards_to_endzone",
        "quarter",
        "is_touchdown",
        pl.col("epa").cast(pl.Float64),
    ).with_columns(
        pl.Series("passing_percentile", passing.pop("percentile")),
        *[pl.Series(f"passing_{bound}", passing.pop(bound)) for bound in ("cdf_lower", "cdf_upper")],
        *[pl.Series(name, values) for name, values in passing.items()],
        *[pl.lit(None, dtype=dtype).alias(name) for name, dtype in ABSENT_COLUMNS.items()],
        pl.lit(record["model_version"]).alias("model_version"),
        pl.lit(record["feature_schema_hash"]).alias("feature_schema_hash"),
        pl.Series("heldout", is_heldout(play_splits(version_dir, plays["game_id"]))),
        (~pl.col("season").is_in(in_sample)).alias("out_of_sample"),
        pl.lit(SOURCE).alias("source"),
    )
