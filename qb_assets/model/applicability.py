"""Is a model applicable to the plays it scores? The training features' distributions, stored with each
model version, against a scored partition's (README, "Applicability").

A version records its **training profile** (``training_profile.json``): per tracking context (all 22
players tracked, or not: BDB 2021 tracks no linemen), its share of the training plays and
``PROFILE_QUANTILES`` quantiles of each of ``PROFILE_FEATURES``; and the share of plays the model saw
with the situation unknown (``situation_known`` false: the lake's own share, plus the plays training
masked, ``ml.config.TrainConfig.mask_share``).

A partition's **shift** from the profile, in [0, 1]: plays whose context the model barely saw (a share
of its training below ``MIN_CONTEXT_SHARE``: a tracking-only file against a model never trained without
the situation, or a BDB 2021 file against one trained on all 22 players only) count as unsupported; on
the others, each feature's two-sample KS distance to the training distribution reweighted to the
partition's mix of tracking contexts. ``shift = unsupported share + (1 - unsupported share) * largest
KS``. The limits: ``warn_limit(n)`` (0.2, or the 1% critical value of the largest of the
``PROFILE_FEATURES`` KS distances, 1.95 / sqrt(n), when fewer plays make 0.2 too strict) and twice it
to fail.
"""

from __future__ import annotations

import json
import math
from dataclasses import asdict, dataclass, field
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.features.store import TRACKED_COLUMNS

PROFILE_FILE = "training_profile.json"
PROFILE_FEATURES = (
    "qb_speed_at_release",
    "time_to_throw_s",
    "qb_nearest_defender_at_release_yd",
    "pass_rushers",
    "target_separation_at_release_yd",
    "throw_distance_at_release_yd",
    "target_speed_at_release_yd_s",
    "target_depth_at_release_yd",
    "best_option_separation_at_release_yd",
    "receiving_options",
    *TRACKED_COLUMNS,
)
PROFILE_QUANTILES = 101
ALL_TRACKED_MIN_PLAYERS = 20  # players tracked on the play: at least this many = "all 22" context
MIN_CONTEXT_SHARE = 0.02
WARN_SHIFT, KS_CRITICAL_MAX_1PCT, FAIL_FACTOR = 0.2, 1.95, 2.0
CONTEXTS = ("all_tracked", "partly_tracked")


def _tracking_context(plays: pl.DataFrame) -> np.ndarray:
    """Per play, its tracking context (index into CONTEXTS)."""
    tracked = plays.select(pl.sum_horizontal(*TRACKED_COLUMNS)).to_series().to_numpy()
    return np.where(tracked >= ALL_TRACKED_MIN_PLAYERS, 0, 1)


def training_profile(plays: pl.DataFrame, mask_share: float = 0.0) -> dict:
    """The profile of the training plays ``plays`` (the feature store's per-play frame with
    ``TRACKED_COLUMNS``); ``mask_share`` the share of plays training masked the situation of."""
    context = _tracking_context(plays)
    levels = np.linspace(0.0, 1.0, PROFILE_QUANTILES)
    contexts = {}
    for index, name in enumerate(CONTEXTS):
        rows = plays.filter(pl.Series(context == index))
        contexts[name] = {
            "share": rows.height / max(plays.height, 1),
            "plays": rows.height,
            "quantiles": {
                f: np.quantile(rows[f].cast(pl.Float64).to_numpy(), levels).tolist() if rows.height else []
                for f in PROFILE_FEATURES
            },
        }
    known = float(plays["situation_known"].cast(pl.Float64).mean()) if plays.height else 1.0
    return {
        "plays": plays.height,
        "situation_unknown_share": (1.0 - known) + known * mask_share,
        "contexts": contexts,
        "features": list(PROFILE_FEATURES),
    }


def write_profile(folder: str | Path, profile: dict) -> None:
    """Write ``profile`` into a version folder (before it is published)."""
    (Path(folder) / PROFILE_FILE).write_text(json.dumps(profile))


def read_profile(version_dir: str | Path) -> dict | None:
    """A version's training profile; None for a version trained before profiles were recorded."""
    path = Path(version_dir) / PROFILE_FILE
    return json.loads(path.read_text()) if path.exists() else None


def warn_limit(plays: int) -> float:
    """The shift above which a partition of ``plays`` plays warns."""
    return max(WARN_SHIFT, KS_CRITICAL_MAX_1PCT / math.sqrt(max(plays, 1)))


@dataclass(frozen=True)
class Applicability:
    """A partition's shift from the model's training profile (module docstring)."""

    shift: float | None  # None: the version has no profile
    plays: int
    unsupported_share: float
    ks_by_feature: dict[str, float] = field(default_factory=dict)
    warn_limit: float = WARN_SHIFT

    @property
    def fail_limit(self) -> float:
        """Far above the warning limit: the scores are not to be used."""
        return FAIL_FACTOR * self.warn_limit

    @property
    def verdict(self) -> str:
        """``ok``, ``warn`` (above ``warn_limit``), ``fail`` (above ``fail_limit``) or ``unknown``."""
        if self.shift is None:
            return "unknown"
        return "fail" if self.shift > self.fail_limit else "warn" if self.shift > self.warn_limit else "ok"

    def as_dict(self) -> dict:
        """The record as plain data, with the verdict and the limits."""
        return {**asdict(self), "fail_limit": self.fail_limit, "verdict": self.verdict}


def _ks_to_mixture(values: np.ndarray, references: list[np.ndarray], weights: np.ndarray) -> float:
    """KS distance between the sample ``values`` and the mixture of the quantile-summarized reference
    distributions (each right-continuous CDF = the share of its quantiles at or below x)."""
    grid = np.unique(np.concatenate([values, *references]))
    sample = np.searchsorted(np.sort(values), grid, side="right") / len(values)
    mixture = sum(
        w * np.searchsorted(q, grid, side="right") / len(q) for w, q in zip(weights, references, strict=True)
    )
    return float(np.max(np.abs(sample - mixture)))


def applicability(profile: dict | None, plays: pl.DataFrame) -> Applicability:
    """The shift of the scored ``plays`` (the feature store's per-play frame) from ``profile``."""
    if profile is None or plays.height == 0:
        return Applicability(None, plays.height, 0.0, warn_limit=warn_limit(plays.height))
    context = _tracking_context(plays)
    trained = np.array([profile["contexts"][name]["share"] for name in CONTEXTS])
    unknown_share = profile["situation_unknown_share"]
    situation = np.where(plays["situation_known"].to_numpy(), 1.0 - unknown_share, unknown_share)
    supported = (trained[context] * situation) >= MIN_CONTEXT_SHARE
    ks = {}
    if supported.any():
        rows = plays.filter(pl.Series(supported))
        weights = np.bincount(context[supported], minlength=len(CONTEXTS)) / supported.sum()
        for f in profile["features"]:
            references = [np.asarray(profile["contexts"][name]["quantiles"][f]) for name in CONTEXTS]
            used = [(w, q) for w, q in zip(weights, references, strict=True) if w > 0]
            ks[f] = _ks_to_mixture(
                rows[f].cast(pl.Float64).to_numpy(), [q for _, q in used], np.array([w for w, _ in used])
            )
    unsupported = 1.0 - float(supported.mean())
    shift = unsupported + (1.0 - unsupported) * max(ks.values(), default=0.0)
    return Applicability(shift, plays.height, unsupported, ks, warn_limit(plays.height))
