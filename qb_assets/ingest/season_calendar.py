"""The NFL calendar of a game: its season, week and season type (REG or POST) from its date.

* The season is the year of the date in ``gameId`` (``YYYYMMDDNN``), minus one in January and February.
* Weeks run Tuesday to Monday from the Tuesday after Labor Day (the first Monday of September). The
  regular season has 17 weeks through 2020 and 18 since (the 17-game schedule); the postseason's four
  rounds (wild card, divisional, conference championships, Super Bowl) are numbered on from the last
  regular-season week, as nflverse numbers them (18-21 through 2020, 19-22 since). The Super Bowl
  comes after a bye week, so its calendar week is one too many: weeks are capped at the fourth round.
* Season type: POST after the last regular-season week, REG up to it (a games table's own season type,
  where it has one, wins: ``aux_tables``).

``MAX_WEEK`` (the last postseason week of an 18-week season) bounds the weeks a partition can have.
"""

from __future__ import annotations

import polars as pl

# The last season of 17 regular-season weeks; 18 since 2021.
LAST_17_WEEK_SEASON = 2020
POSTSEASON_WEEKS = 4  # wild card, divisional, conference championships, Super Bowl
MAX_WEEK = 18 + POSTSEASON_WEEKS
REGULAR_SEASON = "REG"
POSTSEASON = "POST"
SEASON_TYPES = (REGULAR_SEASON, POSTSEASON)


def season_from_game_id(game_id: pl.Expr) -> pl.Expr:
    """gameId is YYYYMMDDNN; January/February games belong to the previous season."""
    year = (game_id // 1_000_000).cast(pl.Int32)
    month = ((game_id // 10_000) % 100).cast(pl.Int32)
    return pl.when(month <= 2).then(year - 1).otherwise(year).cast(pl.Int32)


def regular_season_weeks(season: pl.Expr) -> pl.Expr:
    """Weeks in the season's regular season: 17 through 2020, 18 since."""
    return pl.when(season <= LAST_17_WEEK_SEASON).then(17).otherwise(18).cast(pl.Int32)


def week_from_game_date(game_id: pl.Expr) -> pl.Expr:
    """Week from the game date (module docstring): regular-season weeks, then the postseason's, the
    Super Bowl's capped at the fourth postseason week. Dates before week 1 (the preseason, or March to
    August) give weeks below 1. Used only when neither a games table nor the file name gives the week."""
    season = season_from_game_id(game_id)
    date = pl.date(
        (game_id // 1_000_000).cast(pl.Int32),
        ((game_id // 10_000) % 100).cast(pl.Int8),
        ((game_id // 100) % 100).cast(pl.Int8),
    )
    september_first = pl.date(season, 9, 1)
    # Monday is weekday 1 in Polars; days until the first Monday of September.
    to_monday = (8 - september_first.dt.weekday()) % 7
    week_one_tuesday = september_first + pl.duration(days=to_monday + 1)
    calendar_week = ((date - week_one_tuesday).dt.total_days() // 7 + 1).cast(pl.Int32)
    return pl.min_horizontal(calendar_week, regular_season_weeks(season) + POSTSEASON_WEEKS)


def season_type_of_week(season: pl.Expr, week: pl.Expr) -> pl.Expr:
    """POST for the weeks after the season's last regular-season week, else REG."""
    postseason = week > regular_season_weeks(season)
    return pl.when(postseason).then(pl.lit(POSTSEASON)).otherwise(pl.lit(REGULAR_SEASON))
