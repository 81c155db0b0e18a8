"""Situation masking: training reads a share of plays as a tracking-only source gives them."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from ml.batches import mask_at_random
from qb_assets.features.schema import STATIC_INPUTS
from qb_assets.features.store import build_features, load_feature_arrays
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.model.training import SITUATION_MASK_SHARE, train_config


def test_mask_sets_the_columns_on_about_the_share() -> None:
    tabular = torch.arange(4000 * 5, dtype=torch.float32).reshape(4000, 5) + 100.0
    masked = mask_at_random(tabular, (1, 3), (-1.0, -2.0), 0.25, torch.Generator().manual_seed(0))
    rows = (masked != tabular).any(dim=1)
    assert 0.22 < rows.float().mean() < 0.28
    assert (masked[rows][:, [1, 3]] == torch.tensor([-1.0, -2.0])).all()
    assert torch.equal(masked[:, [0, 2, 4]], tabular[:, [0, 2, 4]])
    assert torch.equal(masked[~rows], tabular[~rows])


def test_masked_situation_is_what_a_tracking_only_source_reads(real_source: Path, tmp_path: Path) -> None:
    config = train_config()
    assert config.mask_share == SITUATION_MASK_SHARE > 0
    ingest_source(real_source, tmp_path / "lake")
    build_features(str(tmp_path / "lake"))
    real = load_feature_arrays(str(tmp_path / "lake"), inputs="passing").static
    # Any known situation, masked, reads exactly as the real tracking-only game's plays do.
    known = np.tile(np.array([[3, 7, 40, 4, 120, -6, 5, 1]], dtype=np.float32), (len(real), 1))
    assert list(STATIC_INPUTS) == ["down", "yards_to_go", "yards_to_endzone", "quarter",
                                   "half_seconds_remaining", "score_difference", "games_remaining",
                                   "situation_known"]  # fmt: skip
    known[:, 2], known[:, 6] = real[:, 2], real[:, 6]  # from the tracking and the calendar: never masked
    masked = mask_at_random(
        torch.from_numpy(known),
        config.mask_columns,
        config.mask_values,
        1.0,
        torch.Generator().manual_seed(0),
    )
    np.testing.assert_array_equal(masked.numpy(), real)
