"""Normalization: a play mirrored before ingestion normalizes to the same play."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from tests.layouts import mirrored, write_layout

PLAYS = ["83", "347", "676", "1446"]  # left and right, completion, interception, sack


def _ingest(game: pl.DataFrame, layout: str, root: Path) -> tuple[pl.DataFrame, pl.DataFrame]:
    ingest_source(write_layout(game, layout, root / "src"), root / "lake")
    return (
        lake_io.scan_table(root / "lake", "tracking").collect(),
        lake_io.scan_table(root / "lake", "plays").collect(),
    )


@pytest.mark.parametrize("layout", ["bdb2021", "bdb2019"])  # recorded and inferred direction
def test_mirrored_play_normalizes_to_the_same_play(
    real_game: pl.DataFrame, tmp_path: Path, layout: str
) -> None:
    game = real_game.filter(pl.col("playId").is_in(PLAYS))
    tracking, plays = _ingest(game, layout, tmp_path / "original")
    mirrored_tracking, mirrored_plays = _ingest(mirrored(game), layout, tmp_path / "mirrored")
    assert plays.height == mirrored_plays.height == len(PLAYS)
    assert set(plays["play_direction"]) == {"left", "right"}
    assert (plays["play_direction"] != mirrored_plays["play_direction"]).all()
    for column in ("x", "y", "vx", "vy", "line_of_scrimmage_x", "yards_gained_tracking", "air_yards"):
        frame_a, frame_b = (
            (tracking, mirrored_tracking) if column in tracking.columns else (plays, mirrored_plays)
        )
        diff = (frame_a[column] - frame_b[column]).abs().max()
        assert diff is None or diff < 1e-6, column
    for angle in ("o", "dir"):
        if tracking[angle].is_null().all():
            continue
        delta = ((tracking[angle] - mirrored_tracking[angle] + 180) % 360 - 180).abs().max()
        assert delta < 1e-6, angle
    same = ["pass_result", "passer_nfl_id", "target_nfl_id", "time_to_throw_s"]
    assert plays.select(same).equals(mirrored_plays.select(same))


def test_offense_moves_toward_plus_x(real_game: pl.DataFrame, tmp_path: Path) -> None:
    tracking, plays = _ingest(real_game, "bdb2021", tmp_path)
    at_snap = tracking.join(plays.select("play_id", "snap_frame_id"), on="play_id").filter(
        pl.col("frame_id") == pl.col("snap_frame_id")
    )
    centroids = at_snap.group_by("play_id").agg(
        pl.col("x").filter(pl.col("side") == "offense").mean().alias("offense"),
        pl.col("x").filter(pl.col("side") == "defense").mean().alias("defense"),
    )
    assert (centroids["defense"] > centroids["offense"]).all()
    # vx = s sin(dir): receivers running downfield after the snap move toward +x.
    passer_side = tracking.filter((pl.col("side") == "offense") & (pl.col("frame_id") == 30))
    assert (
        passer_side["vx"] - passer_side["s"] * (passer_side["dir"] * 3.141592653589793 / 180).sin()
    ).abs().max() < 1e-9
