"""The held-out flag comes from the model's recorded split, and the held-out calibration check runs per
model version and never reads "no held-out plays" as a pass."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl

from ml.train import split_by_game
from qb_assets.defs.scoring import uniformity_result
from qb_assets.io import lake as lake_io
from qb_assets.model.store import game_splits
from qb_assets.model.training import train_model
from qb_assets.scoring.score import heldout_uniformity, score_lake

UNSEEN_GAME = 2024999999


def test_heldout_comes_from_the_models_split_in_every_week(small_season, tmp_path: Path) -> None:
    """Week 1 holds only training games. Recomputing the split from that week alone (what scoring used
    to do) finds no test game there and, with three games or more, marks one training game as test.
    Week 3 holds a game the model never saw: out of sample, so held out."""
    _, lake = small_season
    features = lake_io.scan_table(lake, "features").collect()
    games = features["game_id"].unique().sort().to_numpy()
    season_split = split_by_game(games, np.zeros(len(games)))  # the model's split: by game id alone
    week_1_games = games[season_split == "train"][:3]
    assert (split_by_game(week_1_games, np.ones(3)) == "test").sum() == 1  # the old recomputation's error
    week = pl.when(pl.col("game_id").is_in(week_1_games.tolist())).then(1).otherwise(2)
    features = features.with_columns(week.alias("week"))
    new_lake = tmp_path / "lake"
    for number in (1, 2):
        lake_io.write_partition(new_lake, "features", 2024, number, features.filter(pl.col("week") == number))
    version = Path(train_model(str(new_lake), tmp_path / "sbp", epochs=1, refit=False)["model_dir"])
    unseen = features.filter(pl.col("game_id") == int(week_1_games[0])).with_columns(
        pl.lit(UNSEEN_GAME, pl.Int64).alias("game_id")
    )
    lake_io.write_partition(new_lake, "features", 2024, 3, unseen)

    score_lake(str(new_lake), version)
    scores = lake_io.scan_table(new_lake, "play_scores").collect()
    recorded = game_splits(version)
    assert (
        recorded.join(pl.DataFrame({"game_id": games, "split": season_split}), on="game_id")
        .filter(pl.col("split") != pl.col("split_right"))
        .is_empty()
    )
    per_game = (
        scores.group_by("week", "game_id")
        .agg(pl.col("heldout").all().alias("all_heldout"), pl.col("heldout").any().alias("any_heldout"))
        .join(recorded, on="game_id", how="left")
    )
    assert (per_game["all_heldout"] == per_game["any_heldout"]).all()  # one flag per game
    expected = pl.col("split").is_null() | (pl.col("split") == "test")
    assert per_game.filter(pl.col("all_heldout") != expected).is_empty()
    by_week = dict(per_game.group_by("week").agg(pl.col("all_heldout").sum()).iter_rows())
    assert by_week[1] == 0 and by_week[2] == (season_split == "test").sum() and by_week[3] == 1


def scored_partition(version: str, plays: int, heldout: bool, pit_power: float, seed: int) -> pl.DataFrame:
    """A play_scores partition whose PIT is U ** pit_power (uniform at power 1, miscalibrated above)."""
    pit = np.random.default_rng(seed).uniform(size=plays) ** pit_power
    return pl.DataFrame(
        {
            "game_id": np.arange(plays),
            "heldout": [heldout] * plays,
            **{
                f"{model}_{bound}": pit
                for model in ("passing", "execution")
                for bound in ("cdf_lower", "cdf_upper")
            },
            "model_version": [version] * plays,
        }
    )


def test_uniformity_is_checked_per_model_version(tmp_path: Path) -> None:
    """4,000 calibrated held-out plays of one version and 300 miscalibrated ones of another: mixed, the
    miscalibration hides (KS 0.025 < 0.05, what the old check reported); per version, it shows."""
    lake = tmp_path / "lake"
    lake_io.write_partition(lake, "play_scores", 2024, 1, scored_partition("aaaa", 4000, True, 1.0, 0))
    lake_io.write_partition(lake, "play_scores", 2024, 2, scored_partition("bbbb", 300, True, 2.0, 1))
    by_version = heldout_uniformity(str(lake))
    assert set(by_version) == {"aaaa", "bbbb"}
    assert by_version["aaaa"].passed and by_version["aaaa"].heldout_plays == 4000
    assert not by_version["bbbb"].passed and by_version["bbbb"].ks_distance > 0.2
    calibrated, miscalibrated = uniformity_result(str(lake), "aaaa"), uniformity_result(str(lake), "bbbb")
    assert calibrated.passed and not miscalibrated.passed
    assert miscalibrated.severity == dg.AssetCheckSeverity.WARN
    assert miscalibrated.metadata["heldout_plays"].value == 300
    assert "aaaa" in miscalibrated.metadata["other_model_versions"].value


def test_no_heldout_plays_is_a_warning_not_a_pass(tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    lake_io.write_partition(lake, "play_scores", 2024, 1, scored_partition("aaaa", 50, False, 1.0, 0))
    # Another version's held-out plays do not count for this one.
    lake_io.write_partition(lake, "play_scores", 2024, 2, scored_partition("bbbb", 500, True, 1.0, 1))
    result = uniformity_result(str(lake), "aaaa")
    assert result.passed is False and result.severity == dg.AssetCheckSeverity.WARN
    assert result.metadata["no_heldout_plays"].value is True
    assert result.metadata["ks_distance"].value == "no held-out plays"
    assert "no held-out plays" in result.description
    assert uniformity_result(str(lake), "bbbb").metadata["no_heldout_plays"].value is False
