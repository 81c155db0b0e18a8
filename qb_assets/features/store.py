"""The feature store: ``LAKE/features/season=YYYY/week=W/data.parquet`` (+ ``feature_quarantine``).

One Parquet file per partition holds the per-play columns and the play tensor as a fixed-shape
``Array(Float32, (MAX_FRAMES, 22, C))`` column, so a partition is written atomically in one file and a
set of partitions loads into one NumPy array (then one torch tensor) without per-play Python loops.
Partitions are processed one at a time, so memory stays bounded by the largest week.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.features.derived import derived_features, pass_attempts
from qb_assets.features.play_matrix import play_tensors
from qb_assets.features.schema import (
    ANALYSIS_ONLY,
    CHANNELS,
    DERIVED_INPUTS,
    KEYS,
    LABEL,
    MAX_FRAMES,
    SLOTS,
    STATIC_INPUTS,
    schema_hash,
)
from qb_assets.io import lake as lake_io

FEATURES_TABLE = "features"
FEATURE_QUARANTINE_TABLE = "feature_quarantine"
PER_PLAY_COLUMNS = [
    *KEYS,
    "snap_frame_id",
    "release_frame_id",
    "line_of_scrimmage_x",
    "ball_y_at_snap",
    *STATIC_INPUTS,
    *DERIVED_INPUTS,
    *ANALYSIS_ONLY,
    LABEL,
]
_TENSOR_DTYPE = pl.Array(pl.Float32, (MAX_FRAMES, len(SLOTS), len(CHANNELS)))


def build_partition_features(
    tracking: pl.DataFrame, plays: pl.DataFrame
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """(features, feature_quarantine, stats) for one partition's canonical tracking and play table."""
    features, quarantine = derived_features(tracking, plays)
    tensors = play_tensors(tracking, features)
    features = (
        features.with_columns(pl.Series("frames_truncated", tensors.frames_truncated))
        .select(PER_PLAY_COLUMNS)
        .with_columns(
            pl.Series("n_frames", tensors.n_frames),
            pl.Series("slot_present", tensors.slot_present),
            pl.Series("slot_nfl_id", tensors.slot_nfl_id),
            pl.Series("tensor", tensors.tensor, dtype=_TENSOR_DTYPE),
            pl.lit(schema_hash()).alias("feature_schema_hash"),
        )
    )
    stats = {
        "pass_attempts": pass_attempts(plays).height,
        "feature_rows": features.height,
        "feature_quarantined": quarantine.height,
        "frames_truncated": int(tensors.frames_truncated.sum()),
        "players_dropped": tensors.players_dropped,
    }
    return features, quarantine, stats


def features_for_partition(lake: str, season: int, week: int) -> dict:
    """Build and atomically write one partition's features; returns its stats."""
    tracking = lake_io.scan_table(lake, "tracking", [(season, week)]).collect()
    plays = lake_io.scan_table(lake, "plays", [(season, week)]).collect()
    features, quarantine, stats = build_partition_features(tracking, plays)
    lake_io.write_partition(lake, FEATURES_TABLE, season, week, features)
    lake_io.write_partition(lake, FEATURE_QUARANTINE_TABLE, season, week, quarantine)
    reasons = dict(quarantine.group_by("reason").len().sort("reason").iter_rows())
    return {"season": season, "week": week, **stats, "quarantine_reasons": reasons}


def build_features(
    lake: str,
    partitions: Iterable[tuple[int, int]] | None = None,
    progress: Progress | None = None,
) -> dict:
    """Features for every ingested partition (or the given ones), one partition at a time."""
    keys = list(partitions) if partitions is not None else lake_io.list_partitions(lake, "plays")
    if not keys:
        raise FileNotFoundError(f"{lake}: no ingested partitions (run `qb-score ingest` first)")
    started = time.perf_counter()
    parts = []
    for index, (season, week) in enumerate(keys, 1):
        parts.append(features_for_partition(lake, season, week))
        if progress:
            p = parts[-1]
            progress(
                f"[{index}/{len(keys)}] season {season} week {week}: {p['feature_rows']} plays featurized, "
                f"{p['feature_quarantined']} quarantined ({time.perf_counter() - started:.1f} s)"
            )
    totals = {
        k: sum(p[k] for p in parts)
        for k in ("pass_attempts", "feature_rows", "feature_quarantined", "frames_truncated")
    }
    reasons: dict[str, int] = {}
    for p in parts:
        for reason, count in p["quarantine_reasons"].items():
            reasons[reason] = reasons.get(reason, 0) + count
    return {
        **totals,
        "quarantine_reasons": reasons,
        "feature_schema_hash": schema_hash(),
        "partitions": len(parts),
        "seconds": round(time.perf_counter() - started, 2),
    }


@dataclass
class FeatureArrays:
    """Model-ready arrays for a set of plays (row i of every array is the same play).

    tensor (N, T, 22, C) float32; n_frames (N,) int64; static (N, S) float32; derived (N, D) float32;
    label (N,) float32 yards; plays: the per-play columns (keys, analysis-only columns) as a frame.
    """

    tensor: np.ndarray
    n_frames: np.ndarray
    static: np.ndarray
    derived: np.ndarray
    label: np.ndarray
    plays: pl.DataFrame
    schema_hash: str


def load_feature_arrays(lake: str, partitions: Iterable[tuple[int, int]] | None = None) -> FeatureArrays:
    """Load feature partitions into arrays; refuses partitions written under another feature schema."""
    keys = list(partitions) if partitions is not None else lake_io.list_partitions(lake, FEATURES_TABLE)
    frame = lake_io.scan_table(lake, FEATURES_TABLE, keys).collect()
    found = set(frame["feature_schema_hash"].unique())
    if found - {schema_hash()}:
        raise ValueError(
            f"{lake}/{FEATURES_TABLE}: partitions were built with feature schema {sorted(found)}, "
            f"this code expects {schema_hash()}; rebuild them with `qb-score features`"
        )
    numeric = [pl.col(c).cast(pl.Float32) for c in STATIC_INPUTS]
    derived = [pl.col(c).cast(pl.Float32) for c in DERIVED_INPUTS]
    return FeatureArrays(
        tensor=frame["tensor"].to_numpy(),
        n_frames=frame["n_frames"].to_numpy().astype(np.int64),
        static=frame.select(numeric).to_numpy(),
        derived=frame.select(derived).to_numpy(),
        label=frame[LABEL].cast(pl.Float32).to_numpy(),
        plays=frame.drop("tensor", "slot_present", "slot_nfl_id"),
        schema_hash=schema_hash(),
    )


def training_data(lake: str, partitions: Iterable[tuple[int, int]] | None = None):
    """The feature store as ``(ml.config.TrainingData, plays)``: tabular = static then derived inputs;
    ``plays`` holds the per-play columns (keys, analysis-only columns) in the same row order."""
    from ml.config import TrainingData  # noqa: PLC0415 - torch only when a model is involved
    from qb_assets.features.schema import feature_schema  # noqa: PLC0415

    arrays = load_feature_arrays(lake, partitions)
    plays = arrays.plays
    meta = {
        "feature_schema_hash": arrays.schema_hash,
        "feature_schema": feature_schema(),
        "plays": plays.height,
        "seasons": sorted(plays["season"].unique().to_list()),
        "weeks": sorted(plays["week"].unique().to_list()),
        "games": plays["game_id"].n_unique(),
    }
    data = TrainingData(
        tensor=arrays.tensor,
        n_frames=arrays.n_frames,
        tabular=np.concatenate([arrays.static, arrays.derived], axis=1),
        label=arrays.label,
        game_id=plays["game_id"].to_numpy(),
        week=plays["week"].to_numpy().astype(np.int64),
        meta=meta,
    )
    return data, plays
