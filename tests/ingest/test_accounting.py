"""Play and row accounting is counted from the files as read, before any rule runs, so a play or row
lost on the way fails the blocking ``plays_accounted_for`` check instead of balancing by construction."""

from __future__ import annotations

from pathlib import Path

import polars as pl
import pytest

from qb_assets.defs.ingest import accounting_check_result
from qb_assets.ingest import normalize
from qb_assets.ingest.pipeline import ingest_source


def _unaccounted(summary: dict) -> tuple[int, int]:
    result = accounting_check_result(summary)
    return result.metadata["plays_unaccounted"].value, result.metadata["rows_unaccounted"].value


def test_the_check_passes_when_nothing_is_lost(real_source: Path, real_game: pl.DataFrame, tmp_path) -> None:
    summary = ingest_source(real_source, tmp_path / "lake")
    assert summary["plays_in"] == real_game["playId"].n_unique() == 73
    assert summary["rows_in"] == real_game.height
    assert accounting_check_result(summary).passed
    assert _unaccounted(summary) == (0, 0)


def test_a_play_lost_by_a_step_fails_the_check(
    real_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    infer_direction = normalize.infer_direction

    def loses_play_83(tracking: pl.DataFrame, plays: pl.DataFrame) -> pl.DataFrame:
        return infer_direction(tracking, plays).filter(pl.col("play_id") != 83)

    monkeypatch.setattr(normalize, "infer_direction", loses_play_83)
    summary = ingest_source(real_source, tmp_path / "lake")
    assert summary["plays_in"] == 73
    assert summary["plays_accepted"] + summary["plays_quarantined"] == 72
    assert not accounting_check_result(summary).passed
    plays_lost, rows_lost = _unaccounted(summary)
    assert plays_lost == 1 and rows_lost > 0  # the play's rows went with it


def test_rows_lost_by_a_step_fail_the_check(
    real_source: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    normalize_tracking = normalize.normalize_tracking

    def loses_a_frame(tracking: pl.DataFrame, plays: pl.DataFrame) -> pl.DataFrame:
        canonical = normalize_tracking(tracking, plays)
        return canonical.filter(~((pl.col("play_id") == 83) & (pl.col("frame_id") == 60)))

    monkeypatch.setattr(normalize, "normalize_tracking", loses_a_frame)
    summary = ingest_source(real_source, tmp_path / "lake")
    assert summary["plays_in"] == summary["plays_accepted"] + summary["plays_quarantined"]
    assert not accounting_check_result(summary).passed
    assert _unaccounted(summary)[1] > 0
