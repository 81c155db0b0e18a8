"""Great Expectations suite on one feature partition: complete model inputs of both input sets, ranges,
tensor layout and the per-play slot permutation."""

from __future__ import annotations

import numpy as np
import polars as pl

from qb_assets.common.expectations import SuiteOutcome, gx_module, run_suite
from qb_assets.features.schema import (
    CHANNELS,
    DERIVED_INPUTS,
    MAX_FRAMES,
    OPTION_COUNT,
    PASSING_INPUTS,
    SLOTS,
    STATIC_INPUTS,
)

# Per-option ranges (the option columns are option_{k}_{field}); the bounds of the matching target inputs.
OPTION_RANGES = {
    "present": (0, 1),
    "depth_at_release_yd": (-30.0, 90.0),
    "separation_at_release_yd": (0.0, 30.0),
    "defenders_within_2yd_at_release": (0, 11),
    "speed_at_release_yd_s": (0.0, 13.0),
    "downfield_speed_at_release_yd_s": (-13.0, 13.0),
    "sideline_distance_at_release_yd": (0.0, 27.0),
    "throw_distance_at_release_yd": (0.0, 100.0),
}
RANGES = {
    "down": (1, 4),
    "yards_to_go": (0, 99),
    "yards_to_endzone": (0, 110),
    "quarter": (1, 5),
    "half_seconds_remaining": (0, 1800),
    "games_remaining": (0, 18),
    "time_to_throw_s": (0.0, 15.0),
    "defenders_within_2yd_of_target_at_release": (0, 11),
    "target_separation_at_release_yd": (0.0, 30.0),
    "qb_nearest_defender_at_release_yd": (0.0, 30.0),
    "pass_rushers": (0, 11),
    "qb_speed_at_release": (0.0, 13.0),
    "target_depth_at_release_yd": (-30.0, 90.0),
    "target_speed_at_release_yd_s": (0.0, 13.0),
    "target_downfield_speed_at_release_yd_s": (-13.0, 13.0),
    "target_sideline_distance_at_release_yd": (0.0, 27.0),
    "defenders_within_5yd_of_target_at_release": (0, 11),
    "throw_distance_at_release_yd": (0.0, 100.0),
    **{
        f"option_{k}_{name}": bounds
        for k in range(1, OPTION_COUNT + 1)
        for name, bounds in OPTION_RANGES.items()
    },
    "receiving_options": (0, OPTION_COUNT),
    "best_option_separation_at_release_yd": (0.0, 30.0),
    "open_options_at_release": (0, OPTION_COUNT),
    "deepest_option_depth_at_release_yd": (-30.0, 90.0),
    "n_frames": (1, MAX_FRAMES),
    "tensor_abs_max": (0.0, 150.0),
    "padding_abs_max": (0.0, 0.0),
    "execution_slot_order_is_permutation": (1, 1),
}
MODEL_INPUTS = tuple(dict.fromkeys((*STATIC_INPUTS, *DERIVED_INPUTS, *PASSING_INPUTS)))


def _derived_checks(features: pl.DataFrame) -> list[pl.Series]:
    """Per-play numbers computed from the tensor and the slot permutation, for range expectations."""
    tensor = features["tensor"].to_numpy()
    frame_index = np.arange(MAX_FRAMES)[None, :]
    padding = frame_index >= features["n_frames"].to_numpy()[:, None]
    order = features["execution_slot_order"].to_numpy().reshape(-1, len(SLOTS))
    empty = features.height == 0
    return [
        pl.Series("tensor_shape", ["x".join(map(str, tensor.shape[1:]))] * features.height),
        pl.Series("tensor_abs_max", [] if empty else np.abs(tensor).max(axis=(1, 2, 3))),
        pl.Series(
            "padding_abs_max",
            [] if empty else np.abs(np.where(padding[:, :, None, None], tensor, 0)).max(axis=(1, 2, 3)),
        ),
        pl.Series(
            "execution_slot_order_is_permutation",
            (np.sort(order, axis=1) == np.arange(len(SLOTS))).all(axis=1).astype(np.int8),
        ),
    ]


def features_suite(features: pl.DataFrame) -> SuiteOutcome:
    """Validate one partition of the feature table: complete model inputs (both input sets), ranges,
    tensor layout, and that ``execution_slot_order`` is a permutation of the 22 slots on every play."""
    gx = gx_module()
    E = gx.expectations
    flags = [c for c in MODEL_INPUTS if features.schema[c] == pl.Boolean]
    checked = features.select(*MODEL_INPUTS, "n_frames").with_columns(
        *_derived_checks(features), *[pl.col(c).cast(pl.Int8) for c in flags]
    )
    expectations = [E.ExpectColumnValuesToNotBeNull(column=c) for c in MODEL_INPUTS]
    expectations += [
        E.ExpectColumnValuesToBeBetween(column=c, min_value=lo, max_value=hi)
        for c, (lo, hi) in RANGES.items()
    ]
    expectations.append(
        E.ExpectColumnValuesToBeInSet(
            column="tensor_shape", value_set=[f"{MAX_FRAMES}x{len(SLOTS)}x{len(CHANNELS)}"]
        )
    )
    return run_suite("features", checked, expectations)
