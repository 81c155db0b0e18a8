"""The pictures an analyst puts on a slide, checked element by element: the explain figure of one play
(title, both models' curves, medians, expected yards, goal line, result, the 0-yard and touchdown masses
apart) and the weekly chart (weekly points, the season-to-date line and its band, the league average,
the qualification threshold)."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib.pyplot as plt
import numpy as np
import polars as pl
import pytest
from matplotlib.collections import PathCollection, PolyCollection

from qb_assets.io import lake as lake_io
from qb_assets.scoring.explain import explain_picture
from qb_assets.scoring.plots import (
    BAND_PAD_WEEKS,
    play_distribution_figure,
    png_bytes,
    weekly_figure,
    weekly_trend,
)
from tests.warehouse.fabricated import SEASON, build_fabricated_warehouse, one

# Set QB_PICTURES_DIR to keep the pictures the tests draw (to look at them).
PICTURES_DIR = os.environ.get("QB_PICTURES_DIR")


def _keep(figure, name: str) -> None:
    if PICTURES_DIR:
        Path(PICTURES_DIR, name).write_bytes(png_bytes(figure))
    else:
        plt.close(figure)


def _labels(axis) -> list[str]:
    return axis.get_legend_handles_labels()[1]


def _line(axis, label: str, *, exact: bool = False):
    """The one line whose label is (or starts with) ``label``."""
    (line,) = [
        line
        for line in axis.get_lines()
        if line.get_label() == label or (not exact and line.get_label().startswith(label))
    ]
    return line


@pytest.fixture(scope="module")
def completion(small_season, trained_model: Path):
    """The explain picture of a completion short of the end zone, and its numbers."""
    _, lake = small_season
    play = (
        lake_io.scan_table(lake, "features")
        .filter((pl.col("pass_result") == "C") & pl.col("yards_gained").is_between(3, 15))
        .filter(pl.col("yards_to_endzone") > pl.col("yards_gained") + 10)
        .select("game_id", "play_id", "passer_nfl_id", "season", "week")
        .head(1)
        .collect()
        .row(0, named=True)
    )
    picture, numbers = explain_picture(str(lake), trained_model, play["game_id"], play["play_id"])
    name = (
        lake_io.scan_table(lake, "players", partitions=[(play["season"], play["week"])])
        .filter(pl.col("nfl_id") == play["passer_nfl_id"])
        .select("display_name")
        .collect()
        .item()
    )
    return picture, numbers, play, name


def test_explain_title_names_the_passer_situation_and_numbers(completion) -> None:
    picture, numbers, play, name = completion
    figure = play_distribution_figure(picture)
    who, what = figure._suptitle.get_text().split("\n")
    assert who.startswith(name) and f"week {play['week']}" in who and f"play {play['play_id']}" in who
    assert " & " in what and " at " in what and "complete for +" in what
    assert f"passing percentile {numbers['passing_percentile']:.2f}" in what
    assert figure.get_size_inches()[0] >= 12
    _keep(figure, "explain.png")


def test_explain_marks_medians_expected_yards_goal_line_and_result(completion) -> None:
    picture, numbers, _, _ = completion
    figure = play_distribution_figure(picture)
    _, axis = figure.axes
    for model in ("passing", "execution"):
        assert _line(axis, f"{model} model: median").get_xdata()[0] == numbers[f"{model}_median_yd"]
        assert _line(axis, f"{model} model: expected").get_xdata()[0] == numbers[f"{model}_expected_yd"]
    goal = _line(axis, "goal line")
    assert goal.get_xdata()[0] == picture.goal_line_yd - 0.5
    actual = _line(axis, "actual")
    assert actual.get_xdata()[0] == picture.actual_yd and "complete" in actual.get_label()
    # The figure's legend explains every line and the passing model's 5%-95% range.
    legend = [text.get_text() for text in figure.legends[0].get_texts()]
    low, high = picture.range_90_yd
    assert legend == _labels(axis)
    assert f"passing model: middle 90%, {low:+.0f} to {high:+.0f} yd (Pareto tails beyond)" in legend
    plt.close(figure)


def test_explain_draws_the_point_masses_apart(completion) -> None:
    picture, _, _, _ = completion
    figure = play_distribution_figure(picture)
    masses, axis = figure.axes
    passing = picture.curves["passing"].pmf
    zero_yards = passing[picture.yards == 0].item()
    touchdown = passing[picture.yards >= picture.goal_line_yd].sum()
    heights = [bar.get_height() for bar in masses.patches]
    assert heights[:2] == pytest.approx([zero_yards, touchdown])  # the passing model's bars, then execution's
    assert [t.get_text().split("\n")[0] for t in masses.get_xticklabels()] == ["0 yards", "touchdown"]
    # On the right the curve breaks at 0 and its scale is the completions', far below the 0-yard mass.
    curve = _line(axis, "passing model", exact=True)
    at_zero = np.asarray(curve.get_ydata())[np.asarray(curve.get_xdata()) == 0]
    assert np.isnan(at_zero).all()
    assert axis.get_ylim()[1] < zero_yards
    plt.close(figure)


@pytest.fixture(scope="module")
def warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_fabricated_warehouse(tmp_path_factory.mktemp("chart") / "warehouse.duckdb")


def test_chart_shows_weekly_points_beside_the_season_to_date_line(warehouse: Path) -> None:
    figure = weekly_figure(weekly_trend(str(warehouse), "Patrick Carter", SEASON))
    axis, counts = figure.axes
    to_date = _line(axis, "season-to-date score")
    week_2 = one(warehouse, "SELECT * FROM qb_weekly_trend WHERE passer_nfl_id = 101 AND week = 2")
    assert list(to_date.get_xdata()) == [1, 2]
    assert to_date.get_ydata()[1] == pytest.approx(week_2["score_50_99_to_date"])
    (points,) = [c for c in axis.collections if isinstance(c, PathCollection)]
    assert points.get_offsets()[1][1] == pytest.approx(week_2["score_50_99"])
    assert _line(axis, "league-average passer").get_ydata()[0] == pytest.approx(74.5, abs=0.01)
    # The season's qualification threshold: 14 attempts per team game, every team plays once a week.
    threshold = _line(counts, "season qualification")
    assert set(threshold.get_ydata()) == {14.0, 28.0}
    assert "qualified" in figure._suptitle.get_text() and "600 attempts" in figure._suptitle.get_text()
    _keep(figure, "chart.png")


def test_a_one_week_passer_has_the_band_its_legend_shows(warehouse: Path) -> None:
    figure = weekly_figure(weekly_trend(str(warehouse), "Rating Line", SEASON))
    axis, _ = figure.axes
    (band,) = [c for c in axis.collections if isinstance(c, PolyCollection)]
    assert band.get_label() in _labels(axis)
    x = band.get_paths()[0].vertices[:, 0]
    y = band.get_paths()[0].vertices[:, 1]
    trend = one(warehouse, "SELECT * FROM qb_weekly_trend WHERE passer_nfl_id = 104")
    assert x.max() - x.min() == pytest.approx(2 * BAND_PAD_WEEKS)  # not a zero-width sliver
    assert y.min() == pytest.approx(trend["score_50_99_low_90_to_date"])
    assert y.max() == pytest.approx(trend["score_50_99_high_90_to_date"])
    _keep(figure, "chart_one_week.png")


def test_a_week_under_the_threshold_is_a_hollow_point(warehouse: Path) -> None:
    figure = weekly_figure(weekly_trend(str(warehouse), "Edge Nine", SEASON))  # 9 attempts in week 1
    axis, _ = figure.axes
    assert "the week's score (under 10 attempts)" in _labels(axis)
    assert "not qualified" in figure._suptitle.get_text()
    plt.close(figure)
