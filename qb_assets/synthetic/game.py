"""One synthetic game end to end: lineups, the plays' motion and outcomes, and its three tables
(tracking rows, plays.csv rows, truth rows)."""

from __future__ import annotations

import numpy as np
import polars as pl

from qb_assets.synthetic.league import FRONT_34_TEAMS, TEAMS, League, kickoff_utc
from qb_assets.synthetic.motion import (
    BLOCK_ROUTE,
    COVERAGE_IS_MAN,
    COVERAGES,
    design_plays,
    draw_setup,
)
from qb_assets.synthetic.play import (
    KIND_SACK,
    KIND_SCRAMBLE,
    draw_clock,
    game_situations,
    pick,
    release_features,
    to_frame,
)
from qb_assets.synthetic.post import finish_plays
from qb_assets.synthetic.receivers import choose_target, receiver_truth
from qb_assets.synthetic.truth import (
    outcome_probabilities,
    sample_outcomes,
    yardage_parameters,
)
from qb_assets.synthetic.truth_tables import SimulatedPlays, receiver_rows, truth_rows
from qb_assets.synthetic.writer import tracking_frame

N_FRAMES = 320  # frame budget per play: 1 s pre-snap, up to 6 s to throw, 4 s of flight, a long run
MEAN_DROPBACKS_PER_GAME = 70
# Depth-chart picks per slot. Offense: QB, LT, LG, C, RG, RT, wide A, wide B, slot, TE, RB.
_OL = [0, 2, 4, 3, 1]  # T1, G1, C1, G2, T2 in the OL depth list [T, T, G, G, C, C]
_DL = [[0, 3, 4, 1], [2, 3, 5, 1]]  # DE1 DT1 DT2 DE2, or a rotation with DE3 and DT3
# A 3-4 club's rotation (its pass-rush package, half its snaps) puts a third edge rusher (DE3, listed
# as an OLB) inside: DE1 DE3 DT2 DE2.
_DL_34 = [[0, 3, 4, 1], [0, 2, 4, 1]]
ROTATION_SHARE, ROTATION_SHARE_34 = 0.3, 0.5
PERSONNEL_O = ("1 RB, 1 TE, 3 WR", "1 RB, 2 TE, 2 WR")
PERSONNEL_D = ("4 DL, 2 LB, 5 DB", "4 DL, 3 LB, 4 DB")


def _offense_table(league: League, team: int, qb_rank: int) -> np.ndarray:
    """(8, 11) lineups: personnel 11/12 x RB1/RB2 x which WR lines up on which side."""
    d = league.depth
    out = []
    for twelve in (False, True):
        for rb in (0, 1):
            for swap in (False, True):
                wr = d[(team, "WR")]
                a, b = (wr[1], wr[0]) if swap else (wr[0], wr[1])
                slot = d[(team, "TE")][1] if twelve else wr[2]
                out.append(
                    [
                        d[(team, "QB")][qb_rank],
                        *d[(team, "OL")][_OL],
                        a,
                        b,
                        slot,
                        d[(team, "TE")][0],
                        d[(team, "RB")][rb],
                    ]
                )
    return np.asarray(out, dtype=np.int64)


def _defense_table(league: League, team: int) -> np.ndarray:
    """(4, 11) lineups: nickel/base x DL rotation. Back seven: CB, CB, nickel or LB3, ILB, OLB, FS, SS."""
    d = league.depth
    fronts = _DL_34 if TEAMS[team] in FRONT_34_TEAMS else _DL
    out = []
    for base in (False, True):
        for rot in (0, 1):
            third = d[(team, "LB")][1] if base else d[(team, "CB")][2]
            out.append(
                [
                    *d[(team, "DL")][fronts[rot]],
                    d[(team, "CB")][0],
                    d[(team, "CB")][1],
                    third,
                    d[(team, "LB")][2],
                    d[(team, "LB")][0],
                    d[(team, "S")][0],
                    d[(team, "S")][2],
                ]
            )
    return np.asarray(out, dtype=np.int64)


def lineups(rng: np.random.Generator, league: League, home: int, visitor: int, offense_home: np.ndarray):
    """nfl_ids (P, 22) in slot order, plus the personnel flags used by plays.csv."""
    n = offense_home.size
    qb_rank = (rng.random(2) < 0.03).astype(int)  # a rare backup start
    off = np.stack([_offense_table(league, home, qb_rank[0]), _offense_table(league, visitor, qb_rank[1])])
    dfn = np.stack([_defense_table(league, home), _defense_table(league, visitor)])
    twelve = rng.random(n) < 0.25
    o_var = 4 * twelve + 2 * (rng.random(n) < 0.3) + (rng.random(n) < 0.5)
    base = rng.random(n) < 0.35
    o_team = np.where(offense_home, 0, 1)
    defense_34 = np.isin(np.array([TEAMS[visitor], TEAMS[home]])[o_team], FRONT_34_TEAMS)
    d_var = 2 * base + (rng.random(n) < np.where(defense_34, ROTATION_SHARE_34, ROTATION_SHARE))
    ids = np.concatenate([off[o_team, o_var], dfn[1 - o_team, d_var]], axis=1)
    return ids, twelve, base


def slot_skills(league: League, ids: np.ndarray) -> dict[str, np.ndarray]:
    """Skills by slot: QB (P,), receivers (P,5), back seven coverage (P,7), rushers (P,5), line block (P,)."""
    rec, back = ids[:, 6:11], ids[:, 15:22]
    rushers = np.c_[ids[:, 11:15], ids[:, 19]]
    return {
        "accuracy": league.skill(ids[:, 0], "accuracy"),
        "decision": league.skill(ids[:, 0], "decision"),
        "arm": league.skill(ids[:, 0], "arm"),
        "route": league.skill(rec, "route"),
        "hands": league.skill(rec, "hands"),
        "yac": league.skill(rec, "yac"),
        "coverage": league.skill(back, "coverage"),
        "rush": league.skill(rushers, "rush"),
        "block": league.skill(ids[:, 1:6], "block").mean(axis=1),
    }


def play_truth(feat_all, target, sk, yte) -> tuple[dict, dict, dict]:
    """Chosen-receiver features, skill dict for the passer, and the truth (QB and league average)."""
    rows = np.arange(target.size)
    feat = pick(feat_all, target)
    feat["yards_to_endzone"] = yte
    nearest = feat["nearest_def"]  # 0..10 over defense slots; 4.. are the back seven
    cov_def = np.where(nearest >= 4, sk["coverage"][rows, np.clip(nearest - 4, 0, 6)], 0.0)
    skill = {
        "accuracy": sk["accuracy"],
        "decision": sk["decision"],
        "arm": sk["arm"],
        "hands": sk["hands"][rows, target],
        "yac": sk["yac"][rows, target],
        "coverage": cov_def,
    }
    avg = {**skill, "accuracy": 0.0 * cov_def, "decision": 0.0 * cov_def, "arm": 0.0 * cov_def}
    p_qb = outcome_probabilities(feat, skill)
    p_avg = outcome_probabilities(feat, avg)
    return feat, {"qb": p_qb, "avg": p_avg}, yardage_parameters(feat, skill)


def receiver_coverage(feat_all: dict, sk: dict) -> np.ndarray:
    """Coverage skill of each receiver's nearest defender at the release (0 for linemen)."""
    nearest = feat_all["nearest_def"]
    return np.where(nearest >= 4, np.take_along_axis(sk["coverage"], np.clip(nearest - 4, 0, 6), axis=1), 0.0)


def simulate_plays(rng: np.random.Generator, league: League, game: dict) -> SimulatedPlays:
    """Situations, lineups, motion, the QB's choice, its truth and the outcome of one game's dropbacks."""
    n = int(np.clip(rng.poisson(MEAN_DROPBACKS_PER_GAME), 50, 92))
    sit = game_situations(rng, n)
    ids, twelve, base = lineups(rng, league, game["home_index"], game["visitor_index"], sit["offense_home"])
    sk = slot_skills(league, ids)
    setup = draw_setup(rng, n)
    sit["shotgun"] = setup[0]
    clock = draw_clock(rng, setup[2], sk["rush"], sk["block"])
    clock["f_event"] = to_frame(clock["t_event"])
    design = design_plays(
        rng,
        sit["los_x"],
        sit["ball_y"],
        N_FRAMES,
        sk,
        setup,
        clock["t_hit"],
        clock["winner"],
        clock["t_event"],
    )
    feat_all = release_features(design.x, design.y, clock["f_event"], sit["los_x"])
    qb = {k: sk[k] for k in ("accuracy", "decision", "arm")}
    rec, cov, eligible = (
        {"hands": sk["hands"], "yac": sk["yac"]},
        receiver_coverage(feat_all, sk),
        design.route != BLOCK_ROUTE,
    )
    target = choose_target(
        rng.standard_normal((n, 5)), feat_all, qb, rec, cov, sit["yards_to_endzone"], eligible
    )
    receivers = receiver_truth(feat_all, qb, rec, cov, sit["yards_to_endzone"], eligible)
    feat, probs, params = play_truth(feat_all, target, sk, sit["yards_to_endzone"])
    outcome = sample_outcomes(rng, probs["qb"][0], probs["qb"][1], params)
    post = finish_plays(rng, design.x, design.y, sit, clock, feat, target, outcome)
    kind = clock["kind"]
    result = np.select([kind == KIND_SACK, kind == KIND_SCRAMBLE], ["S", "R"], outcome["result"])
    return SimulatedPlays(
        sit,
        ids,
        twelve,
        base,
        setup,
        clock,
        design,
        target,
        feat,
        probs,
        params,
        post,
        result,
        receivers,
        eligible,
    )


def simulate_game(
    rng: np.random.Generator, league: League, game: dict, with_tracking: bool = True
) -> tuple[pl.DataFrame | None, pl.DataFrame, pl.DataFrame, pl.DataFrame]:
    """Tracking rows (None without ``with_tracking``: the truth alone, several times faster), plays.csv
    rows, truth rows and receiver truth rows of one game. The tables are the same either way."""
    sim = simulate_plays(rng, league, game)
    sit = sim.sit
    n = sim.target.size
    play_id = 50 + np.cumsum(rng.integers(20, 95, n))
    home, visitor = game["homeTeamAbbr"], game["visitorTeamAbbr"]
    off_club = np.where(sit["offense_home"], home, visitor)
    def_club = np.where(sit["offense_home"], visitor, home)
    tracking = (
        _tracking_rows(rng, league, game, play_id, sim, (off_club, def_club)) if with_tracking else None
    )
    plays = _plays_rows(game, play_id, sim, (off_club, def_club), league)
    return tracking, plays, truth_rows(game, play_id, sim), receiver_rows(game, play_id, sim)


def _tracking_rows(  # noqa: PLR0917 (array plumbing: arguments follow the pipeline order)
    rng: np.random.Generator,
    league: League,
    game: dict,
    play_id: np.ndarray,
    sim: SimulatedPlays,
    clubs: tuple[np.ndarray, np.ndarray],
) -> pl.DataFrame:
    """Tracking rows of the game's plays: the 22 players and the ball, timestamped from the kickoff.

    `clubs`: the offense's and the defense's club per play."""
    sit, ids, post = sim.sit, sim.ids, sim.post
    off_club, def_club = clubs
    n = play_id.size
    club = np.c_[
        np.repeat(off_club[:, None], 11, 1), np.repeat(def_club[:, None], 11, 1), np.full(n, "football")
    ]
    jersey = league.players["jerseyNumber"].to_numpy()[league.row_of_id[ids]]
    kickoff = kickoff_utc(game)
    # Wall clock: the game clock stretched 2.9x for stoppages, plus a 15-minute halftime.
    wall_s = 60.0 + sit["elapsed_s"] * 2.9 + np.where(sit["quarter"] >= 3, 900.0, 0.0)
    start_ms = int(kickoff.timestamp() * 1000) + np.round(wall_s * 1000).astype(np.int64)
    xs = np.concatenate([sim.design.x, post["ball_x"][..., None]], axis=2)
    ys = np.concatenate([sim.design.y, post["ball_y"][..., None]], axis=2)
    return tracking_frame(
        game["gameId"],
        play_id,
        xs,
        ys,
        post["n_frames"],
        post["events"],
        sit["direction_right"],
        ids,
        jersey,
        club,
        start_ms,
        rng,
    )


def _plays_rows(
    game: dict, play_id: np.ndarray, sim: SimulatedPlays, clubs: tuple[np.ndarray, np.ndarray], league: League
) -> pl.DataFrame:
    """plays.csv rows (Big Data Bowl 2023 columns). `clubs`: the offense's and the defense's per play."""
    n = play_id.size
    sit, result, yards, ids, target = sim.sit, sim.result, sim.post["yards"], sim.ids, sim.target
    twelve, base, (off_club, def_club) = sim.twelve, sim.base, clubs
    shotgun, coverage, _ = sim.setup
    yte = sit["yards_to_endzone"]
    own_half = yte > 50
    names = league.players["displayName"].to_numpy()[league.row_of_id[ids]]
    mm, ss = sit["clock_s"] // 60, sit["clock_s"] % 60
    descr = []
    for i in range(n):  # per play (not per frame): a readable description, cheap next to the tracking
        qb, tgt = names[i, 0], names[i, 6 + target[i]]
        head = f"({mm[i]}:{ss[i]:02d}) {'(Shotgun) ' if shotgun[i] else ''}{qb}"
        descr.append(
            {
                "C": f"{head} pass to {tgt} for {yards[i]} yards",
                "I": f"{head} pass incomplete intended for {tgt}",
                "IN": f"{head} pass intended for {tgt} INTERCEPTED, return {-yards[i]} yards",
                "S": f"{head} sacked for {yards[i]} yards",
                "R": f"{head} scrambles for {yards[i]} yards",
            }[result[i]]
        )
    raw_los = np.where(sit["direction_right"], sit["los_x"], 120.0 - sit["los_x"])
    single_high = np.isin(coverage, [1, 3])
    return pl.DataFrame(
        {
            "gameId": np.full(n, game["gameId"], dtype=np.int64),
            "playId": play_id.astype(np.int64),
            "playDescription": descr,
            "quarter": sit["quarter"],
            "down": sit["down"],
            "yardsToGo": sit["yards_to_go"],
            "possessionTeam": off_club,
            "defensiveTeam": def_club,
            "yardlineSide": pl.Series(np.where(own_half, off_club, def_club)).set(pl.Series(yte == 50), None),
            "yardlineNumber": np.where(own_half, 100 - yte, yte),
            "gameClock": [f"{m:02d}:{s:02d}" for m, s in zip(mm, ss, strict=True)],
            "preSnapHomeScore": sit["home_score"],
            "preSnapVisitorScore": sit["visitor_score"],
            "passResult": result,
            "penaltyYards": np.full(n, None),
            "prePenaltyPlayResult": yards,
            "playResult": yards,
            "absoluteYardlineNumber": np.round(raw_los).astype(np.int64),
            "offenseFormation": np.where(shotgun, "SHOTGUN", np.where(twelve, "SINGLEBACK", "I_FORM")),
            "personnelO": np.where(twelve, PERSONNEL_O[1], PERSONNEL_O[0]),
            "defendersInTheBox": np.where(base, 7, 6) + single_high,
            "personnelD": np.where(base, PERSONNEL_D[1], PERSONNEL_D[0]),
            "dropBackType": np.where(result == "R", "SCRAMBLE", "TRADITIONAL"),
            "pff_passCoverage": np.asarray(COVERAGES)[coverage],
            "pff_passCoverageType": np.where(COVERAGE_IS_MAN[coverage], "Man", "Zone"),
        }
    ).with_columns(pl.col("penaltyYards").cast(pl.Int64))
