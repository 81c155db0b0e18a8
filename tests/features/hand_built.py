"""A hand-built pass play whose every feature can be computed by hand (shared by the feature tests)."""

from __future__ import annotations

import math

import polars as pl

from qb_assets.ingest.schema import PLAY_SCHEMA, TRACKING_SCHEMA


def _row(nfl_id, frame, side, x, y, *, s=0.0, dir_deg=0.0, o=0.0):
    heading = math.radians(dir_deg)
    return {
        "game_id": 2024090800,
        "play_id": 1,
        "nfl_id": nfl_id,
        "frame_id": frame,
        "side": side,
        "x": x,
        "y": y,
        "s": s,
        "a": 0.0,
        "dis": s / 10,
        "o": o,
        "dir": dir_deg,
        "vx": s * math.sin(heading),
        "vy": s * math.cos(heading),
        "ax": 0.0,
        "ay": 0.0,
        "event": None,
    }


def _tracking(rows: list[dict]) -> pl.DataFrame:
    return (
        pl.DataFrame(rows)
        .with_columns(
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("time"),
            pl.lit("ABC").alias("club"),
            pl.lit(None, dtype=pl.String).alias("position"),
            pl.lit(None, dtype=pl.String).alias("display_name"),
        )
        .select([pl.col(c).cast(t) for c, t in TRACKING_SCHEMA.items()])
    )


def with_standing_players(
    tracking: pl.DataFrame, players: dict[int, tuple[str, float, float]]
) -> pl.DataFrame:
    """``tracking`` plus players {nfl_id: (side, x, y)} standing still on every frame of the play."""
    frames = tracking["frame_id"].unique().sort().to_list()
    rows = [_row(i, f, side, x, y) for i, (side, x, y) in players.items() for f in frames]
    return pl.concat([tracking, _tracking(rows)])


def hand_built_play() -> tuple[pl.DataFrame, pl.DataFrame]:
    """Snap at frame 1, release at 3, arrival at 5. LOS x=30, ball y=26 at the snap."""
    rows = []
    for frame in range(1, 6):
        rows.append(_row(1, frame, "offense", 26.0 + frame, 26.0, s=2.0, dir_deg=90.0))  # QB drifting to +x
        rows.append(_row(2, frame, "offense", 37.0 + frame, 30.0))  # target: x=40 at release, 42 at arrival
        rows.append(_row(3, frame, "offense", 29.0, 20.0))
        rows.append(_row(4, frame, "defense", 38.0 + frame, 30.5 + (0.5 if frame == 5 else 0.0)))
        rows.append(_row(5, frame, "defense", 29.5, 26.0))  # on the QB at the release, behind the LOS
        rows.append(_row(None, frame, "football", 30.0, 26.0))
    tracking = _tracking(rows)
    play = {c: None for c in PLAY_SCHEMA} | {
        "game_id": 2024090800,
        "play_id": 1,
        "season": 2024,
        "week": 1,
        "passer_nfl_id": 1,
        "target_nfl_id": 2,
        "snap_frame_id": 1,
        "release_frame_id": 3,
        "arrival_frame_id": 5,
        "end_frame_id": 5,
        "line_of_scrimmage_x": 30.0,
        "pass_result": "C",
        "yards_gained": 14.0,
        "air_yards": 12.0,
        "time_to_throw_s": 0.2,
        "down": 3,
        "yards_to_go": 7,
        "yards_to_endzone": 80.0,
        "quarter": 2,
        "half_seconds_remaining": 100,
        "score_difference": -3,
        "games_remaining": 17,
    }
    plays = pl.DataFrame([play]).select([pl.col(c).cast(t) for c, t in PLAY_SCHEMA.items()])
    return tracking, plays
