"""Ingestion of the real 2018 game (Big Data Bowl 2021 layout) against nflfastR's official results."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pipeline import ingest_source
from qb_assets.ingest.schema import PLAY_SCHEMA, QUARANTINE_SCHEMA, TRACKING_SCHEMA
from qb_assets.io import lake as lake_io
from tests.conftest import REAL_GAME_ID


@pytest.fixture
def ingested(real_source: Path, tmp_path: Path) -> tuple[dict, Path]:
    lake = tmp_path / "lake"
    return ingest_source(real_source, lake), lake


def test_every_play_is_accounted_for(ingested, real_game: pl.DataFrame) -> None:
    summary, lake = ingested
    plays_in_file = real_game.select(pl.col("playId").n_unique()).item()
    assert summary["plays_in"] == plays_in_file == 73
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"]
    plays = lake_io.scan_table(lake, "plays").collect()
    quarantine = lake_io.scan_table(lake, "quarantine").collect()
    assert plays.height == summary["plays_accepted"]
    assert quarantine.height == summary["plays_quarantined"]
    ids = set(plays["play_id"]) | set(quarantine["play_id"])
    assert ids == set(real_game["playId"].cast(pl.Int64))
    # Play 1343 has only the 11 defenders tracked (docs/data.md section 1.2).
    assert quarantine.filter(pl.col("play_id") == 1343)["reason"].to_list() == ["too_few_players"]
    assert summary["rows_in"] == real_game.height
    assert (
        summary["rows_in"]
        == summary["rows_accepted"] + summary["rows_quarantined"] + summary["duplicate_rows_dropped"]
    )


def test_lake_tables_have_the_canonical_schemas(ingested) -> None:
    _, lake = ingested
    for table, schema in (
        ("tracking", TRACKING_SCHEMA),
        ("plays", PLAY_SCHEMA),
        ("quarantine", QUARANTINE_SCHEMA),
    ):
        frame = lake_io.scan_table(lake, table).collect()
        for column, dtype in schema.items():
            assert frame.schema[column] == dtype, (table, column)
        assert frame["season"].unique().to_list() == [2018]
        assert frame["week"].unique().to_list() == [14]


def test_pass_results_match_nflfastr_on_every_play(ingested, real_pbp: pl.DataFrame) -> None:
    _, lake = ingested
    plays = lake_io.scan_table(lake, "plays").collect()
    joined = plays.join(real_pbp, on=["game_id", "play_id"], how="left")
    assert joined["pbp_result"].null_count() == 0
    mismatched = joined.filter(pl.col("pass_result") != pl.col("pbp_result"))
    assert mismatched.height == 0, mismatched.select("play_id", "pass_result", "pbp_result", "desc")
    assert set(plays["pass_result"]) == {"C", "I", "IN", "S"}


def test_yards_within_one_yard_of_nflfastr_on_90_percent(ingested, real_pbp: pl.DataFrame) -> None:
    _, lake = ingested
    plays = lake_io.scan_table(lake, "plays").collect()
    # nflfastR records 0 for interceptions; our label is minus the return, measured from tracking.
    joined = plays.join(real_pbp, on=["game_id", "play_id"]).filter(pl.col("pass_result") != "IN")
    error = (joined["yards_gained_tracking"] - joined["yards_gained"].cast(pl.Float64)).abs()
    official = (joined["yards_gained_tracking"] - joined["yards_gained_right"]).abs()
    assert (official <= 1.0).mean() >= 0.90
    assert error.max() <= 0.5  # the label is the tracking value rounded, for a tracking-only source
    interception = plays.filter(pl.col("pass_result") == "IN")
    # Play 676: intercepted at the JAX 26 and returned to the JAX 40 (14 yards) per the official description.
    assert interception["yards_gained"].to_list() == [pytest.approx(-15.0, abs=1.5)]


def test_play_table_derivations(ingested) -> None:
    _, lake = ingested
    plays = lake_io.scan_table(lake, "plays").collect()
    attempts = plays.filter(pl.col("pass_result").is_in(["C", "I", "IN"]))
    expected_ttt = (attempts["release_frame_id"] - attempts["snap_frame_id"]) / 10
    assert (attempts["time_to_throw_s"] - expected_ttt).abs().max() < 1e-9
    assert (plays["snap_frame_id"] == 11).all()  # docs/data.md 1.2: ball_snap is frame 11 on all 73 plays
    # The appendix's targets: at least 64 of 67 throws have one (throwaways excepted).
    assert attempts["target_nfl_id"].is_not_null().sum() >= 63
    assert attempts["passer_nfl_id"].is_in([2552466, 2555387]).all()  # Mariota and Kessler
    sacks = plays.filter(pl.col("pass_result") == "S")
    assert sacks["release_frame_id"].null_count() == sacks.height == 5
    assert (plays["games_remaining"] == 17 - 14).all()
    assert plays.filter(pl.col("play_id") == 83)["air_yards"].item() == pytest.approx(5.9, abs=0.1)


def test_reingest_replaces_the_partition(real_source: Path, tmp_path: Path) -> None:
    lake = tmp_path / "lake"
    first = ingest_source(real_source, lake)
    before = {t: lake_io.scan_table(lake, t).collect() for t in ("tracking", "plays", "quarantine")}
    second = ingest_source(real_source, lake)
    first.pop("seconds"), second.pop("seconds")
    assert first == second
    for table, frame in before.items():
        again = lake_io.scan_table(lake, table).collect()
        assert again.equals(frame), table
        assert len(lake_io.partition_files(lake, table)) == 1
    assert not list(lake.rglob("*.tmp"))


def test_gzip_and_parquet_sources_match_csv(real_source: Path, tmp_path: Path) -> None:
    reference = ingest_source(real_source, tmp_path / "lake_csv")
    gz_source = tmp_path / "gz"
    gz_source.mkdir()
    with (
        (real_source / "week14.csv").open("rb") as raw,
        gzip.open(gz_source / "week14.csv.gz", "wb") as packed,
    ):
        shutil.copyfileobj(raw, packed)
    pq_source = tmp_path / "pq"
    pq_source.mkdir()
    pl.read_csv(real_source / "week14.csv", null_values=["NA", ""]).write_parquet(
        pq_source / "week14.parquet"
    )
    expected = lake_io.scan_table(tmp_path / "lake_csv", "plays").collect()
    for name, source in (("gz", gz_source), ("pq", pq_source)):
        summary = ingest_source(source, tmp_path / f"lake_{name}")
        assert summary["plays_accepted"] == reference["plays_accepted"]
        plays = lake_io.scan_table(tmp_path / f"lake_{name}", "plays").collect()
        assert plays.equals(expected), name


def test_game_id_gives_the_season(ingested) -> None:
    _, lake = ingested
    assert lake_io.list_partitions(lake, "plays") == [(2018, 14)]
    assert lake_io.scan_table(lake, "plays").collect()["game_id"].unique().to_list() == [REAL_GAME_ID]


def test_games_and_players_tables(ingested, real_game: pl.DataFrame) -> None:
    _, lake = ingested
    games = lake_io.scan_table(lake, "games").collect()
    assert games.select("game_id", "season", "week").rows() == [(REAL_GAME_ID, 2018, 14)]
    assert str(games["game_date"].item()) == "2018-12-06"
    players = lake_io.scan_table(lake, "players").collect()
    assert players.height == real_game["nflId"].drop_nulls().n_unique()
    mariota = players.filter(pl.col("nfl_id") == 2552466)
    assert mariota.select("display_name", "position").row(0) == ("Marcus Mariota", "QB")
