"""Play tensors: frames from the snap to the release, 22 player slots x CHANNELS (see schema.py).

Built with joins and one NumPy scatter: no per-play or per-frame Python loop. Slot order: QB, target,
other offense by distance to the QB at the snap, defense by distance to the target at the release;
players beyond a side's slots (never in real data) are dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from qb_assets.features.schema import CHANNELS, MAX_FRAMES, OFFENSE_SLOTS, SLOTS
from qb_assets.ingest.events import PLAY_KEY
from qb_assets.ingest.schema import SIDE_DEFENSE, SIDE_FOOTBALL, SIDE_OFFENSE

DEFENSE_FIRST_SLOT = OFFENSE_SLOTS


@dataclass
class PlayTensors:
    """Tensors of N plays, in the row order of the feature frame they were built for.

    tensor: (N, MAX_FRAMES, 22, C) float32, zero after ``n_frames`` and in absent slots.
    n_frames: (N,) int32, frames kept (1..MAX_FRAMES). frames_truncated: (N,) bool.
    slot_present: (N, 22) bool. slot_nfl_id: (N, 22) int64, -1 where absent.
    players_dropped: players beyond a side's slots (counted, expected 0).
    """

    tensor: np.ndarray
    n_frames: np.ndarray
    frames_truncated: np.ndarray
    slot_present: np.ndarray
    slot_nfl_id: np.ndarray
    players_dropped: int


def _distance(x: str, y: str, to_x: str, to_y: str) -> pl.Expr:
    return ((pl.col(x) - pl.col(to_x)) ** 2 + (pl.col(y) - pl.col(to_y)) ** 2).sqrt()


def slot_assignment(tracking: pl.DataFrame, plays: pl.DataFrame) -> pl.DataFrame:
    """Per (play, player): slot index. ``plays`` needs PLAY_KEY, passer/target ids, snap/release frames."""
    players = tracking.filter(pl.col("side") != SIDE_FOOTBALL)
    at_snap = players.join(
        plays.select(*PLAY_KEY, pl.col("snap_frame_id").alias("frame_id")), on=[*PLAY_KEY, "frame_id"]
    )
    at_release = players.join(
        plays.select(*PLAY_KEY, pl.col("release_frame_id").alias("frame_id")), on=[*PLAY_KEY, "frame_id"]
    )
    qb_at_snap = at_snap.join(
        plays.select(*PLAY_KEY, pl.col("passer_nfl_id").alias("nfl_id")), on=[*PLAY_KEY, "nfl_id"]
    ).select(*PLAY_KEY, pl.col("x").alias("qb_x"), pl.col("y").alias("qb_y"))
    target_at_release = at_release.join(
        plays.select(*PLAY_KEY, pl.col("target_nfl_id").alias("nfl_id")), on=[*PLAY_KEY, "nfl_id"]
    ).select(*PLAY_KEY, pl.col("x").alias("target_x"), pl.col("y").alias("target_y"))
    offense_distance = (
        at_snap.filter(pl.col("side") == SIDE_OFFENSE)
        .join(qb_at_snap, on=PLAY_KEY)
        .select(*PLAY_KEY, "nfl_id", _distance("x", "y", "qb_x", "qb_y").alias("offense_key"))
    )
    defense_distance = (
        at_release.filter(pl.col("side") == SIDE_DEFENSE)
        .join(target_at_release, on=PLAY_KEY)
        .select(*PLAY_KEY, "nfl_id", _distance("x", "y", "target_x", "target_y").alias("defense_key"))
    )
    roster = (
        players.group_by([*PLAY_KEY, "nfl_id"])
        .agg(pl.col("side").first())
        .join(plays.select(*PLAY_KEY, "passer_nfl_id", "target_nfl_id"), on=PLAY_KEY)
        .join(offense_distance, on=[*PLAY_KEY, "nfl_id"], how="left")
        .join(defense_distance, on=[*PLAY_KEY, "nfl_id"], how="left")
    )
    special = (pl.col("nfl_id") == pl.col("passer_nfl_id")) | (pl.col("nfl_id") == pl.col("target_nfl_id"))
    # Players absent at the snap/release frame sort last (null keys), ties by id for determinism.
    group = pl.when(special).then(0).when(pl.col("side") == SIDE_OFFENSE).then(1).otherwise(2)
    key = pl.coalesce("offense_key", "defense_key").fill_null(float("inf"))
    ranked = roster.with_columns(group.alias("group"), key.alias("key")).with_columns(
        pl.struct("key", "nfl_id").rank("ordinal").over([*PLAY_KEY, "group"]).cast(pl.Int32).alias("rank")
    )
    slot = (
        pl.when(pl.col("nfl_id") == pl.col("passer_nfl_id"))
        .then(0)
        .when(pl.col("nfl_id") == pl.col("target_nfl_id"))
        .then(1)
        .when(pl.col("group") == 1)
        .then(1 + pl.col("rank"))
        .otherwise(DEFENSE_FIRST_SLOT - 1 + pl.col("rank"))
    )
    limit = pl.when(pl.col("group") == 2).then(len(SLOTS)).otherwise(OFFENSE_SLOTS)
    return ranked.select(*PLAY_KEY, "nfl_id", slot.cast(pl.Int32).alias("slot"), (slot < limit).alias("fits"))


def play_tensors(tracking: pl.DataFrame, features: pl.DataFrame) -> PlayTensors:
    """Tensors for the plays of ``features`` (needs PLAY_KEY, passer/target ids, snap/release frames,
    line_of_scrimmage_x, ball_y_at_snap), in its row order."""
    n = features.height
    plays = features.select(
        *PLAY_KEY,
        "passer_nfl_id",
        "target_nfl_id",
        "snap_frame_id",
        "release_frame_id",
        "line_of_scrimmage_x",
        "ball_y_at_snap",
        pl.int_range(pl.len(), dtype=pl.Int64).alias("row"),
        pl.max_horizontal("snap_frame_id", pl.col("release_frame_id") - (MAX_FRAMES - 1)).alias(
            "first_frame_id"
        ),
    )
    slots = slot_assignment(tracking, plays)
    players_dropped = int((~slots["fits"]).sum())
    heading, facing = pl.col("dir").radians(), pl.col("o").radians()
    rows = (
        tracking.join(plays, on=PLAY_KEY)
        .filter(pl.col("frame_id").is_between(pl.col("first_frame_id"), pl.col("release_frame_id")))
        .join(slots.filter("fits"), on=[*PLAY_KEY, "nfl_id"])
        .select(
            "row",
            (pl.col("frame_id") - pl.col("first_frame_id")).alias("t"),
            "slot",
            "nfl_id",
            (pl.col("x") - pl.col("line_of_scrimmage_x")).alias("x_from_los_yd"),
            (pl.col("y") - pl.col("ball_y_at_snap")).alias("y_from_ball_at_snap_yd"),
            pl.col("vx").fill_null(0.0).alias("vx_yd_s"),
            pl.col("vy").fill_null(0.0).alias("vy_yd_s"),
            pl.col("ax").fill_null(0.0).alias("ax_yd_s2"),
            pl.col("ay").fill_null(0.0).alias("ay_yd_s2"),
            heading.sin().fill_null(0.0).alias("dir_sin"),
            heading.cos().fill_null(0.0).alias("dir_cos"),
            facing.sin().fill_null(0.0).alias("o_sin"),
            facing.cos().fill_null(0.0).alias("o_cos"),
        )
    )
    tensor = np.zeros((n, MAX_FRAMES, len(SLOTS), len(CHANNELS)), dtype=np.float32)
    row, t, slot = (rows[c].to_numpy() for c in ("row", "t", "slot"))
    tensor[row, t, slot] = rows.select(CHANNELS).to_numpy().astype(np.float32)
    slot_present = np.zeros((n, len(SLOTS)), dtype=bool)
    slot_present[row, slot] = True
    slot_nfl_id = np.full((n, len(SLOTS)), -1, dtype=np.int64)
    slot_nfl_id[row, slot] = rows["nfl_id"].to_numpy()
    span = plays["release_frame_id"] - plays["first_frame_id"] + 1
    full = plays["release_frame_id"] - plays["snap_frame_id"] + 1
    return PlayTensors(
        tensor=tensor,
        n_frames=span.to_numpy().astype(np.int32),
        frames_truncated=(full > span).to_numpy(),
        slot_present=slot_present,
        slot_nfl_id=slot_nfl_id,
        players_dropped=players_dropped,
    )
