"""Live scoring of one play from its raw tracking rows (``scoring.live``, ``qb-score score-play``): the
same numbers as the batched scoring of the ingested lake, for both models, and one-line errors naming
the file, game and play when the play cannot be scored."""

from __future__ import annotations

import json
from pathlib import Path

import polars as pl
import pytest

from qb_assets.cli.main import main
from qb_assets.scoring.live import LivePlayError, LivePlayScorer, read_play_rows
from qb_assets.scoring.score import score_partition

WEEK = 3  # the trained model's held-out week


def _week_file(source: Path) -> Path:
    return source / f"tracking_week_{WEEK}.csv"


def _sample(scores: pl.DataFrame) -> pl.DataFrame:
    """A dozen plays of the week: every pass result, the shortest and the longest snap-to-release, the
    best and the worst percentile (touchdowns and interceptions among them)."""
    features = scores.sort("game_id", "play_id")
    picks = [
        features.group_by("pass_result").first(),
        features.sort("time_to_throw_s").head(2),
        features.sort("time_to_throw_s").tail(2),
        features.sort("passing_percentile").tail(2),
        features.filter(pl.col("pass_result") == "IN").head(2),
        features.gather_every(max(1, features.height // 4)),
    ]
    return pl.concat([p.select(features.columns) for p in picks]).unique(["game_id", "play_id"])


def test_a_play_scored_live_equals_its_batched_score(small_season, trained_model: Path) -> None:
    source, lake = small_season
    batched = score_partition(str(lake), trained_model, 2024, WEEK)
    sample = _sample(batched)
    assert sample["pass_result"].n_unique() == 3 and sample.height >= 8
    scorer = LivePlayScorer(trained_model)
    for play in sample.iter_rows(named=True):
        live = scorer.score_rows(read_play_rows(_week_file(source), play["game_id"], play["play_id"]))
        where = (play["game_id"], play["play_id"], play["pass_result"])
        assert (live.game_id, live.play_id, live.pass_result) == where
        assert live.yards_gained == play["yards_gained"]
        for model in ("passing", "execution"):
            numbers = getattr(live, model)
            assert abs(numbers["percentile"] - play[f"{model}_percentile"]) < 1e-5, (where, model)
            for bound in ("cdf_lower", "cdf_upper"):
                assert abs(numbers[bound] - play[f"{model}_{bound}"]) < 1e-5, (where, model, bound)
        # See tests/ml/test_single_play.py for the relative tolerance of a mean.
        expected = play["expected_yards"]
        assert abs(live.passing["expected_yards"] - expected) < 1e-4 * max(1.0, abs(expected)), where
        assert live.model_version == play["model_version"]
        assert set(live.timings_ms) == {"ingest", "features", "model"}


def test_score_play_prints_the_play_s_numbers(small_season, trained_model: Path, capsys) -> None:
    source, lake = small_season
    batched = score_partition(str(lake), trained_model, 2024, WEEK).filter(pl.col("pass_result") == "C")
    play = batched.row(0, named=True)
    args = [
        str(_week_file(source)),
        str(play["game_id"]),
        str(play["play_id"]),
        "--model",
        str(trained_model),
    ]
    assert main(["score-play", *args]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert (printed["game_id"], printed["play_id"], printed["pass_result"]) == (
        play["game_id"],
        play["play_id"],
        "C",
    )
    for key in ("passing_percentile", "execution_percentile"):
        assert printed[key] == pytest.approx(play[key], abs=1e-5)
    assert printed["expected_yards"] == pytest.approx(play["expected_yards"], rel=1e-4)
    assert printed["model_version"] == play["model_version"]


def _error(capsys, *args: str) -> str:
    assert main(["score-play", *args]) == 1
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 1, lines
    return lines[0]


def test_score_play_errors_name_the_file_game_and_play(
    small_season, trained_model: Path, tmp_path: Path, capsys
) -> None:
    source, _ = small_season
    week_file, model = _week_file(source), str(trained_model)
    tracking = pl.read_csv(week_file, infer_schema=False)
    plays = pl.read_csv(source / "plays.csv", infer_schema=False).join(
        tracking.select("gameId", "playId").unique(), on=["gameId", "playId"]
    )
    game, play = plays.filter(pl.col("passResult") == "C").select("gameId", "playId").row(0)

    missing = _error(capsys, str(tmp_path / "week9.csv"), game, play, "--model", model)
    assert "week9.csv" in missing and "does not exist" in missing
    absent = _error(capsys, str(week_file), game, "999999", "--model", model)
    assert str(week_file) in absent and f"game {game} play 999999" in absent

    sack_game, sack = plays.filter(pl.col("passResult") == "S").select("gameId", "playId").row(0)
    not_attempt = _error(capsys, str(week_file), sack_game, sack, "--model", model)
    assert f"game {sack_game} play {sack}" in not_attempt and "not a pass attempt" in not_attempt

    # The same play with its snap event erased: quarantined by the ingest's rules, reason named.
    folder = tmp_path / "cut"
    folder.mkdir()
    (folder / "plays.csv").write_bytes((source / "plays.csv").read_bytes())
    no_snap = tracking.filter((pl.col("gameId") == game) & (pl.col("playId") == play)).with_columns(
        pl.when(pl.col("event") == "ball_snap").then(None).otherwise(pl.col("event")).alias("event")
    )
    no_snap.write_csv(folder / f"tracking_week_{WEEK}.csv")
    quarantined = _error(capsys, str(folder / f"tracking_week_{WEEK}.csv"), game, play, "--model", model)
    assert f"game {game} play {play} is quarantined" in quarantined and "no_snap" in quarantined

    with pytest.raises(LivePlayError, match=f"game {game} play 999999"):
        read_play_rows(week_file, int(game), 999999)
