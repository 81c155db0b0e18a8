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
