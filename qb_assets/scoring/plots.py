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


def play_distribution(
    grid_yd: np.ndarray,
    density: np.ndarray,
    thresholds: tuple[float, float],
    actual_yd: float,
    title: str,
) -> bytes:
    """A play's predicted yards density: the binned body, the two generalized-Pareto tails shaded,
    the splice thresholds and the actual yards marked."""
    lower, upper = thresholds
    figure, axis = plt.subplots(figsize=(8, 3.6))
    body = (grid_yd >= lower) & (grid_yd <= upper)
    axis.fill_between(
        grid_yd, density, where=body, step="mid", color="#4c72b0", alpha=0.75, label="binned body"
    )
    axis.fill_between(
        grid_yd, density, where=grid_yd <= lower, color="#dd8452", alpha=0.8, label="lower GPD tail"
    )
    axis.fill_between(
        grid_yd, density, where=grid_yd >= upper, color="#c44e52", alpha=0.8, label="upper GPD tail"
    )
    for threshold, name in ((lower, "t_L"), (upper, "t_U")):
        axis.axvline(threshold, color="grey", linestyle=":", linewidth=1)
        axis.text(threshold, density.max() * 1.02, name, ha="center", fontsize=8, color="grey")
    axis.axvline(actual_yd, color="black", linewidth=2, label=f"actual: {actual_yd:+.0f} yd")
    axis.set_xlabel("yards gained")
    axis.set_ylabel("density")
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
        rows = con.execute(
            f"""SELECT week, display_name, attempts_to_date, score_50_99_to_date,
                       percentile_low_90_to_date, percentile_high_90_to_date, shrunk_percentile_to_date,
                       league_mean
                FROM qb_weekly_trend WHERE season = ? AND {key} ORDER BY week""",
            [season, int(qb) if qb.isdigit() else qb],
        ).fetchall()
        if not rows:
            raise ValueError(f"{warehouse}: no scores for passer {qb!r} in season {season}")
        # The interval's ends on the 50-99 scale, through the one mapping the warehouse defines.
        ends = con.execute(
            "SELECT passing_score(lo, lm), passing_score(hi, lm) "
            "FROM (SELECT unnest(?) AS lo, unnest(?) AS hi, unnest(?) AS lm)",
            [[r[4] for r in rows], [r[5] for r in rows], [r[7] for r in rows]],
        ).fetchall()
    finally:
        con.close()
    weeks = np.array([r[0] for r in rows])
    score = np.array([r[3] for r in rows])
    low, high = np.array([e[0] for e in ends]), np.array([e[1] for e in ends])
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
