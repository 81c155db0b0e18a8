"""Feature engineering: a hand-built play computed by hand, the real game, slot and padding invariants."""

from __future__ import annotations

import math
import re
from pathlib import Path

import dagster as dg
import numpy as np
import polars as pl
import pytest

from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.partitions import partition_key
from qb_assets.defs.resources import LakeResource, TrackingSourceResource
from qb_assets.features.schema import CHANNELS, MAX_FRAMES, SLOTS, schema_hash
from qb_assets.features.store import build_features, build_partition_features, load_feature_arrays
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.ingest.schema import PLAY_SCHEMA, TRACKING_SCHEMA
from qb_assets.io import lake as lake_io
from tests.conftest import REPO_ROOT
from tests.layouts import mirrored

CH = {name: i for i, name in enumerate(CHANNELS)}


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
    tracking = (
        pl.DataFrame(rows)
        .with_columns(
            pl.lit(None, dtype=pl.Datetime("us", "UTC")).alias("time"),
            pl.lit("ABC").alias("club"),
            pl.lit(None, dtype=pl.String).alias("position"),
            pl.lit(None, dtype=pl.String).alias("display_name"),
        )
        .select([pl.col(c).cast(t) for c, t in TRACKING_SCHEMA.items()])
    )
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


def test_hand_built_play_every_feature() -> None:
    tracking, plays = hand_built_play()
    features, quarantine, stats = build_partition_features(tracking, plays)
    assert quarantine.height == 0 and stats == {
        "pass_attempts": 1,
        "feature_rows": 1,
        "feature_quarantined": 0,
        "frames_truncated": 0,
        "players_dropped": 0,
    }
    f = features.row(0, named=True)
    assert f["time_to_throw_s"] == pytest.approx(0.2)
    assert f["defenders_within_2yd_of_target_at_release"] == 1  # player 4 at (41, 30.5): 1.118 yd
    assert f["target_separation_at_release_yd"] == pytest.approx(math.hypot(1.0, 0.5))
    assert f["defenders_within_2yd_of_target_at_arrival"] == 1  # (43, 31) vs target (42, 30)
    assert f["qb_nearest_defender_at_release_yd"] == pytest.approx(0.5)  # QB (29, 26), player 5 (29.5, 26)
    assert f["under_pressure"] is True
    assert f["pass_rushers"] == 1  # player 5 is behind the LOS at x=30
    assert f["qb_speed_at_release"] == pytest.approx(2.0)
    assert f["target_depth_at_release_yd"] == pytest.approx(10.0)
    assert f["target_speed_at_release_yd_s"] == 0.0 and f["target_downfield_speed_at_release_yd_s"] == 0.0
    assert f["target_sideline_distance_at_release_yd"] == pytest.approx(160 / 3 - 30.0)
    assert f["defenders_within_5yd_of_target_at_release"] == 1  # player 5 is 11.2 yd away
    assert f["throw_distance_at_release_yd"] == pytest.approx(
        math.hypot(11.0, 4.0)
    )  # QB (29, 26) to (40, 30)
    assert f["is_deep"] is False and f["time_to_throw_bucket"] == "under_2_5s"
    assert f["situation_known"] is True and f["down"] == 3 and f["score_difference"] == -3
    assert f["n_frames"] == 3 and f["frames_truncated"] is False
    assert f["slot_nfl_id"][:3] == [1, 2, 3] and f["slot_nfl_id"][11:13] == [4, 5]
    tensor = features["tensor"].to_numpy()[0]
    qb_t0 = tensor[0, 0]
    assert qb_t0[CH["x_from_los_yd"]] == pytest.approx(-3.0)  # x=27 at the snap
    assert qb_t0[CH["y_from_ball_at_snap_yd"]] == pytest.approx(0.0)
    assert qb_t0[CH["vx_yd_s"]] == pytest.approx(2.0) and qb_t0[CH["vy_yd_s"]] == pytest.approx(0.0, abs=1e-6)
    assert qb_t0[CH["dir_sin"]] == pytest.approx(1.0) and qb_t0[CH["o_cos"]] == pytest.approx(1.0)
    assert tensor[2, 1, CH["x_from_los_yd"]] == pytest.approx(10.0)  # target at the release frame
    assert tensor[2, 11, CH["y_from_ball_at_snap_yd"]] == pytest.approx(4.5)
    assert not tensor[3:].any()  # padding after the release
    assert not tensor[:, 3:11].any() and not tensor[:, 13:].any()  # absent slots
    assert f["slot_present"] == [True, True, True] + [False] * 8 + [True, True] + [False] * 9


def test_throwaway_goes_to_feature_quarantine() -> None:
    tracking, plays = hand_built_play()
    features, quarantine, stats = build_partition_features(
        tracking, plays.with_columns(pl.lit(None, pl.Int64).alias("target_nfl_id"))
    )
    assert features.height == 0 and quarantine["reason"].to_list() == ["no_target"]
    assert stats["feature_rows"] + stats["feature_quarantined"] == stats["pass_attempts"] == 1


@pytest.fixture(scope="module")
def real_features(real_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, pl.DataFrame]:
    root = tmp_path_factory.mktemp("features")
    (root / "src").mkdir()
    (root / "src" / "week14.csv").write_bytes((real_dir / "bdb2021_week14_game2018120600.csv").read_bytes())
    ingest_source(root / "src", root / "lake")
    build_features(str(root / "lake"))
    return root / "lake", lake_io.scan_table(root / "lake", "features").collect()


def _appendix() -> dict[int, int]:
    """docs/data.md appendix: play -> defenders within 2 yd of the target at arrival."""
    text = (REPO_ROOT / "docs" / "data.md").read_text()
    rows = re.findall(r"^\s*(\d+)\s+11\s+\d+\s+[\d.]+\s+\d+\s+\S+\s+\S+\s+(\d)\s", text, flags=re.MULTILINE)
    return {int(play): int(count) for play, count in rows}


def test_real_game_time_to_throw_and_accounting(real_features) -> None:
    lake, features = real_features
    plays = lake_io.scan_table(lake, "plays").collect()
    quarantine = lake_io.scan_table(lake, "feature_quarantine").collect()
    attempts = plays.filter(pl.col("pass_result").is_in(["C", "I", "IN"]))
    assert features.height + quarantine.height == attempts.height
    expected = (features["release_frame_id"] - features["snap_frame_id"]) / 10
    assert (features["time_to_throw_s"] - expected).abs().max() < 1e-9


def test_real_game_defenders_near_target_match_the_appendix(real_features) -> None:
    _, features = real_features
    appendix = _appendix()
    assert len(appendix) >= 60
    ours = dict(features.select("play_id", "defenders_within_2yd_of_target_at_arrival").iter_rows())
    common = sorted(set(ours) & set(appendix))
    agree = sum(ours[p] == appendix[p] for p in common) / len(common)
    assert len(common) >= 60 and agree >= 0.90


def test_slot_order_and_padding_invariants(real_features) -> None:
    _, features = real_features
    tensor = features["tensor"].to_numpy()
    n_frames = features["n_frames"].to_numpy()
    present = np.array(features["slot_present"].to_list())
    ids = np.array(features["slot_nfl_id"].to_list())
    assert tensor.shape[1:] == (MAX_FRAMES, len(SLOTS), len(CHANNELS))
    assert (ids[:, 0] == features["passer_nfl_id"].to_numpy()).all()
    assert (ids[:, 1] == features["target_nfl_id"].to_numpy()).all()
    x, y = CH["x_from_los_yd"], CH["y_from_ball_at_snap_yd"]
    for i in range(len(features)):
        assert not tensor[i, n_frames[i] :].any(), "padding must be zero"
        assert not tensor[i][:, ~present[i]].any(), "absent slots must be zero"
        assert tensor[i, : n_frames[i]][:, present[i]].any(axis=(0, 2)).all()
        offense = [s for s in range(2, 11) if present[i, s]]
        qb = tensor[i, 0, 0, [x, y]]
        d_qb = [np.hypot(*(tensor[i, 0, s, [x, y]] - qb)) for s in offense]
        assert d_qb == sorted(d_qb)
        last = n_frames[i] - 1
        defense = [s for s in range(11, 22) if present[i, s]]
        target = tensor[i, last, 1, [x, y]]
        d_target = [np.hypot(*(tensor[i, last, s, [x, y]] - target)) for s in defense]
        assert d_target == sorted(d_target)
    assert (present[:, 0] & present[:, 1]).all()


def test_long_plays_keep_the_last_frames(real_features) -> None:
    _, features = real_features
    long = features.filter((pl.col("release_frame_id") - pl.col("snap_frame_id") + 1) > MAX_FRAMES)
    assert long["play_id"].to_list() == [1047, 3818]
    assert (long["n_frames"] == MAX_FRAMES).all() and long["frames_truncated"].all()


def test_mirrored_game_gives_the_same_tensors(real_game: pl.DataFrame, real_features, tmp_path: Path) -> None:
    _, features = real_features
    (tmp_path / "src").mkdir()
    mirrored(real_game).write_csv(tmp_path / "src" / "week14.csv")
    ingest_source(tmp_path / "src", tmp_path / "lake")
    build_features(str(tmp_path / "lake"))
    mirrored_features = lake_io.scan_table(tmp_path / "lake", "features").collect()
    assert mirrored_features["play_id"].equals(features["play_id"])
    np.testing.assert_allclose(
        mirrored_features["tensor"].to_numpy(), features["tensor"].to_numpy(), atol=1e-4
    )
    assert mirrored_features["slot_nfl_id"].equals(features["slot_nfl_id"])


def test_loading_refuses_another_schema(real_features, tmp_path: Path) -> None:
    lake, features = real_features
    arrays = load_feature_arrays(str(lake))
    assert arrays.tensor.shape == (features.height, MAX_FRAMES, len(SLOTS), len(CHANNELS))
    assert arrays.schema_hash == schema_hash()
    lake_io.write_partition(
        tmp_path, "features", 2018, 14, features.with_columns(pl.lit("0ld").alias("feature_schema_hash"))
    )
    with pytest.raises(ValueError, match="feature schema"):
        load_feature_arrays(str(tmp_path))


def test_dagster_materializes_features_with_passing_checks(real_source: Path, tmp_path: Path) -> None:
    result = dg.materialize(
        [raw_tracking, play_features],
        partition_key=partition_key(2018, 14),
        instance=dg.DagsterInstance.ephemeral(),
        resources={
            "tracking_source": TrackingSourceResource(uri=str(real_source)),
            "lake": LakeResource(root=str(tmp_path / "lake")),
        },
    )
    assert result.success
    checks = {e.check_name: e.passed for e in result.get_asset_check_evaluations()}
    assert checks["feature_expectations"] and checks["features_accounted_for"]
    metadata = result.asset_materializations_for_node("play_features")[0].metadata
    assert (
        metadata["feature_rows"].value + metadata["feature_quarantined"].value
        == metadata["pass_attempts"].value
        == 67
    )
