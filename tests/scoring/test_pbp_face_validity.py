"""Face validity on the real 2017-2019 play-by-play: every passer with 300+ attempts in a season has a
season score, and the scores rank passers about as EPA per play does (Spearman >= 0.6).

The model is trained small (one season, 2 epochs, no refit): the check is on the pipeline and the score's
definition, not on a tuned model."""

from __future__ import annotations

from pathlib import Path

import duckdb
import polars as pl
import pytest
from scipy import stats

from qb_assets.ingest.pbp_ingest import ingest_pbp
from qb_assets.model.situation import train_situation_model
from qb_assets.scoring.situation import score_situation_lake
from qb_assets.scoring.validity import PASSER_IN_DESCRIPTION
from qb_assets.warehouse.load import load_lake

MIN_ATTEMPTS = 300


@pytest.fixture(scope="module")
def warehouse(real_dir: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("face_validity")
    lake, path = str(root / "lake"), root / "warehouse.duckdb"
    ingest_pbp(real_dir / "nflfastr_pbp_2017_2019.parquet", lake)
    version = train_situation_model(lake, root / "models", [2018], epochs=2, refit=False)["model_dir"]
    score_situation_lake(lake, version)
    load_lake(lake, path)
    return path


def test_every_passer_with_300_attempts_has_a_season_score(real_dir: Path, warehouse: Path) -> None:
    # Counted from the file with the validity module's own passer pattern, not the ingest's.
    plays = pl.read_parquet(real_dir / "nflfastr_pbp_2017_2019.parquet").filter(
        pl.col("play_type_nfl") == "PASS"
    )
    counted = (
        plays.with_columns(pl.col("desc").str.extract(PASSER_IN_DESCRIPTION, 1).alias("passer"))
        .filter(pl.col("passer").is_not_null())
        .group_by("season", "passer")
        .len()
        .filter(pl.col("len") >= MIN_ATTEMPTS)
    )
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        scored = pl.DataFrame(
            con.execute(
                "SELECT season, display_name AS passer, attempts, passing_score FROM qb_season_scores "
                "WHERE passing_score IS NOT NULL"
            ).fetchall(),
            schema=["season", "passer", "attempts", "passing_score"],
            orient="row",
        ).with_columns(pl.col("season").cast(pl.Int32))
    finally:
        con.close()
    assert counted.height >= 80  # 86 passer-seasons in 2017-2019
    missing = counted.join(scored, on=["season", "passer"], how="anti")
    assert missing.is_empty(), missing
    both = counted.join(scored, on=["season", "passer"])
    assert (both["attempts"] >= both["len"] - 5).all()  # spikes aside, the same attempts


def test_the_season_score_ranks_passers_like_epa_per_play(warehouse: Path) -> None:
    con = duckdb.connect(str(warehouse), read_only=True)
    try:
        rows = con.execute(
            "SELECT passing_score, epa_per_play, nfl_passer_rating FROM qb_season_scores WHERE attempts >= ?",
            [MIN_ATTEMPTS],
        ).fetchall()
    finally:
        con.close()
    score, epa, rating = (list(column) for column in zip(*rows, strict=True))
    assert len(rows) >= 80
    assert stats.spearmanr(score, epa)[0] >= 0.6
    assert stats.spearmanr(score, rating)[0] >= 0.6
