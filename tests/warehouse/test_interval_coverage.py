"""The 90% intervals of the season scores cover the truth: on generated seasons whose play scores come
from the oracle (the true distributions: what a perfect model would score), the starters' intervals of
``passing_score`` and ``execution_score`` in ``qb_season_scores`` contain their noise-free truth (the
mean expected percentile of their plays) in 85-95% of cases, pooled over four seasons: the sampling
part of the intervals, without the models' own error (a perfect model has none). Also the
validity report on the same warehouses: the oracle's season score ranks the starters by true skill."""

from __future__ import annotations

import multiprocessing
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import polars as pl
import pytest

from qb_assets.scoring.validity import validity_report
from qb_assets.synthetic.oracle import read_play_oracle, starters
from qb_assets.synthetic.season import generate_season
from qb_assets.warehouse import load as wh
from tests.warehouse.fabricated import ttt_bucket_expr
from tests.warehouse.reference import Z90

# Seeds no other test uses; 8 weeks x 16 games: about 240 attempts per starter.
SEEDS = (3101, 3102, 3103, 3104)
SEASON = 2024
WEEKS = range(1, 9)


def oracle_play_scores(folder: Path) -> pl.DataFrame:
    """play_scores rows of the generated season in ``folder``: the three per-play numbers from the
    oracle, the result and yards from the truth, the situation from the truth and the plays table."""
    oracle = read_play_oracle(folder)
    truth = pl.read_parquet(folder / "truth.parquet").select(
        "game_id",
        "play_id",
        "target_nfl_id",
        "air_yards",
        "yards_to_endzone",
        "time_to_throw_s",
        pl.col("n_def_2yd").alias("defenders_within_2yd_of_target_at_release"),
        pl.col("expected_yards_avg").alias("expected_yards"),
        (pl.col("pressure_yd") < 2.0).alias("under_pressure"),
    )
    plays = pl.read_csv(folder / "plays.csv").select(
        pl.col("gameId").alias("game_id"),
        pl.col("playId").alias("play_id"),
        pl.col("possessionTeam").alias("possession_team"),
        pl.col("defensiveTeam").alias("defensive_team"),
        pl.col("down").cast(pl.Int32),
        pl.col("yardsToGo").cast(pl.Int32).alias("yards_to_go"),
        pl.col("quarter").cast(pl.Int32),
    )
    return (
        oracle.join(truth, on=["game_id", "play_id"])
        .join(plays, on=["game_id", "play_id"])
        .with_columns(
            pl.lit(SEASON, dtype=pl.Int32).alias("season"),
            pl.col("week").cast(pl.Int32),
            pl.col("yards").cast(pl.Float64).alias("yards_gained"),
            (pl.col("air_yards") >= 20).alias("is_deep"),
            ttt_bucket_expr(pl.col("time_to_throw_s")).alias("time_to_throw_bucket"),
            ((pl.col("pass_result") == "C") & (pl.col("yards") >= pl.col("yards_to_endzone").round(0))).alias(
                "is_touchdown"
            ),
            (pl.col("week") >= 7).alias("heldout"),
            pl.lit("oracle").alias("model_version"),
        )
    )


def generated_season(seed: int, root: str) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(play_scores rows, starters' noise-free truths) of the season generated with ``seed``."""
    folder = Path(root) / f"season_{seed}"
    generate_season(folder, season=SEASON, weeks=WEEKS, games_per_week=16, seed=seed, with_tracking=False)
    scores = oracle_play_scores(folder)
    truth = (
        scores.group_by("passer_nfl_id")
        .agg(pl.col("expected_passing_percentile", "expected_execution_percentile").mean())
        .join(starters(folder / "skills.parquet"), left_on="passer_nfl_id", right_on="nfl_id")
    )
    return scores, truth


@pytest.fixture(scope="module")
def oracle_warehouses(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, Path, pl.DataFrame]]:
    """Per seed: (warehouse, skills.parquet, starters' truths). The seasons are generated two at a time
    (the generator is single-threaded) in fresh processes."""
    root = tmp_path_factory.mktemp("coverage")
    context = multiprocessing.get_context("spawn")  # no fork of a process with Polars' threads
    with ProcessPoolExecutor(max_workers=2, mp_context=context) as pool:
        seasons = list(pool.map(generated_season, SEEDS, [str(root)] * len(SEEDS)))
    built = []
    for seed, (scores, truth) in zip(SEEDS, seasons, strict=True):
        path = root / f"warehouse_{seed}.duckdb"
        for (week,), part in scores.partition_by("week", as_dict=True).items():
            wh.load_partition(path, SEASON, int(week), {"play_scores": part})
        built.append((path, root / f"season_{seed}" / "skills.parquet", truth))
    return built


def season_scores(path: Path) -> pl.DataFrame:
    """qb_season_scores with the half-width of each score's 90% interval from its sampling part alone
    (``passing_half``, ``execution_half``): the posterior variance without the models' own error, which
    an oracle's scores do not have."""
    con = wh.connect(path, read_only=True)
    try:
        scores = pl.from_arrow(con.sql("SELECT * FROM qb_season_scores").to_arrow_table())
        model_error = con.sql(
            "SELECT passing_model_error_variance(), execution_model_error_variance()"
        ).fetchone()
    finally:
        con.close()
    return scores.with_columns(
        (Z90 * (pl.col(f"{score}_score_variance") - error).sqrt()).alias(f"{score}_half")
        for score, error in zip(("passing", "execution"), model_error, strict=True)
    )


@pytest.mark.slow
def test_season_intervals_cover_the_truth(oracle_warehouses) -> None:
    covered = {"passing": [], "execution": []}
    for path, _skills, truth in oracle_warehouses:
        rows = season_scores(path).join(truth, on="passer_nfl_id")
        assert rows.height == truth.height == 32  # every starter scored
        for score in covered:
            distance = (pl.col(f"{score}_score") - pl.col(f"expected_{score}_percentile")).abs()
            covered[score] += rows.select(distance <= pl.col(f"{score}_half")).to_series().to_list()
    for score, inside in covered.items():
        print(f"{score}: {sum(inside)} of {len(inside)} starters' 90% intervals hold the truth")
        assert 0.85 <= sum(inside) / len(inside) <= 0.95, (score, sum(inside), len(inside))


@pytest.mark.slow
def test_validity_report_on_oracle_scores(oracle_warehouses) -> None:
    for path, skills, _truth in oracle_warehouses:
        report = validity_report(path, skills, SEASON, min_attempts=100)
        assert report["starters_ranked"] == 32 and report["qbs_in_both_halves"] >= 30
        # The oracle's passing score ranks the starters by true skill (about 0.8 at this length).
        assert report["spearman_score_vs_true_skill"] > 0.5
        assert -1.0 <= report["split_half_score"] <= 1.0
