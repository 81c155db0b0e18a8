"""The two plain records every ml stage shares: ``TrainConfig`` (model and training hyperparameters, stored
in each artifact) and ``TrainingData`` (the model inputs as arrays). Only NumPy: no torch at import time,
and no ml module below it, so training, inference and artifact I/O can all depend on it."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

__all__ = ["TrainConfig", "TrainingData"]


@dataclass
class TrainConfig:
    """Model and training hyperparameters; ``save_artifact`` stores them with the weights."""

    epochs: int = 60
    batch_size: int = 256
    learning_rate: float = 2e-3
    weight_decay: float = 1e-3
    patience: int = 8
    # Batches of similar length (``ml.batches.batch_rows``): each epoch's random order is sorted by frame
    # count within pools of this many batches. 1: random batches.
    length_pool: int = 1
    seed: int = 0
    device: str = "auto"
    # Sized on a full synthetic season (about 11,000 training plays): 16 channels and strong dropout
    # generalize better than 32 channels, which overfit within a dozen epochs.
    channels: int = 16
    hidden: int = 64
    kernel_size: int = 3
    dilations: tuple[int, ...] = (1, 2, 4, 8)
    dropout: float = 0.3
    tail_percentile: float = 0.05
    xi_max: float = 0.9  # keeps the mean finite (xi < 1)
    test_weeks: tuple[int, ...] = ()
    test_fraction: float = 0.2
    validation_fraction: float = 0.15
    # Channel indices whose sign flips under a left-right mirror of the play; training mirrors each
    # play with probability 1/2 (data augmentation). Empty: no mirroring.
    mirror_channels: tuple[int, ...] = ()
    # Situation masking (data augmentation): on a random ``mask_share`` of each training batch's plays,
    # the tabular columns ``mask_columns`` take ``mask_values`` (what a source without that information
    # reads: a tracking-only file's imputed situation), so such plays are inside the training
    # distribution. Empty: no masking. Validation and scoring never mask.
    mask_columns: tuple[int, ...] = ()
    mask_values: tuple[float, ...] = ()
    mask_share: float = 0.0
    # Exponential moving average of the weights (per optimizer step); validation, early stopping and
    # the saved model use the average. 0 turns it off. On a full synthetic season it lowers test NLL by
    # about 0.01 and steadies the PIT across seeds.
    ema_decay: float = 0.99
    # After early stopping, train a fresh model on train + validation for the epochs it chose (the
    # baselines do the same): 19% more plays for the final model, about 0.5% lower test CRPS.
    refit: bool = True
    # The receiving options' tabular columns, option-major (each option's fields, its presence flag
    # first), and how many options: with them the distribution head is the mixture over the options
    # (ml/options.py). Empty: the plain head.
    option_columns: tuple[int, ...] = ()
    option_count: int = 0


@dataclass
class TrainingData:
    """Model inputs as arrays, row i = play i. tensor (N, T, S, C) float32 (None for the situation-only
    model); n_frames (N,); tabular (N, F) float32; label (N,) integer yards as float32; game_id, week (N,)
    int64; meta: what the artifact records about the data (feature schema hash and schema, seasons, weeks).

    lower_yd, upper_yd: optional per-play field boundaries L < U, (N,) float32 integer yards (U the
    touchdown yardage, L = -(100 - U) the offense's own goal line). With them the SBP is trained with the
    censored likelihood and evaluated and scored on the capped distribution (docs/sbp.md section 8); None
    (both) leaves the distribution uncapped."""

    tensor: np.ndarray | None
    n_frames: np.ndarray
    tabular: np.ndarray
    label: np.ndarray
    game_id: np.ndarray
    week: np.ndarray
    meta: dict = field(default_factory=dict)
    lower_yd: np.ndarray | None = None
    upper_yd: np.ndarray | None = None

    def __post_init__(self) -> None:
        if (self.lower_yd is None) != (self.upper_yd is None):
            raise ValueError("TrainingData: give both lower_yd and upper_yd, or neither")
        if self.lower_yd is None:
            return
        for name in ("lower_yd", "upper_yd"):
            bound = np.asarray(getattr(self, name))
            integer = np.isfinite(bound).all() and (bound == np.rint(bound)).all()
            if bound.shape != self.label.shape or not integer:
                raise ValueError(
                    f"TrainingData: {name} must hold finite integer yards of shape {self.label.shape}"
                )
        if not (self.lower_yd < self.upper_yd).all():
            raise ValueError("TrainingData: lower_yd must be below upper_yd on every play")
