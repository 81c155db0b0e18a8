"""Kinematics (s, a, dis, o, dir) from the paths and the Big Data Bowl 2023 tracking rows of one game.

Raw field coordinates: a left-moving play is mirrored (x -> 120 - x, y -> 53.33 - y, angles + 180).
"""

from __future__ import annotations

import numpy as np
import polars as pl
from scipy import signal

from qb_assets.ingest.schema import FIELD_LENGTH_YD, FIELD_WIDTH_YD, FRAME_SECONDS
from qb_assets.synthetic.post import EVENTS

ACCEL_SMOOTHING = 0.35  # weight of the newest velocity change in the causal exponential filter
MAX_ACCELERATION = 12.0  # yd/s^2: above what real players reach (11.3 in the 2018 sample)
TRACKING_COLUMNS = (
    "gameId", "playId", "nflId", "frameId", "time", "jerseyNumber", "team", "playDirection",
    "x", "y", "s", "a", "dis", "o", "dir", "event",
)  # fmt: skip


def kinematics(x: np.ndarray, y: np.ndarray, rng: np.random.Generator) -> dict[str, np.ndarray]:
    """Speed, acceleration magnitude, distance per frame and heading (deg clockwise from +y), plus a
    facing `o`: the heading when running, else toward the opponent's side (offense +x, defense -x).

    x, y: (P, F, 23) normalized, entity 22 = the ball.
    """
    vx = np.diff(x, axis=1, prepend=x[:, :1]) / FRAME_SECONDS
    vy = np.diff(y, axis=1, prepend=y[:, :1]) / FRAME_SECONDS
    s = np.hypot(vx, vy)
    # Backward differences only: a frame's values never depend on later frames (no post-release leak).
    # Acceleration is smoothed with a causal exponential filter (the chips' own output is filtered: real
    # player accelerations stay under ~11 yd/s^2) and capped at the physical MAX_ACCELERATION.
    ax = signal.lfilter(
        [ACCEL_SMOOTHING], [1.0, ACCEL_SMOOTHING - 1.0], np.diff(vx, axis=1, prepend=vx[:, :1]), axis=1
    )
    ay = signal.lfilter(
        [ACCEL_SMOOTHING], [1.0, ACCEL_SMOOTHING - 1.0], np.diff(vy, axis=1, prepend=vy[:, :1]), axis=1
    )
    ax, ay = ax / FRAME_SECONDS, ay / FRAME_SECONDS
    heading = np.degrees(np.arctan2(vx, vy)) % 360.0
    facing = np.where(np.arange(x.shape[2]) < 11, 90.0, 270.0)[None, None, :]
    o = np.where(s > 1.5, heading, facing) + rng.normal(0.0, 12.0, x.shape)
    direction = np.where(s > 0.2, heading, o)
    return {
        "s": s,
        "a": np.minimum(np.hypot(ax, ay), MAX_ACCELERATION),
        "dis": s * FRAME_SECONDS,
        "o": o % 360.0,
        "dir": direction % 360.0,
    }


def tracking_frame(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    game_id: int,
    play_id: np.ndarray,
    x: np.ndarray,
    y: np.ndarray,
    n_frames: np.ndarray,
    events: np.ndarray,
    direction_right: np.ndarray,
    nfl_id: np.ndarray,
    jersey: np.ndarray,
    club: np.ndarray,
    start_ms: np.ndarray,
    rng: np.random.Generator,
) -> pl.DataFrame:
    """Rows of one game in play, frame, entity order.

    x, y: (P, F, 23) normalized (entity 22 = ball); nfl_id/jersey (P, 22); club (P, 23) strings with
    'football' for the ball; start_ms (P,) epoch milliseconds of frame 1.
    """
    n, n_f, n_e = x.shape
    kin = kinematics(x, y, rng)
    left = ~direction_right[:, None, None]
    raw_x = np.where(left, FIELD_LENGTH_YD - x, x)
    raw_y = np.where(left, FIELD_WIDTH_YD - y, y)
    turn = np.where(left, 180.0, 0.0)
    o, dirs = (kin["o"] + turn) % 360.0, (kin["dir"] + turn) % 360.0
    keep = (np.arange(n_f)[None, :] < n_frames[:, None])[:, :, None] & np.ones((1, 1, n_e), dtype=bool)
    frames = np.broadcast_to(np.arange(n_f)[None, :, None], keep.shape)
    plays = np.broadcast_to(np.arange(n)[:, None, None], keep.shape)
    ents = np.broadcast_to(np.arange(n_e)[None, None, :], keep.shape)
    p_idx, f_idx, e_idx = plays[keep], frames[keep], ents[keep]
    is_ball = e_idx == n_e - 1
    ids = np.c_[nfl_id, np.full((n, 1), -1)][p_idx, e_idx]
    jerseys = np.c_[jersey, np.full((n, 1), -1)][p_idx, e_idx]
    time_ms = start_ms[p_idx] + f_idx * 100
    df = pl.DataFrame(
        {
            "gameId": np.full(p_idx.size, game_id, dtype=np.int64),
            "playId": play_id[p_idx],
            "nflId": ids,
            "frameId": (f_idx + 1).astype(np.int32),
            "time": time_ms,
            "jerseyNumber": jerseys,
            "team": club[p_idx, e_idx],
            "playDirection": np.where(direction_right[p_idx], "right", "left"),
            "x": raw_x[keep],
            "y": raw_y[keep],
            "s": kin["s"][keep],
            "a": kin["a"][keep],
            "dis": kin["dis"][keep],
            "o": np.where(is_ball, np.nan, o[keep]),
            "dir": np.where(is_ball, np.nan, dirs[keep]),
            "event": events[p_idx, f_idx].astype(np.uint32),
        }
    )
    return df.with_columns(
        pl.when(pl.col("nflId") >= 0).then(pl.col("nflId")),
        pl.when(pl.col("jerseyNumber") >= 0).then(pl.col("jerseyNumber")),
        pl.from_epoch("time", time_unit="ms")
        .dt.replace_time_zone("UTC")
        .dt.strftime("%Y-%m-%dT%H:%M:%S%.3fZ"),
        pl.col("o").fill_nan(None),
        pl.col("dir").fill_nan(None),
        pl.col("event").replace_strict(list(range(len(EVENTS))), [None, *EVENTS[1:]], return_dtype=pl.String),
    )


# --- Big Data Bowl vintages: the tracked-player set and the columns of older releases ------------------

VINTAGES = ("bdb2023", "bdb2021", "bdb2019")
# Positions a vintage does not track. BDB 2021 tracks no offensive or defensive linemen (its 2018 sample
# carries 3 DT/NT rows in 1,127 player-plays); edge rushers listed as OLB (3-4 fronts) are tracked.
UNTRACKED_POSITIONS = {"bdb2023": (), "bdb2021": ("T", "G", "C", "DE", "DT", "NT"), "bdb2019": ()}
BDB2021_COLUMNS = (
    "time", "x", "y", "s", "a", "dis", "o", "dir", "event", "nflId", "displayName", "jerseyNumber",
    "position", "frameId", "team", "gameId", "playId", "playDirection",
)  # fmt: skip
BDB2019_COLUMNS = (
    "time", "x", "y", "s", "dis", "dir", "event", "nflId", "displayName", "jerseyNumber", "team",
    "frame.id", "gameId", "playId",
)  # fmt: skip


def vintage_file_name(vintage: str, week: int, game_id: int) -> str:
    """The tracking file a game of ``vintage`` goes to: the week's file as each release names it, one
    file per game in BDB 2019."""
    return {
        "bdb2023": f"tracking_week_{week}.csv",
        "bdb2021": f"week{week}.csv",
        "bdb2019": f"tracking_gameId_{game_id}.csv",
    }[vintage]


def as_vintage(tracking: pl.DataFrame, vintage: str, home_club: str, players: pl.DataFrame) -> pl.DataFrame:
    """One game's BDB 2023 tracking rows (``tracking_frame``) as ``vintage`` writes them: the rows of
    the players it does not track dropped (``UNTRACKED_POSITIONS``) and its columns. BDB 2021: team
    home/away/football, event "None" when there is none, position and displayName; BDB 2019: team
    home/away/ball, ``frame.id``, no a, o or playDirection.

    ``players``: nflId, position and displayName of every player."""
    if vintage not in VINTAGES:
        raise ValueError(f"unknown vintage {vintage!r}; expected one of {', '.join(VINTAGES)}")
    if vintage == "bdb2023":
        return tracking
    frame = tracking.join(players.select("nflId", "position", "displayName"), on="nflId", how="left")
    frame = frame.filter(~pl.col("position").is_in(UNTRACKED_POSITIONS[vintage]).fill_null(False))
    if vintage == "bdb2021":
        return frame.with_columns(
            *_club_labels(home_club, ball_team="football", ball_name="Football"),
            pl.col("event").fill_null("None"),
        ).select(BDB2021_COLUMNS)
    return frame.with_columns(
        *_club_labels(home_club, ball_team="ball", ball_name="football"),
        pl.col("frameId").alias("frame.id"),
    ).select(BDB2019_COLUMNS)


def _club_labels(home_club: str, ball_team: str, ball_name: str) -> list[pl.Expr]:
    """``team`` as home/away (the ball as ``ball_team``) and the ball's ``displayName``, as the older
    vintages write them."""
    football = pl.col("team") == "football"
    side = pl.when(pl.col("team") == home_club).then(pl.lit("home")).otherwise(pl.lit("away"))
    return [
        pl.when(football).then(pl.lit(ball_team)).otherwise(side).alias("team"),
        pl.when(football).then(pl.lit(ball_name)).otherwise(pl.col("displayName")).alias("displayName"),
    ]
