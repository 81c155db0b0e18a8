"""Synthetic season generator with per-play ground truth, in the Big Data Bowl 2023 layout.

`generate_season` writes, in OUT_DIR:

* ``games.csv``, ``plays.csv``, ``players.csv`` and one ``tracking_week_{W}.csv`` per week: all 22
  players and the ball at 10 Hz from 1 s before the snap (``ball_snap`` = frame 11) to the end of the
  play, raw field coordinates, BDB events; only dropbacks (C, I, IN, S, R) are generated;
* ``truth.parquet``: one row per dropback with the true yards distribution of the pass, for the QB
  who threw it (``*_qb``) and for a league-average QB in the same pre-release situation (``*_avg``),
  evaluable with `truth_cdf` / `truth_integer_pmf` (family documented in `synthetic_truth`);
* ``truth_receivers.parquet``: per pass attempt and receiver slot, the probability that the passer and
  that a league-average passer throw to him and the outcome distribution of such a throw: with it the
  field-conditioned truth (a league-average QB's outcome from the same field) is known
  (``synthetic.oracle``);
* ``skills.parquet``: every player's latent skills, and for QBs two truths against league-average
  receivers and defenses: ``true_ypa``, the expected yards per attempt (an interception counts minus
  its return), and ``true_anya``, the expected (passing yards + 20 touchdowns - 45 interceptions) per
  attempt, the adjusted net yards per attempt of the box score without sacks.

The league, schedule and each game draw from their own child of ``SeedSequence([seed, season])``, so
the same arguments give byte-identical files and games are independent streams.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path

import numpy as np
import polars as pl

from qb_assets.common.progress import Progress
from qb_assets.ingest.schema import PASS_ATTEMPT_RESULTS
from qb_assets.synthetic.game import receiver_coverage, simulate_game
from qb_assets.synthetic.league import (
    League,
    build_league,
    build_schedule,
    players_csv,
    skills_table,
)
from qb_assets.synthetic.motion import BLOCK_ROUTE, design_plays, draw_setup
from qb_assets.synthetic.play import (
    draw_clock,
    game_situations,
    pick,
    release_features,
    to_frame,
)
from qb_assets.synthetic.receivers import choose_target
from qb_assets.synthetic.truth import (
    SUPPORT_YD,
    conditional_means,
    outcome_probabilities,
    touchdown_given_completion,
    truth_cdf,
    truth_integer_pmf,
    truth_mean,
    yardage_parameters,
)
from qb_assets.synthetic.writer import VINTAGES, as_vintage, vintage_file_name

__all__ = ["SUPPORT_YD", "generate_season", "qb_true_skill", "truth_cdf", "truth_integer_pmf", "truth_mean"]

GAMES_COLUMNS = ("gameId", "season", "week", "gameDate", "gameTimeEastern", "homeTeamAbbr", "visitorTeamAbbr")
NEUTRAL_PLAYS = 3000
# The vintages a season meant for training a model that scores real tracking is written in: most games
# with all 22 players (BDB 2023+), a share as BDB 2021 (no linemen tracked) and as BDB 2019 (no a, o or
# playDirection), so that older vintages are inside the training distribution (README, "The model").
TRAINING_VINTAGE_MIX = {"bdb2023": 0.6, "bdb2021": 0.3, "bdb2019": 0.1}


# ANY/A's weights: a touchdown pass is worth 20 yards, an interception costs 45.
TOUCHDOWN_YD, INTERCEPTION_YD = 20.0, 45.0


def qb_true_skill(
    league: League, seed_seq: np.random.SeedSequence, n_plays: int = NEUTRAL_PLAYS
) -> pl.DataFrame:
    """Each QB's true expected yards per attempt (``true_ypa``) and adjusted yards per attempt
    (``true_anya``) against league-average receivers, line and defense.

    One neutral set of pass plays (all other skills 0) is simulated once; every QB then reads it with
    his own skills (the same random draws: common random numbers, so differences are skill alone).
    """
    rng = np.random.default_rng(seed_seq)
    sit = game_situations(rng, n_plays)
    zeros = np.zeros(n_plays)
    sk = {"route": np.zeros((n_plays, 5)), "coverage": np.zeros((n_plays, 7)), "rush": np.zeros((n_plays, 5)),
          "hands": np.zeros((n_plays, 5)), "yac": np.zeros((n_plays, 5)), "block": zeros}  # fmt: skip
    setup = draw_setup(rng, n_plays)
    clock = draw_clock(rng, setup[2], sk["rush"], sk["block"], kinds_allowed=False)
    f_rel = to_frame(clock["t_event"])
    design = design_plays(
        rng, sit["los_x"], sit["ball_y"], 130, sk, setup, clock["t_hit"], clock["winner"], clock["t_event"]
    )
    feat_all = release_features(design.x, design.y, np.minimum(f_rel, 85), sit["los_x"])
    noise = rng.standard_normal((n_plays, 5))
    cov = receiver_coverage(feat_all, sk)
    # Yardage given the catch (or the pick) depends on the target, not on the passer: compute it once
    # for all five receivers, then each QB only changes which one he throws to and p_complete/p_int.
    n_rec = 5
    flat = {k: (v.reshape(-1) if v.ndim == 2 else np.repeat(v, n_rec)) for k, v in feat_all.items()}
    flat["yards_to_endzone"] = np.repeat(sit["yards_to_endzone"], n_rec)
    flat_zero = np.zeros(n_plays * n_rec)
    params = yardage_parameters(flat, {"yac": flat_zero})
    mean_comp, mean_ret = (m.reshape(n_plays, n_rec) for m in conditional_means(params))
    touchdown = touchdown_given_completion(params).reshape(n_plays, n_rec)
    qbs = league.players.filter(pl.col("role") == "QB")
    rows = np.arange(n_plays)
    ypa, anya = [], []
    for nfl_id in qbs["nflId"].to_list():  # per QB (about 64), each vectorized over the neutral plays
        qb = {
            name: np.full(n_plays, league.skill(np.array([nfl_id]), name)[0])
            for name in ("accuracy", "decision", "arm")
        }
        target = choose_target(
            noise,
            feat_all,
            qb,
            {"hands": sk["hands"], "yac": sk["yac"]},
            cov,
            sit["yards_to_endzone"],
            design.route != BLOCK_ROUTE,
        )
        feat = pick(feat_all, target)
        p_c, p_i = outcome_probabilities(feat, {**qb, "hands": zeros, "coverage": zeros})
        comp, ret, td = mean_comp[rows, target], mean_ret[rows, target], touchdown[rows, target]
        ypa.append(float(np.mean(p_c * comp - p_i * ret)))
        anya.append(float(np.mean(p_c * (comp + TOUCHDOWN_YD * td) - INTERCEPTION_YD * p_i)))
    return qbs.select(pl.col("nflId").alias("nfl_id")).with_columns(
        pl.Series("true_ypa", ypa), pl.Series("true_anya", anya)
    )


def _simulate_week(league: League, games: list, out: Path | None):
    """Simulate the week's ``games`` ((seed sequence, schedule row, vintage) triples) and, with an
    ``out`` folder, write each game's tracking to its vintage's file there (``writer.as_vintage``).
    Yields (plays, truth, receivers, tracking rows written, file name or None)."""
    handles: dict[str, object] = {}
    players = league.players.select("nflId", pl.col("officialPosition").alias("position"), "displayName")
    try:
        for seed_seq, game, vintage in games:
            rng = np.random.default_rng(seed_seq)
            tracking, plays, truth, receivers = simulate_game(rng, league, game, out is not None)
            name = None
            if out is not None:
                name = vintage_file_name(vintage, game["week"], game["gameId"])
                rows = as_vintage(tracking, vintage, game["homeTeamAbbr"], players)
                first = name not in handles
                if first:
                    handles[name] = (out / name).open("wb")
                rows.write_csv(handles[name], include_header=first, float_precision=2)
                tracking = rows
            yield plays, truth, receivers, tracking.height if tracking is not None else 0, name
    finally:
        for handle in handles.values():
            handle.close()


def game_vintages(
    seed_seq: np.random.SeedSequence, n_games: int, vintage_mix: dict[str, float] | None
) -> list[str]:
    """Each game's tracking vintage, drawn from ``vintage_mix`` (vintage -> share; None: all BDB 2023)
    with its own random stream, so the mix changes which files the games go to and nothing else."""
    if not vintage_mix:
        return ["bdb2023"] * n_games
    unknown = sorted(set(vintage_mix) - set(VINTAGES))
    shares = np.array(list(vintage_mix.values()), dtype=float)
    if unknown or (shares < 0).any() or shares.sum() <= 0:
        raise ValueError(
            f"vintage_mix {vintage_mix}: shares must be non-negative, not all 0, "
            f"of vintages {', '.join(VINTAGES)}"
        )
    names = list(vintage_mix)
    drawn = np.random.default_rng(seed_seq).choice(len(names), n_games, p=shares / shares.sum())
    return [names[i] for i in drawn]


def generate_season(  # noqa: PLR0917 (the public contract's signature)
    out_dir: str | Path,
    season: int = 2024,
    weeks: Sequence[int] = range(1, 5),
    games_per_week: int = 16,
    seed: int = 0,
    progress: Progress | None = None,
    with_tracking: bool = True,
    vintage_mix: dict[str, float] | None = None,
) -> dict:
    """Write a synthetic season (see the module docstring) and return a summary:
    games, plays, dropbacks, tracking_rows, files, seconds. ``with_tracking=False`` writes everything but
    the tracking files (the truth, skills and tables are identical), for studies of the truth alone."""
    started = time.perf_counter()
    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    weeks = [int(w) for w in weeks]
    root = np.random.SeedSequence([seed, season])
    league_seq, schedule_seq, neutral_seq, games_seq, vintage_seq = root.spawn(5)
    league = build_league(np.random.default_rng(league_seq))
    schedule = build_schedule(season, weeks, games_per_week, np.random.default_rng(schedule_seq))
    game_seqs = games_seq.spawn(schedule.height)
    vintages = game_vintages(vintage_seq, schedule.height, vintage_mix)
    plays, truths, receiver_truths, files = [], [], [], []
    tracking_rows = 0
    for week in weeks:
        week_games = [
            (game_seqs[i], game, vintages[i])
            for i, game in enumerate(schedule.iter_rows(named=True))
            if game["week"] == week
        ]
        for game_plays, truth, receivers, rows, name in _simulate_week(
            league, week_games, out if with_tracking else None
        ):
            plays.append(game_plays)
            truths.append(truth)
            receiver_truths.append(receivers)
            tracking_rows += rows
            if name is not None and name not in files:
                files.append(name)
        if progress is not None:
            progress(
                f"week {week}: {tracking_rows:,} tracking rows so far ({time.perf_counter() - started:.1f} s)"
            )
    all_plays = pl.concat(plays)
    schedule.select(GAMES_COLUMNS).write_csv(out / "games.csv")
    all_plays.write_csv(out / "plays.csv")
    players_csv(league).write_csv(out / "players.csv")
    pl.concat(truths).write_parquet(out / "truth.parquet")
    pl.concat(receiver_truths).write_parquet(out / "truth_receivers.parquet")
    skills = skills_table(league).join(qb_true_skill(league, neutral_seq), on="nfl_id", how="left")
    skills.write_parquet(out / "skills.parquet")
    files += [
        "games.csv",
        "plays.csv",
        "players.csv",
        "truth.parquet",
        "truth_receivers.parquet",
        "skills.parquet",
    ]
    return {
        "games": schedule.height,
        "plays": all_plays.height,
        "dropbacks": all_plays.height,
        "attempts": int(all_plays["passResult"].is_in(PASS_ATTEMPT_RESULTS).sum()),
        "tracking_rows": tracking_rows,
        "vintages": {name: vintages.count(name) for name in VINTAGES if name in vintages},
        "files": files,
        "seconds": round(time.perf_counter() - started, 2),
    }
