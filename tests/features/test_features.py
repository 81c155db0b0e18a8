"""Feature engineering: a hand-built play computed by hand, the real game, slot and padding invariants."""

from __future__ import annotations

import math
import re
from pathlib import Path

import numpy as np
import polars as pl
import pytest

from qb_assets.defs.features import play_features
from qb_assets.defs.ingest import raw_tracking
from qb_assets.defs.partitions import materialize_partition
from qb_assets.defs.resources import LakeResource, TrackingSourceResource
from qb_assets.features.schema import CHANNELS, MAX_FRAMES, SLOTS, schema_hash
from qb_assets.features.store import (
    build_features,
    build_partition_features,
    load_feature_arrays,
    to_execution_order,
)
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from tests.conftest import REPO_ROOT
from tests.features.hand_built import hand_built_play
from tests.layouts import mirrored

CH = {name: i for i, name in enumerate(CHANNELS)}


def test_hand_built_play_every_feature() -> None:
    tracking, plays = hand_built_play()
    features, quarantine, stats = build_partition_features(tracking, plays)
    assert quarantine.height == 0 and stats == {
        "pass_attempts": 1,
        "feature_rows": 1,
        "feature_quarantined": 0,
        "frames_truncated": 0,
        "players_dropped": 0,
        "plays_without_receiving_options": 0,
        "options_by_position": 0,
        "options_by_alignment": 2,  # no positions: players 2 and 3 stand wide of the line at the snap
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
    # Stored in the passing order (defense by distance to the QB at the snap: player 5 first); the
    # execution (v1) order puts the defense by distance to the target at the release: player 4 first.
    assert f["slot_nfl_id"][:3] == [1, 2, 3] and f["slot_nfl_id"][11:13] == [5, 4]
    order = np.array([f["execution_slot_order"]])
    assert to_execution_order(np.array([f["slot_nfl_id"]]), order)[0, 11:13].tolist() == [4, 5]
    tensor = to_execution_order(features["tensor"].to_numpy(), order)[0]
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
    stored = features["tensor"].to_numpy()[0]
    assert stored[2, 12, CH["y_from_ball_at_snap_yd"]] == pytest.approx(4.5)  # player 4, passing slot 12
    np.testing.assert_array_equal(stored[:, [11, 12]], tensor[:, [12, 11]])


def test_throwaway_goes_to_feature_quarantine() -> None:
    tracking, plays = hand_built_play()
    features, quarantine, stats = build_partition_features(
        tracking, plays.with_columns(pl.lit(None, pl.Int64).alias("target_nfl_id"))
    )
    assert features.height == 0 and quarantine["reason"].to_list() == ["no_target"]
    assert stats["feature_rows"] + stats["feature_quarantined"] == stats["pass_attempts"] == 1


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


def _distances(tensor: np.ndarray, frame: int, anchor: int, slots: list[int]) -> list[float]:
    """Distances of ``slots`` to the ``anchor`` slot at ``frame`` of one play's tensor."""
    xy = [CH["x_from_los_yd"], CH["y_from_ball_at_snap_yd"]]
    return [float(np.hypot(*(tensor[frame, s, xy] - tensor[frame, anchor, xy]))) for s in slots]


def _assert_padding_and_absent_slots(arrays) -> None:
    for i in range(len(arrays.n_frames)):
        present, n = arrays.slot_present[i], arrays.n_frames[i]
        assert not arrays.tensor[i, n:].any(), "padding must be zero"
        assert not arrays.tensor[i][:, ~present].any(), "absent slots must be zero"
        assert arrays.tensor[i, :n][:, present].any(axis=(0, 2)).all()


def test_slot_order_and_padding_invariants(real_features) -> None:
    lake, _ = real_features
    arrays = load_feature_arrays(str(lake))  # the execution (v1) order
    tensor, n_frames, present, ids = arrays.tensor, arrays.n_frames, arrays.slot_present, arrays.slot_nfl_id
    assert tensor.shape[1:] == (MAX_FRAMES, len(SLOTS), len(CHANNELS))
    assert (ids[:, 0] == arrays.plays["passer_nfl_id"].to_numpy()).all()
    assert (ids[:, 1] == arrays.plays["target_nfl_id"].to_numpy()).all()
    _assert_padding_and_absent_slots(arrays)
    snap_kept = ~arrays.plays["frames_truncated"].to_numpy()  # frame 0 is the snap
    for i in range(len(n_frames)):
        offense = [s for s in range(2, 11) if present[i, s]]
        d_qb = _distances(tensor[i], 0, 0, offense)
        assert d_qb == sorted(d_qb) or not snap_kept[i]
        defense = [s for s in range(11, 22) if present[i, s]]
        d_target = _distances(tensor[i], n_frames[i] - 1, 1, defense)
        assert d_target == sorted(d_target)
    assert (present[:, 0] & present[:, 1]).all()


def test_passing_slot_order_and_padding_invariants(real_features) -> None:
    lake, features = real_features
    arrays = load_feature_arrays(str(lake), inputs="passing")
    assert np.array_equal(arrays.tensor, features["tensor"].to_numpy())  # stored in the passing order
    tensor, n_frames, present = arrays.tensor, arrays.n_frames, arrays.slot_present
    assert (arrays.slot_nfl_id[:, 0] == arrays.plays["passer_nfl_id"].to_numpy()).all()
    _assert_padding_and_absent_slots(arrays)
    options = arrays.plays["receiving_options"].to_numpy()
    snap_kept = ~arrays.plays["frames_truncated"].to_numpy()
    x = CH["x_from_los_yd"]
    for i in range(len(n_frames)):
        last = n_frames[i] - 1
        depth = tensor[i, last, 1 : 1 + options[i], x].tolist()
        assert depth == sorted(depth, reverse=True), "options deepest first at the release"
        assert depth == pytest.approx(
            [arrays.plays[f"option_{k}_depth_at_release_yd"][i] for k in range(1, 1 + options[i])]
        )
        rest = [s for s in range(1 + options[i], 11) if present[i, s]]
        defense = [s for s in range(11, 22) if present[i, s]]
        if snap_kept[i]:
            assert _distances(tensor[i], 0, 0, rest) == sorted(_distances(tensor[i], 0, 0, rest))
            assert _distances(tensor[i], 0, 0, defense) == sorted(_distances(tensor[i], 0, 0, defense))


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
    result = materialize_partition(
        [raw_tracking, play_features],
        2018,
        14,
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
