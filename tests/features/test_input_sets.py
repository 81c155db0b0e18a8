"""The two input sets of one feature table, on a small generated season and the real 2018 game.

* passing inputs do not depend on the target: rewriting every play's target leaves them bit-identical;
* the execution arrays are v1's: the tensor is rebuilt here from the tracking rows with v1's slot rule;
* receiving options match the generator's receivers, and the alignment fallback agrees with positions.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest

from qb_assets.features.schema import CHANNELS, MAX_FRAMES, OPTION_COUNT
from qb_assets.features.store import build_features, build_partition_features, load_feature_arrays
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.synthetic.season import generate_season

SEASON, WEEK = 2024, 1
# v1's model inputs, in v1's order: the execution set's tabular columns (the contract with old artifacts).
V1_TABULAR = [
    "down",
    "yards_to_go",
    "yards_to_endzone",
    "quarter",
    "half_seconds_remaining",
    "score_difference",
    "games_remaining",
    "situation_known",
    "time_to_throw_s",
    "defenders_within_2yd_of_target_at_release",
    "target_separation_at_release_yd",
    "qb_nearest_defender_at_release_yd",
    "under_pressure",
    "pass_rushers",
    "qb_speed_at_release",
    "target_depth_at_release_yd",
    "target_speed_at_release_yd_s",
    "target_downfield_speed_at_release_yd_s",
    "target_sideline_distance_at_release_yd",
    "defenders_within_5yd_of_target_at_release",
    "throw_distance_at_release_yd",
]


@pytest.fixture(scope="module")
def season(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A generated week of 2 games, ingested and featurized (``source`` and ``lake`` under it)."""
    root = tmp_path_factory.mktemp("input_sets")
    generate_season(root / "source", season=SEASON, weeks=[WEEK], games_per_week=2, seed=23)
    ingest_source(root / "source", root / "lake")
    build_features(str(root / "lake"))
    return root


def _partition(lake: Path, table: str) -> pl.DataFrame:
    return lake_io.scan_table(lake, table, [(SEASON, WEEK)]).collect()


def test_passing_inputs_do_not_depend_on_the_target(season: Path) -> None:
    lake = season / "retargeted"
    ingest_source(season / "source", lake)
    plays = _partition(lake, "plays")
    # Every attempt's target becomes another receiver who ran a route (any other receiver if none did).
    other = (
        pl.read_parquet(season / "source" / "truth_receivers.parquet")
        .join(plays.select("game_id", "play_id", "target_nfl_id"), on=["game_id", "play_id"])
        .filter(pl.col("receiver_nfl_id") != pl.col("target_nfl_id"))
        .sort("game_id", "play_id", ~pl.col("eligible"), "receiver_slot")
        .group_by("game_id", "play_id", maintain_order=True)
        .agg(pl.col("receiver_nfl_id").first().alias("other_receiver"))
    )
    retargeted = plays.join(other, on=["game_id", "play_id"], how="left").with_columns(
        pl.coalesce("other_receiver", "target_nfl_id").alias("target_nfl_id")
    )
    lake_io.write_partition(lake, "plays", SEASON, WEEK, retargeted.drop("other_receiver"))
    build_features(str(lake))

    before = load_feature_arrays(str(season / "lake"), inputs="passing")
    after = load_feature_arrays(str(lake), inputs="passing")
    changed = before.plays["target_nfl_id"].to_numpy() != after.plays["target_nfl_id"].to_numpy()
    assert before.plays.select("game_id", "play_id").equals(after.plays.select("game_id", "play_id"))
    assert changed.mean() > 0.9
    assert np.array_equal(before.static, after.static) and np.array_equal(before.derived, after.derived)
    assert before.tensor.tobytes() == after.tensor.tobytes()
    assert np.array_equal(before.slot_nfl_id, after.slot_nfl_id)

    before = load_feature_arrays(str(season / "lake"), inputs="execution")
    after = load_feature_arrays(str(lake), inputs="execution")
    target_columns = [before.derived_columns.index(c) for c in before.derived_columns if "target" in c]
    differs = (before.derived[:, target_columns] != after.derived[:, target_columns]).any(axis=1)
    assert differs[changed].mean() > 0.9
    assert (before.tensor != after.tensor).any(axis=(1, 2, 3))[changed].all()
    assert (after.slot_nfl_id[:, 1] == after.plays["target_nfl_id"].to_numpy()).all()


def _v1_play(play: dict, rows: pl.DataFrame) -> tuple[list[int], np.ndarray]:
    """v1's slot ids (-1 where absent) and tensor of one play, from its tracking rows."""
    snap, release, passer, target = (
        play[c] for c in ("snap_frame_id", "release_frame_id", "passer_nfl_id", "target_nfl_id")
    )
    ball_y = rows.filter((pl.col("side") == "football") & (pl.col("frame_id") == snap))["y"][0]
    people = rows.filter(pl.col("side") != "football")

    def position(frame: int) -> dict[int, tuple[float, float]]:
        at = people.filter(pl.col("frame_id") == frame)
        return {i: (x, y) for i, x, y in at.select("nfl_id", "x", "y").iter_rows()}

    def by_distance(ids: list[int], where: dict, anchor: tuple[float, float]) -> list[int]:
        far = float("inf")
        key = {
            i: np.hypot(where[i][0] - anchor[0], where[i][1] - anchor[1]) if i in where else far for i in ids
        }
        return sorted(ids, key=lambda i: (key[i], i))

    sides = dict(people.group_by("nfl_id").agg(pl.col("side").first()).iter_rows())
    offense = [i for i, s in sides.items() if s == "offense" and i not in (passer, target)]
    defense = [i for i, s in sides.items() if s == "defense"]
    at_snap, at_release = position(snap), position(release)
    order = [passer, target, *by_distance(offense, at_snap, at_snap[passer])]
    order += [-1] * (11 - len(order)) + by_distance(defense, at_release, at_release[target])
    first = max(snap, release - MAX_FRAMES + 1)
    tensor = np.zeros((MAX_FRAMES, 22, len(CHANNELS)), dtype=np.float32)
    window = people.filter(pl.col("frame_id").is_between(first, release))
    slot_of = {nfl_id: s for s, nfl_id in enumerate(order) if nfl_id >= 0}
    for r in window.iter_rows(named=True):
        channels = [r["x"] - play["line_of_scrimmage_x"], r["y"] - ball_y]
        channels += [r[c] or 0.0 for c in ("vx", "vy", "ax", "ay")]
        for angle in (r["dir"], r["o"]):  # an unknown angle is 0/0
            channels += (
                [0.0, 0.0] if angle is None else [np.sin(np.radians(angle)), np.cos(np.radians(angle))]
            )
        tensor[r["frame_id"] - first, slot_of[r["nfl_id"]]] = channels
    present = set(window["nfl_id"].to_list())
    return [i if i in present else -1 for i in order], tensor


def test_execution_arrays_are_v1s(season: Path) -> None:
    arrays = load_feature_arrays(str(season / "lake"))  # the default input set
    assert arrays.inputs == "execution"
    assert [*arrays.static_columns, *arrays.derived_columns] == V1_TABULAR
    expected_tabular = arrays.plays.select(pl.col(c).cast(pl.Float32) for c in V1_TABULAR).to_numpy()
    assert np.array_equal(np.concatenate([arrays.static, arrays.derived], axis=1), expected_tabular)
    tracking = _partition(season / "lake", "tracking")
    by_play = tracking.partition_by("game_id", "play_id", as_dict=True)
    for i, play in enumerate(arrays.plays.iter_rows(named=True)):
        ids, tensor = _v1_play(play, by_play[(play["game_id"], play["play_id"])])
        assert arrays.slot_nfl_id[i].tolist() == ids
        np.testing.assert_allclose(arrays.tensor[i], tensor, rtol=0, atol=1e-5)


def _option_ids(arrays) -> pl.DataFrame:
    """Per play, the receiving options' nfl_ids (passing slots 1..receiving_options), sorted."""
    k = arrays.plays["receiving_options"].to_numpy()
    ids = [sorted(row[1 : 1 + n].tolist()) for row, n in zip(arrays.slot_nfl_id, k, strict=True)]
    return arrays.plays.select("game_id", "play_id").with_columns(pl.Series("options", ids))


def test_options_are_the_generators_receivers(season: Path) -> None:
    arrays = load_feature_arrays(str(season / "lake"), inputs="passing")
    truth = (
        pl.read_parquet(season / "source" / "truth_receivers.parquet")
        .group_by("game_id", "play_id")
        .agg(
            pl.col("receiver_nfl_id").sort().alias("receivers"),
            pl.col("receiver_nfl_id").filter("eligible").sort().alias("route_runners"),
        )
    )
    joined = _option_ids(arrays).join(truth, on=["game_id", "play_id"])
    assert joined.height == arrays.plays.height
    # By position every receiver (WR, TE, RB) is an option, blockers included (eligible by rule); every
    # route runner therefore is one.
    assert (joined["options"] == joined["receivers"]).all()
    missed = joined.select(pl.col("route_runners").list.set_difference("options").list.len()).to_series()
    assert (missed == 0).all() and joined["route_runners"].list.len().sum() > 3 * joined.height
    depth = arrays.plays.select(f"option_{k}_depth_at_release_yd" for k in range(1, OPTION_COUNT + 1))
    assert (np.diff(depth.to_numpy(), axis=1) <= 0).all(), "options deepest first"


def test_alignment_fallback_agrees_with_positions(season: Path) -> None:
    lake = season / "lake"
    tracking, plays, players = (_partition(lake, t) for t in ("tracking", "plays", "players"))
    by_position, _, stats = build_partition_features(tracking, plays, players)
    by_alignment, _, fallback = build_partition_features(tracking, plays)  # generated rows carry no position
    assert stats["options_by_alignment"] == 0 and fallback["options_by_position"] == 0
    options = pl.col("slot_nfl_id").arr.slice(1, OPTION_COUNT)
    same = by_position.select(options).to_series() == by_alignment.select(options).to_series()
    assert same.mean() >= 0.95


def test_real_game_has_receiving_options(real_features) -> None:
    lake, _ = real_features
    arrays = load_feature_arrays(str(lake), inputs="passing")
    positions = dict(lake_io.scan_table(lake, "players").collect().select("nfl_id", "position").iter_rows())
    k = arrays.plays["receiving_options"].to_numpy()
    assert (k >= 4).all() and (k == 5).mean() > 0.9  # BDB 2021 tracks the QB and five skill players
    options = [row[1 : 1 + n].tolist() for row, n in zip(arrays.slot_nfl_id, k, strict=True)]
    assert {positions[i] for row in options for i in row} <= {"WR", "TE", "RB", "FB", "HB"}
    targets = arrays.plays["target_nfl_id"].to_list()
    assert np.mean([t in row for t, row in zip(targets, options, strict=True)]) > 0.95
    assert (arrays.plays["best_option_separation_at_release_yd"] > 0).all()


def test_unknown_input_set_is_refused(season: Path) -> None:
    with pytest.raises(ValueError, match="input set 'target'"):
        load_feature_arrays(str(season / "lake"), inputs="target")
