"""The model store on small untrained networks: versions published atomically and once, retention that
never deletes the accepted model, promotion only of an evaluated model that passed, and the listing."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import polars as pl
import pytest
import torch

from ml.artifacts import save_artifact
from ml.config import TrainConfig
from ml.errors import ArtifactError
from ml.tcn import PassOutcomeNet
from qb_assets.model.store import (
    ACCEPTED_FILE,
    SPLIT_FILE,
    UNSEEN,
    accepted_record,
    candidate_version_dir,
    list_versions,
    play_splits,
    promote,
    prune_versions,
    publish_version,
    resolve_model_dir,
    split_table,
    write_evaluation,
)
from tests.conftest import qb_score

GAMES = pl.Series("game_id", [2024090500, 2024090500, 2024090801, 2024090802, 2024090803])
SPLIT = np.array(["train", "train", "validation", "test", "train"], dtype=object)
META = {"feature_schema_hash": "abc123", "plays": 5, "games": 4, "seasons": [2024], "weeks": [1, 2, 3]}


def net(seed: int) -> PassOutcomeNet:
    torch.manual_seed(seed)
    config = TrainConfig()
    return PassOutcomeNet(
        (60, 22, 10), tabular_features=16, out_features=114, channels=config.channels, hidden=config.hidden
    )


def filler(seed: int, crash_after_weights: bool = False):
    """What training hands the store: the artifact and its split written into the given folder."""

    def fill(folder: Path) -> None:
        save_artifact(folder, net(seed), TrainConfig(), META, {"test": {"nll": 2.5 + seed, "crps": 4.0}})
        if crash_after_weights:
            raise OSError("disk full")
        split_table(GAMES, SPLIT).write_parquet(folder / SPLIT_FILE)

    return fill


def evaluated(folder: Path, passed: bool) -> None:
    models = {name: {"nll": 2.5, "pit_ks": 0.02} for name in ("passing", "execution")}
    write_evaluation(folder, {"models": models, "n_test": 100, "verdict": {"passed": passed}})


def visible(root: Path) -> set[str]:
    return {p.name for p in root.iterdir() if not p.name.startswith(".")}


def test_a_version_is_published_whole_or_not_at_all(tmp_path: Path) -> None:
    root = tmp_path / "sbp"
    first, _ = publish_version(root, filler(0))
    before = {p.name: p.read_bytes() for p in first.iterdir()}
    with pytest.raises(OSError, match="disk full"):
        publish_version(root, filler(1, crash_after_weights=True))
    # The crash left no new version, no half-written folder, and the earlier version as it was.
    assert {p.name for p in root.iterdir()} == {first.name, "candidate.json"}
    assert {p.name: p.read_bytes() for p in first.iterdir()} == before
    assert candidate_version_dir(root) == first
    record = json.loads((first / "config.json").read_text())
    assert record["model_version"] == first.name and {p.name for p in first.iterdir()} == {
        "model.pt",
        "config.json",
        "metrics.json",
        SPLIT_FILE,
    }


def test_publishing_the_same_weights_again_changes_nothing(tmp_path: Path) -> None:
    root = tmp_path / "sbp"
    first, _ = publish_version(root, filler(0))
    created = json.loads((first / "config.json").read_text())["created_at"]
    evaluated(first, passed=True)
    second, _ = publish_version(root, filler(1))
    again, _ = publish_version(root, filler(0))
    assert again == first and visible(root) == {first.name, second.name, "candidate.json"}
    assert json.loads((first / "config.json").read_text())["created_at"] == created
    assert (first / "evaluation.json").exists()  # what belongs to the version stays with it
    assert candidate_version_dir(root) == first


def test_retention_keeps_the_newest_and_always_the_accepted(tmp_path: Path) -> None:
    root = tmp_path / "sbp"
    oldest, _ = publish_version(root, filler(0), keep_versions=10)
    evaluated(oldest, passed=True)
    promote(root, oldest.name)
    published = [oldest] + [publish_version(root, filler(seed), keep_versions=10)[0] for seed in range(1, 7)]
    pruned = prune_versions(root, keep_versions=3)
    assert sorted(pruned) == sorted(v.name for v in published[1:4])
    assert visible(root) == {v.name for v in published[4:]} | {oldest.name, "candidate.json", ACCEPTED_FILE}
    # Pruning runs on every publish too.
    newest, pruned_on_publish = publish_version(root, filler(7), keep_versions=2)
    assert pruned_on_publish == [published[5].name, published[4].name]
    assert [v["version"] for v in list_versions(root)] == [newest.name, published[6].name, oldest.name]
    with pytest.raises(ValueError, match="at least 1"):
        prune_versions(root, keep_versions=0)


def test_promotion_needs_a_passing_evaluation_and_moves_only_the_pointer(tmp_path: Path) -> None:
    root = tmp_path / "sbp"
    first, _ = publish_version(root, filler(0))
    with pytest.raises(ArtifactError, match="not evaluated"):
        promote(root, first.name)
    assert accepted_record(root) is None
    with pytest.raises(ArtifactError, match="no accepted model"):
        resolve_model_dir(root)
    evaluated(first, passed=True)
    pointer = promote(root, first.name)
    assert pointer["previous_version"] is None and resolve_model_dir(root) == first
    second, _ = publish_version(root, filler(1))
    evaluated(second, passed=False)
    with pytest.raises(ArtifactError, match=f"the accepted model stays {first.name}"):
        promote(root, second.name)
    assert accepted_record(root) == pointer and resolve_model_dir(root) == first
    assert resolve_model_dir(second) == second  # an explicit version folder is used as given
    evaluated(second, passed=True)
    assert promote(root, second.name)["previous_version"] == first.name
    assert resolve_model_dir(root) == second
    assert not [p for p in root.iterdir() if p.name.startswith(".")]  # no temporary file left


def test_play_splits_join_the_recorded_split_and_call_new_games_unseen(tmp_path: Path) -> None:
    version, _ = publish_version(tmp_path / "sbp", filler(0))
    games = pl.Series([2024090803, 2024090802, 2024999999, 2024090500, 2024090801])
    assert play_splits(version, games).tolist() == ["train", "test", UNSEEN, "train", "validation"]


def test_models_command_lists_the_versions(tmp_path: Path) -> None:
    root = tmp_path / "sbp"
    first, _ = publish_version(root, filler(0))
    evaluated(first, passed=True)
    promote(root, first.name)
    second, _ = publish_version(root, filler(1))
    result = qb_score("models", "--model-root", str(root), "--json")
    assert result.returncode == 0, result.stderr
    listed = json.loads(result.stdout)
    assert [(v["version"], v["accepted"], v["candidate"]) for v in listed] == [
        (second.name, False, True),
        (first.name, True, False),
    ]
    assert listed[1]["data"] == {"seasons": [2024], "weeks": [1, 2, 3], "games": 4, "plays": 5}
    assert listed[0]["test"]["nll"] == 3.5 and listed[1]["passed_regression_check"] is True
    table = qb_score("models", "--model-root", str(root)).stdout.splitlines()
    assert table[0].startswith("| version | created (UTC) | data |")
    assert table[2].startswith(f"| {second.name} (candidate) |") and "| not evaluated | no |" in table[2]
    assert "| 2024 weeks 1-3 | 5 | 2.5000 | 4.0000 | - | passed | yes |" in table[3]
    missing = qb_score("models", "--model-root", str(tmp_path / "nowhere"))
    assert missing.returncode == 1 and "no such model root" in missing.stderr
