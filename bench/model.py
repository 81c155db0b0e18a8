"""Model speed: training plays/s per epoch on the CPU, and inference (TCN forward + SBP CDF at the
actual yards) in microseconds per play, batched (4,096 plays) and for a single play.

Baseline measured in the same run: a plain TCN of the same depth with 64 channels convolving the raw
220 slot features at every frame (no per-frame projection). Also reported: the model's FLOPs per play
and the achieved fraction of this machine's matrix-multiply throughput (a 2048 x 2048 float32 matmul,
timed here). Inputs are random with the feature store's shapes (timing does not depend on values);
frames per play are drawn like the synthetic season's (20-60).

    python -m bench.model [--threads 2] [--plays 4096] [--train-plays 8192]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from ml.config import TrainConfig, TrainingData
from ml.inference import sbp_distribution
from ml.sbp import YARD_BIN_COUNT
from ml.tcn import PassOutcomeNet, count_flops_per_play
from ml.train import train_sbp

SHAPE = (60, 22, 10)
TABULAR = 21  # static + derived model inputs


def matmul_gflops(size: int = 2048, repeats: int = 5) -> float:
    a, b = torch.randn(size, size), torch.randn(size, size)
    a @ b
    started = time.perf_counter()
    for _ in range(repeats):
        a @ b
    return 2 * size**3 * repeats / (time.perf_counter() - started) / 1e9


def inputs(n: int, seed: int = 0) -> tuple[torch.Tensor, ...]:
    g = torch.Generator().manual_seed(seed)
    n_frames = torch.randint(20, SHAPE[0] + 1, (n,), generator=g)
    tensor = torch.randn(n, *SHAPE, generator=g)
    tensor[torch.arange(SHAPE[0])[None, :] >= n_frames[:, None]] = 0.0
    yards = torch.randint(-5, 40, (n,), generator=g).float()
    return tensor, n_frames, torch.randn(n, TABULAR, generator=g), yards


@torch.inference_mode()
def score_us_per_play(model: PassOutcomeNet, batch: tuple[torch.Tensor, ...], repeats: int) -> float:
    """Forward pass + the SBP CDF (percentile) at the actual yards, microseconds per play."""
    model.eval()
    config = TrainConfig()
    tensor, n_frames, tabular, yards = batch

    def run() -> torch.Tensor:
        return sbp_distribution(model(tensor, n_frames, tabular), config).interval_cdf(yards)

    run()
    started = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - started) / repeats / len(yards) * 1e6


class PlainTCN(torch.nn.Module):
    """The straightforward TCN: 64 channels, the 220 raw features convolved at every frame."""

    def __init__(self, channels: int = 64, dilations: tuple[int, ...] = (1, 2, 4, 8)):
        super().__init__()
        layers, width = [], SHAPE[1] * SHAPE[2]
        for d in dilations:
            layers += [
                torch.nn.ConstantPad1d((2 * d, 0), 0.0),
                torch.nn.Conv1d(width, channels, 3, dilation=d),
                torch.nn.ReLU(),
                torch.nn.ConstantPad1d((2 * d, 0), 0.0),
                torch.nn.Conv1d(channels, channels, 3, dilation=d),
                torch.nn.ReLU(),
            ]
            width = channels
        self.net = torch.nn.Sequential(*layers)
        self.head = torch.nn.Sequential(
            torch.nn.Linear(channels + TABULAR, 64), torch.nn.ReLU(), torch.nn.Linear(64, YARD_BIN_COUNT + 4)
        )

    def forward(self, tensor: torch.Tensor, n_frames: torch.Tensor, tabular: torch.Tensor) -> torch.Tensor:
        h = self.net(tensor.reshape(len(tensor), SHAPE[0], -1).transpose(1, 2))
        last = h[torch.arange(len(h)), :, n_frames - 1]
        return self.head(torch.cat([last, tabular], dim=1))


def training_plays_per_s(n: int, epochs: int = 2) -> float:
    tensor, n_frames, tabular, yards = inputs(n, seed=1)
    data = TrainingData(
        tensor.numpy(),
        n_frames.numpy(),
        tabular.numpy(),
        yards.numpy(),
        np.arange(n) // 40,
        np.ones(n, dtype=np.int64),
    )
    split = np.where(np.arange(n) % 10 == 0, "validation", "train").astype(object)
    _, history, _ = train_sbp(data, TrainConfig(epochs=epochs, patience=epochs, refit=False), split=split)
    return float(np.mean([e["plays_per_s"] for e in history["epochs"]]))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--plays", type=int, default=4096)
    parser.add_argument("--train-plays", type=int, default=8192)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    peak = matmul_gflops()
    batch = inputs(args.plays)
    single = tuple(t[:1] for t in batch)
    config = TrainConfig()  # the trained model's size
    model = PassOutcomeNet(SHAPE, TABULAR, YARD_BIN_COUNT + 4, channels=config.channels, hidden=config.hidden)
    plain = PlainTCN()
    rows = []
    for name, net in (("plain 64-channel TCN (baseline)", plain), ("qb-score PassOutcomeNet", model)):
        batched = score_us_per_play(net, batch, repeats=5)
        one = score_us_per_play(net, single, repeats=200)
        # Both compute every frame up to the batch's longest play (60 here).
        flops = count_flops_per_play(net, SHAPE[0]) if isinstance(net, PassOutcomeNet) else _plain_flops(net)
        rows.append((name, batched, one, flops))
    base = rows[0][1]
    print(f"\nmatmul throughput (2048x2048 float32, {args.threads} threads): {peak:.0f} GFLOP/s")
    print(
        "| model | us/play (batch 4096) | us/play (single play) | FLOPs/play | achieved GFLOP/s "
        "| of matmul peak | speed-up |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, batched, one, flops in rows:
        achieved = flops / batched / 1e3
        print(
            f"| {name} | {batched:.1f} | {one:.0f} | {flops / 1e6:.2f} M | {achieved:.1f} | "
            f"{achieved / peak:.0%} | {base / batched:.1f} |"
        )
    print(
        f"\ntraining on the CPU: {training_plays_per_s(args.train_plays):,.0f} plays/s per epoch "
        f"({args.train_plays:,} plays, batch 256)"
    )


def _plain_flops(net: PlainTCN) -> int:
    total = 0
    for module in net.modules():
        if isinstance(module, torch.nn.Conv1d):
            total += 2 * module.in_channels * module.out_channels * module.kernel_size[0] * SHAPE[0]
        elif isinstance(module, torch.nn.Linear):
            total += 2 * module.in_features * module.out_features
    return total


if __name__ == "__main__":
    main()
