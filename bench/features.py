"""Feature engineering speed and memory: qb-score's Polars pipeline vs a straightforward pandas groupby.

Input: an ingested lake (``--lake``), or, by default, a season-sized one built here: the real 2018
game replicated to about 250 games (18 million tracking rows), ingested with ``qb-score ingest``.
qb-score builds every partition's features (tensors + derived columns, Parquet out); the baseline
computes the same derived features and tensors with a pandas ``groupby`` over plays on a subset of
plays (stated), and the ratio is per play. Peak RSS is read after the Polars run, before the baseline.

    python -m bench.features [--lake LAKE] [--games 250] [--pandas-plays 400]
"""

from __future__ import annotations

import argparse
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pandas as pd
import polars as pl

from bench.ingest import build_season
from qb_assets.features.schema import CHANNELS, MAX_FRAMES, SLOTS
from qb_assets.features.store import build_features
from qb_assets.ingest.schema import PASS_ATTEMPT_RESULTS
from qb_assets.io import lake as lake_io


def _pandas_play(play: pd.DataFrame, info: pd.Series) -> tuple[dict, np.ndarray]:
    """Derived features and the tensor of one play, the plain way."""
    release, snap, los = info["release_frame_id"], info["snap_frame_id"], info["line_of_scrimmage_x"]
    at_release = play[play["frame_id"] == release]
    qb = at_release[at_release["nfl_id"] == info["passer_nfl_id"]].iloc[0]
    target = at_release[at_release["nfl_id"] == info["target_nfl_id"]].iloc[0]
    defense = at_release[at_release["side"] == "defense"]
    to_target = np.hypot(defense["x"] - target["x"], defense["y"] - target["y"])
    to_qb = np.hypot(defense["x"] - qb["x"], defense["y"] - qb["y"])
    features = {
        "defenders_within_2yd_of_target_at_release": int((to_target <= 2).sum()),
        "target_separation_at_release_yd": float(to_target.min()),
        "qb_nearest_defender_at_release_yd": float(to_qb.min()),
        "pass_rushers": int((defense["x"] < los).sum()),
        "target_depth_at_release_yd": float(target["x"] - los),
    }
    first = max(snap, release - MAX_FRAMES + 1)
    at_snap = play[play["frame_id"] == snap]
    ball_y = at_snap[at_snap["side"] == "football"]["y"].iloc[0]
    qb_snap = at_snap[at_snap["nfl_id"] == info["passer_nfl_id"]].iloc[0]
    others = at_snap[
        (at_snap["side"] == "offense")
        & ~at_snap["nfl_id"].isin([info["passer_nfl_id"], info["target_nfl_id"]])
    ]
    order = [info["passer_nfl_id"], info["target_nfl_id"]]
    order += list(
        others.assign(d=np.hypot(others["x"] - qb_snap["x"], others["y"] - qb_snap["y"])).sort_values("d")[
            "nfl_id"
        ]
    )
    order += [None] * (11 - len(order))
    order += list(defense.assign(d=to_target).sort_values("d")["nfl_id"])
    tensor = np.zeros((MAX_FRAMES, len(SLOTS), len(CHANNELS)), dtype=np.float32)
    for t, (_, frame) in enumerate(
        play[(play["frame_id"] >= first) & (play["frame_id"] <= release)].groupby("frame_id")
    ):
        by_id = frame.set_index("nfl_id")
        for slot, nfl_id in enumerate(order[: len(SLOTS)]):
            if nfl_id is None or nfl_id not in by_id.index:
                continue
            r = by_id.loc[nfl_id]
            heading, facing = np.radians(r["dir"]), np.radians(r["o"])
            tensor[t, slot] = [
                r["x"] - los,
                r["y"] - ball_y,
                r["vx"],
                r["vy"],
                r["ax"],
                r["ay"],
                np.sin(heading),
                np.cos(heading),
                np.sin(facing),
                np.cos(facing),
            ]
    return features, tensor


def pandas_features(lake: str, max_plays: int) -> int:
    season, week = lake_io.list_partitions(lake, "plays")[0]
    tracking = lake_io.scan_table(lake, "tracking", [(season, week)]).collect().to_pandas()
    plays = lake_io.scan_table(lake, "plays", [(season, week)]).collect().to_pandas()
    plays = plays[plays["pass_result"].isin(PASS_ATTEMPT_RESULTS) & plays["target_nfl_id"].notna()].head(
        max_plays
    )
    info = plays.set_index(["game_id", "play_id"])
    done = 0
    for key, play in tracking.groupby(["game_id", "play_id"]):
        if key in info.index:
            _pandas_play(play, info.loc[key])
            done += 1
    return done


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lake", default=None, help="an ingested lake (default: build a season-sized one)")
    parser.add_argument("--games", type=int, default=250)
    parser.add_argument("--pandas-plays", type=int, default=400)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="qb-bench-features-"))
    lake = args.lake
    if lake is None:
        build_season(work / "source", args.games)
        lake = str(work / "lake")
        # In a child process, so the peak RSS below is the feature run's alone.
        subprocess.run(
            [sys.executable, "-m", "qb_assets.cli", "ingest", str(work / "source"), "--lake", lake],
            check=True,
            stdout=subprocess.DEVNULL,
        )
    rows = lake_io.scan_table(lake, "tracking").select(pl.len()).collect().item()  # lazy: a count, not a load

    started = time.perf_counter()
    summary = build_features(lake)
    polars_s = time.perf_counter() - started
    peak_rss_gb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024**2

    started = time.perf_counter()
    pandas_plays = pandas_features(lake, args.pandas_plays)
    pandas_s = time.perf_counter() - started

    polars_per_play_ms = 1000 * polars_s / summary["feature_rows"]
    pandas_per_play_ms = 1000 * pandas_s / pandas_plays
    print(
        f"\nlake: {rows:,} tracking rows, {summary['pass_attempts']:,} pass attempts, "
        f"{summary['partitions']} partitions"
    )
    print("| implementation | plays | seconds | ms/play | speed-up |")
    print("|---|---:|---:|---:|---:|")
    print(
        f"| pandas groupby (baseline, subset) | {pandas_plays:,} | {pandas_s:.1f} | "
        f"{pandas_per_play_ms:.2f} | 1.0 |"
    )
    print(
        f"| qb-score Polars features (whole season) | {summary['feature_rows']:,} | {polars_s:.1f} | "
        f"{polars_per_play_ms:.3f} | {pandas_per_play_ms / polars_per_play_ms:.1f} |"
    )
    print(f"\npeak RSS of the feature run: {peak_rss_gb:.2f} GB")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
