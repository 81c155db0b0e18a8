"""The model's building blocks: metrics, the causal TCN's masking, splits, artifacts."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from ml.artifacts import load_artifact, save_artifact
from ml.batches import batch_rows, mirror_half
from ml.config import TrainConfig, TrainingData
from ml.errors import ArtifactError
from ml.evaluate import YARD_GRID, gaussian_pmf, ks_distance, marginal_pmf, pmf_metrics
from ml.inference import predict_raw, sbp_distribution
from ml.tcn import Dropout, PassOutcomeNet, TCNEncoder
from ml.train import refit_split, split_by_game, train_sbp


def test_ks_distance_detects_non_uniform() -> None:
    rng = np.random.default_rng(0)
    assert ks_distance(rng.uniform(size=20_000)) < 0.015
    assert ks_distance(rng.uniform(size=20_000) ** 2) > 0.2


def test_metrics_of_the_true_distribution_are_calibrated() -> None:
    """Outcomes drawn from known integer distributions: PIT uniform, coverage at least nominal, and the
    true distribution beats a wrong one on NLL and CRPS."""
    rng = np.random.default_rng(1)
    n = 4000
    mean = rng.uniform(0, 15, size=n)
    truth = gaussian_pmf(mean, np.full(n, 6.0))
    cdf = np.cumsum(truth / truth.sum(1, keepdims=True), axis=1)
    yards = YARD_GRID[(cdf < rng.uniform(size=n)[:, None]).sum(axis=1)].astype(np.float64)
    right = pmf_metrics(truth, yards)
    wrong = pmf_metrics(gaussian_pmf(mean + 5, np.full(n, 6.0)), yards)
    assert right.pit_ks < 0.03 and wrong.pit_ks > 0.15
    assert right.nll < wrong.nll and right.crps < wrong.crps
    assert right.coverage_90 >= 0.89 and 0.45 <= right.coverage_50 <= 0.6
    assert abs(right.mae_median - np.abs(np.rint(mean) - yards).mean()) < 0.3
    marginal = pmf_metrics(marginal_pmf(yards, n), yards)
    assert marginal.pit_ks < 0.03 and marginal.nll > right.nll


def test_encoder_reads_the_last_valid_frame_and_never_the_padding() -> None:
    torch.manual_seed(0)
    encoder = TCNEncoder(in_channels=4, channels=8).eval()
    frames = torch.randn(3, 20, 4)
    n_frames = torch.tensor([5, 12, 20])
    state = encoder(frames, n_frames)
    noisy = frames.clone()
    for i, n in enumerate(n_frames):
        noisy[i, n:] = 1e3  # garbage in the padding must not move the output
    assert torch.allclose(encoder(noisy, n_frames), state)
    # A causal network: the state at frame n depends on frame n - 1.
    changed = frames.clone()
    changed[0, 4] += 1.0
    assert not torch.allclose(encoder(changed, n_frames)[0], state[0])
    assert encoder.receptive_field >= 60


def test_situation_only_network_ignores_the_tensor() -> None:
    net = PassOutcomeNet(None, tabular_features=5, out_features=114).eval()
    tabular = torch.randn(4, 5)
    out = net(torch.zeros(4, 0), torch.ones(4, dtype=torch.int64), tabular)
    assert out.shape == (4, 114)


def test_split_is_by_game_and_deterministic() -> None:
    game_id = np.repeat(np.arange(2024090800, 2024090800 + 300), 20)
    week = np.repeat(np.arange(300) // 18 + 1, 20)
    split = split_by_game(game_id, week, seed=0, test_weeks=(14, 15, 16, 17))
    assert (split == split_by_game(game_id, week, seed=0, test_weeks=(14, 15, 16, 17))).all()
    assert set(split[np.isin(week, (14, 15, 16, 17))]) == {"test"}
    for game in np.unique(game_id):
        assert len(set(split[game_id == game])) == 1
    share = (split[~np.isin(week, (14, 15, 16, 17))] == "validation").mean()
    assert 0.08 < share < 0.22
    assert (split != split_by_game(game_id, week, seed=1, test_weeks=(14, 15, 16, 17))).any()


def test_artifact_refuses_another_feature_schema(tmp_path: Path) -> None:
    config = TrainConfig()
    net = PassOutcomeNet(
        (60, 22, 10),
        tabular_features=16,
        out_features=114,
        channels=config.channels,
        hidden=config.hidden,
        dropout=config.dropout,
    )
    meta = {"feature_schema_hash": "abc123", "plays": 10}
    save_artifact(tmp_path, net, TrainConfig(), meta, {"nll": 1.0})
    model, config, record = load_artifact(tmp_path, "abc123")
    assert config == TrainConfig() and record["data"]["plays"] == 10
    for name, value in net.state_dict().items():
        assert torch.equal(model.state_dict()[name], value)
    with pytest.raises(ArtifactError, match="feature schema abc123"):
        load_artifact(tmp_path, "def456")
    with pytest.raises(ArtifactError, match="not a model artifact"):
        load_artifact(tmp_path / "missing", "abc123")


def test_training_data_is_a_plain_container() -> None:
    data = TrainingData(
        None,
        np.ones(3, dtype=np.int64),
        np.zeros((3, 2), np.float32),
        np.zeros(3, np.float32),
        np.arange(3),
        np.ones(3, dtype=np.int64),
    )
    assert data.meta == {}


def test_refit_trains_on_train_plus_validation_for_the_chosen_epochs() -> None:
    """The refit model's input standardization is fit on exactly the train + validation plays (the
    validation plays sit 2 units higher on feature 0), never the test plays; the early-stopped one on
    the train plays alone."""
    rng = np.random.default_rng(0)
    n = 600
    split = np.array(["train"] * 400 + ["validation"] * 100 + ["test"] * 100)
    signal = rng.normal(size=n)
    shift = np.select([split == "validation", split == "test"], [2.0, 9.0], 0.0)
    tabular = np.column_stack([signal + shift, rng.normal(size=n)]).astype(np.float32)
    label = np.rint(3.0 * signal + rng.normal(0.0, 2.0, n)).astype(np.float32)
    ones = np.ones(n, dtype=np.int64)
    data = TrainingData(None, ones, tabular, label, np.arange(n), ones)
    for refit, seen in ((False, split == "train"), (True, split != "test")):
        config = TrainConfig(epochs=8, patience=100, refit=refit, learning_rate=1e-2, batch_size=64)
        model, history, _ = train_sbp(data, config, split=split)
        np.testing.assert_allclose(model.tabular_mean.numpy(), tabular[seen].mean(axis=0), atol=1e-5)
        best = min(history["epochs"], key=lambda e: e["validation_nll"])["epoch"]
        assert history.get("refit_epochs") == (best if refit else None)
        raw = predict_raw(model, (torch.zeros(n, 0), torch.from_numpy(ones), torch.from_numpy(tabular)))
        assert torch.isfinite(sbp_distribution(raw, config).mean).all()


def test_fixed_epochs_and_refit_split() -> None:
    split = np.array(["train", "validation", "test", "train"])
    assert refit_split(split).tolist() == ["train", "train", "test", "train"]


def test_dropout_zeroes_about_p_of_the_values_and_keeps_the_mean() -> None:
    torch.manual_seed(0)
    x = torch.rand(64, 16, 60) + 0.5
    dropout = Dropout(0.3)
    out = dropout(x)
    zeroed = (out == 0).float().mean().item()
    assert abs(zeroed - 0.3) < 0.01  # 61,440 draws: the share's SD is 0.002
    kept = out != 0
    assert torch.allclose(out[kept], x[kept] / 0.7)
    assert abs(out.mean().item() / x.mean().item() - 1.0) < 0.01
    assert not torch.equal(out, dropout(x))  # a fresh mask per call
    # Each 64-bit draw serves four consecutive elements: every one of the four is zeroed at the rate.
    shares = (out.reshape(-1, 4) == 0).float().mean(0)
    assert torch.all((shares - 0.3).abs() < 0.015), shares  # 15,360 draws each: SD 0.0037
    dropout.eval()
    assert dropout(x) is x
    assert Dropout(0.0)(x) is x
    with pytest.raises(ValueError, match="dropout probability"):
        Dropout(1.0)


def test_mirroring_flips_the_sign_channels_of_about_half_the_plays() -> None:
    batch = torch.rand(400, 5, 3, 4) + 0.1
    mirrored = mirror_half(batch, (1, 3), torch.Generator().manual_seed(1))
    flipped = (mirrored[:, :, :, 1] < 0).all(dim=(1, 2))
    assert 150 < int(flipped.sum()) < 250
    assert torch.equal(mirrored[flipped][..., [1, 3]], -batch[flipped][..., [1, 3]])
    assert torch.equal(mirrored[~flipped], batch[~flipped])
    assert torch.equal(mirrored[..., [0, 2]], batch[..., [0, 2]])


def test_length_pooled_batches_cover_every_play_once_and_shorten_the_padding() -> None:
    """Pools of eight batches sorted by frame count: every play once per epoch, batches of similar
    length (a batch's longest play well under a random batch's), still a different order each epoch."""
    n_frames = torch.from_numpy(np.random.default_rng(3).integers(5, 61, size=5000))
    generator = torch.Generator().manual_seed(0)
    random_batches = batch_rows(n_frames, 100, 1, generator)
    pooled = batch_rows(n_frames, 100, 8, generator)
    for batches in (random_batches, pooled):
        assert sorted(torch.cat(batches).tolist()) == list(range(5000))
        assert all(len(b) == 100 for b in batches)

    def mean_longest(batches: list[torch.Tensor]) -> float:
        return float(np.mean([int(n_frames[b].max()) for b in batches]))

    # A random batch of 100 nearly always holds a 58-60 frame play; a pooled one reaches about the
    # top of its eighth of the lengths: 36 on average.
    assert mean_longest(random_batches) > 57
    assert mean_longest(pooled) < 42
    spans = [int(n_frames[b].max() - n_frames[b].min()) for b in pooled]
    assert np.median(spans) <= 10  # random batches span the whole 5-60
    assert not torch.equal(torch.cat(pooled), torch.cat(batch_rows(n_frames, 100, 8, generator)))
    # A pool is a random draw: the first batch is not always the shortest plays.
    firsts = [int(n_frames[batch_rows(n_frames, 100, 8, generator)[0]].max()) for _ in range(5)]
    assert max(firsts) - min(firsts) > 5
