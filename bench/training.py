"""Training a full season's model version on the CPU: the project's training config against the one it
replaced, same seasons, same command, speed and quality side by side.

For each seed, a generated season (17 weeks x 16 games, about 17,000 pass attempts; test weeks 14-17)
is ingested and featurized once (not timed), then a model version (both models, each early-stopped
and refitted on train + validation) is trained with each config. Quality is judged against the
generator's oracle (the true distribution of each test play): held-out CRPS as a ratio to the
oracle's, and the PIT's KS distance.

    python -m bench.training [--seeds 11 12 13] [--games-per-week 16] [--workdir DIR]

With ``--workdir``, ``DIR/seed_<S>/`` keeps each season's source and lake, and a later run reuses them.
"""

from __future__ import annotations

import argparse
import shutil
import tempfile
import time
from pathlib import Path

from qb_assets.features.store import build_features
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io.lake import list_partitions
from qb_assets.model.evaluation import evaluate_model
from qb_assets.model.training import train_model
from qb_assets.synthetic.oracle import truth_oracles
from qb_assets.synthetic.season import generate_season

TEST_WEEKS = (14, 15, 16, 17)
# The config training used before batches were pooled by length (ml.config.TrainConfig then): random
# batches of 256 and a one-cycle schedule over 60 epochs.
REPLACED_CONFIG = {"length_pool": 1, "batch_size": 256, "learning_rate": 2e-3, "epochs": 60}
CONFIGS = {"replaced (random batches of 256, 60-epoch schedule)": REPLACED_CONFIG, "qb-score": {}}


def prepared_season(folder: Path, seed: int, games_per_week: int) -> tuple[Path, str]:
    """(source, lake) of the seed's season in ``folder``, generated, ingested and featurized if absent."""
    source, lake = folder / "source", folder / "lake"
    if not (source / "truth.parquet").exists():
        generate_season(source, season=2024, weeks=range(1, 18), games_per_week=games_per_week, seed=seed)
    if not list_partitions(lake, "features"):
        ingest_source(source, lake)
        build_features(lake)
    return source, str(lake)


def train_and_judge(source: Path, lake: str, models: Path, seed: int, overrides: dict) -> dict:
    """Train one version with ``overrides``; its wall seconds, epochs and held-out quality."""
    started = time.perf_counter()
    trained = train_model(lake, models, seed=seed, test_weeks=TEST_WEEKS, **overrides)
    seconds = time.perf_counter() - started
    rows = evaluate_model(lake, trained["model_dir"], oracles=truth_oracles(source), with_baselines=False)
    metrics = rows["models"]
    return {
        "seconds": seconds,
        "epochs": trained["epochs_run"],
        "refit": trained["refit_epochs"],
        **{
            f"{name}_{key}": value
            for name in ("passing", "execution")
            for key, value in (
                ("crps_ratio", metrics[name]["crps"] / metrics[f"{name}_oracle"]["crps"]),
                ("pit_ks", metrics[name]["pit_ks"]),
            )
        },
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", type=int, nargs="+", default=[11, 12, 13])
    parser.add_argument("--games-per-week", type=int, default=16)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qb-bench-training-"))
    print(
        "| seed | config | seconds | epochs passing / execution (refit) | CRPS / oracle passing | execution "
        "| PIT KS passing | execution |"
    )
    print("|---:|---|---:|---|---:|---:|---:|---:|")
    totals = dict.fromkeys(CONFIGS, 0.0)
    for seed in args.seeds:
        source, lake = prepared_season(work / f"seed_{seed}", seed, args.games_per_week)
        for label, overrides in CONFIGS.items():
            with tempfile.TemporaryDirectory(prefix="qb-bench-models-") as models:
                found = train_and_judge(source, lake, Path(models), seed, overrides)
            totals[label] += found["seconds"]
            epochs, refit = found["epochs"], found["refit"]
            print(
                f"| {seed} | {label} | {found['seconds']:.0f} | {epochs['passing']} / {epochs['execution']} "
                f"({refit['passing']} / {refit['execution']}) | {found['passing_crps_ratio']:.4f} | "
                f"{found['execution_crps_ratio']:.4f} | {found['passing_pit_ks']:.4f} | "
                f"{found['execution_pit_ks']:.4f} |",
                flush=True,
            )
    replaced, current = totals.values()
    print(
        f"\nspeed-up over {len(args.seeds)} season(s): {replaced / current:.2f}x "
        f"({replaced:.0f} s against {current:.0f} s)"
    )
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
