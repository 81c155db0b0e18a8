"""Great Expectations suite on one feature partition: complete model inputs, ranges, tensor layout."""

from __future__ import annotations

import numpy as np
import polars as pl

from qb_assets.common.expectations import SuiteOutcome, gx_module, run_suite
from qb_assets.features.schema import CHANNELS, DERIVED_INPUTS, MAX_FRAMES, SLOTS, STATIC_INPUTS


def features_suite(features: pl.DataFrame) -> SuiteOutcome:
    """Validate one partition of the feature table: complete model inputs, ranges, tensor layout."""
    gx = gx_module()
    E = gx.expectations
    tensor = features["tensor"].to_numpy()
    frame_index = np.arange(MAX_FRAMES)[None, :]
    padding = frame_index >= features["n_frames"].to_numpy()[:, None]
    checked = features.select(*STATIC_INPUTS, *DERIVED_INPUTS, "n_frames").with_columns(
        pl.Series("tensor_shape", ["x".join(map(str, tensor.shape[1:]))] * features.height),
        pl.Series("tensor_abs_max", np.abs(tensor).max(axis=(1, 2, 3)) if features.height else []),
        pl.Series(
            "padding_abs_max",
            np.abs(np.where(padding[:, :, None, None], tensor, 0)).max(axis=(1, 2, 3))
            if features.height
            else [],
        ),
        pl.col("situation_known").cast(pl.Int8),
        pl.col("under_pressure").cast(pl.Int8),
    )
    ranges = {
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
        "n_frames": (1, MAX_FRAMES),
        "tensor_abs_max": (0.0, 150.0),
        "padding_abs_max": (0.0, 0.0),
    }
    expectations = [E.ExpectColumnValuesToNotBeNull(column=c) for c in (*STATIC_INPUTS, *DERIVED_INPUTS)]
    expectations += [
        E.ExpectColumnValuesToBeBetween(column=c, min_value=lo, max_value=hi)
        for c, (lo, hi) in ranges.items()
    ]
    expectations.append(
        E.ExpectColumnValuesToBeInSet(
            column="tensor_shape", value_set=[f"{MAX_FRAMES}x{len(SLOTS)}x{len(CHANNELS)}"]
        )
    )
    return run_suite("features", checked, expectations)
