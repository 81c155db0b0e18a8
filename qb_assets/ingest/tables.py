"""The tables of one ingested partition besides tracking: plays, games and players, from the derived
outcomes, the tracking rows and the source's optional plays/games/players tables."""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qb_assets.ingest import formats
from qb_assets.ingest.events import PLAY_KEY
from qb_assets.ingest.schema import PLAY_SCHEMA
from qb_assets.io.files import SourceFile
from qb_assets.io.sources import TrackingSource


@dataclass
class AuxTables:
    """The optional plays/games/players tables of a source, canonicalized (None when absent)."""

    plays: pl.DataFrame | None = None
    games: pl.DataFrame | None = None
    players: pl.DataFrame | None = None

    @classmethod
    def load(cls, source: TrackingSource, files: list[SourceFile]) -> AuxTables:
        by_stem = {f.stem.lower(): f for f in files}
        tables = {}
        for name, normalizer in (
            ("plays", formats.normalize_plays_table),
            ("games", formats.normalize_games_table),
            ("players", formats.normalize_players_table),
        ):
            file = by_stem.get(name)
            tables[name] = normalizer(source.read_frame(file, as_strings=False)) if file else None
        return cls(**tables)


def with_game_teams(frame: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """``frame`` (with ``game_id``) plus ``home_team`` and ``visitor_team`` from the games table (null
    when the source has none)."""
    if aux.games is not None:
        return frame.join(aux.games.select("game_id", "home_team", "visitor_team"), on="game_id", how="left")
    return frame.with_columns(
        pl.lit(None, dtype=pl.String).alias("home_team"), pl.lit(None, dtype=pl.String).alias("visitor_team")
    )


def games_table(raw: pl.DataFrame, aux: AuxTables, season: int, week: int) -> pl.DataFrame:
    """The partition's games: the games table's teams when present; the date always from gameId."""
    games = with_game_teams(raw.select(pl.col("game_id").drop_nulls().unique().sort()), aux)
    date = pl.col("game_id").cast(pl.String).str.slice(0, 8).str.to_date("%Y%m%d", strict=False)
    return games.select(
        "game_id",
        pl.lit(season, pl.Int32).alias("season"),
        pl.lit(week, pl.Int32).alias("week"),
        "home_team",
        "visitor_team",
        date.alias("game_date"),
    )


def players_table(raw: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """The players seen in the partition's tracking: names and positions from the players table, else
    from the tracking rows (BDB 2019/2021/2024/2025 carry displayName, BDB 2021 position)."""
    seen = (
        raw.filter(pl.col("nfl_id").is_not_null())
        .group_by("nfl_id")
        .agg(pl.col("display_name").drop_nulls().first(), pl.col("position").drop_nulls().first())
    )
    if aux.players is not None:
        seen = seen.join(aux.players, on="nfl_id", how="left").with_columns(
            pl.coalesce("display_name_right", "display_name").alias("display_name"),
            pl.coalesce("player_position", "position").alias("position"),
        )
    return seen.select(
        "nfl_id", pl.col("display_name").cast(pl.String), pl.col("position").cast(pl.String)
    ).sort("nfl_id")


def unidentified_rows(rows: pl.DataFrame) -> pl.DataFrame:
    """One quarantine row per file for rows whose gameId or playId does not parse."""
    if rows.height == 0:
        return pl.DataFrame(
            schema={
                "game_id": pl.Int64,
                "play_id": pl.Int64,
                "reason": pl.String,
                "detail": pl.String,
                "source_file": pl.String,
            }
        )
    return (
        rows.group_by("source_file")
        .agg(
            pl.lit(None, dtype=pl.Int64).alias("game_id"),
            pl.lit(None, dtype=pl.Int64).alias("play_id"),
            pl.lit("unparseable_value").alias("reason"),
            pl.format(
                "{} rows with an unparseable gameId/playId, first at line {}",
                pl.len(),
                pl.col("source_row").min(),
            ).alias("detail"),
        )
        .select("game_id", "play_id", "reason", "detail", "source_file")
    )


def play_table(derived: pl.DataFrame, aux: AuxTables, season: int, week: int, layout: str) -> pl.DataFrame:
    """Assemble the canonical play table (``PLAY_SCHEMA``) from derived outcomes and the optional tables."""
    return (
        _with_tables(derived, aux)
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
    # Regular-season weeks left after this one (17-week seasons through 2020, 18 since).
    weeks_in_season = 17 if season <= 2020 else 18
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
        pl.lit(max(weeks_in_season - week, 0)).alias("games_remaining"),
        yards.alias("yards_gained"),
        pl.when(official_yards)
        .then(pl.lit("plays_table"))
        .when(pl.col("pass_result") == "I")
        .then(pl.lit("rule"))
        .otherwise(pl.lit("tracking"))
        .alias("yards_source"),
    ]
