"""What a user hands the ingest: tracking files found by their columns under any name, a single file,
a file of no known layout, a file cut mid-line, a run that accepts nothing, a NaN coordinate."""

from __future__ import annotations

import gzip
import shutil
from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pipeline import ingest_source, plan_source
from qb_assets.io import lake as lake_io
from qb_assets.io.files import SourceError
from tests.conftest import REAL_GAME_FILE, qb_score, write_csv


def test_a_tracking_file_is_found_by_its_columns_under_any_name(real_dir: Path, tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    shutil.copyfile(real_dir / REAL_GAME_FILE, source / REAL_GAME_FILE)  # the sample under its own name
    pl.DataFrame({"note": ["not tracking"]}).write_csv(source / "notes.csv")
    summary = ingest_source(source, tmp_path / "lake")
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"] == 73
    assert summary["layouts"] == ["bdb2021"]
    assert [(p["season"], p["week"]) for p in summary["partitions"]] == [(2018, 14)]
    assert summary["files_ignored"] == [str(source / "notes.csv")]


def test_a_single_file_is_a_source(real_dir: Path, tmp_path: Path) -> None:
    file = tmp_path / REAL_GAME_FILE
    shutil.copyfile(real_dir / REAL_GAME_FILE, file)
    result = qb_score("ingest", str(file), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 0, result.stderr
    assert lake_io.scan_table(tmp_path / "lake", "plays").collect().height > 60


def test_a_file_of_no_known_layout_names_the_closest_and_its_missing_columns(
    real_game: pl.DataFrame, tmp_path: Path
) -> None:
    source = write_csv(real_game.head(50).drop("gameId"), tmp_path / "source" / "week14.csv").parent
    result = qb_score("ingest", str(source), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 2
    line = result.stderr.strip()
    assert "\n" not in line and "Traceback" not in line
    assert str(source / "week14.csv") in line
    assert "closest is bdb2021, missing columns: gameId" in line


def test_a_folder_without_tracking_lists_what_it_found(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    pl.DataFrame({"gameId": [1], "homeTeamAbbr": ["KC"]}).write_csv(source / "my_games.csv")
    result = qb_score("ingest", str(source), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 1
    line = result.stderr.strip()
    assert "\n" not in line and "no tracking files" in line and "my_games.csv" in line


def _cut_mid_line(real_game: pl.DataFrame, path: Path) -> tuple[int, int]:
    """Write the game cut in the middle of a line about 60% through; returns (the cut line's number,
    the play of the last whole line)."""
    write_csv(real_game, path)
    data = path.read_bytes()
    end_of_line = data.index(b"\n", len(data) * 6 // 10)
    cut_at = end_of_line + 40
    path.write_bytes(data[:cut_at])
    cut_line = data[:cut_at].count(b"\n") + 1  # the header is line 1
    last_whole_row = real_game.row(cut_line - 3, named=True)  # data row i is line i + 2
    return cut_line, int(last_whole_row["playId"])


def test_a_truncated_file_is_named_and_its_cut_play_quarantined(
    real_game: pl.DataFrame, tmp_path: Path
) -> None:
    file = tmp_path / "source" / "week14.csv"
    cut_line, cut_play = _cut_mid_line(real_game, file)
    summary = ingest_source(file.parent, tmp_path / "lake")
    assert summary["truncated_files"] == [{"file": str(file), "line": cut_line}]
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"]
    assert (
        summary["rows_in"]
        == summary["rows_accepted"] + summary["rows_quarantined"] + summary["duplicate_rows_dropped"]
        == cut_line - 1
    )
    quarantine = lake_io.scan_table(tmp_path / "lake", "quarantine").collect()
    cut = quarantine.filter(pl.col("play_id") == cut_play)
    assert cut["reason"].to_list() == ["truncated_file"]
    assert f"line {cut_line}" in cut["detail"].item() and str(file) in cut["detail"].item()
    plays = lake_io.scan_table(tmp_path / "lake", "plays").collect()
    assert plays.height > 30 and cut_play not in plays["play_id"].to_list()

    result = qb_score("ingest", str(file.parent), "--lake", str(tmp_path / "lake2"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "truncated" in last and str(file) in last and f"line {cut_line}" in last


def test_a_run_that_accepts_nothing_fails_with_the_reasons(real_game: pl.DataFrame, tmp_path: Path) -> None:
    frame = real_game.with_columns(pl.lit("true").alias("x"))
    source = write_csv(frame, tmp_path / "source" / "week14.csv").parent
    result = qb_score("ingest", str(source), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    last = result.stderr.strip().splitlines()[-1]
    assert "no play accepted" in last and "73 quarantined" in last and "unparseable_value" in last
    assert "column x value 'true'" in last


def test_a_nan_coordinate_is_a_null_position(real_game: pl.DataFrame, tmp_path: Path) -> None:
    row = (pl.col("playId") == "183") & (pl.col("frameId") == "20") & (pl.col("nflId") == "2495469")
    frame = real_game.with_columns(pl.when(row).then(pl.lit("NaN")).otherwise(pl.col("x")).alias("x"))
    source = write_csv(frame, tmp_path / "source" / "week14.csv").parent
    ingest_source(source, tmp_path / "lake")
    quarantine = lake_io.scan_table(tmp_path / "lake", "quarantine").collect()
    play = quarantine.filter(pl.col("play_id") == 183)
    assert play["reason"].to_list() == ["null_position"]
    assert "off_field" not in play["detail"].item()


def test_a_files_partition_comes_from_its_first_parseable_game_id(
    real_game: pl.DataFrame, tmp_path: Path
) -> None:
    """The season and week come from the first gameId that parses: found among the first lines, or
    further down (here past the first 64 KB read for it), plain or gzipped."""
    broken = real_game.with_columns(
        pl.when(pl.int_range(pl.len()) < 2000)
        .then(pl.lit("unknown"))
        .otherwise(pl.col("gameId"))
        .alias("gameId")
    )
    for name, frame in (("week14.csv", real_game), ("late.csv", broken), ("late_gz.csv.gz", broken)):
        folder = tmp_path / name.split(".")[0]
        folder.mkdir()
        if name.endswith(".gz"):
            (folder / name).write_bytes(gzip.compress(frame.write_csv().encode()))
        else:
            frame.write_csv(folder / name)
        assert list(plan_source(folder)) == [(2018, 14)], name
    blank = real_game.with_columns(pl.lit("unknown").alias("gameId"))
    write_csv(blank, tmp_path / "blank" / "week14.csv")
    with pytest.raises(SourceError, match="column gameId has no parseable value"):
        plan_source(tmp_path / "blank")


def test_partitions_publish_in_order_and_a_rejected_one_stops_the_rest(
    real_game: pl.DataFrame, tmp_path: Path
) -> None:
    """Partitions are computed ahead of their publish (two at a time) but published in week order; a
    partition its checks refuse raises, the weeks before it stay published and none after it appear."""
    source = tmp_path / "source"
    for week in (1, 2, 3):
        game_id = f"201809{9 + 7 * (week - 1):02d}00"
        write_csv(real_game.with_columns(pl.lit(game_id).alias("gameId")), source / f"week{week}.csv")
    published: list[int] = []

    def verify(staged: lake_io.PartitionVersion, part: dict) -> list[str]:
        assert (staged.week, part["week"]) == (len(published) + 1,) * 2  # in order, with its own summary
        if staged.week == 2:
            return ["refused_for_the_test"]
        published.append(staged.week)
        return []

    with pytest.raises(lake_io.PartitionRejected, match="refused_for_the_test"):
        ingest_source(source, tmp_path / "lake", verify=verify)
    assert published == [1]
    assert lake_io.list_partitions(tmp_path / "lake", "plays") == [(2018, 1)]
