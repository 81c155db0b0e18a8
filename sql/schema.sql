-- The qb-score warehouse: one DuckDB file, loaded from the Parquet lake one (season, week) partition at
-- a time by qb_assets/warehouse.py (delete that partition's rows + insert, in one transaction).
--
-- Conventions
--   * Keys are the NFL ids: game_id (YYYYMMDDNN), play_id (unique within a game), nfl_id.
--   * season/week are real columns here (they are Hive partition keys in the lake).
--   * Yards are integer-valued DOUBLEs; an interception's yards_gained is minus the return yards.
--   * percentile is the CDF of the actual yards under the league-average-QB predicted distribution:
--     uniform on [0, 1] for a league-average QB, so its per-play variance is 1/12.
--   * Every statement is idempotent (IF NOT EXISTS / OR REPLACE): create_schema runs this file on every
--     connection that writes, then every sql/views/*.sql in name order.
--
-- The constants of the score (prior strength, 50-99 mapping, qualification thresholds) are the macros
-- at the end of this file, and nowhere else: views call them, so changing one changes every view.

CREATE TABLE IF NOT EXISTS games (
    game_id      BIGINT PRIMARY KEY,
    season       INTEGER NOT NULL,
    week         INTEGER NOT NULL,
    home_team    VARCHAR,
    visitor_team VARCHAR,
    game_date    DATE
);

-- Players are not partitioned by week: a load upserts them by nfl_id.
CREATE TABLE IF NOT EXISTS players (
    nfl_id       BIGINT PRIMARY KEY,
    display_name VARCHAR,
    position     VARCHAR
);

-- Every accepted play (sacks and scrambles included); the columns of PLAY_SCHEMA in
-- qb_assets/tracking/schema.py.
CREATE TABLE IF NOT EXISTS plays (
    game_id                BIGINT NOT NULL,
    play_id                BIGINT NOT NULL,
    season                 INTEGER NOT NULL,
    week                   INTEGER NOT NULL,
    layout                 VARCHAR,
    possession_team        VARCHAR,
    defensive_team         VARCHAR,
    play_direction         VARCHAR,
    down                   INTEGER,
    yards_to_go            INTEGER,
    yards_to_endzone       DOUBLE,
    quarter                INTEGER,
    game_clock_s           INTEGER,
    half_seconds_remaining INTEGER,
    score_difference       INTEGER,
    games_remaining        INTEGER,
    passer_nfl_id          BIGINT,
    target_nfl_id          BIGINT,
    snap_frame_id          INTEGER,
    release_frame_id       INTEGER,
    arrival_frame_id       INTEGER,
    end_frame_id           INTEGER,
    line_of_scrimmage_x    DOUBLE,
    pass_result            VARCHAR,  -- C, I, IN, S, R, other
    yards_gained           DOUBLE,
    yards_gained_tracking  DOUBLE,
    yards_source           VARCHAR,
    air_yards              DOUBLE,
    time_to_throw_s        DOUBLE,
    PRIMARY KEY (game_id, play_id)
);

-- One row per scored pass attempt (C, I or IN).
CREATE TABLE IF NOT EXISTS play_scores (
    game_id                                  BIGINT NOT NULL,
    play_id                                  BIGINT NOT NULL,
    season                                   INTEGER NOT NULL,
    week                                     INTEGER NOT NULL,
    passer_nfl_id                            BIGINT NOT NULL,
    target_nfl_id                            BIGINT,
    possession_team                          VARCHAR,
    defensive_team                           VARCHAR,
    pass_result                              VARCHAR NOT NULL CHECK (pass_result IN ('C', 'I', 'IN')),
    yards_gained                             DOUBLE NOT NULL,
    percentile                               DOUBLE NOT NULL CHECK (percentile BETWEEN 0 AND 1),
    predicted_median                         DOUBLE,
    q05                                      DOUBLE,
    q25                                      DOUBLE,
    q75                                      DOUBLE,
    q95                                      DOUBLE,
    expected_yards                           DOUBLE,
    model_version                            VARCHAR,
    feature_schema_hash                      VARCHAR,
    under_pressure                           BOOLEAN,
    time_to_throw_s                          DOUBLE,
    time_to_throw_bucket                     VARCHAR,  -- under_2_5s | 2_5_to_4s | over_4s
    air_yards                                DOUBLE,
    is_deep                                  BOOLEAN,  -- air_yards >= 20
    down                                     INTEGER,
    yards_to_go                              INTEGER,
    yards_to_endzone                         DOUBLE,
    quarter                                  INTEGER,
    defenders_within_2yd_of_target_at_release INTEGER,
    is_touchdown                             BOOLEAN,
    heldout                                  BOOLEAN,  -- the play was in the model's test split
    PRIMARY KEY (game_id, play_id)
);

-- Sufficient statistics of qb_split_stats (sql/views/20_qb_split_stats.sql), materialized: the live
-- aggregation re-expands every play once per split it belongs to, which over a million play scores
-- takes longer than the 50 ms the split views must answer in. load_partition rebuilds the rows of
-- the seasons it touches inside its own transaction, so this table never disagrees with play_scores
-- after a load (warehouse.refresh_aggregates rebuilds it after any other kind of write).
CREATE TABLE IF NOT EXISTS split_aggregates (
    passer_nfl_id    BIGINT NOT NULL,
    season           INTEGER NOT NULL,
    split            VARCHAR NOT NULL,
    attempts         BIGINT NOT NULL,
    heldout_attempts BIGINT NOT NULL,
    sum_percentile   DOUBLE NOT NULL,
    completions      BIGINT NOT NULL,
    passing_yards    DOUBLE NOT NULL,
    touchdowns       BIGINT NOT NULL,
    interceptions    BIGINT NOT NULL,
    PRIMARY KEY (passer_nfl_id, season, split)
);

-- Per-season league constants, materialized with split_aggregates for the same reason.
CREATE TABLE IF NOT EXISTS season_aggregates (
    season         INTEGER PRIMARY KEY,
    attempts       BIGINT NOT NULL,
    league_mean    DOUBLE NOT NULL,  -- mean percentile over every scored pass of the season (~0.5)
    team_games     BIGINT NOT NULL   -- the most games any team has a scored pass in, this season
);

-- ---- Constants and score formulas (the only definitions) ----------------------------------------------

-- Prior strength of the empirical-Bayes shrinkage, in attempts. With a per-play percentile variance
-- sigma^2 = 1/12 and a normal prior on a QB's true mean percentile with between-QB SD tau, the
-- posterior mean is (n * mean + k * league_mean) / (n + k) with k = sigma^2 / tau^2. k = 60 is
-- tau = sqrt(1 / (12 * 60)) = 0.037: the middle 95% of true QB mean percentiles spans about
-- 0.43-0.57. A QB needs 60 attempts before his own mean gets half the weight.
CREATE OR REPLACE MACRO prior_attempts() AS 60;
CREATE OR REPLACE MACRO between_qb_sd() AS sqrt(1.0 / (12 * prior_attempts()));

CREATE OR REPLACE MACRO shrunk_percentile(n, sum_p, league_mean) AS
    (sum_p + prior_attempts() * league_mean) / (n + prior_attempts());

-- 90% posterior interval: the posterior SD of the normal-normal model is sigma / sqrt(n + k).
CREATE OR REPLACE MACRO percentile_interval_halfwidth(n) AS
    1.6448536269514722 * sqrt(1.0 / 12) / sqrt(n + prior_attempts());

-- Standard normal CDF. DuckDB has no erf; this is the logistic-cubic approximation of Bowling et al.
-- (2009), absolute error < 1.5e-4 (under 0.01 score points). z appears twice only: a macro is expanded
-- inline, and the 11-term Abramowitz-Stegun erf made planning the score views several ms slower.
CREATE OR REPLACE MACRO std_normal_cdf(z) AS 1 / (1 + exp(-(0.07056 * pow(z, 3) + 1.5976 * z)));

-- The NGS-style 50-99 score of a (shrunk) mean percentile p:
--     score = 50 + 49 * Phi((p - league_mean) / tau)
-- i.e. 50 plus 49 times the share of the prior population of QBs that p is better than. A
-- league-average QB scores 74.5, one between-QB SD above average (p ~ 0.537) scores 91, two SD
-- (~0.575) 98; the scale is bounded by construction, monotone, centred on the season's league, and
-- shares its one free parameter with the shrinkage (tau comes from prior_attempts()).
CREATE OR REPLACE MACRO passing_score(p, league_mean) AS
    50 + 49 * std_normal_cdf((p - league_mean) / between_qb_sd());

-- The official NFL passer rating. yds = passing yards (yards_gained summed over completions),
-- td = touchdown completions, ints = interceptions.
CREATE OR REPLACE MACRO passer_rating_term(x) AS greatest(0.0, least(2.375, x));
CREATE OR REPLACE MACRO nfl_passer_rating(att, cmp, yds, td, ints) AS
    CASE WHEN att > 0 THEN
        (passer_rating_term((cmp / att - 0.3) * 5)
         + passer_rating_term((yds / att - 3) * 0.25)
         + passer_rating_term(td / att * 20)
         + passer_rating_term(2.375 - ints / att * 25)) / 6 * 100
    END;

-- Qualification thresholds (minimum attempts). Season: the NFL's rule for rate stats, 14 attempts per
-- team game, with team games = the most games any team has played that season so far (so it scales
-- with a partial season); a game: 10; a season split: 20; a week of the weekly trend: 10.
CREATE OR REPLACE MACRO min_attempts_per_team_game() AS 14;
CREATE OR REPLACE MACRO min_attempts_game() AS 10;
CREATE OR REPLACE MACRO min_attempts_split() AS 20;
CREATE OR REPLACE MACRO min_attempts_week() AS 10;

-- ---- The score columns of every aggregate view ----------------------------------------------------------

-- qb_scores('<stats relation>', min_attempts): the stats relation's rows (one per passer x grain, with
-- the sufficient statistics attempts, heldout_attempts, sum_percentile, completions, passing_yards,
-- touchdowns, interceptions) plus the passer's name, the season's league mean, the score and the
-- traditional line. min_attempts is an expression; it may use the season's league row `lg` (the
-- season view qualifies on min_attempts_per_team_game() * lg.team_games).
CREATE OR REPLACE MACRO qb_scores(stats, min_attempts) AS TABLE
SELECT
    r.* EXCLUDE (sum_percentile, qualified),
    greatest(0.0, r.shrunk_percentile - percentile_interval_halfwidth(r.attempts)) AS percentile_low_90,
    least(1.0, r.shrunk_percentile + percentile_interval_halfwidth(r.attempts)) AS percentile_high_90,
    passing_score(r.shrunk_percentile, r.league_mean) AS score_50_99,
    r.qualified,
    100.0 * r.completions / r.attempts AS completion_pct,
    r.passing_yards / r.attempts AS yards_per_attempt,
    nfl_passer_rating(r.attempts, r.completions, r.passing_yards, r.touchdowns, r.interceptions)
        AS nfl_passer_rating
FROM (
    -- The shrunk percentile as a column first: macros expand inline, so the expressions above reuse
    -- it instead of re-deriving it (which makes planning slower, not the answer different).
    SELECT
        s.passer_nfl_id,
        pl.display_name,
        s.* EXCLUDE (passer_nfl_id),
        lg.league_mean,
        s.sum_percentile / s.attempts AS mean_percentile,
        shrunk_percentile(s.attempts, s.sum_percentile, lg.league_mean) AS shrunk_percentile,
        s.attempts >= min_attempts AS qualified
    FROM query_table(stats) AS s
    JOIN season_aggregates AS lg USING (season)
    LEFT JOIN players AS pl ON pl.nfl_id = s.passer_nfl_id
) AS r;
