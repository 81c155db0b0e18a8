"""Situation-only mode on real outcomes: the model comparison on nflfastR play-by-play, where no
tracking exists (also the fallback for seasons without tracking).

Plays: pass attempts (``play_type_nfl == "PASS"``; sacks are their own type and scrambles are runs in
nflfastR, so both are excluded) with a recorded down, distance, field position and air yards.
Inputs: down, yards to go, yards to the end zone, quarter, air yards. Label: ``yards_gained`` as
recorded (nflfastR records 0 for interceptions, without the return). Split: the train seasons'
games, 15% of them (by hashed game id) held out for validation; the test seasons are the test split.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.ingest.pbp import SITUATION_FEATURES, load_pass_attempts

VALIDATION_FRACTION = 0.15


def pbp_training_data(path: str | Path, train_seasons: list[int], test_seasons: list[int], seed: int = 0):
    """(TrainingData without play tensors, split) for the situation-only comparison."""
    from ml.config import TrainingData  # noqa: PLC0415 - torch only when a model is involved

    plays = load_pass_attempts(path, [*train_seasons, *test_seasons])
    if plays.is_empty():
        raise ValueError(f"{path}: no pass attempts in seasons {train_seasons + test_seasons}")
    game_id = plays["game_id"].to_numpy()
    hashed = (
        (game_id.astype(np.uint64) * np.uint64(2654435761) + np.uint64(seed)) % np.uint64(10007)
    ) / 10007.0
    is_test = plays["season"].is_in(test_seasons).to_numpy()
    split = np.where(is_test, "test", np.where(hashed < VALIDATION_FRACTION, "validation", "train")).astype(
        object
    )
    data = TrainingData(
        tensor=None,
        n_frames=np.ones(plays.height, dtype=np.int64),
        tabular=plays.select(pl.col(c).cast(pl.Float32) for c in SITUATION_FEATURES).to_numpy(),
        label=plays["yards_gained"].cast(pl.Float32).to_numpy(),
        game_id=game_id,
        week=plays["week"].to_numpy().astype(np.int64),
        meta={
            "source": str(path),
            "train_seasons": train_seasons,
            "test_seasons": test_seasons,
            "plays": plays.height,
        },
    )
    return data, split


def evaluate_pbp(
    path: str | Path,
    train_seasons: list[int],
    test_seasons: list[int],
    *,
    seed: int = 0,
    epochs: int = 20,
    progress: Progress | None = None,
) -> dict:
    """Train SBP, Gaussian and trees on situation features; the metrics table on the test seasons."""
    from ml.compare import compare_models  # noqa: PLC0415
    from ml.config import TrainConfig  # noqa: PLC0415

    data, split = pbp_training_data(path, train_seasons, test_seasons, seed)
    config = TrainConfig(epochs=epochs, batch_size=512, seed=seed, hidden=64, patience=4)
    result = compare_models(data, split, config, progress=progress)
    return {
        **result,
        "train_plays": int((split == "train").sum()),
        "validation_plays": int((split == "validation").sum()),
        "features": list(SITUATION_FEATURES),
        "train_seasons": train_seasons,
        "test_seasons": test_seasons,
    }
