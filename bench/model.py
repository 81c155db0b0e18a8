"""Model speed: training plays/s per epoch on the CPU, and inference (TCN forward + SBP CDF at the
actual yards) in microseconds per play, batched (4,096 plays) and for a single play.

Baseline measured in the same run: a plain TCN of the same depth with 64 channels convolving the raw
220 slot features at every frame (no per-frame projection). Also reported: the model's FLOPs per play
and the achieved fraction of this machine's matrix-multiply throughput (a 2048 x 2048 float32 matmul,
timed here). Inputs are random with the feature store's shapes (timing does not depend on values);
frames per play are drawn like the synthetic season's (20-60). The batched scoring path
(``ml.inference.predict_raw``, which takes plays of similar length together) is timed against one
batch of all the plays.

Live scoring of one play (``ml.single_play``, ``qb_assets.scoring.live``): the latency of one play,
median and 99th percentile over plays of every length, of the single-play graph (forward pass + capped
percentile, exported to ONNX and run by ONNX Runtime on one thread) against, measured in the same run,
today's path (the eager model + the SBP percentile, as the single-play column above) and the same
module as the TorchScript graph it replaced (traced, frozen, TorchScript's static runtime); and, on a
generated game with models of the project's shapes (random weights), of raw tracking rows to both
models' numbers, stage by stage (``--live-plays``).

    python -m bench.model [--threads 2] [--plays 4096] [--train-plays 8192] [--live-plays 40]
"""

from __future__ import annotations

import argparse
import contextlib
import tempfile
import time
import warnings
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import numpy as np
import polars as pl
import torch

import ml.tcn
import ml.train
from ml.artifacts import save_artifact
from ml.config import TrainConfig, TrainingData
from ml.inference import predict_raw, sbp_distribution
from ml.sbp import YARD_BIN_COUNT
from ml.single_play import SinglePlayGraphs, _Percentile, full_length_example
from ml.tcn import PassOutcomeNet, count_flops_per_play, network_for
from ml.train import train_sbp
from qb_assets.features.schema import OPTION_FIELDS, input_set

OPTION_FIELD_COUNT = len(OPTION_FIELDS)

SHAPE = (60, 22, 10)
TABULAR = 57  # the passing model's static + derived inputs (passing_network checks it)


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
    tabular = torch.randn(n, TABULAR, generator=g)
    tabular[:, list(passing_config().option_columns[::OPTION_FIELD_COUNT])] = 1.0  # every option present
    return tensor, n_frames, tabular, yards


def passing_config() -> TrainConfig:
    """The passing model's config as training sets it: the project's defaults and its option layout."""
    from qb_assets.model.training import MODEL_INPUTS, model_config  # noqa: PLC0415

    columns = tabular_columns(MODEL_INPUTS["passing"])
    if len(columns) != TABULAR:
        raise RuntimeError(f"bench.model: {len(columns)} passing inputs, not {TABULAR}")
    return model_config("passing", columns)


def tabular_columns(inputs: str) -> list[str]:
    """The tabular inputs of the feature store's input set ``inputs``, in the models' order."""
    spec = input_set(inputs)
    return [*spec["static"], *spec["derived"]]


def passing_network() -> PassOutcomeNet:
    """The passing model as training builds it (the option mixture head), with random weights."""
    return network_for(passing_config(), SHAPE, TABULAR, YARD_BIN_COUNT + 4)


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


def predict_raw_us_per_play(model: PassOutcomeNet, batch: tuple[torch.Tensor, ...], batch_size: int) -> float:
    """``ml.inference.predict_raw`` (the scoring and evaluation path) in batches of ``batch_size``
    plays of similar length, microseconds per play (best of three)."""
    times = []
    for _ in range(3):
        started = time.perf_counter()
        predict_raw(model, batch, batch_size)
        times.append(time.perf_counter() - started)
    return min(times) / len(batch[0]) * 1e6


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


def training_plays_per_s(n: int, epochs: int = 2, **overrides) -> float:
    """Training plays per second per epoch of the passing model as trained (its config: option head,
    mirroring, situation masking, batches pooled by length; ``overrides`` change fields), on ``n``
    random plays, no refit."""
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
    config = replace(passing_config(), **overrides, epochs=epochs, patience=epochs, refit=False)
    _, history, _ = train_sbp(data, config, split=split)
    return float(np.mean([e["plays_per_s"] for e in history["epochs"]]))


@contextlib.contextmanager
def library_training_ops() -> Iterator[None]:
    """The training baseline: ``torch.nn.Dropout`` (its Bernoulli masks) in place of ``ml.tcn.Dropout``,
    and each batch mirrored by a select between the batch and its mirrored copy, as training did
    before both were replaced."""

    def mirror_by_select(tensor: torch.Tensor, channels: tuple[int, ...], generator: torch.Generator):
        sign = torch.ones(tensor.shape[-1])
        sign[list(channels)] = -1.0
        flip = torch.rand(tensor.shape[0], generator=generator) < 0.5
        return torch.where(flip[:, None, None, None], tensor * sign, tensor)

    saved = ml.tcn.Dropout, ml.train.mirror_half
    ml.tcn.Dropout, ml.train.mirror_half = torch.nn.Dropout, mirror_by_select
    try:
        yield
    finally:
        ml.tcn.Dropout, ml.train.mirror_half = saved


def latency_us(run: Callable[[int], object], plays: int, repeats: int) -> tuple[float, float]:
    """(median, 99th percentile) microseconds of ``run(i)``, cycling over ``plays`` plays."""
    for i in range(plays):
        run(i)
    times = []
    for r in range(repeats):
        started = time.perf_counter()
        run(r % plays)
        times.append(time.perf_counter() - started)
    return float(np.percentile(times, 50) * 1e6), float(np.percentile(times, 99) * 1e6)


@torch.inference_mode()
def single_play_latency(
    model: PassOutcomeNet, batch: tuple[torch.Tensor, ...], threads: int, plays: int = 64, repeats: int = 3000
) -> list[tuple[str, float, float]]:
    """One play's latency, (name, p50 us, p99 us): today's path (the eager model + the SBP percentile) on
    ``threads`` and on one thread, and the single-play graphs on one thread."""
    model.eval()
    config = TrainConfig()
    tensor, n_frames, tabular, yards = (t[:plays] for t in batch)
    upper = torch.randint(1, 100, (plays,), generator=torch.Generator().manual_seed(2)).float()
    lower = upper - 100.0

    def today(i: int) -> torch.Tensor:
        raw = model(tensor[i : i + 1], n_frames[i : i + 1], tabular[i : i + 1])
        return sbp_distribution(raw, config).interval_cdf(yards[i : i + 1])

    graphs = SinglePlayGraphs(model, config)
    torchscript = torchscript_percentile(model, config)
    # The live scorer's inputs: NumPy views of the feature store's arrays.
    inputs = [
        (
            tensor[i : i + 1, :n].reshape(1, n, -1).numpy(),
            *(t[i : i + 1].numpy() for t in (n_frames, tabular, yards, lower, upper)),
        )
        for i, n in enumerate(n_frames.tolist())
    ]
    rows = []
    for name, run, run_threads in (
        (f"today's path: eager forward + SBP percentile ({threads} threads)", today, threads),
        ("today's path: eager forward + SBP percentile (1 thread)", today, 1),
        (
            "the same graph in TorchScript's static runtime (1 thread)",
            lambda i: torchscript(*(torch.from_numpy(a) for a in inputs[i])),
            1,
        ),
        (
            "single-play graph (ONNX Runtime): forward + capped percentile (1 thread)",
            lambda i: graphs.percentile(*inputs[i]),
            1,
        ),
        ("single-play graphs: + expected yards (1 thread)", lambda i: graphs(*inputs[i]), 1),
    ):
        torch.set_num_threads(run_threads)
        rows.append((name, *latency_us(run, plays, repeats)))
    torch.set_num_threads(threads)
    return rows


def torchscript_percentile(model: PassOutcomeNet, config: TrainConfig):
    """The single-play percentile module as the TorchScript graph live scoring ran before ONNX Runtime:
    traced on a full-length play, frozen, run by TorchScript's static runtime (the baseline row)."""
    example = full_length_example(model)
    module = _Percentile(model, config).eval()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the tracer's warnings and TorchScript's deprecation
        module(*example)
        frozen = torch.jit.freeze(torch.jit.trace(module, example, check_trace=False))
    with torch.inference_mode(False):
        # The tap-matmul convolution (ml.tcn.causal_conv) is what a traced batch of one runs.
        graph = torch._C._jit_to_static_module(frozen._c)
    graph(*example)
    return graph


def random_version(version_dir: Path) -> Path:
    """A model version of the project's two models with random weights (timing does not depend on them)."""
    from qb_assets.features.schema import schema_hash  # noqa: PLC0415
    from qb_assets.model.training import MODEL_INPUTS, model_config, model_dir  # noqa: PLC0415

    for name, inputs in MODEL_INPUTS.items():
        columns = tabular_columns(inputs)
        config = model_config(name, columns)
        net = network_for(config, SHAPE, len(columns), YARD_BIN_COUNT + 4)
        save_artifact(model_dir(version_dir, name), net, config, {"feature_schema_hash": schema_hash()}, {})
    return version_dir


def raw_rows_latency(plays: int, repeats: int = 3) -> dict[str, tuple[float, float]]:
    """Raw tracking rows to both models' numbers on a generated game: (p50, p99) ms per stage (ingest,
    features, model) and in total, over ``plays`` pass attempts scored ``repeats`` times each."""
    from qb_assets.scoring.live import LivePlayScorer, read_play_rows  # noqa: PLC0415
    from qb_assets.synthetic.season import generate_season  # noqa: PLC0415

    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        generate_season(source, season=2024, weeks=[1], games_per_week=1, seed=0)
        scorer = LivePlayScorer(random_version(Path(tmp) / "version"))
        tracking = next(source.glob("tracking_week_*.csv"))
        attempts = pl.read_csv(source / "plays.csv").filter(pl.col("passResult").is_in(["C", "I", "IN"]))
        rows = [
            read_play_rows(tracking, g, p) for g, p in attempts.select("gameId", "playId").head(plays).rows()
        ]
        times: dict[str, list[float]] = {"ingest": [], "features": [], "model": [], "total": []}
        for _ in range(repeats):
            for play in rows:
                started = time.perf_counter()
                score = scorer.score_rows(play)
                times["total"].append((time.perf_counter() - started) * 1e3)
                for stage, ms in score.timings_ms.items():
                    times[stage].append(ms)
    return {stage: (float(np.percentile(t, 50)), float(np.percentile(t, 99))) for stage, t in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--plays", type=int, default=4096)
    parser.add_argument("--train-plays", type=int, default=8192)
    parser.add_argument(
        "--live-plays", type=int, default=40, help="plays of the raw-rows timing (0: skip it)"
    )
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    peak = matmul_gflops()
    batch = inputs(args.plays)
    single = tuple(t[:1] for t in batch)
    model = passing_network()  # the trained passing model's size and head
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
    whole, pooled = (predict_raw_us_per_play(model, batch, size) for size in (args.plays, 512))
    print(f"\nbatched scoring path (predict_raw, {args.plays:,} plays of 20-60 frames), us/play:")
    print("| batches | us/play | speed-up |\n|---|---:|---:|")
    print(
        f"| one batch of {args.plays:,}, every play to the longest's frames (baseline) | {whole:.1f} | 1.00 |"
    )
    print(
        f"| batches of 512 plays of similar length (as scoring runs) | {pooled:.1f} | {whole / pooled:.2f} |"
    )
    print(f"\none play, p50 and p99 over {min(64, args.plays)} plays of 20-60 frames:")
    print("| path | p50 us | p99 us | p50 speed-up |\n|---|---:|---:|---:|")
    latency = single_play_latency(model, batch, args.threads)
    for name, p50, p99 in latency:
        print(f"| {name} | {p50:.0f} | {p99:.0f} | {latency[0][1] / p50:.1f} |")
    if args.live_plays:
        stages = raw_rows_latency(args.live_plays)
        print(
            f"\nraw tracking rows to both models' numbers ({args.live_plays} plays of a generated game, ms):"
        )
        print("| stage | p50 ms | p99 ms |\n|---|---:|---:|")
        for stage, (p50, p99) in stages.items():
            print(f"| {stage} | {p50:.2f} | {p99:.2f} |")
    # Random batches of 256, as training drew them before batches were pooled by frame count.
    random_batches = {"length_pool": 1, "batch_size": 256}
    with library_training_ops():
        baseline_rate = training_plays_per_s(args.train_plays, **random_batches)
    ops_rate = training_plays_per_s(args.train_plays, **random_batches)
    rate = training_plays_per_s(args.train_plays)
    config = passing_config()
    print(
        f"\ntraining the passing model on the CPU ({args.train_plays:,} plays of 20-60 frames), "
        "plays/s per epoch:"
    )
    print("| training | plays/s | speed-up |\n|---|---:|---:|")
    print(
        "| torch.nn.Dropout, mirroring by select, random batches of 256 (baseline) | "
        f"{baseline_rate:,.0f} | 1.00 |"
    )
    print(
        f"| ml.tcn.Dropout, mirroring by a sign row, random batches of 256 | {ops_rate:,.0f} | "
        f"{ops_rate / baseline_rate:.2f} |"
    )
    print(
        f"| qb-score as configured: batches of {config.batch_size} pooled by frame count "
        f"({config.length_pool} batches a pool) | {rate:,.0f} | {rate / baseline_rate:.2f} |"
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
