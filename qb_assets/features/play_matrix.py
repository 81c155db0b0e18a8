"""Play tensors: frames from the snap to the release, 22 player slots x CHANNELS (see schema.py).

Built with joins and one NumPy scatter: no per-play or per-frame Python loop. The tensor is built in
the target-free passing slot order (QB, receiving options, other offense by distance to the QB at the
snap, defense by distance to the QB at the snap) with a per-play permutation to the execution (v1)
order (QB, target, other offense by distance to the QB at the snap, defense by distance to the target
at the release). Players beyond a side's slots (never in real data) are dropped and counted.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import polars as pl

from qb_assets.features.schema import CHANNELS, MAX_FRAMES, OFFENSE_SLOTS, SLOTS
from qb_assets.ingest.events import PLAY_KEY, rows_at_frame
from qb_assets.ingest.schema import SIDE_DEFENSE, SIDE_FOOTBALL, SIDE_OFFENSE

DEFENSE_FIRST_SLOT = OFFENSE_SLOTS


@dataclass
class PlayTensors:
    """Tensors of N plays, in the row order of the feature frame they were built for.

    tensor: (N, MAX_FRAMES, 22, C) float32 in the passing slot order, zero after ``n_frames`` and in
    absent slots. n_frames: (N,) int32, frames kept (1..MAX_FRAMES). frames_truncated: (N,) bool.
    slot_present: (N, 22) bool and slot_nfl_id: (N, 22) int64 (-1 where absent), passing order.
    execution_slot_order: (N, 22) int32, a permutation per play: execution slot j = passing slot
    ``execution_slot_order[j]`` (absent slots map to absent slots in ascending order).
    players_dropped: players beyond a side's slots (counted, expected 0).
    """

    tensor: np.ndarray
    n_frames: np.ndarray
    frames_truncated: np.ndarray
    slot_present: np.ndarray
    slot_nfl_id: np.ndarray
    execution_slot_order: np.ndarray
    players_dropped: int


def _distance(x: str, y: str, to_x: str, to_y: str) -> pl.Expr:
    return ((pl.col(x) - pl.col(to_x)) ** 2 + (pl.col(y) - pl.col(to_y)) ** 2).sqrt()


def _player_at(rows: pl.DataFrame, plays: pl.DataFrame, id_column: str, prefix: str) -> pl.DataFrame:
    """The x and y of the player named by ``plays[id_column]`` in ``rows`` (one frame per play)."""
    return rows.join(
        plays.select(*PLAY_KEY, pl.col(id_column).alias("nfl_id")), on=[*PLAY_KEY, "nfl_id"]
    ).select(*PLAY_KEY, pl.col("x").alias(f"{prefix}_x"), pl.col("y").alias(f"{prefix}_y"))


def _distances(side_rows: pl.DataFrame, anchor: pl.DataFrame, prefix: str, alias: str) -> pl.DataFrame:
    return side_rows.join(anchor, on=PLAY_KEY).select(
        *PLAY_KEY, "nfl_id", _distance("x", "y", f"{prefix}_x", f"{prefix}_y").alias(alias)
    )


def _ranked(roster: pl.DataFrame, group: pl.Expr, key: pl.Expr, alias: str) -> pl.DataFrame:
    """``roster`` with ``alias`` = the 1-based rank of ``key`` within the play and ``group``; a null key
    (the player is not tracked at the ordering frame) ranks last, ties by nfl_id for determinism."""
    return roster.with_columns(group.alias("group"), key.fill_null(float("inf")).alias("key")).with_columns(
        pl.struct("key", "nfl_id").rank("ordinal").over([*PLAY_KEY, "group"]).cast(pl.Int32).alias(alias)
    )


def slot_assignment(tracking: pl.DataFrame, plays: pl.DataFrame, options: pl.DataFrame) -> pl.DataFrame:
    """Per (play, player): ``slot`` (passing order), ``execution_slot`` and ``fits``.

    ``plays`` needs PLAY_KEY, passer/target ids, snap/release frames; ``options`` is
    ``field.receiving_options``' frame (PLAY_KEY, nfl_id, option). Which players fit when a side has
    more than its slots (never in real data) is decided by the target-free passing order; the
    execution order ranks the players that fit."""
    players = tracking.filter(pl.col("side") != SIDE_FOOTBALL)
    at_snap = rows_at_frame(players, plays, "snap_frame_id")
    at_release = rows_at_frame(players, plays, "release_frame_id")
    qb_at_snap = _player_at(at_snap, plays, "passer_nfl_id", "qb")
    target_at_release = _player_at(at_release, plays, "target_nfl_id", "target")
    side = pl.col("side")
    keys = (
        _distances(at_snap.filter(side == SIDE_OFFENSE), qb_at_snap, "qb", "offense_key"),
        _distances(at_release.filter(side == SIDE_DEFENSE), target_at_release, "target", "to_target"),
        _distances(at_snap.filter(side == SIDE_DEFENSE), qb_at_snap, "qb", "to_qb"),
        options.select(*PLAY_KEY, "nfl_id", "option"),
    )
    roster = (
        players.group_by([*PLAY_KEY, "nfl_id"])
        .agg(side.first())
        .join(plays.select(*PLAY_KEY, "passer_nfl_id", "target_nfl_id"), on=PLAY_KEY)
    )
    for key in keys:
        roster = roster.join(key, on=[*PLAY_KEY, "nfl_id"], how="left")
    is_passer = pl.col("nfl_id") == pl.col("passer_nfl_id")
    is_offense = pl.col("side") == SIDE_OFFENSE
    # Passing order: QB; options (option 1..5); other offense by distance to the QB at the snap; defense
    # by distance to the QB at the snap. Options sort before the rest through a key offset beyond any
    # distance on the field.
    option_first = pl.when(pl.col("option").is_not_null()).then(pl.col("option") - 1000.0)
    passing_key = pl.coalesce(option_first, "offense_key", "to_qb")
    passing_group = pl.when(is_passer).then(0).when(is_offense).then(1).otherwise(2)
    ranked = _ranked(roster, passing_group, passing_key, "passing_rank")
    passing_slot = (
        pl.when(is_passer)
        .then(0)
        .when(pl.col("group") == 1)
        .then(pl.col("passing_rank"))
        .otherwise(DEFENSE_FIRST_SLOT - 1 + pl.col("passing_rank"))
    )
    limit = pl.when(pl.col("group") == 2).then(len(SLOTS)).otherwise(OFFENSE_SLOTS)
    ranked = ranked.with_columns(passing_slot.cast(pl.Int32).alias("slot")).with_columns(
        (pl.col("slot") < limit).alias("fits")
    )
    return _with_execution_slot(ranked)


def _with_execution_slot(ranked: pl.DataFrame) -> pl.DataFrame:
    """v1's order among the players that fit: QB, target, other offense by distance to the QB at the
    snap, defense by distance to the target at the release."""
    special = (pl.col("nfl_id") == pl.col("passer_nfl_id")) | (pl.col("nfl_id") == pl.col("target_nfl_id"))
    group = pl.when(special).then(0).when(pl.col("side") == SIDE_OFFENSE).then(1).otherwise(2)
    execution = _ranked(
        ranked.filter("fits"), group, pl.coalesce("offense_key", "to_target"), "execution_rank"
    )
    slot = (
        pl.when(pl.col("nfl_id") == pl.col("passer_nfl_id"))
        .then(0)
        .when(pl.col("nfl_id") == pl.col("target_nfl_id"))
        .then(1)
        .when(pl.col("group") == 1)
        .then(1 + pl.col("execution_rank"))
        .otherwise(DEFENSE_FIRST_SLOT - 1 + pl.col("execution_rank"))
    )
    limit = pl.when(pl.col("group") == 2).then(len(SLOTS)).otherwise(OFFENSE_SLOTS)
    placed = execution.filter(slot < limit).select(*PLAY_KEY, "nfl_id", slot.alias("execution_slot"))
    return ranked.join(
        placed.cast({"execution_slot": pl.Int32}),
        on=[*PLAY_KEY, "nfl_id"],
        how="left",
    ).select(*PLAY_KEY, "nfl_id", "slot", "execution_slot", "fits")


def execution_permutation(execution_slot: np.ndarray) -> np.ndarray:
    """(N, 22) int32 permutations from the (N, 22) map ``execution_slot[i, s]`` (the execution slot of
    the player in passing slot s, -1 where none): execution slot j holds passing slot ``perm[i, j]``;
    the execution slots nobody fills take the passing slots nobody fills, in ascending order."""
    n, width = execution_slot.shape
    perm = np.full((n, width), -1, dtype=np.int32)
    rows, cols = np.nonzero(execution_slot >= 0)
    perm[rows, execution_slot[rows, cols]] = cols
    # The k-th free execution slot gets the k-th free passing slot (stable sorts put the free ones first).
    free_execution = np.argsort(perm >= 0, axis=1, kind="stable")
    free_passing = np.argsort(execution_slot >= 0, axis=1, kind="stable")
    n_free = (perm < 0).sum(axis=1)
    rows, k = np.nonzero(np.arange(width)[None, :] < n_free[:, None])
    perm[rows, free_execution[rows, k]] = free_passing[rows, k]
    return perm


def play_tensors(tracking: pl.DataFrame, features: pl.DataFrame, options: pl.DataFrame) -> PlayTensors:
    """Tensors for the plays of ``features`` (needs PLAY_KEY, passer/target ids, snap/release frames,
    line_of_scrimmage_x, ball_y_at_snap), in its row order; ``options``: ``field.receiving_options``."""
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
    slots = slot_assignment(tracking, plays, options)
    players_dropped = int((~slots["fits"]).sum())
    placed = slots.filter("fits").join(plays.select(*PLAY_KEY, "row"), on=PLAY_KEY)
    execution_slot = np.full((n, len(SLOTS)), -1, dtype=np.int32)
    placed_rows, placed_slots = placed["row"].to_numpy(), placed["slot"].to_numpy()
    execution_slot[placed_rows, placed_slots] = placed["execution_slot"].fill_null(-1).to_numpy()
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
        execution_slot_order=execution_permutation(execution_slot),
        players_dropped=players_dropped,
    )
