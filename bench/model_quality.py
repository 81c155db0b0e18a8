"""Model quality against the synthetic truth: the issue's targets on a full synthetic season.

Generates a season (17 weeks x 16 games by default, about 17,000 pass attempts), ingests it, builds
features, trains the SBP model on weeks 1-13 (validation games drawn from them) and tests on weeks
14-17 next to the Gaussian head, the trees, the marginal and the oracle (the true distribution each
outcome was drawn from). Prints the metrics table and each target with its verdict.

    python -m bench.model_quality [--weeks 1-17] [--games-per-week 16] [--epochs N] [--workdir DIR]
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from pathlib import Path

from qb_assets.common.ranges import parse_int_ranges
from qb_assets.features.store import build_features
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.model.evaluation import evaluate_model, format_metrics_table
from qb_assets.model.training import train_baseline_models, train_model
from qb_assets.synthetic.oracle import truth_oracles
from qb_assets.synthetic.season import generate_season


def targets(models: dict) -> list[tuple[str, bool, str]]:
    """The model targets, for each of the two models (the baselines are trained on the passing inputs)."""
    gaussian, trees = models["gaussian"], models["trees"]
    rows = []
    for name in ("passing", "execution"):
        sbp, oracle = models[name], models.get(f"{name}_oracle")
        rows += [
            (
                f"{name} NLL < Gaussian NLL",
                sbp["nll"] < gaussian["nll"],
                f"{sbp['nll']:.4f} vs {gaussian['nll']:.4f}",
            ),
            (
                f"{name} median MAE <= 1.02 x trees'",
                sbp["mae_median"] <= 1.02 * trees["mae_median"],
                f"{sbp['mae_median']:.4f} vs {trees['mae_median']:.4f} "
                f"({sbp['mae_median'] / trees['mae_median']:.3f}x)",
            ),
            (f"{name} PIT KS < 0.03", sbp["pit_ks"] < 0.03, f"{sbp['pit_ks']:.4f}"),
        ]
        if oracle is not None:
            rows.append(
                (
                    f"{name} CRPS within 5% of its oracle's",
                    sbp["crps"] <= 1.05 * oracle["crps"],
                    f"{sbp['crps']:.4f} vs {oracle['crps']:.4f} ({sbp['crps'] / oracle['crps']:.3f}x)",
                )
            )
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", default="1-17")
    parser.add_argument("--games-per-week", type=int, default=16)
    parser.add_argument("--test-weeks", default="14-17")
    parser.add_argument(
        "--epochs", type=int, default=None, help="the schedule's epochs (default: the config's)"
    )
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workdir", type=Path, default=None)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qb-bench-quality-"))
    source, lake, model = work / "source", str(work / "lake"), work / "model"
    steps = {}
    started = time.perf_counter()
    if not (source / "truth.parquet").exists():
        generate_season(
            source,
            season=2024,
            weeks=parse_int_ranges(args.weeks),
            games_per_week=args.games_per_week,
            seed=args.seed,
            progress=print,
        )
    steps["generate"] = time.perf_counter() - started
    started = time.perf_counter()
    ingest_source(source, lake)
    steps["ingest"] = time.perf_counter() - started
    started = time.perf_counter()
    build_features(lake)
    steps["features"] = time.perf_counter() - started
    started = time.perf_counter()
    trained = train_model(
        lake,
        model,
        progress=print,
        seed=args.seed,
        test_weeks=tuple(parse_int_ranges(args.test_weeks)),
        **({"epochs": args.epochs} if args.epochs is not None else {}),
    )
    steps["train"] = time.perf_counter() - started
    started = time.perf_counter()
    train_baseline_models(lake, trained["model_dir"], progress=print)
    steps["baselines"] = time.perf_counter() - started
    started = time.perf_counter()
    result = evaluate_model(lake, trained["model_dir"], oracles=truth_oracles(source), progress=print)
    steps["evaluate"] = time.perf_counter() - started
    print("\n" + format_metrics_table(result))
    print(
        f"split plays: {json.dumps(trained['split_plays'])}; epochs run: {trained['epochs_run']}, "
        f"refit on train + validation: {trained['refit_epochs']}"
    )
    print("\n| target | met | values |\n|---|---|---|")
    for name, met, values in targets(result["models"]):
        print(f"| {name} | {'yes' if met else 'NO'} | {values} |")
    print("\nseconds: " + ", ".join(f"{k} {v:.0f}" for k, v in steps.items()))
    if args.workdir is None:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
