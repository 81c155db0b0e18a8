"""Synthetic season generator: calibration to the real 2017 tables, ground truth, determinism, tracking
sanity, and the round trip through the ingestion readers.

One 4-week season (64 games, about 4,500 dropbacks) is generated per session; determinism uses a
one-week, two-game season.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import polars as pl
import pytest
from scipy import stats

from qb_assets.ingest.expectations import plays_suite, tracking_suite
from qb_assets.ingest.pipeline import ingest_source
from qb_assets.ingest.schema import OPPONENT_GOAL_LINE_X
from qb_assets.io import lake as lake_io
from qb_assets.synthetic.oracle import mid_percentiles, oracle_ceilings
from qb_assets.synthetic.season import SUPPORT_YD, generate_season, truth_cdf, truth_integer_pmf

TRACKING_COLUMNS = [
    "gameId", "playId", "nflId", "frameId", "time", "jerseyNumber", "team", "playDirection",
    "x", "y", "s", "a", "dis", "o", "dir", "event",
]  # fmt: skip
ATTEMPTS = ("C", "I", "IN")


@pytest.fixture(scope="session")
def tracking(season) -> pl.DataFrame:
    """All tracking rows, normalized so the offense moves toward +x (as the ingestion does)."""
    frame = pl.scan_csv(season[0] / "tracking_week_*.csv").collect()
    left = pl.col("playDirection") == "left"
    return frame.with_columns(
        pl.when(left).then(120.0 - pl.col("x")).otherwise("x").alias("nx"),
        pl.when(left).then(160.0 / 3.0 - pl.col("y")).otherwise("y").alias("ny"),
    )


@pytest.fixture(scope="session")
def events(tracking: pl.DataFrame, plays: pl.DataFrame) -> pl.DataFrame:
    """Ball rows at each event, with the play's LOS in normalized coordinates."""
    los = plays.select(
        "gameId", "playId", "passResult", "playResult",
        pl.when(pl.col("yardlineSide") == pl.col("possessionTeam"))
        .then(10 + pl.col("yardlineNumber"))
        .otherwise(110 - pl.col("yardlineNumber"))
        .cast(pl.Float64)
        .alias("los_x"),
    )  # fmt: skip
    ball = tracking.filter((pl.col("team") == "football") & pl.col("event").is_not_null())
    return ball.select("gameId", "playId", "frameId", "event", "nx", "ny").join(los, on=["gameId", "playId"])


def test_summary_and_files(season) -> None:
    out, summary = season
    assert summary["games"] == 64
    assert 4000 <= summary["dropbacks"] <= 5000  # about 70 per game
    for name in ("games.csv", "plays.csv", "players.csv", "truth.parquet", "skills.parquet"):
        assert (out / name).exists(), name
    assert sorted(p.name for p in out.glob("tracking_week_*.csv")) == [
        f"tracking_week_{w}.csv" for w in range(1, 5)
    ]
    header = (out / "tracking_week_1.csv").open().readline().strip().split(",")
    assert header == TRACKING_COLUMNS
    games = pl.read_csv(out / "games.csv")
    # Week 1 of 2024 opens Thursday 2024-09-05 (Labor Day was 09-02); gameId = YYYYMMDDNN.
    assert games["gameId"].min() == 2024090500
    assert (games["gameId"] // 100).cast(pl.String).str.to_date("%Y%m%d").dt.year().unique().to_list() == [
        2024
    ]


def test_marginals_match_real_2017(plays: pl.DataFrame, events: pl.DataFrame) -> None:
    attempts = plays.filter(pl.col("passResult").is_in(ATTEMPTS))
    result = attempts["passResult"]
    completions = attempts.filter(pl.col("passResult") == "C")["playResult"].to_numpy()
    assert abs((result == "C").mean() - 0.63) <= 0.03
    assert abs((result == "IN").mean() - 0.025) <= 0.008
    assert abs(np.median(completions) - 9) <= 1.5
    assert abs(completions.mean() - 11.2) <= 1.5
    assert abs((completions >= 20).mean() - 0.14) <= 0.03
    assert abs((plays["passResult"] == "S").mean() - 0.065) <= 0.02
    assert 0.01 <= (plays["passResult"] == "R").mean() <= 0.06
    # From the tracking: air yards = ball x at pass_arrived - LOS; time to throw from the frames.
    arrived = events.filter(pl.col("event") == "pass_arrived")
    air = (arrived["nx"] - arrived["los_x"]).to_numpy()
    assert arrived.height == attempts.height
    assert abs((air >= 20).mean() - 0.11) <= 0.03
    snap = events.filter(pl.col("event") == "ball_snap").select(
        "gameId", "playId", pl.col("frameId").alias("snap")
    )
    release = events.filter(pl.col("event") == "pass_forward").join(snap, on=["gameId", "playId"])
    time_to_throw_s = ((release["frameId"] - release["snap"]) / 10).to_numpy()
    assert 2.5 <= np.median(time_to_throw_s) <= 2.9


def test_qb_skill_spread(season) -> None:
    skills = pl.read_parquet(season[0] / "skills.parquet")
    starters = skills.filter((pl.col("role") == "QB") & (pl.col("depth_rank") == 0))
    assert starters.height == 32
    assert 0.5 <= starters["true_ypa"].std() <= 0.9
    # Better passers (by the truth's own coefficients) really do gain more yards per attempt.
    index = starters["accuracy"] + starters["decision"] + 0.5 * starters["arm"]
    assert np.corrcoef(index.to_numpy(), starters["true_ypa"].to_numpy())[0, 1] > 0.7
    assert skills.filter(pl.col("role") == "CB")["coverage"].null_count() == 0


def test_truth_functions(truth: pl.DataFrame) -> None:
    attempts = truth.filter(pl.col("is_attempt"))
    for which in ("qb", "league_average"):
        pmf = truth_integer_pmf(attempts, SUPPORT_YD, which)
        assert np.all(pmf >= -1e-12)
        np.testing.assert_allclose(pmf.sum(axis=1), 1.0, atol=1e-9)
        cdf = truth_cdf(attempts, np.linspace(-110.5, 110.5, 443), which)
        assert np.all(np.diff(cdf, axis=1) >= -1e-12)
        np.testing.assert_allclose(cdf[:, -1], 1.0, atol=1e-9)
        np.testing.assert_allclose(cdf[:, 0], 0.0, atol=1e-9)
    # Sampled outcomes are draws from the QB's truth: the randomized PIT is uniform.
    actual = attempts["yards"].to_numpy().astype(float)[:, None]
    below = truth_cdf(attempts, actual - 1.0, "qb")[:, 0]
    mass = truth_integer_pmf(attempts, actual, "qb")[:, 0]
    assert np.all(mass > 0)
    pit = below + np.random.default_rng(0).random(mass.size) * mass
    assert stats.kstest(pit, "uniform").pvalue > 0.01
    # Sacks and scrambles carry no pass distribution.
    assert truth.filter(~pl.col("is_attempt"))["p_complete_qb"].null_count() == (~truth["is_attempt"]).sum()


def test_oracle_percentile_score_ceilings(season, truth: pl.DataFrame) -> None:
    attempts = truth.filter(pl.col("is_attempt"))
    # A league-average passer's expected mid-point percentile under his own distribution is exactly 1/2,
    # play by play; the passers' own truths move it both ways.
    grid = SUPPORT_YD.astype(float)
    league = truth_integer_pmf(attempts, grid, "league_average")
    np.testing.assert_allclose((league * mid_percentiles(league)).sum(axis=1), 0.5, atol=1e-9)
    own = (truth_integer_pmf(attempts, grid, "qb") * mid_percentiles(league)).sum(axis=1)
    assert own.min() < 0.49 and own.max() > 0.51 and abs(own.mean() - 0.5) < 0.01
    ceilings = oracle_ceilings(season[0])
    assert ceilings["starters"] == 32
    # With the outcome noise averaged away the truth ranks the starters far better than four weeks of
    # outcomes let it; the noise is the sampling noise of a mean of about uniform percentiles.
    for score in ("execution", "passing"):
        assert ceilings[f"{score}_noise_free"] > 0.7
        assert ceilings[f"{score}_noise_free"] > ceilings[f"{score}_realised"]
        uniform_noise_sd = (1 / 12) ** 0.5 / ceilings["mean_attempts"] ** 0.5
        assert 0.6 * uniform_noise_sd < ceilings[f"{score}_noise_sd"] < 1.3 * uniform_noise_sd


def test_outcomes_depend_on_pre_release_tracking(truth: pl.DataFrame) -> None:
    """A model sees separation and pressure, not skills: the league-average truth must move with them."""
    attempts = truth.filter(pl.col("is_attempt"))
    open_ = attempts.filter(pl.col("sep_yd") >= 4)["p_complete_avg"].mean()
    tight = attempts.filter(pl.col("sep_yd") < 1.5)["p_complete_avg"].mean()
    assert open_ - tight > 0.1

    # Pressure, compared within bands of air yards and separation: a pressured QB dumps the ball off
    # short (a checkdown is open), so the raw means mix the effect of pressure with that of the throw.
    def band(column: str, low: float, high: float) -> pl.Expr:
        return (pl.col(column) > low).cast(pl.Int8) + (pl.col(column) > high).cast(pl.Int8)

    banded = attempts.with_columns(
        band("air_yards", 0, 10).alias("air_band"), band("sep_yd", 2, 4).alias("sep_band")
    )
    by_band = (
        banded.group_by("air_band", "sep_band")
        .agg(
            pl.col("p_complete_avg").filter(pl.col("pressure_yd") > 4).mean().alias("clean"),
            pl.col("p_complete_avg").filter(pl.col("pressure_yd") < 1.5).mean().alias("pressured"),
            (pl.col("pressure_yd") < 1.5).sum().alias("pressured_n"),
        )
        .drop_nulls()
    )
    weight = by_band["pressured_n"] / by_band["pressured_n"].sum()
    assert ((by_band["clean"] - by_band["pressured"]) * weight).sum() > 0.05


def test_tracking_sanity(
    tracking: pl.DataFrame, events: pl.DataFrame, truth: pl.DataFrame, plays: pl.DataFrame
) -> None:
    per_frame = tracking.group_by("gameId", "playId", "frameId").agg(
        pl.len().alias("rows"), (pl.col("team") == "football").sum().alias("balls")
    )
    assert per_frame["rows"].unique().to_list() == [23]
    assert per_frame["balls"].unique().to_list() == [1]
    assert tracking.filter(pl.col("team") != "football")["s"].max() <= 13.0
    assert tracking.filter(pl.col("team") == "football")["nflId"].null_count() == tracking.height // 23
    starts = tracking.group_by("gameId", "playId").agg(pl.col("frameId").min())
    assert starts["frameId"].unique().to_list() == [1]
    snap = events.filter(pl.col("event") == "ball_snap")
    assert snap["frameId"].unique().to_list() == [11]
    assert snap.height == plays.height
    np.testing.assert_allclose(snap["nx"], snap["los_x"], atol=0.01)
    # Completions: the receiver's forward-progress spot (capped at the goal line) gives the recorded yards.
    comp = truth.filter(pl.col("pass_result") == "C").select(
        pl.col("game_id").alias("gameId"),
        pl.col("play_id").alias("playId"),
        pl.col("target_nfl_id").alias("nflId"),
    )
    catch = events.filter(pl.col("event").is_in(["pass_outcome_caught", "pass_outcome_touchdown"]))
    end = events.filter(
        pl.col("event").is_in(["tackle", "out_of_bounds", "touchdown", "pass_outcome_touchdown"])
    )
    bounds = catch.select("gameId", "playId", pl.col("frameId").alias("catch_f"), "los_x", "playResult").join(
        end.group_by("gameId", "playId").agg(pl.col("frameId").max().alias("end_f")), on=["gameId", "playId"]
    )
    spots = (
        tracking.join(comp, on=["gameId", "playId", "nflId"])
        .join(bounds, on=["gameId", "playId"])
        .filter(pl.col("frameId").is_between(pl.col("catch_f"), pl.col("end_f")))
        .group_by("gameId", "playId")
        .agg(pl.col("nx").max().clip(upper_bound=OPPONENT_GOAL_LINE_X), pl.first("los_x", "playResult"))
    )
    assert spots.height == comp.height
    measured = spots["nx"] - spots["los_x"]
    assert (measured - spots["playResult"]).abs().max() <= 1.0
    assert (measured.round() == spots["playResult"]).mean() > 0.99


def test_determinism(tmp_path: Path) -> None:
    a = generate_season(tmp_path / "a", weeks=[1], games_per_week=2, seed=7)
    generate_season(tmp_path / "b", weeks=[1], games_per_week=2, seed=7)
    generate_season(tmp_path / "c", weeks=[1], games_per_week=2, seed=8)
    for name in a["files"]:
        assert (tmp_path / "a" / name).read_bytes() == (tmp_path / "b" / name).read_bytes(), name
    plays_a = pl.read_csv(tmp_path / "a" / "plays.csv")
    plays_c = pl.read_csv(tmp_path / "c" / "plays.csv")
    assert not plays_a.equals(plays_c)
    assert (tmp_path / "a" / "tracking_week_1.csv").read_bytes() != (
        tmp_path / "c" / "tracking_week_1.csv"
    ).read_bytes()


def test_ingestion_accepts_the_season(season, tmp_path: Path, truth: pl.DataFrame) -> None:
    source, _ = season
    summary = ingest_source(source, tmp_path / "lake", layout="auto")
    assert summary["plays_in"] == truth.height
    # Documented tolerance: at most 1% of plays quarantined (none expected).
    assert summary["plays_quarantined"] <= 0.01 * summary["plays_in"], summary["quarantine_reasons"]
    lake = lake_io.scan_table(tmp_path / "lake", "plays").collect()
    joined = lake.join(truth, on=["game_id", "play_id"], suffix="_truth")
    assert (joined["pass_result"] == joined["pass_result_truth"]).all()
    assert (joined["yards_gained"] == joined["yards"]).all()
    attempts = joined.filter(pl.col("is_attempt"))
    assert (attempts["target_nfl_id"] == attempts["target_nfl_id_truth"]).mean() > 0.99
    assert (attempts["yards_gained_tracking"] - attempts["yards"]).abs().max() <= 1.0
    # ... and the data-quality suites pass on every ingested week.
    for season_week in lake_io.list_partitions(tmp_path / "lake", "tracking"):
        tracking = lake_io.scan_table(tmp_path / "lake", "tracking", [season_week]).collect()
        plays = lake_io.scan_table(tmp_path / "lake", "plays", [season_week]).collect()
        assert tracking_suite(tracking, summary["layouts"][0]).success, season_week
        assert plays_suite(plays).success, season_week
