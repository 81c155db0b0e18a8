"""One partition's ingestion: read, check, normalize, derive outcomes, assemble the play table.

``ingest_partition`` is the pure function behind ``ingest.ingest_source`` and the ``raw_tracking``
asset: files in, three frames out (tracking, plays, quarantine), nothing written.
"""

from __future__ import annotations

from dataclasses import dataclass

import polars as pl

from qb_assets.ingest import events as ev
from qb_assets.ingest import formats, normalize, outcomes
from qb_assets.ingest import quarantine as rules
from qb_assets.ingest.events import PLAY_KEY
from qb_assets.ingest.schema import PLAY_SCHEMA, QUARANTINE_SCHEMA
from qb_assets.io.sources import SourceError, SourceFile, TrackingSource

PartitionKey = tuple[int, int]


@dataclass
class AuxTables:
    """The optional plays/games/players tables of a source, canonicalized (None when absent)."""

    plays: pl.DataFrame | None = None
    games: pl.DataFrame | None = None
    players: pl.DataFrame | None = None

    @classmethod
    def load(cls, source: TrackingSource, files: list[SourceFile]) -> AuxTables:
        by_stem = {f.stem.lower(): f for f in files}
        tables = {}
        for name, normalizer in (
            ("plays", formats.normalize_plays_table),
            ("games", formats.normalize_games_table),
            ("players", formats.normalize_players_table),
        ):
            file = by_stem.get(name)
            tables[name] = normalizer(source.read_frame(file, as_strings=False)) if file else None
        return cls(**tables)


@dataclass
class PartitionResult:
    season: int
    week: int
    layout: str
    files: list[str]
    tracking: pl.DataFrame
    plays: pl.DataFrame
    quarantine: pl.DataFrame
    games: pl.DataFrame
    players: pl.DataFrame
    rows_in: int
    duplicate_rows_dropped: int
    rows_quarantined: int

    @property
    def plays_in(self) -> int:
        return self.plays.height + self.quarantine.filter(pl.col("play_id").is_not_null()).height

    def summary(self) -> dict:
        return {
            "season": self.season,
            "week": self.week,
            "layout": self.layout,
            "files": self.files,
            "plays_in": self.plays_in,
            "plays_accepted": self.plays.height,
            "plays_quarantined": self.plays_in - self.plays.height,
            "rows_in": self.rows_in,
            "rows_accepted": self.tracking.height,
            "rows_quarantined": self.rows_quarantined,
            "duplicate_rows_dropped": self.duplicate_rows_dropped,
        }


def _read_tracking(
    source: TrackingSource, files: list[SourceFile], forced_layout: str
) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    parsed, errors, layouts = [], [], set()
    for file in files:
        try:
            raw = source.read_frame(file, as_strings=True, schema_overrides=formats.NUMERIC_READ_TYPES)
        except SourceError:
            # A value that is not a number: re-read as text so parse_tracking can name each one.
            raw = source.read_frame(file, as_strings=True)
        layout = formats.detect_layout(raw.columns, file.uri, forced_layout)
        layouts.add(layout.name)
        frame, errs = formats.parse_tracking(raw, file.uri)
        parsed.append(frame)
        errors.append(errs)
    return (
        pl.concat(parsed, how="vertical_relaxed"),
        pl.concat(errors, how="vertical_relaxed"),
        "+".join(sorted(layouts)),
    )


def _offense_from_tables(plays: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """Per play: offense_club_table in the tracking's club vocabulary (abbreviation or home/away)."""
    if aux.plays is None:
        return plays.with_columns(pl.lit(None, dtype=pl.String).alias("offense_club_table"))
    table = plays.join(aux.plays.select(*PLAY_KEY, "possession_team"), on=PLAY_KEY, how="left")
    if aux.games is not None:
        table = table.join(aux.games.select("game_id", "home_team", "visitor_team"), on="game_id", how="left")
    else:
        table = table.with_columns(
            pl.lit(None, dtype=pl.String).alias("home_team"),
            pl.lit(None, dtype=pl.String).alias("visitor_team"),
        )
    home_away = pl.col("clubs").list.set_difference(["home", "away"]).list.len() == 0
    club = (
        pl.when(~home_away)
        .then(pl.col("possession_team"))
        .when(pl.col("possession_team") == pl.col("home_team"))
        .then(pl.lit("home"))
        .when(pl.col("possession_team") == pl.col("visitor_team"))
        .then(pl.lit("away"))
    )
    return table.with_columns(club.alias("offense_club_table")).drop(
        "possession_team", "home_team", "visitor_team"
    )


def ingest_partition(
    source: TrackingSource,
    files: list[SourceFile],
    key: PartitionKey,
    aux: AuxTables,
    forced_layout: str = "auto",
) -> PartitionResult:
    """Read, check, normalize and derive the play table for one partition's files."""
    season, week = key
    raw, parse_errors, layout = _read_tracking(source, files, forced_layout)
    rows_in = raw.height
    # Rows whose ids do not parse cannot be attributed to a play: one quarantine row per file says so.
    unidentified = raw.filter(pl.col("game_id").is_null() | pl.col("play_id").is_null())
    raw = raw.filter(pl.col("game_id").is_not_null() & pl.col("play_id").is_not_null())
    data_columns = [c for c in raw.columns if c not in ("source_row", "source_file")]
    deduplicated, duplicates = rules.drop_identical_duplicates(raw, data_columns)
    tracking = deduplicated.with_columns(
        formats.is_football(pl.col("club")).fill_null(False).alias("is_football")
    )

    play_files = tracking.group_by(PLAY_KEY).agg(
        pl.col("source_file").first(),
        pl.col("frame_id").max().alias("last_frame_id"),
        pl.col("club").drop_nulls().unique().alias("clubs"),
    )
    frames = ev.event_frames(
        ev.frame_events(tracking), play_files.select(*PLAY_KEY, "last_frame_id", "clubs")
    )
    official = aux.plays.select(*PLAY_KEY, "pass_result_official") if aux.plays is not None else None
    frames = (
        frames.join(official, on=PLAY_KEY, how="left")
        if official is not None
        else frames.with_columns(pl.lit(None, dtype=pl.String).alias("pass_result_official"))
    )
    issues = [rules.parse_issues(parse_errors), *rules.row_issues(tracking)]
    issues += rules.event_issues(frames, play_files.select(*PLAY_KEY, "source_file"))
    issues.append(
        rules.player_count_issues(
            tracking,
            frames.filter(pl.col("snap_frame_id").is_not_null()),
            play_files.select(*PLAY_KEY, "source_file"),
        )
    )

    def accepted_frames(reasons: pl.DataFrame) -> pl.DataFrame:
        return frames.join(reasons, on=PLAY_KEY, how="anti")

    good = _offense_from_tables(accepted_frames(rules.first_reason(issues)), aux)
    good_tracking = tracking.join(good.select(PLAY_KEY), on=PLAY_KEY, how="semi")
    passers = normalize.identify_passer(good_tracking, normalize.ball_positions(good_tracking), good)
    good = good.join(passers, on=PLAY_KEY, how="left").with_columns(
        pl.coalesce("offense_club_table", "passer_club").alias("offense_club")
    )
    issues.append(
        rules._issues(
            good.join(play_files.select(*PLAY_KEY, "source_file"), on=PLAY_KEY).filter(
                pl.col("passer_nfl_id").is_null()
            ),
            "no_passer",
            pl.format(
                "{}: column nflId: no offensive player near the ball before the release", "source_file"
            ),
        )
    )
    reasons = rules.first_reason(issues)
    good = good.join(reasons, on=PLAY_KEY, how="anti")
    good = good.join(normalize.infer_direction(good_tracking, good), on=PLAY_KEY)
    canonical = normalize.normalize_tracking(
        good_tracking.join(good.select(PLAY_KEY), on=PLAY_KEY, how="semi"), good
    )
    good = good.join(normalize.line_of_scrimmage(canonical, good), on=PLAY_KEY, how="left")
    derived = outcomes.play_outcomes(canonical, good)
    plays = _play_table(derived, aux, season, week, layout)

    quarantine = pl.concat(
        [
            reasons.join(play_files.select(*PLAY_KEY, "source_file"), on=PLAY_KEY, how="left"),
            _unidentified_rows(unidentified),
        ],
        how="diagonal_relaxed",
    ).with_columns(pl.lit(season, pl.Int32).alias("season"), pl.lit(week, pl.Int32).alias("week"))
    quarantine = quarantine.select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()])
    return PartitionResult(
        season=season,
        week=week,
        layout=layout,
        files=[f.uri for f in files],
        tracking=canonical,
        plays=plays,
        quarantine=quarantine,
        games=_games_table(raw, aux, season, week),
        players=_players_table(raw, aux),
        rows_in=rows_in,
        duplicate_rows_dropped=duplicates,
        rows_quarantined=rows_in - duplicates - canonical.height,
    )


def _games_table(raw: pl.DataFrame, aux: AuxTables, season: int, week: int) -> pl.DataFrame:
    """The partition's games: the games table's teams when present; the date always from gameId."""
    games = raw.select(pl.col("game_id").drop_nulls().unique().sort())
    if aux.games is not None:
        games = games.join(aux.games.select("game_id", "home_team", "visitor_team"), on="game_id", how="left")
    else:
        games = games.with_columns(
            pl.lit(None, pl.String).alias("home_team"), pl.lit(None, pl.String).alias("visitor_team")
        )
    date = pl.col("game_id").cast(pl.String).str.slice(0, 8).str.to_date("%Y%m%d", strict=False)
    return games.select(
        "game_id",
        pl.lit(season, pl.Int32).alias("season"),
        pl.lit(week, pl.Int32).alias("week"),
        "home_team",
        "visitor_team",
        date.alias("game_date"),
    )


def _players_table(raw: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """The players seen in the partition's tracking: names and positions from the players table, else
    from the tracking rows (BDB 2019/2021/2024/2025 carry displayName, BDB 2021 position)."""
    seen = (
        raw.filter(pl.col("nfl_id").is_not_null())
        .group_by("nfl_id")
        .agg(pl.col("display_name").drop_nulls().first(), pl.col("position").drop_nulls().first())
    )
    if aux.players is not None:
        seen = seen.join(aux.players, on="nfl_id", how="left").with_columns(
            pl.coalesce("display_name_right", "display_name").alias("display_name"),
            pl.coalesce("player_position", "position").alias("position"),
        )
    return seen.select(
        "nfl_id", pl.col("display_name").cast(pl.String), pl.col("position").cast(pl.String)
    ).sort("nfl_id")


def _unidentified_rows(rows: pl.DataFrame) -> pl.DataFrame:
    if rows.height == 0:
        return pl.DataFrame(
            schema={
                "game_id": pl.Int64,
                "play_id": pl.Int64,
                "reason": pl.String,
                "detail": pl.String,
                "source_file": pl.String,
            }
        )
    return (
        rows.group_by("source_file")
        .agg(
            pl.lit(None, dtype=pl.Int64).alias("game_id"),
            pl.lit(None, dtype=pl.Int64).alias("play_id"),
            pl.lit("unparseable_value").alias("reason"),
            pl.format(
                "{} rows with an unparseable gameId/playId, first at line {}",
                pl.len(),
                pl.col("source_row").min(),
            ).alias("detail"),
        )
        .select("game_id", "play_id", "reason", "detail", "source_file")
    )


def _play_table(derived: pl.DataFrame, aux: AuxTables, season: int, week: int, layout: str) -> pl.DataFrame:
    """Assemble the canonical play table (``PLAY_SCHEMA``) from derived outcomes and the optional tables."""
    plays = derived
    situation_cols = [
        "down",
        "yards_to_go",
        "quarter",
        "game_clock_s",
        "possession_team",
        "defensive_team",
        "yardline_side",
        "yardline_number",
        "home_score",
        "visitor_score",
        "yards_official",
    ]
    if aux.plays is not None:
        plays = plays.join(aux.plays.select(*PLAY_KEY, *situation_cols), on=PLAY_KEY, how="left")
    else:
        plays = plays.with_columns(pl.lit(None).alias(c) for c in situation_cols)
    if aux.games is not None:
        plays = plays.join(aux.games.select("game_id", "home_team", "visitor_team"), on="game_id", how="left")
    else:
        plays = plays.with_columns(
            pl.lit(None, dtype=pl.String).alias("home_team"),
            pl.lit(None, dtype=pl.String).alias("visitor_team"),
        )
    other_club = (
        pl.col("clubs")
        .list.set_difference(pl.concat_list(pl.col("offense_club"), pl.lit("football"), pl.lit("ball")))
        .list.first()
    )

    def club_abbr(club: pl.Expr) -> pl.Expr:
        return (
            pl.when(club == "home")
            .then(pl.col("home_team"))
            .when(club == "away")
            .then(pl.col("visitor_team"))
            .otherwise(club)
        )

    offense = pl.coalesce("possession_team", club_abbr(pl.col("offense_club")))
    defense = pl.coalesce("defensive_team", club_abbr(other_club))
    own_half = pl.col("yardline_side") == offense
    to_endzone = (
        pl.when(pl.col("yardline_number") == 50)
        .then(50)
        .when(own_half)
        .then(100 - pl.col("yardline_number"))
        .otherwise(pl.col("yardline_number"))
    )
    from_tracking = 110.0 - pl.col("line_of_scrimmage_x")
    offense_is_home = offense == pl.col("home_team")
    score_diff = (
        pl.when(offense_is_home)
        .then(pl.col("home_score") - pl.col("visitor_score"))
        .otherwise(pl.col("visitor_score") - pl.col("home_score"))
    )
    half_clock = (
        pl.when(pl.col("quarter").is_in([1, 3]))
        .then(pl.col("game_clock_s") + 900)
        .otherwise(pl.col("game_clock_s"))
    )
    # Regular-season weeks left after this one (17-week seasons through 2020, 18 since).
    weeks_in_season = 17 if season <= 2020 else 18
    official_yards = pl.col("pass_result").is_in(["C", "S", "R"]) & pl.col("yards_official").is_not_null()
    yards = (
        pl.when(pl.col("pass_result") == "I")
        .then(0.0)
        .when(official_yards)
        .then(pl.col("yards_official"))
        .otherwise(pl.col("yards_gained_tracking").round(0))
    )
    return (
        plays.with_columns(
            pl.lit(season).alias("season"),
            pl.lit(week).alias("week"),
            pl.lit(layout).alias("layout"),
            offense.alias("possession_team"),
            defense.alias("defensive_team"),
            pl.coalesce(to_endzone.cast(pl.Float64), from_tracking).alias("yards_to_endzone"),
            half_clock.alias("half_seconds_remaining"),
            pl.when(pl.col("home_team").is_not_null()).then(score_diff).alias("score_difference"),
            pl.lit(max(weeks_in_season - week, 0)).alias("games_remaining"),
            yards.alias("yards_gained"),
            pl.when(official_yards)
            .then(pl.lit("plays_table"))
            .when(pl.col("pass_result") == "I")
            .then(pl.lit("rule"))
            .otherwise(pl.lit("tracking"))
            .alias("yards_source"),
        )
        .select([pl.col(c).cast(t) for c, t in PLAY_SCHEMA.items()])
        .sort(PLAY_KEY)
    )
