"""The applicability guard: a model's training profile against the plays it scores. A week of
the season it was trained on is inside it; the real tracking-only BDB 2021 game is far outside a model
trained without situation masking or untracked linemen; a shifted feature is caught and named; the
Dagster check's severity follows the verdict; ``qb-score score`` prints the warning."""

from __future__ import annotations

from pathlib import Path

import dagster as dg
import polars as pl
import pytest

from qb_assets.defs.scoring import applicability_result
from qb_assets.features.store import build_features, load_feature_arrays
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.model.applicability import applicability, read_profile, training_profile
from tests.conftest import qb_score


@pytest.fixture(scope="module")
def season_plays(small_season) -> pl.DataFrame:
    _, lake = small_season
    return load_feature_arrays(str(lake), inputs="passing").plays


@pytest.fixture
def real_lake(real_source: Path, tmp_path: Path) -> Path:
    lake = tmp_path / "real_lake"
    ingest_source(real_source, lake)
    build_features(str(lake))
    return lake


def test_a_week_of_the_training_season_is_inside(season_plays: pl.DataFrame) -> None:
    profile = training_profile(season_plays.filter(pl.col("week") < 3), mask_share=0.25)
    shift = applicability(profile, season_plays.filter(pl.col("week") == 3))
    assert shift.verdict == "ok", shift
    assert shift.unsupported_share == 0.0
    assert set(shift.ks_by_feature) == set(profile["features"])


def test_a_shifted_feature_is_caught_and_named(season_plays: pl.DataFrame) -> None:
    profile = training_profile(season_plays.filter(pl.col("week") < 3))
    # The QB standing nearly still at the release in training, running in the scored week.
    week = season_plays.filter(pl.col("week") == 3).with_columns(pl.col("qb_speed_at_release") + 3.0)
    shift = applicability(profile, week)
    assert shift.verdict in {"warn", "fail"}
    assert max(shift.ks_by_feature, key=shift.ks_by_feature.get) == "qb_speed_at_release"


def test_tracking_only_plays_need_a_masked_training(season_plays: pl.DataFrame) -> None:
    week = season_plays.filter(pl.col("week") == 3).with_columns(pl.lit(False).alias("situation_known"))
    unmasked = applicability(training_profile(season_plays, mask_share=0.0), week)
    masked = applicability(training_profile(season_plays, mask_share=0.25), week)
    assert unmasked.unsupported_share == 1.0 and unmasked.verdict == "fail"
    assert masked.unsupported_share == 0.0 and masked.verdict == "ok"


def test_the_real_game_is_far_outside_an_all_22_unmasked_training(
    season_plays: pl.DataFrame, real_lake: Path
) -> None:
    real = load_feature_arrays(str(real_lake), inputs="passing").plays
    assert real["tracked_defense_players"].max() < 11  # BDB 2021: linemen untracked
    for mask_share in (0.0, 0.25):  # the linemen missing are unsupported either way
        shift = applicability(training_profile(season_plays, mask_share), real)
        assert shift.verdict == "fail" and shift.unsupported_share == 1.0


def test_a_version_without_profile_is_unknown(season_plays: pl.DataFrame, tmp_path: Path) -> None:
    assert read_profile(tmp_path) is None
    shift = applicability(None, season_plays)
    assert shift.verdict == "unknown" and shift.shift is None


def test_check_severity_follows_the_verdict(season_plays: pl.DataFrame) -> None:
    profile = training_profile(season_plays.filter(pl.col("week") < 3), mask_share=0.25)
    week = season_plays.filter(pl.col("week") == 3)
    results = {
        "ok": applicability_result("2024|3", applicability(profile, week)),
        "fail": applicability_result(
            "2024|3", applicability(profile, week.with_columns(pl.lit(0).alias("tracked_defense_players")))
        ),
        "unknown": applicability_result("2024|3", applicability(None, week)),
    }
    assert results["ok"].passed
    assert not results["fail"].passed and results["fail"].severity == dg.AssetCheckSeverity.ERROR
    assert not results["unknown"].passed and results["unknown"].severity == dg.AssetCheckSeverity.WARN


def test_score_writes_applicability_and_the_cli_warns(trained_model: Path, real_lake: Path) -> None:
    # trained_model: the small season, all 22 players tracked; the real game tracks no linemen.
    result = qb_score("score", "--lake", str(real_lake), "--model", str(trained_model))
    assert result.returncode == 0, result.stderr
    assert (
        "qb-score: warning: season 2018 week 14: scored far outside what the model learned" in result.stderr
    )
    scores = lake_io.scan_table(real_lake, "play_scores").collect()
    assert scores["applicability"].n_unique() == 1 and scores["applicability"][0] == 1.0
