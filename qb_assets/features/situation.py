"""The situation-only input set: what the QB does not choose, from the lake's play-by-play plays (no
tracking, so no play tensor): down, yards to go, yards to the end zone, quarter, seconds left in the
half and score difference, with ``clock_known`` / ``score_known`` flags where a file lacks the clock or
the score (imputed with ``SITUATION_DEFAULTS``). Air yards is an analysis column, never an input: the
QB chooses it.

The situation model's artifacts record ``situation_schema_hash()`` as their feature schema hash, so a
situation model cannot score tracking features nor the reverse.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable

import numpy as np
import polars as pl

from qb_assets.features.schema import STATIC_INPUTS
from qb_assets.ingest.pbp_ingest import pbp_partitions
from qb_assets.ingest.schema import PASS_ATTEMPT_RESULTS
from qb_assets.io import lake as lake_io

SITUATION_SCHEMA_VERSION = 1
# The tracking models' static situation without games_remaining (a play-by-play file may hold part of a
# season) and situation_known, plus the flags of what the file lacks.
SITUATION_INPUTS = (*STATIC_INPUTS[: STATIC_INPUTS.index("games_remaining")], "clock_known", "score_known")
SITUATION_DEFAULTS = {"half_seconds_remaining": 900, "score_difference": 0}
SITUATION_INPUT_SET = "situation"


def situation_schema() -> dict:
    """The situation input set as data (what an artifact records next to its hash)."""
    return {
        "version": SITUATION_SCHEMA_VERSION,
        "input_set": SITUATION_INPUT_SET,
        "tabular": list(SITUATION_INPUTS),
        "defaults": SITUATION_DEFAULTS,
        "plays": f"play-by-play pass attempts ({', '.join(PASS_ATTEMPT_RESULTS)})",
        "label": "yards_gained",
    }


def situation_schema_hash() -> str:
    """A short, stable hash of ``situation_schema()``."""
    text = json.dumps(situation_schema(), sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def situation_attempts(lake: str, partitions: Iterable[tuple[int, int]] | None = None) -> pl.DataFrame:
    """The pass attempts of the lake's play-by-play partitions (or the given ones), with the inputs."""
    keys = list(partitions) if partitions is not None else pbp_partitions(lake)
    if not keys:
        raise FileNotFoundError(f"{lake}: no play-by-play partitions (run `qb-score ingest PBP_FILE` first)")
    plays = lake_io.scan_table(lake, "plays", keys).filter(pl.col("pass_result").is_in(PASS_ATTEMPT_RESULTS))
    return plays.with_columns(
        pl.col("half_seconds_remaining").is_not_null().cast(pl.Int8).alias("clock_known"),
        pl.col("score_difference").is_not_null().cast(pl.Int8).alias("score_known"),
        *[pl.col(c).fill_null(v) for c, v in SITUATION_DEFAULTS.items()],
    ).collect()


def situation_training_data(plays: pl.DataFrame, meta: dict | None = None):
    """``ml.config.TrainingData`` (no play tensor) of ``situation_attempts``' plays, with the field
    boundaries (docs/sbp.md section 8)."""
    from ml.config import TrainingData  # noqa: PLC0415 - torch only when a model is involved

    upper_yd = plays["yards_to_endzone"].round(0).clip(lower_bound=1).cast(pl.Float32).to_numpy()
    return TrainingData(
        tensor=None,
        n_frames=np.ones(plays.height, dtype=np.int64),
        tabular=plays.select(pl.col(c).cast(pl.Float32) for c in SITUATION_INPUTS).to_numpy(),
        label=plays["yards_gained"].cast(pl.Float32).to_numpy(),
        game_id=plays["game_id"].to_numpy(),
        week=plays["week"].to_numpy().astype(np.int64),
        meta={
            "feature_schema_hash": situation_schema_hash(),
            "feature_schema": situation_schema(),
            "input_set": SITUATION_INPUT_SET,
            "tabular_columns": list(SITUATION_INPUTS),
            "plays": plays.height,
            "seasons": sorted(plays["season"].unique().to_list()),
            "weeks": sorted(plays["week"].unique().to_list()),
            "games": plays["game_id"].n_unique(),
            **(meta or {}),
        },
        lower_yd=upper_yd - 100.0,
        upper_yd=upper_yd,
    )
