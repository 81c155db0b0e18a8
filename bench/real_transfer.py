"""Real transfer: how a model trained on generated seasons does on the real 2018 game (tracking only).

Two tables:

1. **Feature distances**: each release feature the models read, on the real game (BDB 2021 tracking,
   no plays table: ingested and featurized by the project) against a generated season written in the
   same vintage (linemen untracked, ``generate_season(..., vintage_mix={"bdb2021": 1})``): the
   two-sample KS distance, the medians, and the target (KS < 0.2) for the features with a target.
2. **Real calibration**: a model trained on one generated full season (17 weeks x 16 games, the
   training vintage mix ``TRAINING_VINTAGE_MIX``, situation masking on) scores the real game; per model
   (passing, execution): the 90% interval coverage of the actual yards, the mean percentile, the KS
   distance of the randomized PIT to uniform, the mean expected yards against the actual mean, and the
   applicability of the model to the game (``model.applicability``).

    python -m bench.real_transfer [--workdir DIR] [--distances-only] [--compare-games 32]
        [--weeks 1-17] [--games-per-week 16] [--seed 0] [--epochs 60] [--model VERSION_DIR]

Nothing is fitted to the real game: it is read only here and in the tests.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl
from scipy import stats

from qb_assets.common.ranges import parse_int_ranges
from qb_assets.features.store import build_features, load_feature_arrays
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.model.applicability import applicability, read_profile, training_profile
from qb_assets.model.training import train_model
from qb_assets.scoring.score import score_lake
from qb_assets.synthetic.season import TRAINING_VINTAGE_MIX, generate_season

REAL_GAME_FILE = "bdb2021_week14_game2018120600.csv"
KS_TARGET = 0.2
# The features the sim-to-real targets name (targets apply), then others the models read (shown, no target).
TARGET_FEATURES = (
    "qb_speed_at_release",
    "qb_acceleration_at_release",
    "time_to_throw_s",
    "target_separation_at_release_yd",
    "throw_distance_at_release_yd",
    "qb_nearest_defender_at_release_yd",
    "pass_rushers",
    "target_speed_at_release_yd_s",
    "option_speed_at_release_yd_s",
)
OTHER_FEATURES = (
    "target_depth_at_release_yd",
    "target_downfield_speed_at_release_yd_s",
    "under_pressure",
    "option_separation_at_release_yd",
    "option_depth_at_release_yd",
    "best_option_separation_at_release_yd",
    "open_options_at_release",
    "defenders_within_2yd_of_target_at_release",
)
OPTIONS = range(1, 6)


def real_data_dir() -> Path:
    """``$QB_REAL_DATA`` or ``../shared/data/real`` next to the project."""
    return Path(os.environ.get("QB_REAL_DATA", Path(__file__).resolve().parents[2] / "shared/data/real"))


def ingest_real_game(work: Path) -> str:
    """The real game, tracking only (as a BDB 2021 week file), ingested and featurized; its lake."""
    source, lake = work / "real_source", work / "real_lake"
    if not lake_io.list_partitions(str(lake), "features") if lake.exists() else True:
        source.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(real_data_dir() / REAL_GAME_FILE, source / "week14.csv")
        ingest_source(source, lake)
        build_features(str(lake))
    return str(lake)


def generated_lake(work: Path, name: str, *, weeks, games_per_week: int, seed: int, vintage_mix) -> str:
    """A generated season under ``work/name``, ingested and featurized (reused when already there)."""
    source, lake = work / f"{name}_source", work / f"{name}_lake"
    if not (lake.exists() and lake_io.list_partitions(str(lake), "features")):
        generate_season(
            source,
            weeks=weeks,
            games_per_week=games_per_week,
            seed=seed,
            vintage_mix=vintage_mix,
            progress=print,
        )
        ingest_source(source, lake)
        build_features(str(lake))
    return str(lake)


def release_values(lake: str) -> dict[str, np.ndarray]:
    """Per feature of TARGET_FEATURES and OTHER_FEATURES, its values over the lake's plays (option
    features pooled over the present options; the QB's acceleration from the play tensor at the
    release, as the model reads it)."""
    arrays = load_feature_arrays(lake, inputs="passing")
    plays = arrays.plays
    last = arrays.n_frames - 1
    qb = arrays.tensor[np.arange(len(last)), last, 0]  # slot 0 = the QB, at the release frame
    values = {"qb_acceleration_at_release": np.hypot(qb[:, 4], qb[:, 5])}
    for name in (*TARGET_FEATURES, *OTHER_FEATURES):
        if name.startswith("option_") and name not in plays.columns:
            field = name.removeprefix("option_")
            pooled = [
                plays.filter(pl.col(f"option_{k}_present"))[f"option_{k}_{field}"].to_numpy() for k in OPTIONS
            ]
            values[name] = np.concatenate(pooled).astype(float)
        elif name in plays.columns:
            values[name] = plays[name].cast(pl.Float64).to_numpy()
    return values


def feature_distances(real_lake: str, generated: str) -> pl.DataFrame:
    """One row per feature: KS distance (two-sample), medians and means of real and generated, the
    target where one applies."""
    real, gen = release_values(real_lake), release_values(generated)
    rows = []
    for name in (*TARGET_FEATURES, *OTHER_FEATURES):
        r, g = real[name], gen[name]
        rows.append(
            {
                "feature": name,
                "ks": float(stats.ks_2samp(r, g).statistic),
                "target": f"< {KS_TARGET}" if name in TARGET_FEATURES else "",
                "real_median": float(np.median(r)),
                "generated_median": float(np.median(g)),
                "real_mean": float(np.mean(r)),
                "generated_mean": float(np.mean(g)),
                "real_n": len(r),
                "generated_n": len(g),
            }
        )
    return pl.DataFrame(rows)


def print_distances(table: pl.DataFrame) -> None:
    print(
        f"\n{'feature':42s} {'KS':>6s} {'target':>7s} {'real med':>9s} {'gen med':>8s} "
        f"{'real mean':>9s} {'gen mean':>8s}"
    )
    for row in table.iter_rows(named=True):
        verdict = ("ok" if row["ks"] < KS_TARGET else "MISS") if row["target"] else ""
        print(
            f"{row['feature']:42s} {row['ks']:6.3f} {verdict:>7s} {row['real_median']:9.2f} "
            f"{row['generated_median']:8.2f} {row['real_mean']:9.2f} {row['generated_mean']:8.2f}"
        )


def calibration(real_lake: str, version_dir: Path) -> dict:
    """The real game scored by the version: per model, the numbers of the real calibration target."""
    score_lake(real_lake, version_dir)
    scores = lake_io.scan_table(real_lake, "play_scores").collect()
    yards = scores["yards_gained"].to_numpy()
    rng = np.random.default_rng(0)
    out = {"plays": scores.height, "actual_mean_yd": float(yards.mean())}
    for model in ("passing", "execution"):
        lower, upper = scores[f"{model}_cdf_lower"].to_numpy(), scores[f"{model}_cdf_upper"].to_numpy()
        pit = lower + rng.uniform(size=len(lower)) * (upper - lower)
        out[model] = {
            "mean_percentile": float(scores[f"{model}_percentile"].mean()),
            "sd_percentile": float(scores[f"{model}_percentile"].std()),
            "pit_ks": float(stats.kstest(pit, "uniform").statistic),
        }
    inside = (scores["q05"] <= scores["yards_gained"]) & (scores["yards_gained"] <= scores["q95"])
    out["passing"].update(
        coverage_90=float(inside.mean()), expected_mean_yd=float(scores["expected_yards"].mean())
    )
    out["applicability"] = (
        float(scores["applicability"][0]) if scores["applicability"][0] is not None else None
    )
    return out


def print_calibration(result: dict) -> None:
    """Issue 19's item 4 table."""
    p, e = result["passing"], result["execution"]
    rows = [
        ("90% interval coverage", f"{p['coverage_90']:.3f}", ">= 0.80", p["coverage_90"] >= 0.80),
        (
            "mean percentile (passing)",
            f"{p['mean_percentile']:.3f}",
            "0.42-0.58",
            0.42 <= p["mean_percentile"] <= 0.58,
        ),
        ("PIT KS (passing)", f"{p['pit_ks']:.3f}", "< 0.20", p["pit_ks"] < 0.20),
        (
            "mean expected yards",
            f"{p['expected_mean_yd']:.2f} vs {result['actual_mean_yd']:.2f}",
            "within 2",
            abs(p["expected_mean_yd"] - result["actual_mean_yd"]) <= 2.0,
        ),
        ("mean percentile (execution)", f"{e['mean_percentile']:.3f}", "", None),
        ("PIT KS (execution)", f"{e['pit_ks']:.3f}", "", None),
    ]
    print(f"\nreal 2018 game, tracking only: {result['plays']} scored attempts")
    for name, value, target, ok in rows:
        verdict = "" if ok is None else ("ok" if ok else "MISS")
        print(f"{name:30s} {value:>16s} {target:>10s} {verdict:>5s}")


def print_applicability(real_lake: str, version_dir: Path, training_lake: str) -> None:
    """The real game's shift from the version's profile, and from the profile of the old training (no
    situation masking, all 22 players tracked: the same season's BDB 2023 games)."""
    real = load_feature_arrays(real_lake, inputs="passing").plays
    plays = load_feature_arrays(training_lake, inputs="passing").plays
    all_tracked = plays.filter(pl.sum_horizontal("tracked_offense_players", "tracked_defense_players") >= 20)
    for name, profile in (
        ("this version (masked, vintage mix)", read_profile(version_dir)),
        ("old training (no masking, all 22)", training_profile(all_tracked, mask_share=0.0)),
    ):
        shift = applicability(profile, real)
        print(
            f"applicability, {name:36s} shift {shift.shift:.3f} -> {shift.verdict} "
            f"(warn > {shift.warn_limit:.2f}, fail > {shift.fail_limit:.2f})"
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None)
    parser.add_argument("--distances-only", action="store_true")
    parser.add_argument("--compare-games", type=int, default=32, help="games of the comparison season")
    parser.add_argument("--weeks", default="1-17")
    parser.add_argument("--games-per-week", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--epochs", type=int, default=60)
    parser.add_argument("--no-refit", action="store_true", help="skip the refit on train + validation")
    parser.add_argument("--model", type=Path, default=None, help="score with this version instead")
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qb-bench-real-"))
    work.mkdir(parents=True, exist_ok=True)
    started = time.perf_counter()
    real = ingest_real_game(work)
    per_week = min(args.compare_games, 16)
    compare = generated_lake(
        work,
        "compare",
        weeks=range(1, max(1, args.compare_games // per_week) + 1),
        games_per_week=per_week,
        seed=args.seed + 1000,
        vintage_mix={"bdb2021": 1.0},
    )
    print_distances(feature_distances(real, compare))
    if args.distances_only:
        return
    training = generated_lake(
        work,
        "training",
        weeks=parse_int_ranges(args.weeks),
        games_per_week=args.games_per_week,
        seed=args.seed,
        vintage_mix=TRAINING_VINTAGE_MIX,
    )
    version_dir = args.model or Path(
        train_model(
            training,
            work / "models",
            progress=print,
            epochs=args.epochs,
            seed=args.seed,
            refit=not args.no_refit,
        )["model_dir"]
    )
    print_calibration(calibration(real, version_dir))
    print_applicability(real, version_dir, training)
    print(json.dumps({"model_dir": str(version_dir), "seconds": round(time.perf_counter() - started, 1)}))


if __name__ == "__main__":
    main()
