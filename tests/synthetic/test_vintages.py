"""Generated seasons written in older Big Data Bowl vintages: BDB 2021 without linemen, BDB
2019 without a, o or playDirection; the vintage changes the files and the tracked players, never the
plays."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.features.store import build_features, load_feature_arrays
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.synthetic.season import game_vintages, generate_season
from qb_assets.synthetic.writer import UNTRACKED_POSITIONS


@pytest.fixture(scope="module")
def seasons(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    root = tmp_path_factory.mktemp("vintages")
    out = {}
    for name, mix in (("bdb2023", None), ("bdb2021", {"bdb2021": 1.0}), ("bdb2019", {"bdb2019": 1.0})):
        generate_season(root / name, weeks=[1], games_per_week=2, seed=5, vintage_mix=mix)
        out[name] = root / name
    return out


def test_vintages_change_the_files_not_the_plays(seasons: dict[str, Path]) -> None:
    assert sorted(p.name for p in seasons["bdb2021"].glob("week*.csv")) == ["week1.csv"]
    assert len(list(seasons["bdb2019"].glob("tracking_gameId_*.csv"))) == 2
    plays = {name: pl.read_csv(folder / "plays.csv") for name, folder in seasons.items()}
    assert plays["bdb2021"].equals(plays["bdb2023"]) and plays["bdb2019"].equals(plays["bdb2023"])
    header = pl.read_csv(next(seasons["bdb2019"].glob("tracking_gameId_*.csv")), n_rows=1).columns
    assert {"a", "o", "playDirection"}.isdisjoint(header) and "frame.id" in header


def test_bdb2021_drops_the_linemen(seasons: dict[str, Path], tmp_path: Path) -> None:
    tracking = pl.read_csv(seasons["bdb2021"] / "week1.csv", infer_schema_length=10_000)
    assert set(tracking["team"].unique()) == {"home", "away", "football"}
    assert tracking["position"].drop_nulls().is_in(UNTRACKED_POSITIONS["bdb2021"]).sum() == 0
    assert (tracking["position"] == "OLB").any()  # 3-4 edge rushers stay tracked
    ingest_source(seasons["bdb2021"], tmp_path / "lake")
    build_features(str(tmp_path / "lake"))
    plays = load_feature_arrays(str(tmp_path / "lake"), inputs="passing").plays
    assert lake_io.scan_table(tmp_path / "lake", "plays").collect()["layout"].unique().to_list() == [
        "bdb2021"
    ]
    assert plays["tracked_offense_players"].max() == 6  # QB and five eligible receivers
    assert plays["tracked_defense_players"].max() < 11


def test_game_vintages_follow_the_mix() -> None:
    import numpy as np  # noqa: PLC0415

    drawn = game_vintages(np.random.SeedSequence(1), 2000, {"bdb2023": 0.6, "bdb2021": 0.3, "bdb2019": 0.1})
    assert abs(drawn.count("bdb2021") / 2000 - 0.3) < 0.04
    assert game_vintages(np.random.SeedSequence(1), 3, None) == ["bdb2023"] * 3
    with pytest.raises(ValueError, match="vintage_mix"):
        game_vintages(np.random.SeedSequence(1), 3, {"bdb2022": 1.0})
