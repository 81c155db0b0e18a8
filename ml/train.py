"""Training: the SBP loss, AdamW with a one-cycle schedule, an exponential moving average of the
weights, early stopping on validation NLL and then a refit on train + validation for the chosen number
of epochs, seeds, CPU or CUDA (bf16 autocast on GPU). The artifact directory that scoring can trust is
written and read by ``ml.artifacts``; the records live in ``ml.config``, prediction in ``ml.inference``.

Split (deterministic, by game so that no game's plays straddle two splits): the test split is the
given test weeks (train weeks 1-13, test 14-17 by default on a full season), or, without test weeks,
the games whose hashed id falls in the last ``test_fraction``; validation is the games of the rest
whose hashed id falls in the first ``validation_fraction`` (at least one game each when the season has
three or more). The hash is a fixed integer mix of the game id and the seed, so the split depends on
nothing else.

Labels are integer yards; training adds U(-0.5, 0.5) jitter to each label (dequantization), which
makes the continuous SBP density at the jittered point the integer outcome's probability in the body
(one-yard bins centred on integers) and a proper continuous relaxation in the tails. Where the data has
field boundaries (``TrainingData.lower_yd`` / ``upper_yd``), the loss is censored there and the
early-stopping NLL uses the capped pmf (docs/sbp.md section 8).
"""

from __future__ import annotations

import math
import sys
import time
from collections.abc import Callable
from typing import NamedTuple

import numpy as np
import torch
from torch import Tensor
from tqdm import tqdm

from ml.batches import batch_rows, mask_at_random, mirror_half
from ml.config import TrainConfig, TrainingData
from ml.inference import build_model, capped_distribution, frames_of, predict_raw, to_tensors
from ml.sbp import YARD_BIN_COUNT, YARD_BINS
from ml.tcn import PassOutcomeNet, init_output_bias

SPLITS = ("train", "validation", "test")
# loss_fn / nll_fn of ``fit``: (raw head outputs, labels, lower_yd, upper_yd) -> loss (the boundaries as
# ``to_tensors`` carries them, infinite where the data has none).
LossFn = Callable[[Tensor, Tensor, Tensor, Tensor], Tensor]


def split_by_game(
    game_id: np.ndarray,
    week: np.ndarray,
    *,
    seed: int = 0,
    test_weeks: tuple[int, ...] = (),
    test_fraction: float = 0.2,
    validation_fraction: float = 0.15,
) -> np.ndarray:
    """Per play, 'train' | 'validation' | 'test' (see the module docstring)."""
    mixed = (game_id.astype(np.uint64) * np.uint64(2654435761) + np.uint64(seed * 97 + 13)) % np.uint64(10007)
    u = mixed.astype(np.float64) / 10007.0
    split = np.full(len(game_id), "train", dtype=object)
    test = np.isin(week, test_weeks) if test_weeks else u >= 1.0 - test_fraction
    if not test_weeks and not test.any() and len(np.unique(game_id)) >= 3:
        test = u == u.max()  # a small season still gets one test game
    split[test] = "test"
    validation = ~test & (u < validation_fraction)
    if not validation.any() and len(np.unique(game_id[~test])) >= 2:
        validation = ~test & (u == u[~test].min())  # ... and one validation game
    split[validation] = "validation"
    return split


def config_split(data: TrainingData, config: TrainConfig) -> np.ndarray:
    """The split ``config`` defines for ``data`` (the same plays land in the same split every time)."""
    return split_by_game(
        data.game_id,
        data.week,
        seed=config.seed,
        test_weeks=config.test_weeks,
        test_fraction=config.test_fraction,
        validation_fraction=config.validation_fraction,
    )


def pick_device(requested: str = "auto") -> torch.device:
    if requested == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    if requested == "cuda" and not torch.cuda.is_available():
        raise ValueError("--device cuda requested but CUDA is not available on this machine")
    return torch.device(requested)


def seed_everything(seed: int) -> torch.Generator:
    torch.manual_seed(seed)
    return torch.Generator().manual_seed(seed)


def sbp_loss(
    raw: Tensor, label: Tensor, config: TrainConfig, lower: Tensor | None = None, upper: Tensor | None = None
) -> Tensor:
    """Mean training loss of dequantized labels: the paper's loss (docs/sbp.md 3.1), censored at the plays'
    boundaries when given (-log(1 - F(U - 0.5)) from U - 0.5 on, -log F(L + 0.5) below L + 0.5; section 8)."""
    return capped_distribution(raw, config, lower, upper).training_loss(label).mean()


def sbp_nll(
    raw: Tensor, label: Tensor, config: TrainConfig, lower: Tensor | None = None, upper: Tensor | None = None
) -> Tensor:
    """Per-play NLL of integer yards, -log(F(y + 0.5) - F(y - 0.5)), under the capped pmf where the plays
    have boundaries (labels clipped to [L, U]): the early-stopping criterion."""
    capped = capped_distribution(raw, config, lower, upper)
    return -capped.integer_log_prob(capped.clip(label))


def marginal_logits(label: np.ndarray) -> Tensor:
    """Bin logits of the training labels' histogram: the head's starting distribution."""
    a, _ = YARD_BINS
    index = np.clip(np.rint(label - a - 0.5).astype(np.int64), 0, YARD_BIN_COUNT - 1)
    counts = np.bincount(index, minlength=YARD_BIN_COUNT) + 0.5
    return torch.tensor(np.log(counts / counts.sum()), dtype=torch.float32)


def _fit_rows(split: np.ndarray, config: TrainConfig, fixed_epochs: int | None) -> tuple[np.ndarray, ...]:
    """(train rows, validation rows) of ``split``; with ``fixed_epochs`` the validation rows are the first
    training batch (in-sample: the history's NLL is then only a sanity check)."""
    train_rows, validation_rows = np.flatnonzero(split == "train"), np.flatnonzero(split == "validation")
    if fixed_epochs is not None:
        validation_rows = train_rows[: config.batch_size]
    if len(train_rows) == 0 or len(validation_rows) == 0:
        raise ValueError(
            f"need plays in train and validation, got {len(train_rows)} and {len(validation_rows)}"
        )
    return train_rows, validation_rows


class _Optimisation(NamedTuple):
    """AdamW, its one-cycle learning-rate schedule and the EMA of the weights (None when turned off)."""

    optimizer: torch.optim.Optimizer
    schedule: torch.optim.lr_scheduler.LRScheduler
    averaged: torch.optim.swa_utils.AveragedModel | None


def _optimisation(model: PassOutcomeNet, config: TrainConfig, steps_per_epoch: int) -> _Optimisation:
    """The optimizer state of one ``fit``; the schedule spans ``config.epochs`` epochs of
    ``steps_per_epoch`` steps."""
    optimizer = torch.optim.AdamW(
        model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay
    )
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.learning_rate, total_steps=config.epochs * steps_per_epoch
    )
    averaged = (
        torch.optim.swa_utils.AveragedModel(
            model, multi_avg_fn=torch.optim.swa_utils.get_ema_multi_avg_fn(config.ema_decay)
        )
        if config.ema_decay > 0
        else None
    )
    return _Optimisation(optimizer, schedule, averaged)


def _train_epoch(
    model: PassOutcomeNet,
    train: tuple[Tensor, ...],
    optimisation: _Optimisation,
    *,
    config: TrainConfig,
    generator: torch.Generator,
    loss_fn: LossFn,
    device: torch.device,
    desc: str,
    show_bar: bool,
) -> float:
    """One pass of optimisation over the training plays ``train`` (``to_tensors``: tensor, n_frames,
    tabular, label, lower_yd, upper_yd) in a random order from ``generator``; returns the mean training loss
    per play. ``loss_fn(raw, jittered label, lower_yd, upper_yd)``."""
    optimizer, schedule, averaged = optimisation
    autocast = torch.autocast(device_type=device.type, dtype=torch.bfloat16, enabled=device.type == "cuda")
    model.train()
    batches = tqdm(
        batch_rows(train[1], config.batch_size, config.length_pool, generator),
        desc=desc,
        unit="batch",
        leave=False,
        disable=not show_bar,
    )
    epoch_loss = 0.0
    for batch in batches:
        rows = batch.to(device)
        tensor = frames_of(train[0], train[1], rows)  # neither copied nor mirrored past the longest play
        n_frames, tabular, label, lower, upper = (t[rows] for t in train[1:])
        if config.mirror_channels and tensor.dim() == 4:
            tensor = mirror_half(tensor, config.mirror_channels, generator)
        if config.mask_columns and config.mask_share > 0:
            tabular = mask_at_random(
                tabular, config.mask_columns, config.mask_values, config.mask_share, generator
            )
        jitter = torch.rand(label.shape, generator=None, device=device) - 0.5
        with autocast:
            raw = model(tensor, n_frames, tabular)
        loss = loss_fn(raw.float(), label + jitter, lower, upper)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 5.0)
        optimizer.step()
        schedule.step()
        if averaged is not None:
            averaged.update_parameters(model)
        epoch_loss += float(loss.detach()) * len(rows)
    return epoch_loss / len(train[3])  # batch_rows serves every play once


class _EarlyStopping:
    """The early-stopping bookkeeping: the best validation NLL, the weights that reached it (a copy) and
    the epochs since it last improved by more than 1e-4."""

    def __init__(self, patience: int) -> None:
        self.patience, self.best, self.best_state, self.stale = patience, math.inf, None, 0

    def should_stop(self, validation_nll: float, evaluated: torch.nn.Module) -> bool:
        """Record one epoch; True once ``patience`` epochs in a row brought no improvement."""
        if validation_nll < self.best - 1e-4:
            self.best, self.stale = validation_nll, 0
            self.best_state = {k: v.detach().clone() for k, v in evaluated.state_dict().items()}
            return False
        self.stale += 1
        return self.stale >= self.patience


def fit(
    model: PassOutcomeNet,
    data: TrainingData,
    split: np.ndarray,
    config: TrainConfig,
    *,
    loss_fn: LossFn,
    nll_fn: LossFn,
    progress: Callable[[str], None] | None = None,
    fixed_epochs: int | None = None,
) -> dict:
    """Train ``model`` in place with early stopping on validation NLL; returns the history. With
    ``fixed_epochs``, train that many epochs of the same schedule instead and keep the last weights
    (the refit on train + validation, which has no held-out plays to stop on)."""
    generator = seed_everything(config.seed)
    device = pick_device(config.device)
    train_rows, validation_rows = _fit_rows(split, config, fixed_epochs)
    train, validation = to_tensors(data, train_rows, device), to_tensors(data, validation_rows, device)
    model.to(device)
    model.fit_standardization(*train[:3])
    optimisation = _optimisation(model, config, math.ceil(len(train_rows) / config.batch_size))
    averaged = optimisation.averaged
    evaluated = averaged.module if averaged is not None else model
    stopping, history = _EarlyStopping(config.patience), []
    started = time.perf_counter()
    last_epoch = fixed_epochs or config.epochs  # the schedule still spans config.epochs
    for epoch in range(1, last_epoch + 1):
        epoch_started = time.perf_counter()
        train_loss = _train_epoch(
            model,
            train,
            optimisation,
            config=config,
            generator=generator,
            loss_fn=loss_fn,
            device=device,
            desc=f"epoch {epoch}/{last_epoch}",
            show_bar=progress is not None and sys.stderr.isatty(),  # a bar on a terminal, lines in logs
        )
        validation_nll = float(nll_fn(predict_raw(evaluated, validation), *validation[3:]).mean())
        seconds = time.perf_counter() - epoch_started
        history.append(
            {
                "epoch": epoch,
                "train_loss": train_loss,
                "validation_nll": validation_nll,
                "seconds": round(seconds, 2),
                "plays_per_s": round(len(train_rows) / seconds, 1),
            }
        )
        if progress:
            progress(
                f"epoch {epoch}/{last_epoch}: train loss {train_loss:.4f}, "
                f"validation NLL {validation_nll:.4f}, {history[-1]['plays_per_s']:.0f} plays/s"
            )
        if fixed_epochs is None and stopping.should_stop(validation_nll, evaluated):
            if progress:
                progress(f"early stop: no validation improvement in {config.patience} epochs")
            break
    if fixed_epochs is not None:
        stopping.best, stopping.best_state = validation_nll, evaluated.state_dict()
    model.load_state_dict(stopping.best_state)
    return {
        "epochs": history,
        "best_validation_nll": stopping.best,
        "seconds": round(time.perf_counter() - started, 1),
        "device": device.type,
    }


def refit_split(split: np.ndarray) -> np.ndarray:
    """The refit's split: validation plays join the training plays; the test plays stay out."""
    return np.where(split == "validation", "train", split)


def fit_with_refit(
    build: Callable[[np.ndarray], PassOutcomeNet],
    data: TrainingData,
    split: np.ndarray,
    config: TrainConfig,
    *,
    loss_fn: LossFn,
    nll_fn: LossFn,
    progress: Callable[[str], None] | None = None,
) -> tuple[PassOutcomeNet, dict]:
    """``fit`` a model from ``build(split)`` with early stopping; with ``config.refit``, then fit a fresh
    one on train + validation for the epochs early stopping chose. Returns (model, history)."""
    seed_everything(config.seed)
    model = build(split)
    history = fit(model, data, split, config, loss_fn=loss_fn, nll_fn=nll_fn, progress=progress)
    if not config.refit:
        return model, history
    best_epoch = min(history["epochs"], key=lambda e: e["validation_nll"])["epoch"]
    if progress:
        progress(f"refit on train + validation for {best_epoch} epochs")
    seed_everything(config.seed)
    both = refit_split(split)
    model = build(both)
    refit = fit(
        model, data, both, config, loss_fn=loss_fn, nll_fn=nll_fn, progress=progress, fixed_epochs=best_epoch
    )
    return model, {**history, "refit_epochs": best_epoch, "seconds": history["seconds"] + refit["seconds"]}


def train_sbp(
    data: TrainingData,
    config: TrainConfig,
    progress: Callable[[str], None] | None = None,
    split: np.ndarray | None = None,
) -> tuple[PassOutcomeNet, dict, np.ndarray]:
    """Train the TCN + SBP head (on ``split``, else the config's split by game); returns (model on CPU,
    history, split)."""
    if split is None:
        split = config_split(data, config)

    def build(fit_split: np.ndarray) -> PassOutcomeNet:
        model = build_model(data, config, YARD_BIN_COUNT + 4)
        prior = marginal_logits(data.label[fit_split == "train"])
        init_output_bias(model, torch.cat([prior, torch.zeros(4)]))
        return model

    model, history = fit_with_refit(
        build,
        data,
        split,
        config,
        loss_fn=lambda raw, y, lower, upper: sbp_loss(raw, y, config, lower, upper),
        nll_fn=lambda raw, y, lower, upper: sbp_nll(raw, y, config, lower, upper),
        progress=progress,
    )
    return model.cpu(), history, split
