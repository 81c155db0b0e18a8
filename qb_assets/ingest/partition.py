"""One partition's ingestion: read, check, normalize, derive outcomes, assemble the play table.

``ingest_partition`` is the pure function behind ``ingest.ingest_source`` and the ``raw_tracking``
asset: files in, three frames out (tracking, plays, quarantine), nothing written;
``ingest_tracking_rows`` is the same on rows already read (live scoring of one play).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field

import polars as pl

from qb_assets.ingest import events as ev
from qb_assets.ingest import formats, normalize, outcomes
from qb_assets.ingest import quarantine as rules
from qb_assets.ingest.aux_tables import AuxTables
from qb_assets.ingest.events import PLAY_KEY
from qb_assets.ingest.schema import QUARANTINE_SCHEMA
from qb_assets.ingest.tables import (
    games_table,
    play_table,
    players_table,
    unidentified_rows,
    with_game_teams,
)
from qb_assets.io.files import SourceError, SourceFile, csv_last_line_cut
from qb_assets.io.sources import TrackingSource

PartitionKey = tuple[int, int]
# One tracking file's rows as read: (file uri, the frame ``TrackingSource.read_frame`` returns).
RawRows = tuple[str, pl.DataFrame]


@dataclass
class PartitionResult:
    """One partition's tables and its accounting. ``plays_in`` and ``rows_in`` are counted from the
    files as read, before any rule runs; ``rows_quarantined`` counts the rows of the quarantined plays
    and the rows no play can claim. So ``plays_in = accepted + quarantined`` and ``rows_in = accepted +
    quarantined + duplicates dropped`` are checks that a lost play or row fails, not identities."""

    season: int
    week: int
    layout: str
    files: list[str]
    tracking: pl.DataFrame
    plays: pl.DataFrame
    quarantine: pl.DataFrame
    games: pl.DataFrame
    players: pl.DataFrame
    plays_in: int
    rows_in: int
    duplicate_rows_dropped: int
    rows_quarantined: int
    # Files cut mid-line: {"file": uri, "line": the cut line}.
    truncated_files: list[dict] = field(default_factory=list)

    @property
    def plays_quarantined(self) -> int:
        """Distinct plays in quarantine (rows no play can claim are not plays)."""
        return self.quarantine.select(PLAY_KEY).drop_nulls().n_unique()

    def summary(self) -> dict:
        return {
            "season": self.season,
            "week": self.week,
            "layout": self.layout,
            "files": self.files,
            "plays_in": self.plays_in,
            "plays_accepted": self.plays.height,
            "plays_quarantined": self.plays_quarantined,
            "rows_in": self.rows_in,
            "rows_accepted": self.tracking.height,
            "rows_quarantined": self.rows_quarantined,
            "duplicate_rows_dropped": self.duplicate_rows_dropped,
            "truncated_files": self.truncated_files,
        }


def read_tracking_files(
    source: TrackingSource, files: list[SourceFile], truncated: list[dict]
) -> Iterator[RawRows]:
    """Each file's rows as read, one file at a time (so a partition's raw text frames are never all in
    memory at once); each file cut mid-line is appended to ``truncated`` as {"file", "line"} when its
    rows are yielded."""
    for file in files:
        try:
            raw = source.read_frame(file, as_strings=True, schema_overrides=formats.NUMERIC_READ_TYPES)
        except SourceError:
            # A value that is not a number: re-read as text so parse_tracking can name each one.
            raw = source.read_frame(file, as_strings=True)
        # A cut .gz or Parquet file does not read at all; a plain CSV reads with a short last row.
        if (
            raw.height
            and not (file.is_parquet or file.is_gzip)
            and csv_last_line_cut(*source.read_ends(file))
        ):
            truncated.append({"file": file.uri, "line": raw.height + 1})  # the header is line 1
        yield file.uri, raw


def _parse_tracking(raws: Iterable[RawRows], forced_layout: str) -> tuple[pl.DataFrame, pl.DataFrame, str]:
    """(parsed rows, parse errors, layout) of the files' rows."""
    parsed, errors, layouts = [], [], set()
    for uri, raw in raws:
        layouts.add(formats.detect_layout(raw.columns, uri, forced_layout).name)
        frame, errs = formats.parse_tracking(raw, uri)
        parsed.append(frame)
        errors.append(errs)
    return (
        pl.concat(parsed, how="vertical_relaxed"),
        pl.concat(errors, how="vertical_relaxed"),
        "+".join(sorted(layouts)),
    )


def _cut_lines(raw: pl.DataFrame, truncated: list[dict]) -> tuple[pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """(the rows before the cut lines, the cut lines, quarantine rows for the cut lines). A cut line's
    values, ids included, may be cut short, so no play claims it; the play of the line before it stops
    mid-play and is quarantined as ``truncated_file`` (``_truncated_plays``)."""
    if truncated:
        cuts = pl.DataFrame(truncated, schema={"source_file": pl.String, "line": pl.Int64})
        on_cut_line = pl.struct("source_file", "source_row").is_in(
            cuts.select(pl.struct(pl.col("source_file"), pl.col("line").alias("source_row")))
            .to_series()
            .implode()
        )
        cut_rows, kept = raw.filter(on_cut_line), raw.filter(~on_cut_line)
    else:  # no file is cut (the usual case): two passes over every row spared
        cut_rows, kept = raw.clear(), raw
    quarantine_rows = cut_rows.select(
        pl.lit(None, dtype=pl.Int64).alias("game_id"),
        pl.lit(None, dtype=pl.Int64).alias("play_id"),
        pl.lit("truncated_file").alias("reason"),
        pl.format("{} line {}: the file ends in the middle of this line", "source_file", "source_row").alias(
            "detail"
        ),
        "source_file",
    )
    return kept, cut_rows, quarantine_rows


def _truncated_plays(raw: pl.DataFrame, truncated: list[dict]) -> pl.DataFrame:
    """``truncated_file`` for the play of the last whole line of each cut file."""
    last_whole = pl.DataFrame(
        [{"source_file": cut["file"], "source_row": cut["line"] - 1} for cut in truncated],
        schema={"source_file": pl.String, "source_row": pl.Int64},
    )
    last_rows = (
        raw.join(last_whole, on=["source_file", "source_row"], how="semi") if truncated else raw.clear()
    )
    return rules.play_issues(
        last_rows,
        "truncated_file",
        pl.format(
            "{}: the file is cut in the middle of line {}, within this play's rows: its tracking is cut off",
            "source_file",
            pl.col("source_row") + 1,
        ),
    )


def _offense_from_tables(plays: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """Per play: offense_club_table, the plays table's possession team in the tracking's club
    vocabulary: the abbreviation itself (BDB 2023+) or home/away through the games table (BDB
    2019/2021, whose team column also holds ball/football). Null when it names none of the play's
    clubs, so that a table never restricts the passer search to a club nobody plays for."""
    if aux.plays is None:
        return plays.with_columns(pl.lit(None, dtype=pl.String).alias("offense_club_table"))
    table = with_game_teams(
        plays.join(aux.plays.select(*PLAY_KEY, "possession_team"), on=PLAY_KEY, how="left"), aux
    )
    as_home_away = (
        pl.when(pl.col("possession_team") == pl.col("home_team"))
        .then(pl.lit("home"))
        .when(pl.col("possession_team") == pl.col("visitor_team"))
        .then(pl.lit("away"))
    )
    club = (
        pl.when(pl.col("clubs").list.contains(pl.col("possession_team")))
        .then(pl.col("possession_team"))
        .when(pl.col("clubs").list.contains(as_home_away))
        .then(as_home_away)
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
    truncated: list[dict] = []  # filled as the files are read, before the cut lines are handled
    raws = read_tracking_files(source, files, truncated)
    return ingest_tracking_rows(raws, key, aux, forced_layout, truncated)


def ingest_tracking_rows(
    raws: Iterable[RawRows],
    key: PartitionKey,
    aux: AuxTables,
    forced_layout: str = "auto",
    truncated: list[dict] | None = None,
) -> PartitionResult:
    """``ingest_partition`` on rows already read: (file uri, its rows as ``TrackingSource.read_frame``
    returns them) per file, and the files cut mid-line. Live scoring passes one play's rows."""
    season, week = key
    raw, parse_errors, layout = _parse_tracking(raws, forced_layout)
    # After the parse: a reader of the files (``read_tracking_files``) fills ``truncated`` as it goes.
    truncated = [] if truncated is None else truncated
    rows_in = raw.height
    raw, cut_rows, cut_quarantine = _cut_lines(raw, truncated)
    parse_errors = parse_errors.join(
        cut_rows.select("source_file", "source_row"), on=["source_file", "source_row"], how="anti"
    )
    # Rows whose ids do not parse cannot be attributed to a play: one quarantine row per file says so.
    identified = pl.col("game_id").is_not_null() & pl.col("play_id").is_not_null()
    unidentified = raw.filter(~identified)
    if unidentified.height:  # else every row stays: no copy of the partition
        raw = raw.filter(identified)
    entities = rules.entity_frames(raw)
    # What entered, counted before any rule runs: the accounting checks conservation against these.
    plays_in = entities.select(PLAY_KEY).n_unique()
    data_columns = [c for c in raw.columns if c not in ("source_row", "source_file")]
    deduplicated, duplicates, repeated_keys = rules.drop_identical_duplicates(raw, data_columns, entities)
    tracking = deduplicated.with_columns(
        formats.is_football(pl.col("club")).fill_null(False).alias("is_football")
    )
    play_files = tracking.group_by(PLAY_KEY).agg(
        pl.col("source_file").first(),
        pl.col("frame_id").max().alias("last_frame_id"),
        pl.col("club").drop_nulls().unique().alias("clubs"),
    )
    frames = _event_frames(tracking, play_files, aux)
    issues = _tracking_issues(
        tracking, (repeated_keys, entities), frames, play_files.select(*PLAY_KEY, "source_file"), parse_errors
    )
    issues.append(aux.play_issues.join(play_files, on=PLAY_KEY, how="semi"))
    issues.append(_truncated_plays(raw, truncated))
    good, good_tracking = _with_passers(tracking, frames, issues, play_files, aux)
    passed_so_far = good.height
    reasons = rules.first_reason(issues)
    good = good.join(reasons, on=PLAY_KEY, how="anti")
    good = good.join(normalize.infer_direction(good_tracking, good), on=PLAY_KEY)
    if good.height < passed_so_far:  # plays without a passer leave: their rows too (else no copy)
        good_tracking = good_tracking.join(good.select(PLAY_KEY), on=PLAY_KEY, how="semi")
    canonical = normalize.normalize_tracking(good_tracking, good)
    good = good.join(normalize.line_of_scrimmage(canonical, good), on=PLAY_KEY, how="left")
    plays = play_table(outcomes.play_outcomes(canonical, good), aux, season, week, layout)
    quarantine = pl.concat(
        [
            reasons.join(play_files.select(*PLAY_KEY, "source_file"), on=PLAY_KEY, how="left"),
            unidentified_rows(unidentified, parse_errors),
            cut_quarantine,
        ],
        how="diagonal_relaxed",
    ).with_columns(pl.lit(season, pl.Int32).alias("season"), pl.lit(week, pl.Int32).alias("week"))
    return PartitionResult(
        season=season,
        week=week,
        layout=layout,
        files=[uri for uri, _ in raws],
        tracking=canonical,
        plays=plays,
        quarantine=quarantine.select([pl.col(c).cast(t) for c, t in QUARANTINE_SCHEMA.items()]),
        games=games_table(raw, aux, season, week),
        players=players_table(raw, aux),
        plays_in=plays_in,
        rows_in=rows_in,
        duplicate_rows_dropped=duplicates,
        rows_quarantined=_rows_of_plays(tracking, reasons) + unidentified.height + cut_rows.height,
        truncated_files=truncated,
    )


def _rows_of_plays(tracking: pl.DataFrame, plays: pl.DataFrame) -> int:
    """How many rows of ``tracking`` belong to the ``plays`` (counted on the keys alone)."""
    return tracking.lazy().join(plays.lazy(), on=PLAY_KEY, how="semi").select(pl.len()).collect().item()


def _event_frames(tracking: pl.DataFrame, play_files: pl.DataFrame, aux: AuxTables) -> pl.DataFrame:
    """Per play, the frames its events mark (snap, release, ...) and the official pass result, if any."""
    frames = ev.event_frames(
        ev.frame_events(tracking), play_files.select(*PLAY_KEY, "last_frame_id", "clubs")
    )
    if aux.plays is None:
        return frames.with_columns(pl.lit(None, dtype=pl.String).alias("pass_result_official"))
    return frames.join(aux.plays.select(*PLAY_KEY, "pass_result_official"), on=PLAY_KEY, how="left")


def _tracking_issues(
    tracking: pl.DataFrame,
    row_summaries: tuple[pl.DataFrame, pl.DataFrame],
    frames: pl.DataFrame,
    play_files: pl.DataFrame,
    parse_errors: pl.DataFrame,
) -> list[pl.DataFrame]:
    """The quarantine rules on the rows, the events and the players on the field, one frame each;
    ``row_summaries``: the rows whose key repeats and ``rules.entity_frames``."""
    issues = [rules.parse_issues(parse_errors), *rules.row_issues(tracking, *row_summaries)]
    issues += rules.event_issues(frames, play_files)
    issues.append(
        rules.player_count_issues(tracking, frames.filter(pl.col("snap_frame_id").is_not_null()), play_files)
    )
    return issues


def _with_passers(
    tracking: pl.DataFrame,
    frames: pl.DataFrame,
    issues: list[pl.DataFrame],
    play_files: pl.DataFrame,
    aux: AuxTables,
) -> tuple[pl.DataFrame, pl.DataFrame]:
    """(plays that passed the rules so far with their passer and offense, their tracking rows); plays
    with no identifiable passer are added to ``issues`` as ``no_passer``."""
    good = _offense_from_tables(frames.join(rules.first_reason(issues), on=PLAY_KEY, how="anti"), aux)
    good_tracking = tracking.join(good.select(PLAY_KEY), on=PLAY_KEY, how="semi")
    passers = normalize.identify_passer(good_tracking, normalize.ball_positions(good_tracking), good)
    good = good.join(passers, on=PLAY_KEY, how="left").with_columns(
        pl.coalesce("offense_club_table", "passer_club").alias("offense_club")
    )
    issues.append(
        rules.play_issues(
            good.join(play_files.select(*PLAY_KEY, "source_file"), on=PLAY_KEY).filter(
                pl.col("passer_nfl_id").is_null()
            ),
            "no_passer",
            pl.format(
                "{}: column nflId: no offensive player near the ball before the release", "source_file"
            ),
        )
    )
    return good, good_tracking
