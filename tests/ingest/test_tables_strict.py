"""No silent coercion in the plays, games and players tables, nor on the fast numeric tracking path:
a bad value quarantines its play with the file, line, column and value, or, when no play can own it,
stops the ingest with one line naming them; conflicting duplicate rows quarantine their play."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.aux_tables import AuxTables
from qb_assets.ingest.formats import NUMERIC_READ_TYPES
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.io.files import CSV_NULL_VALUES, SourceError
from qb_assets.io.sources import open_source
from tests.conftest import qb_score, write_csv
from tests.layouts import bdb2019_games_table, bdb2019_plays_table, write_layout

BAD_DOWN_PLAY, CONFLICTING_PLAY, DUPLICATED_PLAY, PENALTY_COMPLETION = 83, 136, 183, 347


def _set(table: pl.DataFrame, play: int, **values: str) -> pl.DataFrame:
    return table.with_columns(
        pl.when(pl.col("playId") == str(play)).then(pl.lit(v)).otherwise(pl.col(c)).alias(c)
        for c, v in values.items()
    )


def _line(table: pl.DataFrame, play: int) -> int:
    """The file line of ``play``'s first row (header = line 1)."""
    return table.with_row_index("i", offset=2).filter(pl.col("playId") == str(play))["i"][0]


@pytest.fixture(scope="module")
def broken_tables(
    real_game, real_pbp, real_dir, tmp_path_factory
) -> tuple[dict, pl.DataFrame, pl.DataFrame, Path]:
    """The real game (BDB 2019 layout) with a plays.csv holding a bad down, two different rows for one
    play, an identical duplicate row, and a completion whose PlayResult includes a 15-yard penalty."""
    root = tmp_path_factory.mktemp("strict")
    source = write_layout(real_game, "bdb2019", root / "src")
    bdb2019_games_table(real_dir).write_csv(source / "games.csv", null_value="NA")
    table = bdb2019_plays_table(real_pbp, real_dir)
    table = _set(table, BAD_DOWN_PLAY, down="2x")
    table = _set(table, PENALTY_COMPLETION, isPenalty="TRUE", PlayResult="25")
    original = table.filter(pl.col("playId") == str(CONFLICTING_PLAY))
    conflicting = _set(original, CONFLICTING_PLAY, PassResult="I")
    table = pl.concat([table, conflicting, table.filter(pl.col("playId") == str(DUPLICATED_PLAY))])
    table.write_csv(source / "plays.csv", null_value="NA")
    summary = ingest_source(source, root / "lake")
    plays = lake_io.scan_table(root / "lake", "plays").collect()
    quarantine = lake_io.scan_table(root / "lake", "quarantine").collect()
    return summary, plays, quarantine, table


def _quarantined(quarantine: pl.DataFrame, play: int) -> tuple[str, str]:
    row = quarantine.filter(pl.col("play_id") == play)
    assert row.height == 1, row
    return row["reason"].item(), row["detail"].item()


def test_a_bad_number_in_the_plays_table_quarantines_its_play(broken_tables) -> None:
    summary, plays, quarantine, table = broken_tables
    assert BAD_DOWN_PLAY not in plays["play_id"].to_list()
    reason, detail = _quarantined(quarantine, BAD_DOWN_PLAY)
    assert reason == "unparseable_value"
    line = _line(table, BAD_DOWN_PLAY)
    assert f"plays.csv line {line}: column down value '2x' is not a whole number" in detail
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"] == 73


def test_conflicting_plays_rows_quarantine_the_play_and_identical_ones_are_dropped(broken_tables) -> None:
    _, plays, quarantine, table = broken_tables
    reason, detail = _quarantined(quarantine, CONFLICTING_PLAY)
    assert reason == "conflicting_table_rows"
    lines = table.with_row_index("i", offset=2).filter(pl.col("playId") == str(CONFLICTING_PLAY))["i"]
    assert f"plays.csv lines {lines[0]}, {lines[1]}: 2 different rows for this play" in detail
    duplicated = plays.filter(pl.col("play_id") == DUPLICATED_PLAY)
    kept = duplicated.select("pass_result", "yards_source", "yards_gained").row(0)
    assert kept == ("C", "plays_table", 3.0)
    assert set(quarantine["reason"]) == {"unparseable_value", "conflicting_table_rows", "too_few_players"}


def test_penalty_inclusive_yards_are_not_the_label(broken_tables, real_pbp: pl.DataFrame) -> None:
    """BDB 2019's PlayResult includes penalty yards (docs/data.md 1.1, 1.7): on a penalty play the
    tracking measures the label instead."""
    _, plays, _, _ = broken_tables
    play = plays.filter(pl.col("play_id") == PENALTY_COMPLETION)
    official = real_pbp.filter(pl.col("play_id") == PENALTY_COMPLETION)["yards_gained"].item()
    assert play["yards_source"].item() == "tracking"
    assert play["yards_gained"].item() == official == 10


def test_pre_penalty_yards_win_over_net_yards(real_game, real_pbp, tmp_path: Path) -> None:
    """BDB 2025 has both yardsGained (penalties included) and prePenaltyYardsGained: the label is the
    latter."""
    source = write_layout(real_game, "bdb2025", tmp_path / "src")
    pbp = real_pbp.filter(pl.col("play_id").is_in(real_game["playId"].cast(pl.Int64).unique().implode()))
    pbp.select(
        pl.col("game_id").alias("gameId"),
        pl.col("play_id").alias("playId"),
        pl.col("posteam").alias("possessionTeam"),
        pl.col("pbp_result").alias("passResult"),
        (pl.col("yards_gained") + 15).cast(pl.Int64).alias("yardsGained"),
        pl.col("yards_gained").cast(pl.Int64).alias("prePenaltyYardsGained"),
    ).write_csv(source / "plays.csv")
    ingest_source(source, tmp_path / "lake")
    plays = lake_io.scan_table(tmp_path / "lake", "plays").collect().join(pbp, on=["game_id", "play_id"])
    completions = plays.filter(pl.col("pass_result") == "C")
    assert completions.height > 40 and (completions["yards_source"] == "plays_table").all()
    assert (completions["yards_gained"] == completions["yards_gained_right"]).all()


@pytest.mark.parametrize(("column", "value"), [("nflId", "2557870.5"), ("frameId", "20.5"), ("nflId", "NaN")])
def test_non_integer_ids_on_the_fast_numeric_path_are_quarantined(
    real_game: pl.DataFrame, tmp_path: Path, column: str, value: str
) -> None:
    row = (pl.col("playId") == "83") & (pl.col("frameId") == "20") & (pl.col("nflId") == "2557870")
    frame = real_game.with_columns(pl.when(row).then(pl.lit(value)).otherwise(pl.col(column)).alias(column))
    path = write_csv(frame, tmp_path / "src" / "week14.csv")
    # The file reads as numbers (the fast path): nothing falls back to the text re-read.
    typed = pl.read_csv(
        path, infer_schema=False, schema_overrides=NUMERIC_READ_TYPES, null_values=CSV_NULL_VALUES
    )
    assert typed.schema[column] == pl.Float64
    summary = ingest_source(path.parent, tmp_path / "lake")
    quarantine = lake_io.scan_table(tmp_path / "lake", "quarantine").collect()
    reason, detail = _quarantined(quarantine, 83)
    line = real_game.with_row_index("i", offset=2).filter(row)["i"].item()
    assert reason == "unparseable_value"
    assert f"week14.csv line {line}: column {column} value '{value}' is not a whole number" in detail
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"] == 73


def test_a_non_integer_game_id_on_the_fast_path_is_named(real_game: pl.DataFrame, tmp_path: Path) -> None:
    frame = real_game.with_columns(
        pl.when(pl.int_range(pl.len()) == 4).then(pl.lit("2018120600.5")).otherwise("gameId").alias("gameId")
    )
    path = write_csv(frame, tmp_path / "src" / "week14.csv")
    summary = ingest_source(path.parent, tmp_path / "lake")
    quarantine = lake_io.scan_table(tmp_path / "lake", "quarantine").collect()
    detail = quarantine.filter(pl.col("play_id").is_null())["detail"].item()
    assert "1 rows with an unparseable gameId/playId, first at line 6" in detail
    assert "line 6: column gameId value '2018120600.5' is not a whole number" in detail
    assert summary["rows_in"] == summary["rows_accepted"] + summary["rows_quarantined"]


def _aux(folder: Path) -> AuxTables:
    source = open_source(folder)
    return AuxTables.load(source, source.list_files())


@pytest.mark.parametrize(
    ("table", "column", "value"),
    [
        ("games.csv", "gameId", "2018120600x"),
        ("games.csv", "week", "fourteen"),
        ("players.csv", "nflId", "25524.66"),
    ],
)
def test_a_bad_value_no_play_owns_is_an_error_naming_it(
    real_dir: Path, tmp_path: Path, table: str, column: str, value: str
) -> None:
    frame = (
        bdb2019_games_table(real_dir)
        if table == "games.csv"
        else pl.DataFrame({"nflId": ["2552466", "2555387"], "displayName": ["M. Mariota", "C. Kessler"]})
    )
    frame = pl.concat([frame, frame.head(1).with_columns(pl.lit(value).alias(column))])
    write_csv(frame, tmp_path / "src" / table)
    with pytest.raises(SourceError) as error:
        _aux(tmp_path / "src")
    where = f"{tmp_path / 'src' / table} line {frame.height + 1}"
    assert str(error.value) == f"{where}: column {column} value '{value}' is not a whole number"


def test_conflicting_games_rows_are_an_error_and_identical_ones_are_dropped(
    real_dir: Path, tmp_path: Path
) -> None:
    games = bdb2019_games_table(real_dir)
    write_csv(pl.concat([games, games]), tmp_path / "same" / "games.csv")
    assert _aux(tmp_path / "same").games.height == 1
    other_week = games.with_columns(pl.lit("3").alias("week"))
    write_csv(pl.concat([games, other_week]), tmp_path / "src" / "games.csv")
    with pytest.raises(SourceError, match=r"games\.csv lines 2, 3: different rows for gameId 2018120600"):
        _aux(tmp_path / "src")


def test_cli_exits_1_on_a_bad_game_id(real_game: pl.DataFrame, real_dir: Path, tmp_path: Path) -> None:
    source = write_layout(real_game.head(200), "bdb2019", tmp_path / "src")
    bdb2019_games_table(real_dir).with_columns(pl.lit("2018-12-06").alias("gameId")).write_csv(
        source / "games.csv"
    )
    result = qb_score("ingest", str(source), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 1 and "Traceback" not in result.stderr
    line = result.stderr.strip()
    assert "\n" not in line
    assert "games.csv line 2: column gameId value '2018-12-06' is not a whole number" in line
