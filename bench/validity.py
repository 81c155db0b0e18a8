"""Score validity against the synthetic truth on a full season.

Runs on the work folder of ``bench.model_quality`` (a generated season, its lake and the model trained
on weeks 1-13), or builds it: scores every week, loads the DuckDB warehouse, then reports how the
starting QBs' season scores rank against their true skill (Spearman) and the split-half (odd vs even
weeks) reliability of the season score next to the NFL passer rating on the same plays.

The oracle rows say how well the truth itself ranks the QBs with the same outcomes (the ceiling for
any model) and with the outcome noise averaged away; ``--ceiling-seeds`` repeats the oracle rows on more
generated seasons (another league and schedule each), since 32 starters make one season's Spearman
noisy. With the real play-by-play present, the last table sets the synthetic league's split-half
reliability of completion % and yards per attempt beside the real NFL's (2017-2019).

    python -m bench.validity [--workdir DIR] [--ceiling-seeds 1-5] [--real-pbp FILE]
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench.ingest import REAL
from qb_assets.common.ranges import parse_int_ranges
from qb_assets.scoring.score import score_lake
from qb_assets.scoring.validity import real_split_half, validity_report
from qb_assets.synthetic.oracle import oracle_ceilings
from qb_assets.synthetic.season import generate_season
from qb_assets.warehouse.load import load_lake

DEFAULT_REAL_PBP = REAL / "nflfastr_pbp_2017_2019.parquet"


def ceilings_on_seeds(seeds: list[int], season: int) -> list[dict]:
    """Oracle ceilings on freshly generated full seasons, one per seed (only the truth is kept)."""
    rows = []
    for seed in seeds:
        work = Path(tempfile.mkdtemp(prefix=f"qb-bench-ceiling-{seed}-"))
        try:
            generate_season(work, season=season, weeks=range(1, 18), seed=seed)
            rows.append({"seed": seed, **oracle_ceilings(work / "truth.parquet", work / "skills.parquet")})
            print(f"seed {seed}: oracle Spearman {rows[-1]['realised']:.3f}", flush=True)
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None, help="a bench.model_quality work folder")
    parser.add_argument("--season", type=int, default=2024)
    parser.add_argument("--ceiling-seeds", default="", help="more generator seeds for the oracle rows")
    parser.add_argument("--real-pbp", type=Path, default=DEFAULT_REAL_PBP)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qb-bench-validity-"))
    if not (work / "model" / "config.json").exists():
        subprocess.run([sys.executable, "-m", "bench.model_quality", "--workdir", str(work)], check=True)
    started = time.perf_counter()
    scored = score_lake(str(work / "lake"), work / "model")
    load_lake(str(work / "lake"), work / "warehouse.duckdb")
    report = validity_report(work / "warehouse.duckdb", work / "source" / "skills.parquet", args.season)
    ceiling = oracle_ceilings(work / "source" / "truth.parquet", work / "source" / "skills.parquet")
    elapsed_s = time.perf_counter() - started
    print(f"scored {scored['plays_scored']:,} plays and loaded the warehouse in {elapsed_s:.0f} s")
    print("\n| measure | passing score | NFL passer rating | target |\n|---|---:|---:|---|")
    print(
        f"| Spearman with true skill ({report['starters_ranked']} starters) | "
        f"{report['spearman_score_vs_true_skill']:.3f} | "
        f"{report['spearman_passer_rating_vs_true_skill']:.3f} | score >= 0.8 |"
    )
    print(
        f"| split-half reliability, odd vs even weeks ({report['qbs_in_both_halves']} QBs, "
        f"{report['mean_attempts_per_half']:.0f} attempts a half) | {report['split_half_score']:.3f} | "
        f"{report['split_half_passer_rating']:.3f} | score > passer rating |"
    )
    more_seeds = parse_int_ranges(args.ceiling_seeds) if args.ceiling_seeds else []
    seeds = [{"seed": "this season", **ceiling}, *ceilings_on_seeds(more_seeds, args.season)]
    print(
        "\nThe oracle's percentile score (the truth's own CDF; no model ranks better with these outcomes)\n"
        "\n| generator seed | starters | attempts each | Spearman, realised | Spearman, noise-free "
        "| skill sd / noise sd | ratio to the 0.8 target |\n|---|---:|---:|---:|---:|---:|---:|"
    )
    for row in seeds:
        print(
            f"| {row['seed']} | {row['starters']} | {row['mean_attempts']:.0f} | {row['realised']:.3f} | "
            f"{row['noise_free']:.3f} | {row['skill_sd'] / row['noise_sd']:.2f} | "
            f"{row['realised'] / 0.8:.2f} |"
        )
    if len(seeds) > 1:
        mean = sum(r["realised"] for r in seeds) / len(seeds)
        print(f"| mean of {len(seeds)} | | | {mean:.3f} | | | {mean / 0.8:.2f} |")
    if args.real_pbp.exists():
        real = real_split_half(args.real_pbp)
        print(
            "\nSplit-half reliability (odd vs even weeks), synthetic starters vs real NFL passers\n"
            "\n| stat | synthetic | real 2017-2019 | ratio |\n|---|---:|---:|---:|"
        )
        for stat, name in (("completion_pct", "completion %"), ("yards_per_attempt", "yards per attempt")):
            synthetic, observed = report[f"split_half_{stat}"], real[f"split_half_{stat}"]
            print(f"| {name} | {synthetic:.3f} | {observed:.3f} | {synthetic / observed:.2f} |")
        print(
            f"| attempts a half | {report['mean_attempts_per_half']:.0f} | "
            f"{real['mean_attempts_per_half']:.0f} | |\n"
            f"| QB-seasons | {report['qbs_in_both_halves']} | {real['passer_seasons']} | |"
        )


if __name__ == "__main__":
    main()
