"""The feature store: ``LAKE/features/season=YYYY/week=W/`` (+ ``feature_quarantine``), published
together per partition through the lake's manifest (``io.lake``).

One Parquet file per partition holds the per-play columns and the play tensor as a fixed-shape
``Array(Float32, (MAX_FRAMES, 22, C))`` column, so a set of partitions loads into one NumPy array
(then one torch tensor) without per-play Python loops.
Partitions are processed one at a time, so memory stays bounded by the largest week.

Two input sets read the same table (``schema.INPUT_SETS``): ``load_feature_arrays`` and
``training_data`` take ``inputs="execution"`` (the default: v1's inputs and slot order) or
``inputs="passing"`` (target-free). The tensor is stored once, in the passing slot order, with the
per-play permutation ``execution_slot_order`` that the loader applies for the execution set.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import partial

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.features.derived import derived_features, pass_attempts
from qb_assets.features.field import field_features, player_positions
from qb_assets.features.play_matrix import play_tensors
from qb_assets.features.schema import (
    ANALYSIS_ONLY,
    CHANNELS,
    DEFAULT_INPUT_SET,
    DERIVED_INPUTS,
    KEYS,
    LABEL,
    MAX_FRAMES,
    OFFENSE_SLOTS,
    PASSING_INPUTS,
    SLOTS,
    STATIC_INPUTS,
    input_set,
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
    *(c for c in PASSING_INPUTS if c not in DERIVED_INPUTS),
    *ANALYSIS_ONLY,
    LABEL,
]
# Per-play arrays in the stored (passing) slot order; the loader reorders them with the tensor.
SLOT_COLUMNS = ("slot_present", "slot_nfl_id")
EXECUTION_SLOT_ORDER = "execution_slot_order"
# Per play, added by the loader from ``slot_present``: the offensive and defensive players tracked (the
# first OFFENSE_SLOTS slots are the offense in both slot orders); BDB 2021 tracks no linemen.
TRACKED_COLUMNS = ("tracked_offense_players", "tracked_defense_players")
_TENSOR_DTYPE = pl.Array(pl.Float32, (MAX_FRAMES, len(SLOTS), len(CHANNELS)))


def build_partition_features(
    tracking: pl.DataFrame, plays: pl.DataFrame, players: pl.DataFrame | None = None
) -> tuple[pl.DataFrame, pl.DataFrame, dict]:
    """(features, feature_quarantine, stats) for one partition's canonical tracking and play table.

    ``players`` (the partition's players table) gives the positions that identify the receiving
    options; without it the tracking rows' positions are used, else the alignment at the snap."""
    features, quarantine = derived_features(tracking, plays)
    features, options = field_features(tracking, features, player_positions(tracking, players))
    tensors = play_tensors(tracking, features, options)
    features = (
        features.with_columns(pl.Series("frames_truncated", tensors.frames_truncated))
        .select(PER_PLAY_COLUMNS)
        .with_columns(
            pl.Series("n_frames", tensors.n_frames),
            pl.Series("slot_present", tensors.slot_present),
            pl.Series("slot_nfl_id", tensors.slot_nfl_id),
            pl.Series(EXECUTION_SLOT_ORDER, tensors.execution_slot_order),
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
        "plays_without_receiving_options": int((features["receiving_options"] == 0).sum()),
        "options_by_position": int((options["identified_by"] == "position").sum()),
        "options_by_alignment": int((options["identified_by"] == "alignment").sum()),
    }
    return features, quarantine, stats


def features_for_partition(
    lake: str,
    season: int,
    week: int,
    verify: Callable[..., Iterable[str]] | None = None,
) -> dict:
    """Build one partition's features and publish them with their quarantine as one version of the
    partition; returns its stats. ``verify(staged, stats=stats)`` (the ``play_features`` asset's blocking
    checks) runs on the staged tables and returns the failed checks' names: any, and nothing is
    published (``io.lake.PartitionRejected``), the previous features stay in service."""
    tracking = lake_io.scan_table(lake, "tracking", [(season, week)]).collect()
    plays = lake_io.scan_table(lake, "plays", [(season, week)]).collect()
    players = (
        lake_io.scan_table(lake, "players", [(season, week)]).collect()
        if (season, week) in lake_io.list_partitions(lake, "players")
        else None  # a lake ingested before the players table: positions from the tracking rows
    )
    features, quarantine, stats = build_partition_features(tracking, plays, players)
    lake_io.publish_partition(
        lake,
        season,
        week,
        {FEATURES_TABLE: features, FEATURE_QUARANTINE_TABLE: quarantine},
        verify=None if verify is None else partial(verify, stats=stats),
    )
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
        for k in (
            "pass_attempts",
            "feature_rows",
            "feature_quarantined",
            "frames_truncated",
            "plays_without_receiving_options",
        )
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
    """Model-ready arrays of one input set for a set of plays (row i of every array is the same play).

    tensor (N, T, 22, C) float32 in the input set's slot order; n_frames (N,) int64; static (N, S)
    float32; derived (N, D) float32 (the set's derived inputs, ``derived_columns``); label (N,) float32
    yards; slot_present (N, 22) bool and slot_nfl_id (N, 22) int64 in the tensor's slot order; plays:
    the per-play columns (keys, inputs, analysis-only columns) as a frame.
    """

    tensor: np.ndarray
    n_frames: np.ndarray
    static: np.ndarray
    derived: np.ndarray
    label: np.ndarray
    plays: pl.DataFrame
    schema_hash: str
    inputs: str = DEFAULT_INPUT_SET
    static_columns: tuple[str, ...] = STATIC_INPUTS
    derived_columns: tuple[str, ...] = DERIVED_INPUTS
    slot_present: np.ndarray | None = None
    slot_nfl_id: np.ndarray | None = None


def to_execution_order(stored: np.ndarray, execution_slot_order: np.ndarray, chunk: int = 4096) -> np.ndarray:
    """``stored`` (N, 22) or (N, T, 22, C) in the passing slot order, reordered to the execution
    order (execution slot j = stored slot ``execution_slot_order[i, j]``), in place when writable and
    in chunks of plays, so that memory holds one copy of the tensor."""
    out = stored if stored.flags.writeable else stored.copy()
    slot_axis = out.ndim - 2 if out.ndim == 4 else 1
    shape = [1] * out.ndim
    for start in range(0, out.shape[0], chunk):
        part = out[start : start + chunk]
        shape[0], shape[slot_axis] = part.shape[0], part.shape[slot_axis]
        index = execution_slot_order[start : start + chunk].astype(np.intp).reshape(shape)
        part[...] = np.take_along_axis(part, index, axis=slot_axis)
    return out


def load_feature_arrays(
    lake: str, partitions: Iterable[tuple[int, int]] | None = None, inputs: str = DEFAULT_INPUT_SET
) -> FeatureArrays:
    """Load feature partitions into the arrays of the input set ``inputs`` (``execution``: v1's
    inputs and slot order; ``passing``: target-free); refuses partitions written under another
    feature schema."""
    spec = input_set(inputs)
    keys = list(partitions) if partitions is not None else lake_io.list_partitions(lake, FEATURES_TABLE)
    frame = lake_io.scan_table(lake, FEATURES_TABLE, keys).collect()
    found = set(frame["feature_schema_hash"].unique())
    if found - {schema_hash()}:
        raise ValueError(
            f"{lake}/{FEATURES_TABLE}: partitions were built with feature schema {sorted(found)}, "
            f"this code expects {schema_hash()}; rebuild them with `qb-score features`"
        )
    tensor = frame["tensor"].to_numpy()
    slot_present = frame["slot_present"].to_numpy().reshape(-1, len(SLOTS))
    slot_nfl_id = frame["slot_nfl_id"].to_numpy().reshape(-1, len(SLOTS))
    if inputs == "execution":
        order = frame[EXECUTION_SLOT_ORDER].to_numpy()
        tensor = to_execution_order(tensor, order)
        slot_present = to_execution_order(slot_present, order)
        slot_nfl_id = to_execution_order(slot_nfl_id, order)
    return FeatureArrays(
        tensor=tensor,
        n_frames=frame["n_frames"].to_numpy().astype(np.int64),
        static=frame.select(pl.col(c).cast(pl.Float32) for c in spec["static"]).to_numpy(),
        derived=frame.select(pl.col(c).cast(pl.Float32) for c in spec["derived"]).to_numpy(),
        label=frame[LABEL].cast(pl.Float32).to_numpy(),
        plays=frame.drop("tensor", *SLOT_COLUMNS, EXECUTION_SLOT_ORDER).with_columns(
            pl.Series(TRACKED_COLUMNS[0], slot_present[:, :OFFENSE_SLOTS].sum(axis=1).astype(np.int32)),
            pl.Series(TRACKED_COLUMNS[1], slot_present[:, OFFENSE_SLOTS:].sum(axis=1).astype(np.int32)),
        ),
        schema_hash=schema_hash(),
        inputs=inputs,
        static_columns=tuple(spec["static"]),
        derived_columns=tuple(spec["derived"]),
        slot_present=slot_present,
        slot_nfl_id=slot_nfl_id,
    )


def training_data(
    lake: str, partitions: Iterable[tuple[int, int]] | None = None, inputs: str = DEFAULT_INPUT_SET
):
    """The feature store as ``(ml.config.TrainingData, plays)`` for the input set ``inputs``
    (``execution``, the default, or ``passing``): tabular = the set's static then derived inputs, the
    tensor in its slot order; ``plays`` holds the per-play columns in the same row order. ``meta``
    records the input set and its tabular columns."""
    from ml.config import TrainingData  # noqa: PLC0415 - torch only when a model is involved
    from qb_assets.features.schema import feature_schema  # noqa: PLC0415

    arrays = load_feature_arrays(lake, partitions, inputs)
    plays = arrays.plays
    meta = {
        "feature_schema_hash": arrays.schema_hash,
        "feature_schema": feature_schema(),
        "input_set": arrays.inputs,
        "tabular_columns": [*arrays.static_columns, *arrays.derived_columns],
        "plays": plays.height,
        "seasons": sorted(plays["season"].unique().to_list()),
        "weeks": sorted(plays["week"].unique().to_list()),
        "games": plays["game_id"].n_unique(),
    }
    # The field boundaries (docs/sbp.md section 8): U the touchdown yardage, L the offense's own goal line.
    upper_yd = plays["yards_to_endzone"].round(0).clip(lower_bound=1).cast(pl.Float32).to_numpy()
    data = TrainingData(
        tensor=arrays.tensor,
        n_frames=arrays.n_frames,
        tabular=np.concatenate([arrays.static, arrays.derived], axis=1),
        label=arrays.label,
        game_id=plays["game_id"].to_numpy(),
        week=plays["week"].to_numpy().astype(np.int64),
        meta=meta,
        lower_yd=upper_yd - 100.0,
        upper_yd=upper_yd,
    )
    return data, plays
