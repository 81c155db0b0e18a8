"""Pictures for the UI and the CLI (matplotlib, headless): PIT histograms, a play's predicted
distributions, and a QB's season by week read from the warehouse's ``qb_weekly_trend`` view.

Each picture has a function that returns the matplotlib ``Figure`` (what the tests inspect: titles,
lines, labels) and one that returns its PNG bytes.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from qb_assets.warehouse.backend import WarehouseLike
from qb_assets.warehouse.load import connect

MODEL_COLORS = {"passing": "#1f5fa8", "execution": "#d1700f"}
GOAL_LINE_COLOR = "#2e7d32"
WEEK_POINT_COLOR = "#d1700f"
WEEK_POINT_OFFSET = 0.15  # weeks
BAND_PAD_WEEKS = 0.3  # the interval band runs this far past the first and last week


def png_bytes(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=110, bbox_inches="tight")
    plt.close(figure)
    return buffer.getvalue()


def markdown_image(png: bytes, alt: str) -> str:
    """A PNG inlined as Markdown, which the Dagster UI renders in asset metadata."""
    return f"![{alt}](data:image/png;base64,{base64.b64encode(png).decode()})"


def pit_histograms(models: dict[str, dict]) -> bytes:
    """One PIT histogram per probabilistic model: flat at 1/bins means calibrated."""
    names = [name for name, metrics in models.items() if metrics.get("pit_histogram")]
    figure, axes = plt.subplots(1, len(names), figsize=(3.2 * len(names), 2.8), sharey=True, squeeze=False)
    for axis, name in zip(axes[0], names, strict=True):
        shares = models[name]["pit_histogram"]
        axis.bar(
            [(i + 0.5) / len(shares) for i in range(len(shares))],
            shares,
            width=1 / len(shares),
            edgecolor="white",
        )
        axis.axhline(1 / len(shares), color="black", linewidth=1, linestyle="--")
        axis.set_title(f"{name}: KS {models[name]['pit_ks']:.3f}")
        axis.set_xlabel("PIT")
    axes[0][0].set_ylabel("share of test plays")
    return png_bytes(figure)


# ---- explain: one play's predicted distributions ------------------------------------------------------


@dataclass(frozen=True)
class ModelCurve:
    """One model's predicted yards for a play: probabilities on the integer yard grid (capped at the goal
    lines), its median and its expected yards."""

    pmf: np.ndarray
    median_yd: float
    expected_yd: float


@dataclass(frozen=True)
class PlayPicture:
    """What the explain picture shows: a two-line title, the passing and execution models' curves (in
    that order), the goal line (yards to the end zone), the result and the passing model's 5%-95% range."""

    title: str
    yards: np.ndarray
    curves: dict[str, ModelCurve]
    goal_line_yd: float
    actual_yd: float
    actual_label: str
    range_90_yd: tuple[float, float]


def play_distribution_figure(picture: PlayPicture) -> Figure:
    """The explain figure. The two point masses, 0 yards (every incompletion, and completions for no
    gain) and the touchdown (all mass at or beyond the goal line), are bars in the left panel, so that
    the distribution on the right keeps a readable scale; its lines break at 0."""
    figure, (masses, axis) = plt.subplots(
        1, 2, figsize=(13, 6.5), gridspec_kw={"width_ratios": [1, 4], "wspace": 0.2}
    )
    yards, goal = picture.yards, picture.goal_line_yd
    shown = (yards < goal) & (yards >= min(-20.0, picture.actual_yd - 3))
    peak = 0.0
    for name, curve in picture.curves.items():
        color = MODEL_COLORS[name]
        spread = np.where(yards == 0, np.nan, curve.pmf)[shown]  # 0 yards is a bar on the left
        peak = max(peak, float(np.nanmax(spread)))
        axis.step(yards[shown], spread, where="mid", color=color, linewidth=2, label=f"{name} model")
        median = f"{name} model: median {curve.median_yd:+.0f} yd"
        axis.axvline(curve.median_yd, color=color, linestyle="--", linewidth=1.4, label=median)
        expected = f"{name} model: expected {curve.expected_yd:+.1f} yd"
        axis.axvline(curve.expected_yd, color=color, linestyle=":", linewidth=2, label=expected)
    # The SBP's tails start at its 5% and 95% quantiles: the shaded range says so in words.
    low, high = picture.range_90_yd
    middle = f"passing model: middle 90%, {low:+.0f} to {high:+.0f} yd (Pareto tails beyond)"
    axis.axvspan(low, high, color=MODEL_COLORS["passing"], alpha=0.08, label=middle)
    axis.axvline(goal - 0.5, color=GOAL_LINE_COLOR, linewidth=2.2, label=f"goal line ({goal:.0f} yd away)")
    axis.axvline(picture.actual_yd, color="black", linewidth=2.6, label=f"actual: {picture.actual_label}")
    axis.set_xlim(float(yards[shown].min()) - 0.5, goal + 1.5)
    axis.set_ylim(0, 1.15 * peak)
    axis.set_xlabel("yards gained from the line of scrimmage")
    axis.set_ylabel("probability of each yard (0 yards: left)")
    axis.set_title("yards gained: completions, sacks, interception returns", fontsize=10)
    axis.grid(alpha=0.25)
    _mass_bars(masses, picture)
    figure.suptitle(picture.title, fontsize=12)
    handles, labels = axis.get_legend_handles_labels()
    figure.legend(handles, labels, loc="lower center", ncol=3, fontsize=9, frameon=False)
    figure.subplots_adjust(top=0.86, bottom=0.24, left=0.06, right=0.98)
    return figure


def _mass_bars(axis: Axes, picture: PlayPicture) -> None:
    """Each model's 0-yard and touchdown probability as bars; the actual outcome's bars outlined."""
    width = 0.8 / len(picture.curves)
    outcome = 0 if picture.actual_yd == 0 else 1 if picture.actual_yd >= picture.goal_line_yd else None
    for index, (name, curve) in enumerate(picture.curves.items()):
        values = [curve.pmf[picture.yards == 0].sum(), curve.pmf[picture.yards >= picture.goal_line_yd].sum()]
        bars = axis.bar(np.arange(2) - 0.4 + width * (index + 0.5), values, width, color=MODEL_COLORS[name])
        for category, bar in enumerate(bars):
            axis.annotate(
                f"{values[category]:.2f}",
                (bar.get_x() + bar.get_width() / 2, bar.get_height()),
                ha="center",
                va="bottom",
                fontsize=9,
            )
            if category == outcome:
                bar.set_edgecolor("black")
                bar.set_linewidth(2.4)
    axis.set_xticks(range(2), ["0 yards\n(incomplete\nor no gain)", "touchdown"], fontsize=9)
    axis.set_ylim(0, 1)
    axis.set_ylabel("probability")
    axis.set_title("point masses (actual outlined)", fontsize=10)
    axis.grid(axis="y", alpha=0.25)


def play_distributions(picture: PlayPicture) -> bytes:
    """The explain picture as PNG bytes (``play_distribution_figure``)."""
    return png_bytes(play_distribution_figure(picture))


# ---- chart: a passer's season by week -----------------------------------------------------------------


@dataclass(frozen=True)
class WeeklyTrend:
    """A passer's season by week, from the warehouse (``weekly_chart``); arrays have one value a week."""

    passer: str
    season: int
    weeks: np.ndarray
    week_score: np.ndarray  # the week's own 50-99 score
    week_attempts: np.ndarray
    week_qualified: np.ndarray  # at least min_week_attempts attempts that week
    score_to_date: np.ndarray
    low_90_to_date: np.ndarray
    high_90_to_date: np.ndarray
    attempts_to_date: np.ndarray
    season_threshold_to_date: np.ndarray  # the season's qualification: attempts per team game x team games
    min_week_attempts: int
    league_average: float
    season_qualified: bool
    attempts_per_team_game: int  # the season's qualification rule


def _padded(weeks: np.ndarray, values: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """x and y that run BAND_PAD_WEEKS past the first and last week at their values: a band over them is
    as wide as the weeks it spans plus the padding, so a one-week passer's band shows too."""
    return (
        np.concatenate([[weeks[0] - BAND_PAD_WEEKS], weeks, [weeks[-1] + BAND_PAD_WEEKS]]),
        np.concatenate([[values[0]], values, [values[-1]]]),
    )


def weekly_figure(trend: WeeklyTrend) -> Figure:
    """The chart: the season-to-date score with its 90% interval, each week's own score as a point
    beside it (hollow below the weekly threshold) and the league-average passer; below, attempts by week
    and to date against the season's qualification threshold."""
    figure, (axis, counts) = plt.subplots(
        2, 1, figsize=(10, 7.5), sharex=True, gridspec_kw={"height_ratios": [3, 1.4], "hspace": 0.08}
    )
    weeks, color = trend.weeks.astype(float), MODEL_COLORS["passing"]
    band_x, low = _padded(weeks, trend.low_90_to_date)
    _, high = _padded(weeks, trend.high_90_to_date)
    axis.fill_between(band_x, low, high, color=color, alpha=0.18, label="season to date: 90% interval")
    axis.plot(
        weeks, trend.score_to_date, color=color, linewidth=2.2, marker="o", label="season-to-date score"
    )
    # The week's own points sit a little left of the to-date line's, so that both show.
    full, beside = trend.week_qualified.astype(bool), weeks - WEEK_POINT_OFFSET
    axis.scatter(
        beside[full], trend.week_score[full], s=50, color=WEEK_POINT_COLOR, zorder=3, label="the week's score"
    )
    if (~full).any():
        axis.scatter(
            beside[~full],
            trend.week_score[~full],
            s=50,
            facecolors="white",
            edgecolors=WEEK_POINT_COLOR,
            zorder=3,
            label=f"the week's score (under {trend.min_week_attempts} attempts)",
        )
    average = f"league-average passer ({trend.league_average:.1f})"
    axis.axhline(trend.league_average, color="grey", linestyle="--", linewidth=1.2, label=average)
    axis.set_ylim(48, 100)
    axis.set_xlim(weeks[0] - 2 * BAND_PAD_WEEKS, weeks[-1] + 2 * BAND_PAD_WEEKS)
    axis.set_ylabel("passing score (50-99)")
    axis.grid(alpha=0.25)
    # Above the plot, where no score can hide behind it.
    axis.legend(fontsize=9, loc="lower center", bbox_to_anchor=(0.5, 1.0), ncol=3, frameon=False)
    _attempts_panel(counts, trend)
    status = "qualified" if trend.season_qualified else "not qualified for the season leaderboard"
    figure.suptitle(
        f"{trend.passer}, {trend.season}: passing score by week\n"
        f"{int(trend.attempts_to_date[-1])} attempts, season score {trend.score_to_date[-1]:.1f} ({status})",
        fontsize=12,
    )
    figure.subplots_adjust(top=0.84)
    return figure


def _attempts_panel(counts: Axes, trend: WeeklyTrend) -> None:
    """Attempts that week (bars) and to date (line), against the season's qualification threshold so
    far (a step a week wide per week)."""
    weeks = trend.weeks.astype(float)
    counts.bar(weeks, trend.week_attempts, width=0.6, color="#bbbbbb", label="attempts that week")
    counts.plot(
        weeks, trend.attempts_to_date, color=MODEL_COLORS["passing"], marker="o", label="attempts to date"
    )
    steps_x = np.concatenate([[weeks[0] - 0.5], weeks, [weeks[-1] + 0.5]])
    steps_y = np.concatenate(
        [
            [trend.season_threshold_to_date[0]],
            trend.season_threshold_to_date,
            [trend.season_threshold_to_date[-1]],
        ]
    )
    qualification = f"season qualification ({trend.attempts_per_team_game} attempts per team game)"
    counts.step(steps_x, steps_y, where="mid", color="#b23b3b", linestyle="--", label=qualification)
    counts.set_ylim(0, 1.45 * max(float(trend.attempts_to_date.max()), float(steps_y.max())))
    counts.set_ylabel("attempts")
    counts.set_xlabel("week")
    counts.set_xticks(trend.weeks)
    counts.grid(alpha=0.25)
    counts.legend(fontsize=8, loc="upper left", ncol=3, frameon=False)


def weekly_scores(trend: WeeklyTrend) -> bytes:
    """The chart as PNG bytes (``weekly_figure``)."""
    return png_bytes(weekly_figure(trend))


# Per week of the passer's season: the trend's columns; the season's qualification threshold through that
# week (min_attempts_per_team_game() x the most games any team has played so far, as league_seasons counts
# them for the whole season); the weekly threshold; the league-average passer on the 50-99 scale (a passer
# at the league's passing score scores scale_50_99(x, x, tau) whatever x and tau); whether the season so
# far qualifies; the rule's attempts per team game. Every constant is the warehouse's own macro.
TREND_SQL = """
WITH team_games AS (
    SELECT week, max(max(games_to_date)) OVER (ORDER BY week) AS team_games
    FROM (
        SELECT possession_team, week,
               sum(count(DISTINCT game_id)) OVER (PARTITION BY possession_team ORDER BY week) AS games_to_date
        FROM play_scores WHERE season = $season GROUP BY possession_team, week
    )
    GROUP BY week
)
SELECT t.week, t.display_name, t.score_50_99, t.attempts, t.qualified, t.score_50_99_to_date,
       t.score_50_99_low_90_to_date, t.score_50_99_high_90_to_date, t.attempts_to_date,
       min_attempts_per_team_game() * g.team_games, min_attempts_week(), scale_50_99(0.5, 0.5, 1.0),
       coalesce(s.qualified, false), min_attempts_per_team_game()
FROM qb_weekly_trend AS t
JOIN team_games AS g USING (week)
LEFT JOIN qb_season_scores AS s USING (passer_nfl_id, season)
WHERE t.season = $season AND {passer}
ORDER BY t.week"""


def weekly_trend(warehouse: WarehouseLike, qb: str, season: int) -> WeeklyTrend:
    """The passer's season by week from the warehouse; ``qb`` is an nflId or a display name."""
    # Play-by-play passers' ids are hashes of the file's ids, negative half of the time.
    is_id = qb.removeprefix("-").isdigit()
    passer = "t.passer_nfl_id = $qb" if is_id else "t.display_name = $qb"
    con = connect(warehouse, read_only=True)
    try:
        rows = con.execute(
            TREND_SQL.format(passer=passer), {"season": season, "qb": int(qb) if is_id else qb}
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise ValueError(f"{warehouse}: no scores for passer {qb!r} in season {season}")
    columns = [np.array(values) for values in zip(*rows, strict=True)]
    return WeeklyTrend(
        passer=rows[0][1] or qb,
        season=season,
        weeks=columns[0].astype(int),
        week_score=columns[2].astype(float),
        week_attempts=columns[3].astype(int),
        week_qualified=columns[4].astype(bool),
        score_to_date=columns[5].astype(float),
        low_90_to_date=columns[6].astype(float),
        high_90_to_date=columns[7].astype(float),
        attempts_to_date=columns[8].astype(int),
        season_threshold_to_date=columns[9].astype(float),
        min_week_attempts=int(rows[0][10]),
        league_average=float(rows[0][11]),
        season_qualified=bool(rows[-1][12]),
        attempts_per_team_game=int(rows[0][13]),
    )


def weekly_chart(warehouse: WarehouseLike, qb: str, season: int) -> tuple[bytes, dict]:
    """(PNG, summary) of the passer's season by week (``weekly_trend``, ``weekly_figure``)."""
    trend = weekly_trend(warehouse, qb, season)
    summary = {
        "passer": trend.passer,
        "season": season,
        "weeks": len(trend.weeks),
        "final_score": float(trend.score_to_date[-1]),
    }
    return weekly_scores(trend), summary


def leader_chart(warehouse: WarehouseLike, season: int) -> bytes | None:
    """The weekly chart of the season's current leader by score (None before any score is loaded)."""
    con = connect(warehouse, read_only=True)
    try:
        leader = con.execute(
            "SELECT passer_nfl_id FROM qb_season_scores WHERE season = ? ORDER BY score_50_99 DESC LIMIT 1",
            [season],
        ).fetchone()
    finally:
        con.close()
    return weekly_chart(warehouse, str(leader[0]), season)[0] if leader else None
