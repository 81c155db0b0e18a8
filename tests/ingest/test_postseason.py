"""Postseason games: their own partitions (weeks after the regular season), season_type POST on the
plays and games tables, no games remaining; weeks outside a season are refused."""

from __future__ import annotations

import shutil
from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pipeline import ingest_source, plan_source
from qb_assets.io import lake as lake_io
from qb_assets.io.files import SourceError
from qb_assets.synthetic.season import generate_season
from tests.layouts import as_layout


@pytest.fixture(scope="module")
def january(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Season 2024's last regular-season week (18) and its wild card week (19), one game each, with the
    generator's games table."""
    folder = tmp_path_factory.mktemp("postseason") / "source"
    generate_season(folder, season=2024, weeks=[18, 19], games_per_week=1, seed=11)
    return folder


def _copy(source: Path, tmp_path: Path) -> Path:
    return Path(shutil.copytree(source, tmp_path / "source"))


def _by_week(lake: Path, table: str) -> pl.DataFrame:
    frame = lake_io.scan_table(lake, table).collect()
    return frame.group_by("season", "week").agg(pl.col("season_type").unique(), pl.len()).sort("week")


def test_a_postseason_week_is_its_own_partition(january: Path, tmp_path: Path) -> None:
    summary = ingest_source(january, tmp_path / "lake")
    assert [(p["season"], p["week"]) for p in summary["partitions"]] == [(2024, 18), (2024, 19)]
    assert lake_io.list_partitions(tmp_path / "lake", "plays") == [(2024, 18), (2024, 19)]
    plays = lake_io.scan_table(tmp_path / "lake", "plays").collect()
    by_week = plays.group_by("week").agg(
        pl.col("season").unique(), pl.col("season_type").unique(), pl.col("games_remaining").unique()
    )
    assert by_week.sort("week").rows() == [(18, [2024], ["REG"], [0]), (19, [2024], ["POST"], [0])]
    games = _by_week(tmp_path / "lake", "games")
    assert games.select("week", "season_type").rows() == [(18, ["REG"]), (19, ["POST"])]


def test_the_games_table_season_type_wins_and_games_remaining_stays_at_zero(
    january: Path, tmp_path: Path
) -> None:
    """A games table that calls week 19 regular season (as a longer schedule would) is believed; the
    regular-season weeks left after week 19 of an 18-week season are 0, not -1."""
    source = _copy(january, tmp_path)
    games = pl.read_csv(source / "games.csv")
    games.with_columns(pl.lit("REG").alias("seasonType")).write_csv(source / "games.csv")
    ingest_source(source, tmp_path / "lake")
    plays = lake_io.scan_table(tmp_path / "lake", "plays").collect().filter(pl.col("week") == 19)
    assert plays["season_type"].unique().to_list() == ["REG"]
    assert plays["games_remaining"].unique().to_list() == [0]
    # nflverse's game types name the round; every one of them is the postseason.
    games.with_columns(pl.lit("WC").alias("game_type")).write_csv(source / "games.csv")
    ingest_source(source, tmp_path / "lake")
    assert _by_week(tmp_path / "lake", "plays")["season_type"].to_list() == [["POST"], ["POST"]]


def test_a_bad_season_type_names_its_line(january: Path, tmp_path: Path) -> None:
    source = _copy(january, tmp_path)
    games = pl.read_csv(source / "games.csv").with_columns(pl.Series("seasonType", ["REG", "PRE"]))
    games.write_csv(source / "games.csv")
    with pytest.raises(SourceError, match=r"games.csv line 3: column seasonType value 'PRE' is not one of"):
        ingest_source(source, tmp_path / "lake")


def test_the_calendar_puts_a_tracking_only_playoff_game_in_its_week(
    real_game: pl.DataFrame, tmp_path: Path
) -> None:
    """The real 2018 game, re-dated to the divisional round (2019-01-13) in a per-game file without
    tables: season 2018 (17 regular-season weeks), week 19, the postseason."""
    _, frame = as_layout(real_game, "bdb2019")
    source = tmp_path / "source"
    source.mkdir()
    redated = frame.with_columns(pl.lit("2019011300").alias("gameId"))
    redated.write_csv(source / "tracking_gameId_2019011300.csv")
    summary = ingest_source(source, tmp_path / "lake")
    assert [(p["season"], p["week"]) for p in summary["partitions"]] == [(2018, 19)]
    plays = lake_io.scan_table(tmp_path / "lake", "plays").collect()
    assert plays.height == summary["plays_accepted"] > 0
    assert plays["season_type"].unique().to_list() == ["POST"]
    assert plays["games_remaining"].unique().to_list() == [0]


def test_weeks_outside_a_season_are_refused(january: Path, tmp_path: Path) -> None:
    source = _copy(january, tmp_path)
    games = pl.read_csv(source / "games.csv")
    games.with_columns(pl.Series("week", [18, 23])).write_csv(source / "games.csv")
    refused = r"tracking_week_19.csv: game \d+ is in week 23 of season 2024 by the games table"
    with pytest.raises(SourceError, match=refused):
        plan_source(source)
    # A preseason game (August) comes before week 1 by its date.
    preseason = tmp_path / "preseason"
    preseason.mkdir()
    header = "time,x,y,s,dis,dir,event,nflId,displayName,jerseyNumber,team,frame.id,gameId,playId"
    (preseason / "tracking_gameId_2024081000.csv").write_text(f"{header}\n{',' * 12}2024081000,1\n")
    with pytest.raises(SourceError, match=r"game 2024081000 is in week -3 of season 2024 by the game date"):
        plan_source(preseason)
