"""Synthetic season generator throughput: plays/s and tracking rows/s for a full season.

Two baselines measured in the same run:
* the same generator on one week, so the season/week ratio shows whether it scales linearly;
* the tracking-row assembly (kinematics, raw-coordinate mirroring, one row per player per frame) done
  the straightforward way, a Python loop over plays, frames and players, against the vectorized
  `tracking_frame` on the same game's arrays (captured from a real generator call).

    python bench/generate.py [--weeks 1-17] [--games-per-week 16] [--seed 0] [--out DIR]
"""

from __future__ import annotations

import argparse
import math
import shutil
import tempfile
import time
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.synthetic import game as synthetic_game
from qb_assets.synthetic.league import build_league, build_schedule
from qb_assets.synthetic.post import EVENTS
from qb_assets.synthetic.season import generate_season
from qb_assets.synthetic.writer import tracking_frame


def parse_weeks(text: str) -> list[int]:
    if "-" in text:
        lo, hi = text.split("-")
        return list(range(int(lo), int(hi) + 1))
    return [int(w) for w in text.split(",")]


def capture_game_arrays(seed: int) -> tuple[tuple, dict]:
    """Run one game through the generator and capture the arguments of its tracking assembly."""
    captured: list = []
    original = synthetic_game.tracking_frame

    def spy(*args, **kwargs):
        captured.append((args, kwargs))
        return original(*args, **kwargs)

    synthetic_game.tracking_frame = spy
    try:
        league = build_league(np.random.default_rng(seed))
        game = build_schedule(2024, [1], 1, np.random.default_rng(seed)).row(0, named=True)
        synthetic_game.simulate_game(np.random.default_rng(seed), league, game)
    finally:
        synthetic_game.tracking_frame = original
    return captured[0]


def loop_tracking_rows(  # noqa: PLR0917 (mirrors tracking_frame's arguments)
    game_id, play_id, x, y, n_frames, events, right, nfl_id, jersey, club, start_ms
) -> list:
    """Baseline: the same rows built one by one in Python (no time formatting, no noise on `o`)."""
    rows = []
    n_plays, _, n_ent = x.shape
    for p in range(n_plays):
        for f in range(int(n_frames[p])):
            for e in range(n_ent):
                px, py = x[p, f, e], y[p, f, e]
                qx, qy = (x[p, f - 1, e], y[p, f - 1, e]) if f > 0 else (px, py)
                vx, vy = (px - qx) / 0.1, (py - qy) / 0.1
                s = math.hypot(vx, vy)
                heading = math.degrees(math.atan2(vx, vy)) % 360.0
                if not right[p]:
                    px, py, heading = 120.0 - px, 160.0 / 3.0 - py, (heading + 180.0) % 360.0
                ball = e == n_ent - 1
                rows.append(
                    (game_id, int(play_id[p]), None if ball else int(nfl_id[p, e]), f + 1,
                     int(start_ms[p]) + 100 * f, None if ball else int(jersey[p, e]), club[p, e],
                     "right" if right[p] else "left", px, py, s, 0.0, s * 0.1,
                     None if ball else heading, None if ball else heading, EVENTS[events[p, f]] or None)
                )  # fmt: skip
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weeks", default="1-17")
    parser.add_argument("--games-per-week", type=int, default=16)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--out", type=Path, default=None, help="keep the season here (default: a tmp dir)")
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="qb-bench-generate-"))
    out = args.out or work / "season"

    week = generate_season(work / "one_week", weeks=[1], games_per_week=args.games_per_week, seed=args.seed)
    season = generate_season(
        out, weeks=parse_weeks(args.weeks), games_per_week=args.games_per_week, seed=args.seed
    )
    size_gb = sum(p.stat().st_size for p in out.iterdir()) / 1e9

    call_args, call_kwargs = capture_game_arrays(args.seed)
    started = time.perf_counter()
    frame = tracking_frame(*call_args, **call_kwargs)
    vector_s = time.perf_counter() - started
    loop_args = call_args[:11]
    started = time.perf_counter()
    rows = loop_tracking_rows(*loop_args)
    pl.DataFrame(rows, orient="row", infer_schema_length=None)
    loop_s = time.perf_counter() - started
    assert len(rows) == frame.height

    print("| run | games | plays | tracking rows | seconds | plays/s | rows/s | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    base = week["plays"] / week["seconds"]
    for name, s in (("one week (baseline)", week), (f"season, weeks {args.weeks}", season)):
        rate = s["plays"] / s["seconds"]
        print(
            f"| {name} | {s['games']} | {s['plays']:,} | {s['tracking_rows']:,} | {s['seconds']:.1f} | "
            f"{rate:,.0f} | {s['tracking_rows'] / s['seconds']:,.0f} | {rate / base:.2f} |"
        )
    print(f"\nseason files: {size_gb:.2f} GB in {out}")
    print("\n| tracking-row assembly, one game | rows | seconds | rows/s | ratio |")
    print("|---|---:|---:|---:|---:|")
    print(f"| Python loop over plays x frames x players (baseline) | {len(rows):,} | {loop_s:.2f} | "
          f"{len(rows) / loop_s:,.0f} | 1.00 |")  # fmt: skip
    print(f"| vectorized `tracking_frame` | {frame.height:,} | {vector_s:.3f} | "
          f"{frame.height / vector_s:,.0f} | {loop_s / vector_s:.1f} |")  # fmt: skip
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
