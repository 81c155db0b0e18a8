"""nflfastR play-by-play rows -> the lake's canonical play table (``source = 'pbp'``), its quarantine,
games and passers: the situation-only source, where no tracking exists.

The plays are the pass plays: ``play_type_nfl`` PASS or SACK (without it, nflfastR's ``play_type ==
"pass"``, sacks by the ``sack`` flag). Scrambles are runs in nflfastR, two-point tries, penalties that
erased the play and every other row are counted (``rows_other_play_types``) and not ingested.

Columns read when present (the standard nflfastR names): ``game_id`` (the numeric NFL id, or the
string ``2017_01_ARI_DET`` with ``old_game_id`` holding the numeric one), ``play_id``, ``season`` (else
from the game id's date), ``week``, ``season_type``, ``posteam``, ``defteam`` (else the other of
``home_team``/``away_team``), ``down``, ``ydstogo``, ``yardline_100``, ``qtr``,
``quarter_seconds_remaining`` and ``half_seconds_remaining`` (else the clock at the start of ``desc``),
``score_differential``, ``yards_gained``, ``air_yards``, ``epa``, the flags ``sack``, ``interception``,
``incomplete_pass``, ``complete_pass``, ``pass_touchdown``, ``touchdown``, and the passer as
``passer_player_id``/``passer_player_name`` (or ``passer_id``/``passer``). Where a flag or the passer is
absent or null, the description decides (after ``REVERSED.`` when a replay overturned the ruling):
``INTERCEPTED``, ``incomplete``, ``TOUCHDOWN`` (not ``NULLIFIED``, not after ``FUMBLES``), and the
passer's name before ``pass``, ``sacked`` or ``spiked``.

Passer identity: the id when the file has one, else the name as the description writes it
(``T.Brady``). ``passer_nfl_id`` is the negative of a 53-bit hash of that key, so a play-by-play passer
never collides with a tracking nflId (positive). Yards are as recorded: an interception is 0 (nflfastR
records no return), a sack the yards lost.
"""

from __future__ import annotations

import hashlib

import polars as pl

from qb_assets.ingest import season_calendar
from qb_assets.ingest.schema import PLAY_SCHEMA, QUARANTINE_SCHEMA

SOURCE = "pbp"
FORMAT = "nflfastr"
# Columns that identify a file as nflfastR play-by-play (any file with all of them).
SIGNATURE = ("play_id", "week", "posteam", "down", "ydstogo", "yardline_100", "desc")
KEY_COLUMNS = ("game_id", "play_id", "season", "week")
NUMERIC_COLUMNS = (
    "down",
    "ydstogo",
    "yardline_100",
    "qtr",
    "quarter_seconds_remaining",
    "half_seconds_remaining",
    "score_differential",
    "yards_gained",
    "air_yards",
    "epa",
    "sack",
    "interception",
    "incomplete_pass",
    "complete_pass",
    "pass_touchdown",
    "touchdown",
)
# Situation columns a play cannot be scored without (the quarantine reason missing_situation).
SITUATION_COLUMNS = ("down", "ydstogo", "yardline_100", "qtr")
PASSER_ID_COLUMNS = ("passer_player_id", "passer_id")
PASSER_NAME_COLUMNS = ("passer_player_name", "passer")
# The passer as the description names him: "3-C.Palmer pass short right ...", "T.Brady sacked at ...".
PASSER_IN_DESCRIPTION = (
    r"(?:^|[\s)])(?:\d+-)?([A-Z][A-Za-z'-]*\.\s?[A-Z][A-Za-z'.-]*(?: (?:Jr|Sr|II|III|IV)\.?)?) "
    r"(?:pass|sacked|spiked)\b"
)
CLOCK_IN_DESCRIPTION = r"^\((\d{0,2}):(\d{2})\)"  # "(14:54)", "(:24)"
OUTPUT_EXTRAS = {"source": pl.String(), "passer_name": pl.String(), "is_touchdown": pl.Boolean()}


class PbpFormatError(ValueError):
    """A play-by-play file that cannot be placed in the lake (a missing or bad key column)."""


def is_pbp_frame(columns: list[str]) -> bool:
    """Whether a table with ``columns`` is nflfastR play-by-play."""
    return all(c in columns for c in SIGNATURE) and ("game_id" in columns or "old_game_id" in columns)


def passer_nfl_id(keys: pl.Series) -> pl.Series:
    """Stable negative ids for passer keys (module docstring); one hash per distinct key."""
    distinct = keys.drop_nulls().unique()
    ids = {k: -(int.from_bytes(hashlib.blake2b(k.encode(), digest_size=8).digest()) >> 11) for k in distinct}
    mapping = pl.DataFrame(
        {"key": list(ids), "id": list(ids.values())}, schema={"key": pl.String, "id": pl.Int64}
    )
    return keys.to_frame("key").join(mapping, on="key", how="left", maintain_order="left")["id"]


def _present(frame: pl.DataFrame, names: tuple[str, ...]) -> list[str]:
    return [n for n in names if n in frame.columns]


def _number(frame: pl.DataFrame, name: str) -> pl.Expr:
    """Column ``name`` as Float64 (null when the file lacks it). NaN counts as missing."""
    if name not in frame.columns:
        return pl.lit(None, dtype=pl.Float64)
    value = pl.col(name).cast(pl.Float64, strict=False)
    return pl.when(value.is_nan()).then(None).otherwise(value)


def _unparseable(frame: pl.DataFrame) -> pl.Expr:
    """Per row, the first numeric column whose text does not parse, as 'column=value' (else null)."""
    checks = [
        pl.when(pl.col(c).is_not_null() & pl.col(c).cast(pl.Float64, strict=False).is_null()).then(
            pl.format("{}={}", pl.lit(c), pl.col(c).cast(pl.String))
        )
        for c in _present(frame, NUMERIC_COLUMNS)
        if frame.schema[c] == pl.String
    ]
    return pl.coalesce(checks) if checks else pl.lit(None, dtype=pl.String)


def with_keys(frame: pl.DataFrame, file: str) -> pl.DataFrame:
    """``frame`` with Int64 ``game_id``/``play_id`` and Int32 ``season``/``week``; a row whose key does not
    parse stops the ingest with one line naming the file, line and column (the play cannot be placed)."""
    game = "old_game_id" if "old_game_id" in frame.columns else "game_id"
    if game not in frame.columns or "play_id" not in frame.columns or "week" not in frame.columns:
        raise PbpFormatError(
            f"{file}: not nflfastR play-by-play: needs game_id (or old_game_id), play_id, week"
        )
    keys = frame.with_columns(
        pl.col(game).cast(pl.Int64, strict=False).alias("_game_id"),
        pl.col("play_id").cast(pl.Float64, strict=False).cast(pl.Int64, strict=False).alias("_play_id"),
        pl.col("week").cast(pl.Float64, strict=False).cast(pl.Int32, strict=False).alias("_week"),
    )
    season = (
        pl.col("season").cast(pl.Float64, strict=False).cast(pl.Int32, strict=False)
        if "season" in frame.columns
        else season_calendar.season_from_game_id(pl.col("_game_id"))
    )
    keys = keys.with_columns(season.alias("_season"))
    for column, parsed in (
        (game, "_game_id"),
        ("play_id", "_play_id"),
        ("week", "_week"),
        ("season", "_season"),
    ):
        bad = keys.filter(pl.col(parsed).is_null())
        if bad.height:
            row = bad.row(0, named=True)
            value = row.get(column, row.get(game))
            raise PbpFormatError(f"{file}: line {row['_line']}: column {column}: not a valid key: {value!r}")
    return keys.drop(*KEY_COLUMNS, strict=False).rename(
        {"_game_id": "game_id", "_play_id": "play_id", "_week": "week", "_season": "season"}
    )


def pass_plays(frame: pl.DataFrame) -> pl.Expr:
    """The rows that are pass plays (module docstring)."""
    if "play_type_nfl" in frame.columns:
        return pl.col("play_type_nfl").is_in(["PASS", "SACK"]).fill_null(False)
    if "play_type" in frame.columns:
        return (pl.col("play_type") == "pass").fill_null(False)
    raise PbpFormatError("not nflfastR play-by-play: needs play_type_nfl or play_type")


def _flag_or_text(frame: pl.DataFrame, flag: str, from_text: pl.Expr) -> pl.Expr:
    value = _number(frame, flag)
    return pl.when(value.is_not_null()).then(value == 1).otherwise(from_text)


def _passer(frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """(identity key, display name) of the passer: the id/name columns, else the description."""
    parsed = pl.col("desc").str.extract(PASSER_IN_DESCRIPTION, 1)
    name = pl.coalesce(*[pl.col(c).cast(pl.String) for c in _present(frame, PASSER_NAME_COLUMNS)], parsed)
    key = pl.coalesce(*[pl.col(c).cast(pl.String) for c in _present(frame, PASSER_ID_COLUMNS)], name)
    return key, name


def _clock(frame: pl.DataFrame) -> tuple[pl.Expr, pl.Expr]:
    """(seconds left in the quarter, seconds left in the half): the columns, else the description's
    clock; quarters 1 and 3 add the next quarter's 900 s, overtime counts as its own half."""
    minutes = (
        pl.col("desc").str.extract(CLOCK_IN_DESCRIPTION, 1).replace("", "0").cast(pl.Int32, strict=False)
    )
    seconds = pl.col("desc").str.extract(CLOCK_IN_DESCRIPTION, 2).cast(pl.Int32, strict=False)
    quarter_s = pl.coalesce(
        _number(frame, "quarter_seconds_remaining"), (minutes * 60 + seconds).cast(pl.Float64)
    )
    later_quarter = pl.col("qtr").cast(pl.Float64, strict=False).is_in([1.0, 3.0])
    half_s = pl.coalesce(
        _number(frame, "half_seconds_remaining"),
        pl.when(later_quarter).then(quarter_s + 900).otherwise(quarter_s),
    )
    return quarter_s.cast(pl.Int32), half_s.cast(pl.Int32)


def _results(frame: pl.DataFrame) -> dict[str, pl.Expr]:
    # A replay reversal describes the overturned ruling first: the play that counts follows "REVERSED."
    desc = pl.col("desc").str.replace(r"(?s)^.*REVERSED\.", "")
    sack = (
        pl.col("play_type_nfl") == "SACK" if "play_type_nfl" in frame.columns else _number(frame, "sack") == 1
    )
    intercepted = _flag_or_text(frame, "interception", desc.str.contains("INTERCEPTED"))
    incomplete = pl.coalesce(
        _number(frame, "incomplete_pass") == 1,
        _number(frame, "complete_pass") == 0,
        desc.str.contains(r"\bincomplete\b"),
    )
    result = (
        pl.when(sack.fill_null(False))
        .then(pl.lit("S"))
        .when(intercepted.fill_null(False))
        .then(pl.lit("IN"))
        .when(incomplete.fill_null(False))
        .then(pl.lit("I"))
        .otherwise(pl.lit("C"))
    )
    scored_text = desc.str.contains("TOUCHDOWN") & ~desc.str.contains("NULLIFIED|FUMBLES")
    touchdown = pl.coalesce(
        _number(frame, "pass_touchdown") == 1, _number(frame, "touchdown") == 1, scored_text
    )
    return {"pass_result": result, "is_touchdown": (result == "C") & touchdown.fill_null(False)}


def _defense(frame: pl.DataFrame) -> pl.Expr:
    if "defteam" in frame.columns:
        return pl.col("defteam").cast(pl.String)
    if "home_team" in frame.columns and "away_team" in frame.columns:
        return pl.when(pl.col("posteam") == pl.col("home_team")).then("away_team").otherwise("home_team")
    return pl.lit(None, dtype=pl.String)


def canonical_plays(frame: pl.DataFrame) -> pl.DataFrame:
    """The pass-play rows of ``frame`` (keys parsed, ``_line`` present) in the lake's play schema plus
    ``source``, ``passer_name``, ``is_touchdown``, and ``_problem`` (reason|detail, null if accepted)."""
    passer_key, passer_name = _passer(frame)
    quarter_s, half_s = _clock(frame)
    season_type = (
        pl.col("season_type")
        .cast(pl.String)
        .replace({"WC": "POST", "DIV": "POST", "CON": "POST", "SB": "POST"})
        if "season_type" in frame.columns
        else season_calendar.season_type_of_week(pl.col("season"), pl.col("week"))
    )
    regular_weeks = season_calendar.regular_season_weeks(pl.col("season"))
    games_remaining = (
        pl.when(season_type == "POST").then(0).otherwise((regular_weeks - pl.col("week")).clip(0))
    )
    missing = pl.coalesce([pl.when(_number(frame, c).is_null()).then(pl.lit(c)) for c in SITUATION_COLUMNS])
    problem = (
        pl.when(pl.col("_unparseable").is_not_null())
        .then(pl.format("unparseable_value|line {}: column {}", pl.col("_line"), pl.col("_unparseable")))
        .when(missing.is_not_null())
        .then(pl.format("missing_situation|line {}: column {} is missing", pl.col("_line"), missing))
        .when(_number(frame, "yards_gained").is_null())
        .then(pl.format("missing_result|line {}: column yards_gained is missing", pl.col("_line")))
        .when(passer_key.is_null())
        .then(
            pl.format(
                "no_passer|line {}: no passer id or name column and none in desc: {}",
                pl.col("_line"),
                pl.col("desc").str.slice(0, 80),
            )
        )
    )
    columns = {
        "season_type": season_type,
        "layout": pl.lit(FORMAT),
        "possession_team": pl.col("posteam").cast(pl.String),
        "defensive_team": _defense(frame),
        "down": _number(frame, "down").cast(pl.Int32),
        "yards_to_go": _number(frame, "ydstogo").cast(pl.Int32),
        "yards_to_endzone": _number(frame, "yardline_100"),
        "quarter": _number(frame, "qtr").cast(pl.Int32),
        "game_clock_s": quarter_s,
        "half_seconds_remaining": half_s,
        "score_difference": _number(frame, "score_differential").cast(pl.Int32),
        "games_remaining": games_remaining.cast(pl.Int32),
        "yards_gained": _number(frame, "yards_gained"),
        "yards_source": pl.lit(SOURCE),
        "air_yards": _number(frame, "air_yards"),
        "epa": _number(frame, "epa"),
        "source": pl.lit(SOURCE),
        "passer_name": passer_name,
        "_passer_key": passer_key,
        **_results(frame),
    }
    plays = frame.with_columns(_unparseable(frame).alias("_unparseable")).with_columns(
        **columns, _problem=problem
    )
    plays = plays.with_columns(passer_nfl_id(plays["_passer_key"]).alias("passer_nfl_id"))
    schema = {**PLAY_SCHEMA, **OUTPUT_EXTRAS}
    return plays.select(
        *[
            (pl.col(name) if name in plays.columns else pl.lit(None)).cast(dtype).alias(name)
            for name, dtype in schema.items()
        ],
        "_line",
        "_problem",
    )


def quarantine_rows(problems: pl.DataFrame, file: str) -> pl.DataFrame:
    """Quarantine rows from canonical plays with a ``_problem`` ('reason|detail')."""
    return problems.select(
        "game_id",
        "play_id",
        "season",
        "week",
        pl.col("_problem").str.split_exact("|", 1).struct.field("field_0").alias("reason"),
        pl.format(
            "{}: {}", pl.lit(file), pl.col("_problem").str.split_exact("|", 1).struct.field("field_1")
        ).alias("detail"),
        pl.lit(file).alias("source_file"),
    ).cast(QUARANTINE_SCHEMA)


def games_and_passers(plays: pl.DataFrame, frame: pl.DataFrame) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(games, players) of accepted plays: teams from home_team/away_team where the file has them, the
    date from the game id; one row per passer with the name the file gives him."""
    teams = [c for c in ("home_team", "away_team") if c in frame.columns]
    games = plays.group_by("game_id").agg(
        pl.col("season").first(), pl.col("week").first(), pl.col("season_type").first()
    )
    if len(teams) == 2:
        home = frame.group_by("game_id").agg(
            pl.col("home_team").first().cast(pl.String),
            pl.col("away_team").first().cast(pl.String).alias("visitor_team"),
        )
        games = games.join(home, on="game_id", how="left")
    else:
        games = games.with_columns(home_team=pl.lit(None, pl.String), visitor_team=pl.lit(None, pl.String))
    date = pl.col("game_id").cast(pl.String).str.slice(0, 8).str.to_date("%Y%m%d", strict=False)
    games = games.with_columns(date.alias("game_date")).sort("game_id")
    players = (
        plays.group_by("passer_nfl_id")
        .agg(pl.col("passer_name").drop_nulls().mode().sort().first().alias("display_name"))
        .with_columns(pl.lit(None, pl.String).alias("position"))
        .rename({"passer_nfl_id": "nfl_id"})
        .sort("nfl_id")
    )
    return games, players
