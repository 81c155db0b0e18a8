"""Play scores on a small synthetic season: every featurized attempt scored with valid percentiles and
quantiles, the explain picture, and the validity report against the generator's truth."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl

from qb_assets.io import lake as lake_io
from qb_assets.scoring.score import score_lake
from qb_assets.scoring.validity import validity_report
from qb_assets.synthetic.oracle import oracle_ceilings
from qb_assets.warehouse.load import load_lake
from tests.conftest import qb_score


def test_play_scores(small_season, trained_model: Path) -> None:
    _, lake = small_season
    summary = score_lake(str(lake), trained_model)
    scores = lake_io.scan_table(lake, "play_scores").collect()
    features = lake_io.scan_table(lake, "features").collect()
    assert summary["plays_scored"] == scores.height == features.height
    for column in ("passing_percentile", "execution_percentile"):
        assert scores[column].is_between(0.0, 1.0).all()
    assert scores["decision_value"].is_between(-0.5, 0.5).all()
    ordered = scores.select(
        (pl.col("q05") <= pl.col("q25"))
        & (pl.col("q25") <= pl.col("predicted_median"))
        & (pl.col("predicted_median") <= pl.col("q75"))
        & (pl.col("q75") <= pl.col("q95"))
    )
    assert ordered.to_series().all()
    assert scores["heldout"].to_list() == (scores["week"] == 3).to_list()
    record = json.loads((trained_model / "config.json").read_text())
    assert scores["model_version"].unique().to_list() == [record["model_version"]]
    # An incompletion's percentile is where 0 yards falls: below every completion of 1+ yards in the
    # same play's distribution, so incompletions score lower than completions on average.
    by_result = dict(scores.group_by("pass_result").agg(pl.col("passing_percentile").mean()).iter_rows())
    assert by_result["I"] < by_result["C"]
    # An interception scores 0 in both percentiles, whatever its return.
    intercepted = scores.filter(pl.col("pass_result") == "IN")
    assert intercepted.height and (intercepted["passing_percentile"] == 0).all()
    assert (intercepted["execution_percentile"] == 0).all()


def test_explain_draws_the_play(small_season, trained_model: Path, tmp_path: Path) -> None:
    _, lake = small_season
    game_id, play_id = (
        lake_io.scan_table(lake, "features").select("game_id", "play_id").head(1).collect().row(0)
    )
    out = tmp_path / "play.png"
    result = qb_score(
        "explain",
        str(game_id),
        str(play_id),
        "--lake",
        str(lake),
        "--model",
        str(trained_model),
        "--out",
        str(out),
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert out.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and out.stat().st_size > 10_000
    info = json.loads(result.stdout)
    assert 0.0 <= info["passing_percentile"] <= 1.0 and 0.0 <= info["execution_percentile"] <= 1.0
    assert -0.5 <= info["decision_value"] <= 0.5 and f"play {play_id}" in info["title"]


def test_validity_report_on_the_small_season(small_season, trained_model: Path, tmp_path: Path) -> None:
    source, lake = small_season
    score_lake(str(lake), trained_model)
    load_lake(str(lake), tmp_path / "warehouse.duckdb")
    report = validity_report(tmp_path / "warehouse.duckdb", source / "skills.parquet", 2024, min_attempts=40)
    assert report["starters_ranked"] >= 12 and report["qbs_in_both_halves"] >= 8
    # Three weeks are too few to rank QBs well, but better QBs must already score higher on average.
    assert report["spearman_score_vs_true_skill"] > 0.2
    for name in ("score", "passer_rating", "completion_pct", "yards_per_attempt"):
        assert -1.0 <= report[f"split_half_{name}"] <= 1.0
    # The truth's own percentile score is the ceiling: it must rank QBs better than chance.
    assert 0.0 < oracle_ceilings(source)["execution_realised"] <= 1.0
