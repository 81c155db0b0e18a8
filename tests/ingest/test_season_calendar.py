"""The season, week and season type of a game from its date (qb_assets/ingest/season_calendar.py)."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from qb_assets.ingest.season_calendar import season_from_game_id, season_type_of_week, week_from_game_date


def _calendar(game_ids: list[int]) -> pl.DataFrame:
    ids = pl.DataFrame({"g": game_ids}, schema={"g": pl.Int64})
    season, week = season_from_game_id(pl.col("g")), week_from_game_date(pl.col("g"))
    return ids.select(
        season.alias("season"), week.alias("week"), season_type_of_week(season, week).alias("season_type")
    )


def test_week_from_calendar_date() -> None:
    weeks = _calendar([2017091004, 2018120600, 2019010600, 2021090900, 2022091100])["week"].to_list()
    assert weeks == [1, 14, 18, 1, 1]


def test_the_calendar_matches_nflfastr_on_every_game_of_2017_to_2019(real_dir: Path) -> None:
    """801 games, the 33 postseason games among them: nflfastR numbers the wild card week 18 and the
    Super Bowl week 21 in these 17-week seasons, the Super Bowl's bye week not counted."""
    games = (
        pl.read_parquet(real_dir / "nflfastr_pbp_2017_2019.parquet", columns=["game_id", "season", "week"])
        .unique()
        .sort("game_id")
    )
    derived = _calendar(games["game_id"].to_list())
    assert games.height == 801
    assert derived["season"].to_list() == games["season"].to_list()
    assert derived["week"].to_list() == games["week"].to_list()
    assert (derived["season_type"] == "POST").sum() == 33  # 4 wild card, 4 divisional, 2 conference, 1 SB


def test_postseason_weeks_of_18_week_seasons_run_19_to_22() -> None:
    """The 2020 and 2021-2024 postseasons (wild card Saturday and its last game, on Sunday in 2020 and
    Monday since, divisional, conference, Super Bowl), from the published schedules; 2020 is the last
    17-week season."""
    postseason = {
        2020: ([2021010900, 2021011000, 2021011600, 2021012400, 2021020700], [18, 18, 19, 20, 21]),
        2021: ([2022011500, 2022011700, 2022012200, 2022013000, 2022021300], [19, 19, 20, 21, 22]),
        2022: ([2023011400, 2023011600, 2023012100, 2023012900, 2023021200], [19, 19, 20, 21, 22]),
        2023: ([2024011300, 2024011500, 2024012000, 2024012800, 2024021100], [19, 19, 20, 21, 22]),
        2024: ([2025011100, 2025011300, 2025011800, 2025012600, 2025020900], [19, 19, 20, 21, 22]),
    }
    for season, (game_ids, weeks) in postseason.items():
        derived = _calendar(game_ids)
        assert derived["season"].to_list() == [season] * 5
        assert derived["week"].to_list() == weeks, season
        assert derived["season_type"].to_list() == ["POST"] * 5, season


def test_season_type_follows_the_regular_season_length() -> None:
    frame = pl.DataFrame({"season": [2020, 2020, 2021, 2021, 2030], "week": [17, 18, 18, 19, 1]})
    types = frame.select(season_type_of_week(pl.col("season"), pl.col("week")))
    assert types.to_series().to_list() == ["REG", "POST", "REG", "POST", "REG"]
