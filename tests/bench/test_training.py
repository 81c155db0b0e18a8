"""``bench.training`` compares the project's optimization with the one it replaced: the replaced config
must set every field the project's sets, back to ``ml.config.TrainConfig``'s plain defaults (random
batches of 256 over a 60-epoch schedule at 2e-3), and nothing else may differ between the two."""

from __future__ import annotations

from dataclasses import asdict

from bench.training import CONFIGS, REPLACED_CONFIG
from ml.config import TrainConfig
from qb_assets.model.training import OPTIMIZATION, train_config


def test_the_replaced_config_undoes_exactly_the_projects_optimization() -> None:
    assert set(REPLACED_CONFIG) == set(OPTIMIZATION)
    plain = TrainConfig()
    assert all(getattr(plain, field) == value for field, value in REPLACED_CONFIG.items())
    replaced, current = (asdict(train_config(**overrides)) for overrides in CONFIGS.values())
    differing = {field for field in current if replaced[field] != current[field]}
    assert differing == {field for field, value in OPTIMIZATION.items() if value != REPLACED_CONFIG[field]}
    assert differing  # the bench compares two different optimizations
