"""nflfastR play-by-play as a source of pass attempts: real outcomes where no tracking exists.

Plays: pass attempts (``play_type_nfl == "PASS"``; sacks are their own type and scrambles are runs in
nflfastR, so both are excluded) with a recorded down, distance, field position and air yards, and the
yards as recorded (nflfastR records 0 for an interception, without the return).
"""

from __future__ import annotations

from pathlib import Path

import polars as pl

SITUATION_FEATURES = ("down", "ydstogo", "yardline_100", "qtr", "air_yards")


def load_pass_attempts(path: str | Path, seasons: list[int]) -> pl.DataFrame:
    """Pass attempts of ``seasons`` with every situation feature and the label present."""
    frame = pl.read_parquet(path)
    missing = [
        c
        for c in (*SITUATION_FEATURES, "yards_gained", "season", "game_id", "play_type_nfl")
        if c not in frame.columns
    ]
    if missing:
        raise ValueError(f"{path}: not an nflfastR play-by-play file, missing columns: {', '.join(missing)}")
    complete = pl.all_horizontal(
        pl.col(c).is_not_null() & pl.col(c).is_not_nan() for c in (*SITUATION_FEATURES, "yards_gained")
    )
    return frame.filter((pl.col("play_type_nfl") == "PASS") & pl.col("season").is_in(seasons) & complete)
