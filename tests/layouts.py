"""Write the real 2018 game (BDB 2021 layout) in the other Big Data Bowl layouts, for format tests."""

from __future__ import annotations

from pathlib import Path

import polars as pl

from qb_assets.ingest.schema import FIELD_LENGTH_YD, FIELD_WIDTH_YD

HOME, AWAY = "TEN", "JAX"  # game 2018120600: JAX at TEN
SNAP_FRAME = 11


def _abbr(team: pl.Expr) -> pl.Expr:
    return pl.when(team == "home").then(pl.lit(HOME)).when(team == "away").then(pl.lit(AWAY)).otherwise(team)


def _no_event(event: pl.Expr, empty: str | None) -> pl.Expr:
    return pl.when(event == "None").then(pl.lit(empty, dtype=pl.String)).otherwise(event)


def as_layout(game: pl.DataFrame, layout: str) -> tuple[str, pl.DataFrame]:
    """(file name, frame) of ``game`` written as ``layout`` would have it."""
    if layout == "bdb2021":
        return "week14.csv", game
    if layout == "bdb2019":
        frame = game.select(
            "time",
            "x",
            "y",
            "s",
            "dis",
            "dir",
            _no_event(pl.col("event"), None).alias("event"),
            "nflId",
            "displayName",
            "jerseyNumber",
            pl.when(pl.col("team") == "football")
            .then(pl.lit("ball"))
            .otherwise(pl.col("team"))
            .alias("team"),
            pl.col("frameId").alias("frame.id"),
            "gameId",
            "playId",
        )
        return "tracking_gameId_2018120600.csv", frame
    base = [
        "gameId",
        "playId",
        "nflId",
        "frameId",
        "time",
        "jerseyNumber",
        _abbr(pl.col("team")).alias("team"),
        "playDirection",
        "x",
        "y",
        "s",
        "a",
        "dis",
        "o",
        "dir",
        _no_event(pl.col("event"), None).alias("event"),
    ]
    if layout == "bdb2023":
        return "week14.csv", game.select(base)
    frame = game.select(*base, "displayName").rename({"team": "club"})
    if layout == "bdb2024":
        return "tracking_week_14.csv", frame
    if layout == "bdb2025":
        frame_id = pl.col("frameId").cast(pl.Int32)
        frame_type = (
            pl.when(frame_id < SNAP_FRAME)
            .then(pl.lit("BEFORE_SNAP"))
            .when(frame_id == SNAP_FRAME)
            .then(pl.lit("SNAP"))
            .otherwise(pl.lit("AFTER_SNAP"))
        )
        return "tracking_week_14.csv", frame.with_columns(frame_type.alias("frameType"))
    raise ValueError(layout)


def write_layout(game: pl.DataFrame, layout: str, folder: Path) -> Path:
    name, frame = as_layout(game, layout)
    folder.mkdir(parents=True, exist_ok=True)
    frame.write_csv(folder / name)
    return folder


def mirrored(game: pl.DataFrame) -> pl.DataFrame:
    """The same plays seen from the other end of the field: a 180-degree rotation of the raw data."""
    num = {c: pl.col(c).cast(pl.Float64, strict=False) for c in ("x", "y", "o", "dir")}
    return game.with_columns(
        (FIELD_LENGTH_YD - num["x"]).round(6).cast(pl.String).alias("x"),
        (FIELD_WIDTH_YD - num["y"]).round(6).cast(pl.String).alias("y"),
        ((num["o"] + 180) % 360).round(6).cast(pl.String).alias("o"),
        ((num["dir"] + 180) % 360).round(6).cast(pl.String).alias("dir"),
        pl.when(pl.col("playDirection") == "left")
        .then(pl.lit("right"))
        .otherwise(pl.lit("left"))
        .alias("playDirection"),
    )


# --- the BDB 2019 plays and games tables of the real game, from nflfastR -------------------------------

# The real 2019 tables (docs/data.md 1.1), whose header the written tables copy.
BDB2019_PLAYS_FILE = "bdb2019_plays_2017_weeks1-6.csv"
BDB2019_GAMES_FILE = "bdb2019_games_2017_weeks1-6.csv"
_NOT_PLAYS = ("GAME_START", "END_QUARTER", "END_GAME", "TIMEOUT")


def _header(real_dir: Path, name: str) -> list[str]:
    return pl.read_csv(real_dir / name, n_rows=0).columns


def bdb2019_plays_table(pbp: pl.DataFrame, real_dir: Path) -> pl.DataFrame:
    """The real game's plays as the BDB 2019 ``plays.csv`` has them (the real table's columns, as text),
    from nflfastR play-by-play (``real_pbp``): PlayResult includes the enforced penalty's yards, signed
    for the offense, as in that release (docs/data.md 1.1); columns nflfastR cannot give are NA."""
    desc = pl.col("desc")
    penalty = desc.str.extract_groups(r"PENALTY on (?<team>[A-Z]+)[^,]*, [^,]*, (?<yards>\d+) yards")
    penalty_yards = (
        pl.when(penalty.struct["team"] == pl.col("posteam"))
        .then(-penalty.struct["yards"].cast(pl.Int64))
        .otherwise(penalty.struct["yards"].cast(pl.Int64))
        .fill_null(0)
    )
    is_pass = pl.col("pass") == 1
    result = (
        pl.when(~is_pass)
        .then(None)
        .when(desc.str.contains(" scrambles "))
        .then(pl.lit("R"))
        .otherwise(pl.col("pbp_result"))
    )
    own_half = pl.col("yardline_100") > 50
    other_team = pl.when(pl.col("posteam") == HOME).then(pl.lit(AWAY)).otherwise(pl.lit(HOME))
    clock = desc.str.extract(r"^\((\d*:\d\d)\)").str.pad_start(5, "0")
    whole = {
        "gameId": pl.col("game_id"),
        "playId": pl.col("play_id"),
        "quarter": pl.col("qtr").cast(pl.Int64),
        "GameClock": pl.concat_str(clock, pl.lit(":00")),
        "down": pl.col("down").fill_null(0).cast(pl.Int64),
        "yardsToGo": pl.col("ydstogo").fill_null(0).cast(pl.Int64),
        "possessionTeam": pl.col("posteam"),
        "yardlineSide": pl.when(own_half).then(pl.col("posteam")).otherwise(other_team),
        "yardlineNumber": pl.when(own_half)
        .then(100 - pl.col("yardline_100"))
        .otherwise(pl.col("yardline_100"))
        .cast(pl.Int64),
        "isPenalty": pl.when(penalty_yards != 0).then(pl.lit("TRUE")).otherwise(pl.lit("FALSE")),
        "isSTPlay": pl.when(is_pass | (pl.col("rush") == 1)).then(pl.lit("FALSE")).otherwise(pl.lit("TRUE")),
        "PassLength": pl.when(is_pass).then(pl.col("air_yards").cast(pl.Int64)),
        "PassResult": result,
        "YardsAfterCatch": pl.when(result == "C").then(
            (pl.col("yards_gained") - pl.col("air_yards")).cast(pl.Int64)
        ),
        "PlayResult": (pl.col("yards_gained").fill_null(0).cast(pl.Int64) + penalty_yards),
        "playDescription": desc,
    }
    plays = pbp.filter(pl.col("posteam").is_not_null() & ~pl.col("play_type_nfl").is_in(_NOT_PLAYS))
    plays = plays.with_columns(pl.col(pl.Float64).fill_nan(None))
    return plays.select(
        (whole[c] if c in whole else pl.lit(None)).cast(pl.String).alias(c)
        for c in _header(real_dir, BDB2019_PLAYS_FILE)
    )


def bdb2019_games_table(real_dir: Path) -> pl.DataFrame:
    """The real game's row of the BDB 2019 ``games.csv`` (the real table's columns, as text)."""
    known = {
        "season": "2018",
        "week": "14",
        "gameDate": "12/06/2018",
        "gameId": "2018120600",
        "gameTimeEastern": "20:20:00",
        "HomeScore": "30",
        "VisitorScore": "9",
        "homeTeamAbbr": HOME,
        "visitorTeamAbbr": AWAY,
        "homeDisplayName": "Tennessee Titans",
        "visitorDisplayName": "Jacksonville Jaguars",
    }
    columns = _header(real_dir, BDB2019_GAMES_FILE)
    return pl.DataFrame({c: [known.get(c)] for c in columns}, schema=dict.fromkeys(columns, pl.String))
