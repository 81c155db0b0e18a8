"""The BDB 2019 release with its plays and games tables: the tables help, never hurt (docs/data.md 1.1).

The real 2018 game is written in the 2019 layout (``tracking_gameId_*.csv``, team home/away/ball) beside
a ``games.csv`` and a ``plays.csv`` with exactly the 2019 tables' columns, built from nflfastR, and the
accepted plays, results and yards are compared with nflfastR with and without the plays table.
"""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from tests.layouts import bdb2019_games_table, bdb2019_plays_table, write_layout

NO_OFFENSE_TRACKED = 1343  # docs/data.md 1.2: only the 11 defenders


def _ingest(source: Path, lake: Path) -> tuple[dict, pl.DataFrame]:
    summary = ingest_source(source, lake)
    return summary, lake_io.scan_table(lake, "plays").collect()


def _source(game: pl.DataFrame, folder: Path, games: pl.DataFrame, plays: pl.DataFrame | None) -> Path:
    write_layout(game, "bdb2019", folder)
    games.write_csv(folder / "games.csv", null_value="NA")
    if plays is not None:
        plays.write_csv(folder / "plays.csv", null_value="NA")
    return folder


@pytest.fixture(scope="module")
def with_and_without(real_game, real_pbp, real_dir, tmp_path_factory) -> dict[str, tuple[dict, pl.DataFrame]]:
    root = tmp_path_factory.mktemp("bdb2019")
    games, plays_table = bdb2019_games_table(real_dir), bdb2019_plays_table(real_pbp, real_dir)
    return {
        name: _ingest(_source(real_game, root / name, games, plays), root / f"lake_{name}")
        for name, plays in (("games_only", None), ("plays_and_games", plays_table))
    }


def test_the_plays_table_never_costs_plays(with_and_without) -> None:
    without, _ = with_and_without["games_only"]
    with_table, _ = with_and_without["plays_and_games"]
    assert with_table["layouts"] == without["layouts"] == ["bdb2019"]
    assert with_table["plays_in"] == without["plays_in"] == 73
    assert with_table["plays_accepted"] >= without["plays_accepted"] == 72
    assert with_table["quarantine_reasons"] == without["quarantine_reasons"] == {"too_few_players": 1}


@pytest.mark.parametrize("case", ["games_only", "plays_and_games"])
def test_results_and_offense_match_nflfastr(with_and_without, real_pbp: pl.DataFrame, case: str) -> None:
    _, plays = with_and_without[case]
    joined = plays.join(real_pbp, on=["game_id", "play_id"], how="left")
    assert joined.height == 72 and joined["pbp_result"].null_count() == 0
    assert NO_OFFENSE_TRACKED not in joined["play_id"].to_list()
    mismatched = joined.filter(pl.col("pass_result") != pl.col("pbp_result"))
    assert mismatched.height == 0, mismatched.select("play_id", "pass_result", "pbp_result")
    assert (joined["possession_team"] == joined["posteam"]).all()
    assert joined["passer_nfl_id"].is_in([2552466, 2555387]).all()  # Mariota and Kessler


def test_yards_without_the_plays_table_come_from_tracking(with_and_without, real_pbp) -> None:
    _, plays = with_and_without["games_only"]
    joined = plays.join(real_pbp, on=["game_id", "play_id"]).filter(pl.col("pass_result") != "IN")
    assert set(joined["yards_source"]) == {"tracking", "rule"}
    error = (joined["yards_gained"] - joined["yards_gained_right"]).abs()
    assert error.mean() <= 1.0


def test_yards_with_the_plays_table_are_the_official_ones(with_and_without, real_pbp) -> None:
    _, plays = with_and_without["plays_and_games"]
    joined = plays.join(real_pbp, on=["game_id", "play_id"])
    official = joined.filter(pl.col("pass_result").is_in(["C", "S"]))
    assert official.height == 46  # 42 completions and 5 sacks, less 1343 (quarantined)
    assert (official["yards_source"] == "plays_table").all()
    assert (official["yards_gained"] == official["yards_gained_right"]).all()
    incomplete = joined.filter(pl.col("pass_result") == "I")
    assert (incomplete["yards_gained"] == 0).all()
    # The official situation reaches the play table: down and the 2019 clock "MM:SS:00".
    assert (joined["down"] == joined["down_right"].cast(pl.Int32)).all()
    assert joined.filter(pl.col("play_id") == 83)["game_clock_s"].item() == 14 * 60 + 19


def test_expected_points_come_from_a_plays_table_that_has_them(
    real_game, real_pbp, real_dir, tmp_path
) -> None:
    """EPA is carried where a release publishes it (BDB 2021's ``epa`` column), null where it does not."""
    games, plays_table = bdb2019_games_table(real_dir), bdb2019_plays_table(real_pbp, real_dir)
    epa = real_pbp.select(
        pl.col("game_id").cast(pl.String).alias("gameId"),
        pl.col("play_id").cast(pl.String).alias("playId"),
        "epa",
    )
    with_epa = plays_table.join(epa, on=["gameId", "playId"], how="left")
    _, plays = _ingest(_source(real_game, tmp_path / "with_epa", games, with_epa), tmp_path / "lake")
    joined = plays.join(
        real_pbp.select("game_id", "play_id", pl.col("epa").alias("pbp_epa")), on=["game_id", "play_id"]
    )
    assert joined.height == plays.height and joined["epa"].null_count() < joined.height
    assert (joined["epa"] - joined["pbp_epa"]).abs().max() < 1e-9
    _, without = _ingest(_source(real_game, tmp_path / "no_epa", games, plays_table), tmp_path / "lake_no")
    assert without["epa"].null_count() == without.height
