"""The situation-only model on real play-by-play, through the same commands: train --mode situation,
score, the warehouse's views with source, in-sample flags and null execution components."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import polars as pl
import pytest

from ml.errors import ArtifactError
from qb_assets.features.situation import situation_attempts
from qb_assets.io import lake as lake_io
from qb_assets.scoring.score import partition_predictions
from qb_assets.scoring.situation import situation_scores
from qb_assets.warehouse.load import load_partition
from tests.conftest import qb_score

TRAIN_SEASON, OTHER_SEASON = 2017, 2018
TRAIN_OPTIONS = ("--train-seasons", str(TRAIN_SEASON), "--epochs", "2", "--no-refit")


@pytest.fixture(scope="module")
def scored(real_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> dict:
    """Weeks 1-3 of 2017 and 2018 ingested, a situation model fitted on 2017 (2 epochs), every week
    scored and loaded, all through the command line."""
    root = tmp_path_factory.mktemp("situation")
    source = root / "pbp.parquet"
    pl.read_parquet(real_dir / "nflfastr_pbp_2017_2019.parquet").filter(
        pl.col("season").is_in([TRAIN_SEASON, OTHER_SEASON]) & (pl.col("week") <= 3)
    ).write_parquet(source)
    lake, models, warehouse = root / "lake", root / "models", root / "warehouse.duckdb"
    steps = [
        ("ingest", str(source), "--lake", str(lake)),
        ("train", "--lake", str(lake), "--model", str(models), "--mode", "situation", *TRAIN_OPTIONS),
    ]
    outputs = []
    for step in steps:
        result = qb_score(*step)
        assert result.returncode == 0, result.stderr
        outputs.append(json.loads(result.stdout))
    version = outputs[1]["model_dir"]
    result = qb_score("score", "--lake", str(lake), "--model", version, "--warehouse", str(warehouse))
    assert result.returncode == 0, result.stderr
    return {"lake": str(lake), "version": Path(version), "warehouse": warehouse, "train": outputs[1]}


def query(warehouse: Path, sql: str) -> list[dict]:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        cursor = con.execute(sql)
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
    finally:
        con.close()


def test_the_artifact_says_its_mode_and_split_by_season(scored: dict) -> None:
    record = json.loads((scored["version"] / "config.json").read_text())
    assert record["data"]["mode"] == "situation"
    assert record["data"]["fitted_seasons"] == [TRAIN_SEASON]
    assert "air_yards" not in record["data"]["tabular_columns"]
    split = pl.read_parquet(scored["version"] / "split.parquet").with_columns(
        (pl.col("game_id") // 1_000_000).alias("year")
    )
    assert set(split.filter(pl.col("year") == TRAIN_SEASON)["split"]) == {"train", "validation"}
    assert set(split.filter(pl.col("year") == OTHER_SEASON)["split"]) == {"test"}
    assert scored["train"]["split_plays"]["test"] > 0


def test_in_sample_seasons_are_flagged(scored: dict) -> None:
    scores = lake_io.scan_table(scored["lake"], "play_scores").collect()
    assert set(scores["source"]) == {"pbp"}
    by_season = scores.group_by("season").agg(
        pl.len(),
        pl.col("heldout").sum(),
        pl.col("out_of_sample").sum(),
        pl.col("execution_percentile").null_count(),
    )
    rows = {r["season"]: r for r in by_season.iter_rows(named=True)}
    assert rows[TRAIN_SEASON]["heldout"] == rows[TRAIN_SEASON]["out_of_sample"] == 0
    assert rows[OTHER_SEASON]["heldout"] == rows[OTHER_SEASON]["out_of_sample"] == rows[OTHER_SEASON]["len"]
    assert all(r["execution_percentile"] == r["len"] for r in rows.values())
    seasons = query(
        scored["warehouse"],
        "SELECT season, source, sum(attempts) AS attempts, sum(out_of_sample_attempts) AS out_of_sample "
        "FROM qb_season_scores GROUP BY ALL ORDER BY season",
    )
    assert seasons == [
        {"season": TRAIN_SEASON, "source": "pbp", "attempts": rows[TRAIN_SEASON]["len"], "out_of_sample": 0},
        {
            "season": OTHER_SEASON,
            "source": "pbp",
            "attempts": rows[OTHER_SEASON]["len"],
            "out_of_sample": rows[OTHER_SEASON]["len"],
        },
    ]


def test_the_passing_score_is_the_shrunk_mean_passing_percentile(scored: dict) -> None:
    rows = query(
        scored["warehouse"],
        "SELECT s.*, p.prior_attempts AS k, p.league_mean AS m FROM qb_season_scores AS s "
        "JOIN score_priors AS p ON p.season = s.season AND p.level = 'season' AND p.split = 'all' "
        "AND p.component = 'execution_residual'",
    )
    assert len(rows) > 40
    for row in rows:
        n, k = row["attempts"], row["k"]
        expected = (n * row["mean_passing_percentile"] + k * (0.5 + row["m"])) / (n + k)
        assert row["passing_score"] == pytest.approx(expected, abs=1e-12)
        assert row["decision_score"] is None and row["execution_score"] is None
        assert row["passing_score_low_90"] < row["passing_score"] < row["passing_score_high_90"]
        assert 50 <= row["score_50_99"] <= 99
    assert any(r["display_name"] == "T.Brady" for r in rows)


def test_splits_are_the_ones_play_by_play_supports(scored: dict) -> None:
    splits = query(scored["warehouse"], "SELECT DISTINCT split FROM qb_split_scores ORDER BY split")
    assert [r["split"] for r in splits] == ["deep", "red_zone", "short", "third_down"]


def test_a_season_holds_one_source(scored: dict, tmp_path: Path) -> None:
    warehouse = tmp_path / "copy.duckdb"
    warehouse.write_bytes(scored["warehouse"].read_bytes())
    week = lake_io.scan_table(scored["lake"], "play_scores", [(TRAIN_SEASON, 2)]).collect()
    with pytest.raises(ValueError, match=r"^season 2017 week 2: .*\['tracking'\].*a season holds one source"):
        load_partition(
            warehouse, TRAIN_SEASON, 2, {"play_scores": week.with_columns(source=pl.lit("tracking"))}
        )
    # The pbp week itself reloads (idempotent).
    load_partition(warehouse, TRAIN_SEASON, 2, {"play_scores": week})


def test_each_model_refuses_the_other_kind_of_features(
    scored: dict, small_season, trained_model: Path
) -> None:
    """A situation version cannot score tracking features, nor a tracking version play-by-play situations:
    the feature schema hashes differ, and the refusal names both, before anything is written."""
    _, tracking_lake = small_season
    with pytest.raises(ArtifactError, match="feature schema"):
        situation_scores(situation_attempts(scored["lake"], [(OTHER_SEASON, 1)]), trained_model)
    with pytest.raises(ArtifactError, match="feature schema"):
        partition_predictions(str(tracking_lake), scored["version"], (2024, 1))
    # Through the command line, a situation version given a tracking lake fails with one line.
    result = qb_score("score", "--lake", str(tracking_lake), "--model", str(scored["version"]))
    assert result.returncode == 1
    assert result.stderr.strip().splitlines()[-1].startswith("qb-score: error: ")
