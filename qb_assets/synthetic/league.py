"""Synthetic league: 32 clubs, rosters with latent skills, a weekly schedule with real calendar dates.

Skills are standard-normal latent scores (0 = league average) so the truth model can scale them with one
coefficient each; backups are drawn from a lower-mean distribution, as real backups are worse.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

import numpy as np
import polars as pl

TEAMS: tuple[str, ...] = tuple(
    [
        "ARI",
        "ATL",
        "BAL",
        "BUF",
        "CAR",
        "CHI",
        "CIN",
        "CLE",
        "DAL",
        "DEN",
        "DET",
        "GB",
        "HOU",
        "IND",
        "JAX",
        "KC",
        "LA",
        "LAC",
        "LV",
        "MIA",
        "MIN",
        "NE",
        "NO",
        "NYG",
        "NYJ",
        "PHI",
        "PIT",
        "SEA",
        "SF",
        "TB",
        "TEN",
        "WAS",
    ]
)

# Clubs whose base front is a 3-4 (every other club): their edge rushers are listed as OLB.
FRONT_34_TEAMS = TEAMS[::2]
# Roster template per club: (role, official position, count). Order inside a role is the depth chart.
ROSTER: tuple[tuple[str, str, int], ...] = (
    ("QB", "QB", 2),
    ("WR", "WR", 4),
    ("TE", "TE", 2),
    ("RB", "RB", 2),
    ("OL", "T", 2),
    ("OL", "G", 2),
    ("OL", "C", 2),
    ("DL", "DE", 3),
    ("DL", "DT", 3),
    ("LB", "OLB", 2),
    ("LB", "ILB", 2),
    ("CB", "CB", 4),
    ("S", "FS", 2),
    ("S", "SS", 1),
)
SKILLS_BY_ROLE: dict[str, tuple[str, ...]] = {
    "QB": ("accuracy", "decision", "arm"),
    "WR": ("route", "hands", "yac"),
    "TE": ("route", "hands", "yac"),
    "RB": ("route", "hands", "yac"),
    "OL": ("block",),
    "DL": ("rush",),
    "LB": ("coverage", "rush"),
    "CB": ("coverage",),
    "S": ("coverage",),
}
ALL_SKILLS = ("accuracy", "decision", "arm", "route", "hands", "yac", "block", "rush", "coverage")
JERSEY_POOLS: dict[str, tuple[int, ...]] = {
    "QB": tuple(range(1, 20)),
    "WR": (*range(10, 20), *range(80, 90)),
    "TE": tuple(range(80, 90)),
    "RB": tuple(range(20, 40)),
    "OL": tuple(range(60, 80)),
    "DL": tuple(range(90, 100)),
    "LB": tuple(range(50, 60)),
    "CB": tuple(range(20, 40)),
    "S": tuple(range(20, 50)),
}
HEIGHT_IN = {"QB": 75, "WR": 73, "TE": 77, "RB": 70, "OL": 77, "DL": 76, "LB": 74, "CB": 71, "S": 72}
WEIGHT_LB = {"QB": 220, "WR": 200, "TE": 250, "RB": 215, "OL": 315, "DL": 295, "LB": 240, "CB": 193, "S": 205}
FIRST_NAMES = tuple(
    [
        "Aaron",
        "Brandon",
        "Caleb",
        "Darius",
        "Elijah",
        "Favian",
        "Gavin",
        "Hunter",
        "Isaiah",
        "Jalen",
        "Kendall",
        "Lamar",
        "Marcus",
        "Nolan",
        "Omar",
        "Patrick",
        "Quinton",
        "Russell",
        "Tyrell",
        "Victor",
        "Wesley",
        "Zach",
    ]
)
LAST_NAMES = tuple(
    [
        "Adams",
        "Brooks",
        "Carter",
        "Dawson",
        "Ellis",
        "Fuller",
        "Griffin",
        "Hayes",
        "Irving",
        "Jackson",
        "Keller",
        "Lawson",
        "Mitchell",
        "Newton",
        "Owens",
        "Parker",
        "Reed",
        "Simmons",
        "Thompson",
        "Vaughn",
        "Walker",
        "Young",
    ]
)
COLLEGES = (
    "Alabama",
    "Ohio State",
    "Georgia",
    "LSU",
    "Clemson",
    "Oklahoma",
    "Michigan",
    "Oregon",
    "USC",
    "Iowa",
)
# Sunday kickoffs in Eastern time, and the share of Sunday games at each.
SUNDAY_SLOTS = ("13:00:00", "16:05:00", "16:25:00", "20:20:00")


@dataclass(frozen=True)
class League:
    """Rosters and skills. `players` has one row per player; `depth` maps (team, role) to nfl_id arrays."""

    players: pl.DataFrame
    skills: np.ndarray  # (n_players, len(ALL_SKILLS)), NaN where a skill does not apply to the role
    depth: dict[tuple[int, str], np.ndarray]  # (team index, role) -> nfl_ids in depth-chart order
    row_of_id: np.ndarray  # dense lookup: nfl_id -> row in players/skills

    def skill(self, nfl_ids: np.ndarray, name: str) -> np.ndarray:
        """Skill `name` for an array of nfl_ids (0.0 where the role has no such skill)."""
        values = self.skills[self.row_of_id[nfl_ids], ALL_SKILLS.index(name)]
        return np.nan_to_num(values, nan=0.0)


def build_league(rng: np.random.Generator) -> League:
    """Draw every club's roster: ids, bio fields and latent skills (standard normal, backups shifted down)."""
    rows: list[dict] = []
    skill_rows: list[np.ndarray] = []
    depth: dict[tuple[int, str], list[int]] = {}
    nfl_id = 43000
    for team_index, team in enumerate(TEAMS):
        used_jerseys: set[int] = set()
        for role, official, count in ROSTER:
            for _ in range(count):
                nfl_id += int(rng.integers(1, 4))
                pool = [j for j in JERSEY_POOLS[role] if j not in used_jerseys]
                jersey = int(rng.choice(pool))
                used_jerseys.add(jersey)
                starter_rank = len(depth.get((team_index, role), []))
                skills = np.full(len(ALL_SKILLS), np.nan)
                # Starters are better on average; the second QB is a clear backup.
                shift = -0.8 if (role == "QB" and starter_rank > 0) else -0.15 * starter_rank
                for name in SKILLS_BY_ROLE[role]:
                    skills[ALL_SKILLS.index(name)] = rng.normal(shift, 1.0)
                height = HEIGHT_IN[role] + int(rng.integers(-2, 3))
                birth = dt.date(1990, 1, 1) + dt.timedelta(days=int(rng.integers(0, 365 * 10)))
                rows.append(
                    {
                        "nflId": nfl_id,
                        "height": f"{height // 12}-{height % 12}",
                        "weight": WEIGHT_LB[role] + int(rng.integers(-15, 16)),
                        "birthDate": birth.isoformat(),
                        "collegeName": str(rng.choice(COLLEGES)),
                        "officialPosition": official,
                        "displayName": f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}",
                        "role": role,
                        "team": team,
                        "jerseyNumber": jersey,
                        "depth_rank": starter_rank,
                    }
                )
                skill_rows.append(skills)
                depth.setdefault((team_index, role), []).append(nfl_id)
    # Clubs with a 3-4 front list their edge rushers (the DE role) as outside linebackers, as real
    # rosters do; BDB 2021 tracks them (it tracks no DE, DT or NT), so they count as tracked pass rushers.
    edge_as_olb = pl.col("team").is_in(FRONT_34_TEAMS) & (pl.col("officialPosition") == "DE")
    players = pl.DataFrame(rows).with_columns(
        pl.when(edge_as_olb)
        .then(pl.lit("OLB"))
        .otherwise(pl.col("officialPosition"))
        .alias("officialPosition")
    )
    skills = np.vstack(skill_rows)
    # Standardize the starting QBs' skills so the league's QB spread does not hinge on 32 draws.
    starters = ((players["role"] == "QB") & (players["depth_rank"] == 0)).to_numpy()
    for name in SKILLS_BY_ROLE["QB"]:
        col = skills[starters, ALL_SKILLS.index(name)]
        skills[starters, ALL_SKILLS.index(name)] = (col - col.mean()) / col.std()
    ids = players["nflId"].to_numpy()
    row_of_id = np.full(int(ids.max()) + 1, -1, dtype=np.int64)
    row_of_id[ids] = np.arange(ids.size)
    return League(
        players=players,
        skills=skills,
        depth={key: np.asarray(value, dtype=np.int64) for key, value in depth.items()},
        row_of_id=row_of_id,
    )


def week_one_thursday(season: int) -> dt.date:
    """NFL week 1 opens the Thursday after Labor Day (the first Monday of September)."""
    sept_first = dt.date(season, 9, 1)
    labor_day = sept_first + dt.timedelta(days=(0 - sept_first.weekday()) % 7)
    return labor_day + dt.timedelta(days=3)


def eastern_utc_offset_hours(day: dt.date) -> int:
    """Eastern time is UTC-4 until the first Sunday of November, then UTC-5."""
    nov_first = dt.date(day.year, 11, 1)
    dst_end = nov_first + dt.timedelta(days=(6 - nov_first.weekday()) % 7)
    return 4 if day < dst_end else 5


def build_schedule(
    season: int, weeks: list[int], games_per_week: int, rng: np.random.Generator
) -> pl.DataFrame:
    """One row per game: Thursday opener, Sunday slate, Monday night; gameId = YYYYMMDDNN."""
    games_per_week = min(games_per_week, len(TEAMS) // 2)
    thursday = week_one_thursday(season)
    rows: list[dict] = []
    for week in weeks:
        order = rng.permutation(len(TEAMS))[: 2 * games_per_week]
        week_thursday = thursday + dt.timedelta(days=7 * (week - 1))
        per_date: dict[dt.date, int] = {}
        for g in range(games_per_week):
            if g == 0:
                day, kickoff = week_thursday, "20:20:00"
            elif g == games_per_week - 1 and games_per_week > 2:
                day, kickoff = week_thursday + dt.timedelta(days=4), "20:15:00"
            else:
                day = week_thursday + dt.timedelta(days=3)
                kickoff = SUNDAY_SLOTS[int(np.searchsorted([0.62, 0.72, 0.93, 1.0], rng.random()))]
            number = per_date.get(day, 0)
            per_date[day] = number + 1
            rows.append(
                {
                    "gameId": int(day.strftime("%Y%m%d")) * 100 + number,
                    "season": season,
                    "week": week,
                    "gameDate": day.strftime("%m/%d/%Y"),
                    "gameTimeEastern": kickoff,
                    "homeTeamAbbr": TEAMS[order[2 * g]],
                    "visitorTeamAbbr": TEAMS[order[2 * g + 1]],
                    "home_index": int(order[2 * g]),
                    "visitor_index": int(order[2 * g + 1]),
                }
            )
    return pl.DataFrame(rows).sort("gameId")


def kickoff_utc(game: dict) -> dt.datetime:
    """Kickoff instant in UTC from the Eastern date and time of a schedule row."""
    day = dt.datetime.strptime(game["gameDate"], "%m/%d/%Y").date()
    clock = dt.datetime.strptime(game["gameTimeEastern"], "%H:%M:%S").time()
    local = dt.datetime.combine(day, clock)
    return (local + dt.timedelta(hours=eastern_utc_offset_hours(day))).replace(tzinfo=dt.UTC)


def players_csv(league: League) -> pl.DataFrame:
    """players.csv in the Big Data Bowl 2023 layout."""
    return league.players.select(
        "nflId", "height", "weight", "birthDate", "collegeName", "officialPosition", "displayName"
    )


def skills_table(league: League) -> pl.DataFrame:
    """One row per player with the latent skills of their role (null where a skill does not apply)."""
    skills = pl.DataFrame({name: league.skills[:, i] for i, name in enumerate(ALL_SKILLS)}).with_columns(
        pl.all().fill_nan(None)
    )
    return pl.concat(
        [
            league.players.select(
                pl.col("nflId").alias("nfl_id"),
                "role",
                "team",
                pl.col("depth_rank"),
                pl.col("displayName").alias("display_name"),
            ),
            skills,
        ],
        how="horizontal",
    )
