"""Receiving options and the field-level release features on the hand-built play, computed by hand."""

from __future__ import annotations

import math

import numpy as np
import polars as pl
import pytest

from qb_assets.features.expectations import features_suite
from qb_assets.features.schema import OPTION_COUNT, OPTION_FIELDS, PASSING_INPUTS
from qb_assets.features.store import build_partition_features, to_execution_order
from tests.features.hand_built import hand_built_play, with_standing_players

# At the release (frame 3): QB (29, 26), target 2 (40, 30), player 3 (29, 20), defenders 4 (41, 30.5)
# and 5 (29.5, 26). LOS x=30, ball y=26 at the snap; the QB is at (27, 26) at the snap.


def _players(positions: dict[int, str]) -> pl.DataFrame:
    return pl.DataFrame(
        {"nfl_id": list(positions), "display_name": None, "position": list(positions.values())},
        schema={"nfl_id": pl.Int64, "display_name": pl.String, "position": pl.String},
    )


def _option(row: dict, k: int) -> dict:
    return {name: row[f"option_{k}_{name}"] for name in OPTION_FIELDS}


def test_options_by_alignment_every_feature() -> None:
    features, _, stats = build_partition_features(*hand_built_play())
    f = features.row(0, named=True)
    assert stats["options_by_alignment"] == 2 and stats["options_by_position"] == 0
    assert _option(f, 1) == pytest.approx(
        {
            "present": True,
            "depth_at_release_yd": 10.0,  # the target, deepest
            "separation_at_release_yd": math.hypot(1.0, 0.5),
            "defenders_within_2yd_at_release": 1,
            "speed_at_release_yd_s": 0.0,
            "downfield_speed_at_release_yd_s": 0.0,
            "sideline_distance_at_release_yd": 160 / 3 - 30.0,
            "throw_distance_at_release_yd": math.hypot(11.0, 4.0),
        }
    )
    assert _option(f, 2) == pytest.approx(
        {
            "present": True,
            "depth_at_release_yd": -1.0,  # player 3, 6 yd wide of the ball: not a lineman
            "separation_at_release_yd": math.hypot(0.5, 6.0),  # defender 5
            "defenders_within_2yd_at_release": 0,
            "speed_at_release_yd_s": 0.0,
            "downfield_speed_at_release_yd_s": 0.0,
            "sideline_distance_at_release_yd": 20.0,
            "throw_distance_at_release_yd": 6.0,
        }
    )
    for k in range(3, OPTION_COUNT + 1):
        assert _option(f, k) == {name: (False if name == "present" else 0) for name in OPTION_FIELDS}
    assert f["receiving_options"] == 2 and f["open_options_at_release"] == 1  # only player 3 has 2.5 yd
    assert f["best_option_separation_at_release_yd"] == pytest.approx(math.hypot(0.5, 6.0))
    assert f["deepest_option_depth_at_release_yd"] == pytest.approx(10.0)


def test_position_wins_over_alignment() -> None:
    tracking, plays = hand_built_play()
    features, _, stats = build_partition_features(tracking, plays, _players({2: "WR", 3: "T"}))
    f = features.row(0, named=True)
    assert (f["receiving_options"], f["option_1_present"], f["option_2_present"]) == (1, True, False)
    assert stats["options_by_position"] == 1 and stats["options_by_alignment"] == 0
    assert f["slot_nfl_id"][:3] == [1, 2, 3]  # the tackle follows the options, by distance to the QB


def test_alignment_fallback_finds_a_lineman() -> None:
    tracking, plays = hand_built_play()
    beside_the_ball = tracking.with_columns(
        pl.when(pl.col("nfl_id") == 3).then(24.0).otherwise(pl.col("y")).alias("y")
    )  # 2 yd from the ball, 1 yd behind the line
    features, _, _ = build_partition_features(beside_the_ball, plays)
    assert features["receiving_options"].to_list() == [1]
    assert features["option_1_depth_at_release_yd"].to_list() == [10.0]


def test_a_play_without_options_is_featurized_with_the_defaults() -> None:
    tracking, plays = hand_built_play()
    features, quarantine, stats = build_partition_features(tracking, plays, _players({2: "G", 3: "T"}))
    assert features.height == 1 and quarantine.height == 0
    assert stats["plays_without_receiving_options"] == 1
    f = features.row(0, named=True)
    assert f["receiving_options"] == 0 and f["best_option_separation_at_release_yd"] == 0.0
    assert f["open_options_at_release"] == 0 and f["deepest_option_depth_at_release_yd"] == 0.0
    assert not any(f[f"option_{k}_present"] for k in range(1, OPTION_COUNT + 1))
    assert all(f[c] is not None for c in PASSING_INPUTS)
    assert features_suite(features).success


def test_more_than_five_candidates_keep_the_deepest() -> None:
    tracking, plays = hand_built_play()
    wide = {6: ("offense", 35.0, 5.0), 7: ("offense", 33.0, 10.0), 8: ("offense", 31.0, 45.0)}
    tracking = with_standing_players(tracking, {**wide, 9: ("offense", 45.0, 48.0)})
    features, _, _ = build_partition_features(tracking, plays)
    f = features.row(0, named=True)
    depths = [f[f"option_{k}_depth_at_release_yd"] for k in range(1, OPTION_COUNT + 1)]
    assert depths == pytest.approx([15.0, 10.0, 5.0, 3.0, 1.0])  # player 3 (depth -1) is left out
    # Passing: QB, options deepest first, then player 3. Execution (v1): QB, target, the rest by
    # distance to the QB at the snap (27, 26): 3 (6.3 yd), 7 (17.1), 8 (19.4), 6 (22.5), 9 (28.4).
    assert f["slot_nfl_id"][:7] == [1, 9, 2, 6, 7, 8, 3]
    execution = to_execution_order(np.array([f["slot_nfl_id"]]), np.array([f["execution_slot_order"]]))
    assert execution[0, :7].tolist() == [1, 2, 3, 7, 8, 6, 9]


def test_the_suite_refuses_a_slot_order_that_is_not_a_permutation() -> None:
    features, _, _ = build_partition_features(*hand_built_play())
    assert features_suite(features).success
    broken = features.with_columns(
        pl.Series("execution_slot_order", [[0] * 22], dtype=pl.Array(pl.Int32, 22))
    )
    outcome = features_suite(broken)
    assert not outcome.success and "execution_slot_order_is_permutation" in outcome.description
