"""Every kind of bad input, on small modified copies of the real game: the play is quarantined with a
clear reason, nothing is lost (plays in = accepted + quarantined), and the CLI never shows a traceback."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from tests.conftest import qb_score, write_csv

ROW = pl.int_range(pl.len())


def _edit(
    frame: pl.DataFrame, play: int, column: str, value: str | None, where: pl.Expr | None = None
) -> pl.DataFrame:
    """Set ``column`` to ``value`` on the rows of ``play`` selected by ``where`` (default: all)."""
    mask = pl.col("playId") == str(play)
    if where is not None:
        mask = mask & where
    return frame.with_columns(
        pl.when(mask).then(pl.lit(value, dtype=pl.String)).otherwise(pl.col(column)).alias(column)
    )


def _first_row(play: int, nfl_id: str = "2495469", frame: str = "20") -> pl.Expr:
    return (pl.col("nflId") == nfl_id) & (pl.col("frameId") == frame) & (pl.col("playId") == str(play))


BAD_INPUTS = {
    # reason: (play, how to break it)
    "unparseable_value": (
        83,
        lambda f: _edit(f, 83, "x", "12,5yd", (pl.col("frameId") == "20") & (pl.col("nflId") == "2557870")),
    ),
    "conflicting_duplicate_frames": (
        136,
        lambda f: pl.concat([f, f.filter(_first_row(136)).with_columns(pl.lit("60.0").alias("x"))]),
    ),
    "null_position": (183, lambda f: _edit(f, 183, "y", None, _first_row(183))),
    "off_field": (208, lambda f: _edit(f, 208, "x", "200.5", _first_row(208))),
    "non_monotone_frames": (
        347,
        lambda f: f.filter(
            ~((pl.col("playId") == "347") & (pl.col("frameId") == "30") & (pl.col("nflId") == "2543614"))
        ),
    ),
    "inconsistent_events": (
        394,
        lambda f: _edit(
            f, 394, "event", "pass_arrived", (pl.col("frameId") == "37") & (pl.col("team") == "home")
        ),
    ),
    "no_snap": (576, lambda f: _edit(f, 576, "event", "None", pl.col("event") == "ball_snap")),
    "release_missing": (651, lambda f: _edit(f, 651, "event", "None", pl.col("event") == "pass_forward")),
    "too_few_players": (
        703,
        lambda f: f.filter(
            ~((pl.col("playId") == "703") & (pl.col("team") == "away") & (pl.col("position") != "QB"))
        ),
    ),
}


@pytest.fixture(scope="module")
def broken_lake(real_game: pl.DataFrame, tmp_path_factory: pytest.TempPathFactory) -> tuple[dict, Path, Path]:
    frame = real_game
    for _, (_, breaker) in BAD_INPUTS.items():
        frame = breaker(frame)
    # Identical duplicate rows are dropped and counted, not quarantined.
    duplicates = frame.filter(pl.col("playId") == "728").head(50)
    frame = pl.concat([frame, duplicates])
    root = tmp_path_factory.mktemp("broken")
    source = write_csv(frame, root / "source" / "week14.csv").parent
    return ingest_source(source, root / "lake"), root / "lake", source


def test_counts_are_conserved(broken_lake) -> None:
    summary, lake, _ = broken_lake
    assert summary["plays_in"] == 73
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"]
    assert (
        summary["rows_in"]
        == summary["rows_accepted"] + summary["rows_quarantined"] + summary["duplicate_rows_dropped"]
    )
    assert summary["duplicate_rows_dropped"] == 50
    plays = lake_io.scan_table(lake, "plays").collect()
    assert 728 in plays["play_id"].to_list()  # its duplicates were dropped, the play kept
    # The 9 broken plays plus the real game's own defenders-only play 1343.
    assert summary["plays_quarantined"] == len(BAD_INPUTS) + 1


@pytest.mark.parametrize("reason", sorted(BAD_INPUTS))
def test_each_bad_input_is_quarantined_with_its_reason(broken_lake, reason: str) -> None:
    summary, lake, source = broken_lake
    play, _ = BAD_INPUTS[reason]
    quarantine = lake_io.scan_table(lake, "quarantine").collect().filter(pl.col("play_id") == play)
    assert quarantine["reason"].to_list() == [reason]
    detail = quarantine["detail"].item()
    assert str(source / "week14.csv") in detail
    assert "column" in detail or "nflId" in detail or "line" in detail
    # The real game's own play 1343 (defenders only) is a second too_few_players.
    assert summary["quarantine_reasons"][reason] == (2 if reason == "too_few_players" else 1)


def test_details_name_line_and_column(broken_lake, real_game: pl.DataFrame) -> None:
    _, lake, _ = broken_lake
    quarantine = lake_io.scan_table(lake, "quarantine").collect()
    detail = quarantine.filter(pl.col("reason") == "unparseable_value")["detail"].item()
    line = (
        real_game.with_row_index("i", offset=2)
        .filter((pl.col("playId") == "83") & (pl.col("frameId") == "20") & (pl.col("nflId") == "2557870"))[
            "i"
        ]
        .item()
    )
    assert f"line {line}" in detail and "column x" in detail and "'12,5yd'" in detail
    off = quarantine.filter(pl.col("reason") == "off_field")["detail"].item()
    assert "x=200.5" in off and "nflId 2495469" in off


def test_unparseable_ids_are_quarantined_not_lost(real_game: pl.DataFrame, tmp_path: Path) -> None:
    frame = real_game.with_columns(
        pl.when(ROW < 3).then(pl.lit("20181206xx")).otherwise(pl.col("gameId")).alias("gameId")
    )
    source = write_csv(frame, tmp_path / "source" / "week14.csv").parent
    summary = ingest_source(source, tmp_path / "lake")
    assert (
        summary["rows_in"]
        == summary["rows_accepted"] + summary["rows_quarantined"] + summary["duplicate_rows_dropped"]
    )
    quarantine = lake_io.scan_table(tmp_path / "lake", "quarantine").collect()
    unidentified = quarantine.filter(pl.col("play_id").is_null())
    assert unidentified["reason"].to_list() == ["unparseable_value"]
    assert "3 rows with an unparseable gameId/playId, first at line 2" in unidentified["detail"].item()


def test_cli_prints_summary_without_tracebacks(broken_lake, tmp_path: Path) -> None:
    _, _, source = broken_lake
    result = qb_score("ingest", str(source), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 0, result.stderr
    assert "Traceback" not in result.stderr
    summary = json.loads(result.stdout)
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"] == 73
    assert set(summary["quarantine_reasons"]) == {*BAD_INPUTS, "too_few_players"}


def test_cli_missing_folder_is_one_line(tmp_path: Path) -> None:
    result = qb_score("ingest", str(tmp_path / "nowhere"), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 1
    assert result.stderr.strip().count("\n") == 0
    assert "nowhere" in result.stderr and "does not exist" in result.stderr
