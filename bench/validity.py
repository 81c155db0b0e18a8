"""Score validity against the synthetic truth on a full season.

Runs on the work folder of ``bench.model_quality`` (a generated season, its lake and the model trained
on weeks 1-13), or builds it: scores every week, loads the DuckDB warehouse, then reports how the
starting QBs' season scores rank against their true skill (Spearman) and the split-half (odd vs even
weeks) reliability of the season score next to the NFL passer rating on the same plays.

    python -m bench.validity [--workdir DIR]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from qb_assets.scoring import score_lake
from qb_assets.validity import oracle_ceiling, validity_report
from qb_assets.warehouse import load_lake


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--workdir", type=Path, default=None, help="a bench.model_quality work folder")
    parser.add_argument("--season", type=int, default=2024)
    args = parser.parse_args()
    work = args.workdir or Path(tempfile.mkdtemp(prefix="qb-bench-validity-"))
    if not (work / "model" / "config.json").exists():
        subprocess.run([sys.executable, "-m", "bench.model_quality", "--workdir", str(work)], check=True)
    started = time.perf_counter()
    scored = score_lake(str(work / "lake"), work / "model")
    load_lake(str(work / "lake"), work / "warehouse.duckdb")
    report = validity_report(work / "warehouse.duckdb", work / "source" / "skills.parquet", args.season)
    ceiling = oracle_ceiling(work / "source" / "truth.parquet", work / "source" / "skills.parquet")
    elapsed_s = time.perf_counter() - started
    print(f"scored {scored['plays_scored']:,} plays and loaded the warehouse in {elapsed_s:.0f} s")
    print("\n| measure | passing score | NFL passer rating | target |\n|---|---:|---:|---|")
    print(
        f"| Spearman with true skill ({report['starters_ranked']} starters) | "
        f"{report['spearman_score_vs_true_skill']:.3f} | "
        f"{report['spearman_passer_rating_vs_true_skill']:.3f} | score >= 0.8 |"
    )
    print(f"| Spearman of the oracle's percentile score (the ceiling for any model) | {ceiling:.3f} | | |")
    print(
        f"| split-half reliability, odd vs even weeks ({report['qbs_in_both_halves']} QBs, "
        f"{report['mean_attempts_per_half']:.0f} attempts a half) | {report['split_half_score']:.3f} | "
        f"{report['split_half_passer_rating']:.3f} | score > passer rating |"
    )


if __name__ == "__main__":
    main()
