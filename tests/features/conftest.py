"""Fixtures of the feature tests: the real 2018 game ingested and featurized once for the package."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.features.store import build_features
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from tests.conftest import REAL_GAME_FILE


@pytest.fixture(scope="package")
def real_features(real_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    """(lake, features) of the real game (BDB 2021 layout, week 14 of 2018), ingested and featurized."""
    root = tmp_path_factory.mktemp("features")
    (root / "src").mkdir()
    (root / "src" / "week14.csv").write_bytes((real_dir / REAL_GAME_FILE).read_bytes())
    ingest_source(root / "src", root / "lake")
    build_features(str(root / "lake"))
    return root / "lake", lake_io.scan_table(root / "lake", "features").collect()
