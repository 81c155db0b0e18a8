"""Live scoring of one play, the real-time use: a model version loaded once, then a play scored from its
raw tracking rows while the broadcast is still showing it.

``LivePlayScorer(version_dir)`` loads the version's passing and execution models and exports each into a
single-play inference graph (``ml.single_play``). ``score_rows`` takes one play's rows as read from a
tracking file of any layout and runs the batch pipeline's own functions on them: ``ingest_tracking_rows``
(parse, quarantine rules, normalization, outcomes: ``ingest.partition``), ``build_partition_features``
and ``feature_arrays``/``model_data`` (``features.store``), then each model's graph (forward pass,
percentile bounds and expected yards). The numbers equal those ``score.score_partition`` writes for the
same play (tests/scoring/test_live.py). A play that the rules quarantine, that is not a pass attempt, or
that cannot be featurized is a ``LivePlayError`` naming the file, game, play and reason.

``read_play_rows`` is the ``qb-score score-play`` side: one play's rows out of a tracking file, with their
line numbers, the partition the file belongs to and the plays/games/players tables of its folder.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.features.schema import schema_hash
from qb_assets.features.store import build_partition_features, feature_arrays, model_data
from qb_assets.ingest.aux_tables import AuxTables
from qb_assets.ingest.partition import PartitionKey, ingest_tracking_rows, read_tracking_files
from qb_assets.ingest.pipeline import plan_partitions
from qb_assets.io.files import SourceError
from qb_assets.io.sources import open_source
from qb_assets.model.training import MODEL_INPUTS, model_dir

SCORED_RESULTS = ("C", "I", "IN")  # the pass attempts, as the feature store featurizes them


class LivePlayError(ValueError):
    """One play cannot be scored: absent, quarantined, not a pass attempt, not featurized."""


@dataclass(frozen=True)
class PlayRows:
    """One play's raw tracking rows (``source_row``: their lines in the file), the file, the partition
    (season, week) the file belongs to and its folder's plays/games/players tables."""

    rows: pl.DataFrame
    source_file: str
    key: PartitionKey
    aux: AuxTables
    truncated: list[dict] = field(default_factory=list)


@dataclass(frozen=True)
class LivePlayScore:
    """One play's numbers (as ``play_scores`` has them) and where the time went, in milliseconds."""

    game_id: int
    play_id: int
    pass_result: str
    yards_gained: float
    model_version: str
    passing: dict[str, float]  # cdf_lower, cdf_upper, percentile, expected_yards
    execution: dict[str, float]
    timings_ms: dict[str, float]

    def as_dict(self) -> dict:
        """The flat record ``qb-score score-play`` prints."""
        return {
            "game_id": self.game_id,
            "play_id": self.play_id,
            "pass_result": self.pass_result,
            "yards_gained": self.yards_gained,
            "passing_percentile": self.passing["percentile"],
            "execution_percentile": self.execution["percentile"],
            "expected_yards": self.passing["expected_yards"],
            "execution_expected_yards": self.execution["expected_yards"],
            "model_version": self.model_version,
            "timings_ms": self.timings_ms,
        }


class LivePlayScorer:
    """A model version's two models, loaded and exported once, scoring one play at a time (the graphs
    run on one thread of their own: the process's torch settings are left alone)."""

    def __init__(self, version_dir: str | Path):
        from ml.artifacts import load_artifact  # noqa: PLC0415 - torch only when scoring
        from ml.single_play import SinglePlayGraphs  # noqa: PLC0415

        self.version_dir = Path(version_dir)
        self.graphs, self.records = {}, {}
        for name in MODEL_INPUTS:
            model, config, record = load_artifact(model_dir(self.version_dir, name), schema_hash())
            self.graphs[name], self.records[name] = SinglePlayGraphs(model, config), record

    def score_rows(self, play: PlayRows) -> LivePlayScore:
        """Score the play whose raw tracking rows are ``play.rows`` (see the module docstring)."""
        started = time.perf_counter()
        ingested = ingest_tracking_rows(
            [(play.source_file, play.rows)], play.key, play.aux, truncated=play.truncated
        )
        where = f"{play.source_file}: game {_ids(play.rows)}"
        if ingested.plays.is_empty():
            reasons = ingested.quarantine.select("reason", "detail").unique().rows()
            detail = "; ".join(f"{reason}: {text}" for reason, text in reasons) or "no rows"
            raise LivePlayError(f"{where} is quarantined ({detail})")
        result = ingested.plays.row(0, named=True)["pass_result"]
        if result not in SCORED_RESULTS:
            raise LivePlayError(f"{where} is not a pass attempt (pass result {result}); nothing to score")
        ingested_at = time.perf_counter()
        features, quarantine, _ = build_partition_features(
            ingested.tracking, ingested.plays, ingested.players
        )
        if features.is_empty():
            reasons = "; ".join(f"{r}: {d}" for r, d in quarantine.select("reason", "detail").rows())
            raise LivePlayError(f"{where} cannot be featurized ({reasons})")
        # The lake's feature table carries its partition as season and week columns.
        season, week = (pl.lit(value, dtype=pl.Int32) for value in play.key)
        score = self.score_features(features.with_columns(season.alias("season"), week.alias("week")))
        done = time.perf_counter()
        timings = {
            "ingest": (ingested_at - started) * 1e3,
            "features": (done - ingested_at) * 1e3 - score.timings_ms["model"],
        }
        return replace(score, timings_ms={**timings, **score.timings_ms})

    def score_features(self, features: pl.DataFrame) -> LivePlayScore:
        """Score the one play of a feature table (``build_partition_features``' frame, or the lake's)."""
        if features.height != 1:
            raise ValueError(f"score_features scores one play; got {features.height}")
        inputs = {name: model_data(feature_arrays(features, MODEL_INPUTS[name])) for name in MODEL_INPUTS}
        play = features.select("game_id", "play_id", "pass_result", "yards_gained").row(0, named=True)
        intercepted = play["pass_result"] == "IN"
        started = time.perf_counter()
        numbers = {
            name: self.score_inputs(name, single_play_inputs(data), intercepted)
            for name, data in inputs.items()
        }
        elapsed_ms = (time.perf_counter() - started) * 1e3
        return LivePlayScore(
            game_id=play["game_id"],
            play_id=play["play_id"],
            pass_result=play["pass_result"],
            yards_gained=float(play["yards_gained"]),
            model_version=self.records["passing"]["model_version"],
            passing=numbers["passing"],
            execution=numbers["execution"],
            timings_ms={"model": elapsed_ms},
        )

    def score_inputs(self, model: str, inputs: tuple, intercepted: bool) -> dict[str, float]:
        """One model's numbers for one play's ``single_play_inputs``: the graphs, then an
        interception's percentile 0 (``ml.score.play_percentile``)."""
        from ml.score import play_percentile  # noqa: PLC0415

        values = self.graphs[model](*inputs)
        values["percentile"] = float(play_percentile(values["percentile"], intercepted))
        return values


def single_play_inputs(data) -> tuple:
    """The single-play graph's inputs for the one play of ``model_data``'s ``TrainingData``: its n
    valid frames as (1, n, S * C), n_frames, tabular, yards and boundaries (views of the arrays; the
    graphs cast the few that are not float32 / int64)."""
    n = int(data.n_frames[0])
    return (
        data.tensor[:1, :n].reshape(1, n, -1),
        data.n_frames[:1],
        data.tabular[:1],
        data.label[:1],
        data.lower_yd[:1],
        data.upper_yd[:1],
    )


def read_play_rows(tracking_file: str | Path, game_id: int, play_id: int) -> PlayRows:
    """One play's rows from a tracking file (any layout; CSV, CSV.gz or Parquet), with the plays/games/
    players tables found in the file's folder (the names ``qb-score ingest`` finds them by)."""
    path = Path(tracking_file)
    if not path.is_file():
        raise SourceError(f"{path}: tracking file does not exist")
    folder = open_source(path.parent)
    tables = [f for f in folder.list_files() if f.is_table]
    source = open_source(path)
    files = source.list_files()
    aux = AuxTables.load(folder, tables)
    truncated: list[dict] = []
    ((_, raw),) = read_tracking_files(source, files, truncated)
    missing = [c for c in ("gameId", "playId") if c not in raw.columns]
    if missing:
        raise SourceError(f"{path}: no {' or '.join(missing)} column: not a tracking file")
    rows = raw.with_row_index("source_row", offset=2).filter(
        (_as_number("gameId") == game_id) & (_as_number("playId") == play_id)
    )
    if rows.is_empty():
        raise LivePlayError(f"{path}: no tracking rows for game {game_id} play {play_id}")
    (key,) = plan_partitions(source, files, aux.games)
    return PlayRows(rows, files[0].uri, key, aux, truncated)


def _as_number(column: str) -> pl.Expr:
    return pl.col(column).cast(pl.String).str.strip_chars().cast(pl.Float64, strict=False)


def _ids(rows: pl.DataFrame) -> str:
    """ "G play P" of a play's raw rows, for messages."""
    ids = rows.select(_as_number("gameId").first(), _as_number("playId").first()).row(0)
    return " play ".join(str(int(i)) if i is not None and np.isfinite(i) else "?" for i in ids)
