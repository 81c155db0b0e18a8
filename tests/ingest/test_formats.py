"""Layout detection and reading for every Big Data Bowl vintage, on the real game rewritten in each."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.formats import LAYOUTS, LayoutError, detect_layout
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from tests.conftest import qb_score
from tests.layouts import as_layout, write_layout

COMPARED = [
    "play_id",
    "pass_result",
    "passer_nfl_id",
    "target_nfl_id",
    "snap_frame_id",
    "release_frame_id",
    "time_to_throw_s",
    "play_direction",
]


@pytest.fixture(scope="module")
def reference_plays(real_game: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> pl.DataFrame:
    root = tmp_path_factory.mktemp("reference")
    ingest_source(write_layout(real_game, "bdb2021", root / "src"), root / "lake")
    return lake_io.scan_table(root / "lake", "plays").collect()


@pytest.mark.parametrize("layout", sorted(LAYOUTS))
def test_detects_each_layout(real_game: pl.DataFrame, layout: str) -> None:
    _, frame = as_layout(real_game.head(100), layout)
    assert detect_layout(frame.columns, "file.csv").name == layout


@pytest.mark.parametrize("layout", ["bdb2019", "bdb2023", "bdb2024", "bdb2025"])
def test_each_layout_ingests_to_the_same_plays(
    real_game: pl.DataFrame, reference_plays: pl.DataFrame, tmp_path: Path, layout: str
) -> None:
    summary = ingest_source(write_layout(real_game, layout, tmp_path / "src"), tmp_path / "lake")
    assert summary["layouts"] == [layout]
    assert lake_io.list_partitions(tmp_path / "lake", "plays") == [(2018, 14)]
    plays = lake_io.scan_table(tmp_path / "lake", "plays").collect()
    assert plays.select(COMPARED).equals(reference_plays.select(COMPARED))
    assert (plays["yards_gained_tracking"] - reference_plays["yards_gained_tracking"]).abs().max() < 1e-6
    if layout != "bdb2019":
        assert set(plays["possession_team"]) == {"TEN", "JAX"}
    tracking = lake_io.scan_table(tmp_path / "lake", "tracking").collect()
    assert tracking["o"].is_null().all() == (layout == "bdb2019")  # BDB 2019 has no orientation


def test_bdb2019_direction_is_inferred_like_the_recorded_one(
    real_game: pl.DataFrame, reference_plays, tmp_path
) -> None:
    ingest_source(write_layout(real_game, "bdb2019", tmp_path / "src"), tmp_path / "lake")
    plays = lake_io.scan_table(tmp_path / "lake", "plays").collect()
    assert plays["play_direction"].equals(reference_plays["play_direction"])
    los = (plays["line_of_scrimmage_x"] - reference_plays["line_of_scrimmage_x"]).abs().max()
    assert los < 1e-9


def test_forced_layout_must_match(real_game: pl.DataFrame) -> None:
    with pytest.raises(LayoutError, match=r"not a bdb2019 tracking file, missing columns: frame\.id"):
        detect_layout(real_game.columns, "week14.csv", forced="bdb2019")
    assert detect_layout(real_game.columns, "week14.csv", forced="bdb2021").name == "bdb2021"


def test_unknown_layout_exits_2_naming_missing_columns(real_game: pl.DataFrame, tmp_path: Path) -> None:
    src = tmp_path / "src"
    src.mkdir()
    real_game.head(50).drop("x", "dir").write_csv(src / "week14.csv")
    result = qb_score("ingest", str(src), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert "\n" not in line and "week14.csv" in line and "unknown tracking layout" in line
    assert "dir, x" in line


def test_forced_format_mismatch_exits_2(real_game: pl.DataFrame, tmp_path: Path) -> None:
    src = write_layout(real_game.head(50), "bdb2021", tmp_path / "src")
    result = qb_score("ingest", str(src), "--lake", str(tmp_path / "lake"), "--format", "bdb2025")
    assert result.returncode == 2
    assert "missing columns: frameType" in result.stderr


def test_tables_give_situation_offense_and_week(
    real_game: pl.DataFrame, real_pbp: pl.DataFrame, tmp_path: Path
) -> None:
    """A folder with games/plays tables: the games table's week wins over the file name, the plays table
    gives the possession team, situation and official yards."""
    src = tmp_path / "src"
    _, frame = as_layout(real_game, "bdb2023")
    src.mkdir()
    frame.write_csv(src / "week3.csv")  # a wrong week in the name: the games table says 14
    pl.DataFrame(
        {
            "gameId": [2018120600],
            "season": [2018],
            "week": [14],
            "gameDate": ["12/06/2018"],
            "homeTeamAbbr": ["TEN"],
            "visitorTeamAbbr": ["JAX"],
        }
    ).write_csv(src / "games.csv")
    side = (
        pl.when(pl.col("yardline_100") > 50)
        .then(pl.col("posteam"))
        .otherwise(pl.when(pl.col("posteam") == "TEN").then(pl.lit("JAX")).otherwise(pl.lit("TEN")))
    )
    tracked = real_game["playId"].cast(pl.Int64).unique()
    plays = real_pbp.filter(pl.col("play_id").is_in(tracked.implode())).select(
        pl.col("game_id").alias("gameId"),
        pl.col("play_id").alias("playId"),
        pl.col("qtr").cast(pl.Int32).alias("quarter"),
        pl.col("down").cast(pl.Int32).alias("down"),
        pl.col("ydstogo").cast(pl.Int32).alias("yardsToGo"),
        pl.col("posteam").alias("possessionTeam"),
        pl.when(pl.col("posteam") == "TEN")
        .then(pl.lit("JAX"))
        .otherwise(pl.lit("TEN"))
        .alias("defensiveTeam"),
        side.alias("yardlineSide"),
        pl.when(pl.col("yardline_100") > 50)
        .then(100 - pl.col("yardline_100"))
        .otherwise(pl.col("yardline_100"))
        .cast(pl.Int32)
        .alias("yardlineNumber"),
        pl.col("desc").str.extract(r"^\((\d*:\d\d)\)").alias("gameClock"),
        pl.lit(7).alias("preSnapHomeScore"),
        pl.lit(3).alias("preSnapVisitorScore"),
        pl.col("pbp_result").alias("passResult"),
        pl.col("yards_gained").cast(pl.Int32).alias("prePenaltyPlayResult"),
    )
    plays.write_csv(src / "plays.csv")
    summary = ingest_source(src, tmp_path / "lake")
    assert [(p["season"], p["week"]) for p in summary["partitions"]] == [(2018, 14)]
    table = lake_io.scan_table(tmp_path / "lake", "plays").collect().join(real_pbp, on=["game_id", "play_id"])
    assert (table["possession_team"] == table["posteam"]).all()
    assert (table["down"] == table["down_right"].cast(pl.Int32)).all()
    assert (table["yards_to_endzone"] == table["yardline_100"]).all()
    completions = table.filter(pl.col("pass_result") == "C")
    assert (completions["yards_source"] == "plays_table").all()
    assert (completions["yards_gained"] == completions["yards_gained_right"]).all()
    home = table.filter(pl.col("possession_team") == "TEN")
    assert (home["score_difference"] == 4).all() and (
        table.filter(pl.col("possession_team") == "JAX")["score_difference"] == -4
    ).all()
    first = table.filter(pl.col("play_id") == 83)
    assert (
        first["game_clock_s"].item() == 14 * 60 + 19
        and first["half_seconds_remaining"].item() == 900 + 14 * 60 + 19
    )
