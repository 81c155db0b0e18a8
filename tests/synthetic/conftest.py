"""The generated season the synthetic tests share: 4 weeks x 16 games (about 4,500 dropbacks)."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.synthetic.season import generate_season


@pytest.fixture(scope="session")
def season(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict]:
    out = tmp_path_factory.mktemp("synthetic_season")
    summary = generate_season(out, season=2024, weeks=range(1, 5), games_per_week=16, seed=0)
    return out, summary


@pytest.fixture(scope="session")
def plays(season) -> pl.DataFrame:
    return pl.read_csv(season[0] / "plays.csv")


@pytest.fixture(scope="session")
def truth(season) -> pl.DataFrame:
    return pl.read_parquet(season[0] / "truth.parquet")
