"""nflfastR play-by-play ingestion: accounting, quarantine rules, passer parsing, flags, the command line."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from qb_assets.ingest.pbp_ingest import ingest_pbp, pbp_partitions
from qb_assets.ingest.pbp_plays import PASSER_IN_DESCRIPTION, PbpFormatError, canonical_plays, with_keys
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.io import lake as lake_io
from qb_assets.io.files import SourceError
from qb_assets.synthetic.season import generate_season
from tests.conftest import qb_score

PBP_FILE = "nflfastr_pbp_2017_2019.parquet"


@pytest.fixture(scope="module")
def two_weeks(real_dir: Path) -> pl.DataFrame:
    """The real file's 2017 weeks 1 and 2, every play type."""
    return pl.read_parquet(real_dir / PBP_FILE).filter((pl.col("season") == 2017) & (pl.col("week") <= 2))


def _pass_row(frame: pl.DataFrame, index: int) -> pl.DataFrame:
    return frame.filter(pl.col("play_type_nfl") == "PASS").slice(index, 1)


def test_accounting_and_quarantine_rules(tmp_path: Path, two_weeks: pl.DataFrame) -> None:
    passes = two_weeks.filter(pl.col("play_type_nfl") == "PASS")
    conflicting = passes.slice(2, 1)

    def play(index: int) -> pl.Expr:
        row = passes.row(index, named=True)
        return (pl.col("game_id") == row["game_id"]) & (pl.col("play_id") == row["play_id"])

    broken = two_weeks.with_columns(
        pl.when(play(0)).then(None).otherwise(pl.col("down")).alias("down"),
        pl.when(play(1))
        .then(pl.lit("(3:00) Direct snap, ball thrown away."))
        .otherwise(pl.col("desc"))
        .alias("desc"),
    )
    duplicated = pl.concat(
        [broken, passes.slice(3, 1), conflicting.with_columns(pl.col("yards_gained") + 1)]
    )  # an identical copy (dropped) and a row that disagrees with its play (quarantined)
    source = tmp_path / "pbp.parquet"
    duplicated.write_parquet(source)

    summary = ingest_pbp(source, tmp_path / "lake")

    pass_rows = two_weeks.filter(pl.col("play_type_nfl").is_in(["PASS", "SACK"]))
    assert summary["rows_in"] == duplicated.height
    assert summary["plays_in"] == pass_rows.select("game_id", "play_id").n_unique()
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"]
    assert (
        summary["rows_in"]
        == summary["rows_other_play_types"] + summary["plays_in"] + summary["duplicate_rows"]
    )
    assert summary["duplicate_rows"] == 2
    assert summary["quarantine_reasons"] == {
        "conflicting_table_rows": 1,
        "missing_situation": 1,
        "no_passer": 1,
    }
    assert [(p["season"], p["week"]) for p in summary["partitions"]] == [(2017, 1), (2017, 2)]
    lake = str(tmp_path / "lake")
    assert pbp_partitions(lake) == [(2017, 1), (2017, 2)]
    plays = lake_io.scan_table(lake, "plays").collect()
    quarantine = lake_io.scan_table(lake, "quarantine").collect()
    assert plays.height == summary["plays_accepted"]
    assert set(plays["source"]) == {"pbp"}
    assert plays.select("game_id", "play_id").is_duplicated().sum() == 0
    details = dict(zip(quarantine["reason"], quarantine["detail"], strict=True))
    assert details["missing_situation"].startswith(f"{source}: line ")
    assert "column down is missing" in details["missing_situation"]
    assert "ball thrown away" in details["no_passer"]
    conflicts = quarantine.filter(pl.col("reason") == "conflicting_table_rows")
    assert conflicts.select("game_id", "play_id").rows() == conflicting.select("game_id", "play_id").rows()


def test_csv_values_that_do_not_parse_are_quarantined_by_column(
    tmp_path: Path, two_weeks: pl.DataFrame
) -> None:
    week = two_weeks.filter(pl.col("week") == 1).with_columns(pl.col("yards_gained").cast(pl.String))
    bad = _pass_row(week, 5).row(0, named=True)
    is_bad = (pl.col("game_id") == bad["game_id"]) & (pl.col("play_id") == bad["play_id"])
    week = week.with_columns(
        pl.when(is_bad).then(pl.lit("eleven")).otherwise("yards_gained").alias("yards_gained")
    )
    source = tmp_path / "pbp.csv"
    week.write_csv(source)

    summary = ingest_pbp(source, tmp_path / "lake")

    assert summary["quarantine_reasons"] == {"unparseable_value": 1}
    quarantine = lake_io.scan_table(str(tmp_path / "lake"), "quarantine").collect()
    line = week.with_row_index().filter(is_bad)["index"][0] + 2  # the header is line 1
    assert quarantine["detail"][0] == f"{source}: line {line}: column yards_gained=eleven"


@pytest.mark.parametrize(
    ("description", "passer"),
    [
        (
            "(14:54) (Shotgun) 3-C.Palmer pass short right to 11-L.Fitzgerald to ARI 27 for 4 yards.",
            "C.Palmer",
        ),
        (
            "(:24) (No Huddle, Shotgun) 9-M.Stafford pass incomplete deep right to 19-K.Golladay.",
            "M.Stafford",
        ),
        ("(5:39) 12-T.Brady sacked at NE 26 for -8 yards (96-A.Ngata).", "T.Brady"),
        ("(0:21) 6-B.Hoyer spiked the ball to stop the clock.", "B.Hoyer"),
        ("(2:00) 5-Jo.Allen pass short left to 17-Da.Smith for 9 yards.", "Jo.Allen"),
        ("(2:00) 10-R.Griffin III pass deep left to 11-A.Brown for 40 yards.", "R.Griffin III"),
        ("(3:00) Direct snap to 22-C.McCaffrey. 22-C.McCaffrey up the middle for 3 yards.", None),
    ],
)
def test_passer_parsed_from_the_description(description: str, passer: str | None) -> None:
    parsed = pl.Series([description]).str.extract(PASSER_IN_DESCRIPTION, 1)[0]
    assert parsed == passer


def test_the_real_file_names_a_passer_on_nearly_every_attempt(real_dir: Path) -> None:
    frame = pl.read_parquet(real_dir / PBP_FILE, columns=["play_type_nfl", "desc"])
    parsed = frame.filter(pl.col("play_type_nfl") == "PASS")["desc"].str.extract(PASSER_IN_DESCRIPTION, 1)
    assert parsed.is_not_null().mean() >= 0.99


def _canonical(frame: pl.DataFrame) -> pl.DataFrame:
    return canonical_plays(with_keys(frame.with_row_index("_line", offset=1), "file"))


def test_id_and_flag_columns_win_over_the_description(two_weeks: pl.DataFrame) -> None:
    rows = _pass_row(two_weeks, 0).vstack(_pass_row(two_weeks, 1))
    described = _canonical(rows)
    flagged = _canonical(
        rows.with_columns(
            passer_player_id=pl.Series(["00-0019596", None]),
            passer_player_name=pl.Series(["T.Brady", None]),
            interception=pl.Series([1.0, None]),
            pass_touchdown=pl.Series([0.0, None]),
        )
    )
    # The first play takes the columns: another identity, an interception; the second falls back.
    assert flagged["passer_name"].to_list() == ["T.Brady", described["passer_name"][1]]
    assert flagged["passer_nfl_id"][0] != described["passer_nfl_id"][0]
    assert flagged["passer_nfl_id"][1] == described["passer_nfl_id"][1]
    assert flagged["pass_result"][0] == "IN"
    assert flagged["pass_result"][1] == described["pass_result"][1]
    assert (described["passer_nfl_id"] < 0).all()  # never a tracking nflId


def test_touchdowns_and_interceptions_from_the_description(two_weeks: pl.DataFrame) -> None:
    plays = _canonical(two_weeks.filter(pl.col("play_type_nfl").is_in(["PASS", "SACK"])))
    text = two_weeks.filter(pl.col("play_type_nfl").is_in(["PASS", "SACK"]))["desc"]
    intercepted = plays["pass_result"] == "IN"
    assert intercepted.sum() > 20
    assert text.filter(intercepted).str.contains("INTERCEPTED").all()
    # An interception the description mentions but the play is not: a replay reversed it.
    assert text.filter(~intercepted & text.str.contains("INTERCEPTED")).str.contains("REVERSED").all()
    touchdowns = plays.filter(pl.col("is_touchdown"))
    assert touchdowns.height > 20
    assert (touchdowns["pass_result"] == "C").all()
    # A completion that scores gains at least the distance to the end zone.
    assert (touchdowns["yards_gained"] >= touchdowns["yards_to_endzone"]).all()
    assert (plays.filter(pl.col("pass_result") == "S")["yards_gained"] <= 0).all()


def test_command_line_detects_the_file_and_names_a_bad_key(tmp_path: Path, two_weeks: pl.DataFrame) -> None:
    source = tmp_path / "pbp.csv"
    two_weeks.filter(pl.col("week") == 2).write_csv(source)
    result = qb_score("ingest", str(source), "--lake", str(tmp_path / "lake"))
    assert result.returncode == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["format"] == "nflfastr"
    assert [(p["season"], p["week"]) for p in summary["partitions"]] == [(2017, 2)]

    bad = tmp_path / "bad.csv"
    two_weeks.filter(pl.col("week") == 2).with_columns(
        pl.col("play_id").cast(pl.String)
    ).with_row_index().with_columns(
        pl.when(pl.col("index") == 3).then(pl.lit("x7")).otherwise("play_id").alias("play_id")
    ).drop("index").write_csv(bad)
    result = qb_score("ingest", str(bad), "--lake", str(tmp_path / "lake2"), "--format", "nflfastr")
    assert result.returncode == 1
    assert result.stderr.strip() == f"qb-score: error: {bad}: line 5: column play_id: not a valid key: 'x7'"


def test_a_partition_holds_tracking_or_play_by_play_not_both(tmp_path: Path, two_weeks: pl.DataFrame) -> None:
    """Either ingest refuses a season x week the lake holds from the other source, before writing."""
    pbp = tmp_path / "pbp.parquet"
    two_weeks.filter(pl.col("week") == 1).write_parquet(pbp)
    tracking = tmp_path / "tracking"
    generate_season(tracking, season=2017, weeks=[1], games_per_week=1, seed=1)

    tracking_first = tmp_path / "tracking_first"
    ingest_source(tracking, tracking_first)
    before = lake_io.scan_table(tracking_first, "plays").collect()
    with pytest.raises(PbpFormatError, match=r"holds tracking for season x week \[\(2017, 1\)\]"):
        ingest_pbp(pbp, tracking_first)
    assert lake_io.scan_table(tracking_first, "plays").collect().equals(before)

    pbp_first = tmp_path / "pbp_first"
    ingest_pbp(pbp, pbp_first)
    with pytest.raises(SourceError, match=r"holds play-by-play for season x week \[\(2017, 1\)\]"):
        ingest_source(tracking, pbp_first)
    assert lake_io.list_partitions(pbp_first, "tracking") == []
    assert set(lake_io.scan_table(pbp_first, "plays").collect()["source"]) == {"pbp"}
