"""Pictures for the UI and the CLI (matplotlib, headless): PIT histograms, a play's predicted
distribution, and a QB's weekly score read from the warehouse's ``qb_weekly_trend`` view."""

from __future__ import annotations

import base64
import io

import matplotlib
import numpy as np

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from qb_assets.warehouse.load import connect


def png_bytes(figure: plt.Figure) -> bytes:
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


def play_distributions(
    yards: np.ndarray,
    pmfs: dict[str, np.ndarray],
    goal_line_yd: float,
    actual_yd: float,
    title: str,
) -> bytes:
    """A play's predicted yards, one step line per model (``pmfs``: name -> probabilities on the integer
    ``yards``), capped at the goal line: the touchdown mass (everything at or beyond the end zone) is the
    bar at ``goal_line_yd``. The actual yards are marked."""
    figure, axis = plt.subplots(figsize=(8, 3.6))
    colors = ("#4c72b0", "#dd8452", "#55a868")
    inside = yards < goal_line_yd
    for (name, pmf), color in zip(pmfs.items(), colors, strict=False):
        axis.step(yards[inside], pmf[inside], where="mid", color=color, linewidth=1.6, label=f"{name} model")
        touchdown = float(pmf[~inside].sum())
        axis.bar(goal_line_yd, touchdown, width=1.4, color=color, alpha=0.45)
        axis.text(
            goal_line_yd, touchdown, f"{touchdown:.2f}", ha="center", va="bottom", fontsize=7, color=color
        )
    axis.axvline(goal_line_yd - 0.5, color="grey", linestyle="--", linewidth=1, label="goal line (touchdown)")
    axis.axvline(actual_yd, color="black", linewidth=2, label=f"actual: {actual_yd:+.0f} yd")
    axis.set_xlim(max(float(yards.min()), -25.0), goal_line_yd + 3)
    axis.set_xlabel("yards gained")
    axis.set_ylabel("probability")
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=8, loc="upper right")
    return png_bytes(figure)


def weekly_scores(
    weeks: np.ndarray, score: np.ndarray, low: np.ndarray, high: np.ndarray, title: str
) -> bytes:
    """A QB's passing score by week with its 90% interval."""
    figure, axis = plt.subplots(figsize=(7, 3.4))
    axis.fill_between(weeks, low, high, color="#4c72b0", alpha=0.2, label="90% interval")
    axis.plot(weeks, score, marker="o", color="#4c72b0", label="passing score")
    axis.set_ylim(48, 100)
    axis.set_xticks(weeks)
    axis.set_xlabel("week")
    axis.set_ylabel("score (50-99)")
    axis.set_title(title, fontsize=9)
    axis.legend(fontsize=8)
    return png_bytes(figure)


def weekly_chart(warehouse: str, qb: str, season: int) -> tuple[bytes, dict]:
    """(PNG, summary) of the passer's season-to-date score by week; ``qb`` is an nflId or a display name."""
    key = "passer_nfl_id = ?" if qb.isdigit() else "display_name = ?"
    con = connect(warehouse, read_only=True)
    try:
        # The interval's ends on the 50-99 scale come from the view: one mapping, in the warehouse.
        rows = con.execute(
            f"""SELECT week, display_name, attempts_to_date, score_50_99_to_date,
                       score_50_99_low_90_to_date, score_50_99_high_90_to_date
                FROM qb_weekly_trend WHERE season = ? AND {key} ORDER BY week""",
            [season, int(qb) if qb.isdigit() else qb],
        ).fetchall()
    finally:
        con.close()
    if not rows:
        raise ValueError(f"{warehouse}: no scores for passer {qb!r} in season {season}")
    weeks = np.array([r[0] for r in rows])
    score, low, high = (np.array([r[i] for r in rows], dtype=float) for i in (3, 4, 5))
    name = rows[0][1] or qb
    title = f"{name}, {season}: passing score to date by week ({rows[-1][2]} attempts)"
    return weekly_scores(weeks, score, low, high, title), {
        "passer": name,
        "season": season,
        "weeks": len(rows),
        "final_score": float(score[-1]),
    }


def leader_chart(warehouse: str, season: int) -> bytes | None:
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
