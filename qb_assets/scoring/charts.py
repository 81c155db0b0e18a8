"""``qb-score chart``: a QB's weekly passing score from the warehouse's ``qb_weekly_trend`` view."""

from __future__ import annotations

import numpy as np

from qb_assets.scoring.plots import weekly_scores
from qb_assets.warehouse.load import connect


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
