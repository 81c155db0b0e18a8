"""The tables of one ingested partition besides tracking: plays, games and players, from the derived
outcomes, the tracking rows and the source's optional plays/games/players tables."""

from __future__ import annotations

import polars as pl

from qb_assets.ingest import season_calendar
from qb_assets.ingest.aux_tables import AuxTables
from qb_assets.ingest.events import PLAY_KEY
from qb_assets.ingest.schema import PLAY_SCHEMA


def with_game_teams(frame: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """``frame`` (with ``game_id``) plus ``home_team`` and ``visitor_team`` from the games table (null
    when the source has none)."""
    if aux.games is not None:
        return frame.join(aux.games.select("game_id", "home_team", "visitor_team"), on="game_id", how="left")
    return frame.with_columns(
        pl.lit(None, dtype=pl.String).alias("home_team"), pl.lit(None, dtype=pl.String).alias("visitor_team")
    )


def with_season_type(frame: pl.DataFrame, aux: AuxTables, season: int, week: int) -> pl.DataFrame:
    """``frame`` (with ``game_id``) plus ``season_type`` (REG or POST): the games table's where it has
    one, else the week's (``season_calendar.season_type_of_week``)."""
    by_week = season_calendar.season_type_of_week(pl.lit(season), pl.lit(week))
    if aux.games is None:
        return frame.with_columns(by_week.alias("season_type"))
    official = aux.games.select("game_id", pl.col("season_type").alias("__season_type"))
    return (
        frame.join(official, on="game_id", how="left")
        .with_columns(pl.coalesce("__season_type", by_week).alias("season_type"))
        .drop("__season_type")
    )


def games_table(raw: pl.DataFrame, aux: AuxTables, season: int, week: int) -> pl.DataFrame:
    """The partition's games: the games table's teams when present; the date always from gameId."""
    games = with_game_teams(raw.select(pl.col("game_id").drop_nulls().unique().sort()), aux)
    date = pl.col("game_id").cast(pl.String).str.slice(0, 8).str.to_date("%Y%m%d", strict=False)
    return with_season_type(games, aux, season, week).select(
        "game_id",
        pl.lit(season, pl.Int32).alias("season"),
        pl.lit(week, pl.Int32).alias("week"),
        "season_type",
        "home_team",
        "visitor_team",
        date.alias("game_date"),
    )


def players_table(raw: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """The players seen in the partition's tracking: names and positions from the players table, else
    from the tracking rows (BDB 2019/2021/2024/2025 carry displayName, BDB 2021 position)."""
    seen = (
        raw.lazy()  # lazy: the filter reads the three columns the aggregate needs, not every column
        .filter(pl.col("nfl_id").is_not_null())
        .group_by("nfl_id")
        .agg(pl.col("display_name").drop_nulls().first(), pl.col("position").drop_nulls().first())
        .collect()
    )
    if aux.players is not None:
        seen = seen.join(aux.players, on="nfl_id", how="left").with_columns(
            pl.coalesce("display_name_right", "display_name").alias("display_name"),
            pl.coalesce("player_position", "position").alias("position"),
        )
    return seen.select(
        "nfl_id", pl.col("display_name").cast(pl.String), pl.col("position").cast(pl.String)
    ).sort("nfl_id")


def unidentified_rows(rows: pl.DataFrame, parse_errors: pl.DataFrame) -> pl.DataFrame:
    """One quarantine row per file for the ``rows`` whose gameId or playId is missing or does not
    parse, naming the first such line and, from ``parse_errors``, its bad id column and value."""
    schema = {
        "game_id": pl.Int64,
        "play_id": pl.Int64,
        "reason": pl.String,
        "detail": pl.String,
        "source_file": pl.String,
    }
    if rows.height == 0:
        return pl.DataFrame(schema=schema)
    first_bad_id = (
        parse_errors.filter(pl.col("game_id").is_null() | pl.col("play_id").is_null())
        .filter(pl.col("column").is_in(["gameId", "playId"]))
        .sort("source_row")
        .group_by("source_file", maintain_order=True)
        .first()
        .select("source_file", pl.col("source_row").alias("error_row"), "column", "value", "expected")
    )
    what = pl.format("; line {}: column {} value '{}' is not {}", "error_row", "column", "value", "expected")
    return (
        rows.group_by("source_file")
        .agg(pl.len().alias("rows"), pl.col("source_row").min().alias("first_row"))
        .join(first_bad_id, on="source_file", how="left")
        .select(
            pl.lit(None, dtype=pl.Int64).alias("game_id"),
            pl.lit(None, dtype=pl.Int64).alias("play_id"),
            pl.lit("unparseable_value").alias("reason"),
            pl.concat_str(
                pl.format("{} rows with an unparseable gameId/playId, first at line {}", "rows", "first_row"),
                what.fill_null(""),
            ).alias("detail"),
            "source_file",
        )
        .cast(schema)
    )


def play_table(derived: pl.DataFrame, aux: AuxTables, season: int, week: int, layout: str) -> pl.DataFrame:
    """Assemble the canonical play table (``PLAY_SCHEMA``) from derived outcomes and the optional tables."""
    return (
        with_season_type(_with_tables(derived, aux), aux, season, week)
        .with_columns(
            pl.lit(season).alias("season"),
            pl.lit(week).alias("week"),
            pl.lit(layout).alias("layout"),
            *_situation_columns(season, week),
        )
        .select([pl.col(c).cast(t) for c, t in PLAY_SCHEMA.items()])
        .sort(PLAY_KEY)
    )


def _with_tables(plays: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """The plays with the plays table's situation and official yards and the games table's teams (null
    columns where a table is absent)."""
    situation_cols = [
        "down",
        "yards_to_go",
        "quarter",
        "game_clock_s",
        "possession_team",
        "defensive_team",
        "yardline_side",
        "yardline_number",
        "home_score",
        "visitor_score",
        "yards_official",
        "epa",
    ]
    if aux.plays is not None:
        plays = plays.join(aux.plays.select(*PLAY_KEY, *situation_cols), on=PLAY_KEY, how="left")
    else:
        plays = plays.with_columns(pl.lit(None).alias(c) for c in situation_cols)
    return with_game_teams(plays, aux)


def _situation_columns(season: int, week: int) -> list[pl.Expr]:
    """Teams, field position, clock, score and yards of each play: the official tables' values first,
    else what the tracking shows."""
    other_club = (
        pl.col("clubs")
        .list.set_difference(pl.concat_list(pl.col("offense_club"), pl.lit("football"), pl.lit("ball")))
        .list.first()
    )

    def club_abbr(club: pl.Expr) -> pl.Expr:
        return (
            pl.when(club == "home")
            .then(pl.col("home_team"))
            .when(club == "away")
            .then(pl.col("visitor_team"))
            .otherwise(club)
        )

    offense = pl.coalesce("possession_team", club_abbr(pl.col("offense_club")))
    defense = pl.coalesce("defensive_team", club_abbr(other_club))
    own_half = pl.col("yardline_side") == offense
    to_endzone = (
        pl.when(pl.col("yardline_number") == 50)
        .then(50)
        .when(own_half)
        .then(100 - pl.col("yardline_number"))
        .otherwise(pl.col("yardline_number"))
    )
    from_tracking = 110.0 - pl.col("line_of_scrimmage_x")
    offense_is_home = offense == pl.col("home_team")
    score_diff = (
        pl.when(offense_is_home)
        .then(pl.col("home_score") - pl.col("visitor_score"))
        .otherwise(pl.col("visitor_score") - pl.col("home_score"))
    )
    half_clock = (
        pl.when(pl.col("quarter").is_in([1, 3]))
        .then(pl.col("game_clock_s") + 900)
        .otherwise(pl.col("game_clock_s"))
    )
    # Regular-season weeks left after this one; none in the postseason.
    weeks_left = pl.max_horizontal(season_calendar.regular_season_weeks(pl.lit(season)) - week, 0)
    regular_season = pl.col("season_type") == season_calendar.REGULAR_SEASON
    official_yards = pl.col("pass_result").is_in(["C", "S", "R"]) & pl.col("yards_official").is_not_null()
    yards = (
        pl.when(pl.col("pass_result") == "I")
        .then(0.0)
        .when(official_yards)
        .then(pl.col("yards_official"))
        .otherwise(pl.col("yards_gained_tracking").round(0))
    )
    return [
        offense.alias("possession_team"),
        defense.alias("defensive_team"),
        pl.coalesce(to_endzone.cast(pl.Float64), from_tracking).alias("yards_to_endzone"),
        half_clock.alias("half_seconds_remaining"),
        pl.when(pl.col("home_team").is_not_null()).then(score_diff).alias("score_difference"),
        pl.when(regular_season).then(weeks_left).otherwise(0).alias("games_remaining"),
        yards.alias("yards_gained"),
        pl.when(official_yards)
        .then(pl.lit("plays_table"))
        .when(pl.col("pass_result") == "I")
        .then(pl.lit("rule"))
        .otherwise(pl.lit("tracking"))
        .alias("yards_source"),
    ]
