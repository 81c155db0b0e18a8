-- The qb-score warehouse: one DuckDB file, loaded from the Parquet lake one (season, week) partition at
-- a time by qb_assets/warehouse/load.py (delete that partition's rows + insert, in one transaction).
--
-- Conventions
--   * Keys are the NFL ids: game_id (YYYYMMDDNN), play_id (unique within a game), nfl_id.
--   * season/week are real columns here (they are Hive partition keys in the lake).
--   * Yards are integer-valued DOUBLEs; an interception's yards_gained is minus the return yards.
--   * A scored pass carries three per-play numbers (the score contract): passing_percentile, the
--     mid-point percentile of the actual yards under the PASSING model (a league-average QB, the field
--     at the release, no target); execution_percentile, the same under the EXECUTION model (the chosen
--     target given); decision_value, how much the chosen target raised the expected passing percentile
--     (sum_y pmf_exec(y) P_pass(y) - 0.5). Interceptions score 0 in both percentiles; touchdowns the
--     capped mid-point. A percentile is about uniform on [0, 1] for a league-average QB.
--   * Every statement is idempotent (IF NOT EXISTS / OR REPLACE): create_schema runs this file on every
--     connection that writes, then every sql/views/*.sql in name order.
--
-- The constants and formulas of the score (prior-strength bounds, shrinkage, intervals, the 50-99
-- mapping, qualification thresholds) are the macros at the end of this file, and nowhere else: views
-- call them, so changing one changes every view.

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
-- qb_assets/ingest/schema.py.
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

-- One row per scored pass attempt (C, I or IN): the columns qb_assets/scoring/score.py writes.
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
    passing_percentile                       DOUBLE NOT NULL CHECK (passing_percentile BETWEEN 0 AND 1),
    execution_percentile                     DOUBLE NOT NULL CHECK (execution_percentile BETWEEN 0 AND 1),
    decision_value                           DOUBLE NOT NULL CHECK (decision_value BETWEEN -0.5 AND 0.5),
    -- The randomized-PIT bounds F(y - 0.5), F(y + 0.5) of each model (capped), for calibration checks.
    passing_cdf_lower                        DOUBLE,
    passing_cdf_upper                        DOUBLE,
    execution_cdf_lower                      DOUBLE,
    execution_cdf_upper                      DOUBLE,
    -- The passing model's capped distribution of the yards.
    predicted_median                         DOUBLE,
    q05                                      DOUBLE,
    q25                                      DOUBLE,
    q75                                      DOUBLE,
    q95                                      DOUBLE,
    expected_yards                           DOUBLE,
    model_version                            VARCHAR,  -- the version of the scoring model set
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
    epa                                      DOUBLE,   -- expected points added; null: the source has none
    -- The shift of the play's partition from the scoring model's training features (README,
    -- "Applicability"): 0 = as trained, above 0.2 used outside what it learned; null: no profile.
    applicability                            DOUBLE,
    PRIMARY KEY (game_id, play_id)
);
-- Warehouses created before the applicability column get it (null on their old rows).
ALTER TABLE play_scores ADD COLUMN IF NOT EXISTS applicability DOUBLE;

-- Sufficient statistics of qb_split_stats (sql/views/20_qb_split_stats.sql), materialized: the live
-- aggregation re-expands every play once per split it belongs to, which over a million play scores
-- takes longer than the 50 ms the split views must answer in. load_partition rebuilds the rows of
-- the seasons it touches inside its own transaction, so this table never disagrees with play_scores
-- after a load (warehouse.refresh_aggregates rebuilds it after any other kind of write). The columns
-- are those of every stats relation (stat_columns() below); sum_sq_* are sums of squares.
CREATE TABLE IF NOT EXISTS split_aggregates (
    passer_nfl_id               BIGINT NOT NULL,
    season                      INTEGER NOT NULL,
    split                       VARCHAR NOT NULL,
    attempts                    BIGINT NOT NULL,
    heldout_attempts            BIGINT NOT NULL,
    sum_passing_percentile      DOUBLE NOT NULL,
    sum_decision_value          DOUBLE NOT NULL,
    sum_sq_decision_value       DOUBLE NOT NULL,
    sum_execution_residual      DOUBLE NOT NULL,
    sum_sq_execution_residual   DOUBLE NOT NULL,
    sum_execution_percentile    DOUBLE NOT NULL,
    sum_sq_execution_percentile DOUBLE NOT NULL,
    completions                 BIGINT NOT NULL,
    passing_yards               DOUBLE NOT NULL,
    touchdowns                  BIGINT NOT NULL,
    interceptions               BIGINT NOT NULL,
    sum_yards_over_expected     DOUBLE,
    epa_plays                   BIGINT NOT NULL,
    sum_epa                     DOUBLE,
    sum_applicability           DOUBLE,
    PRIMARY KEY (passer_nfl_id, season, split)
);
ALTER TABLE split_aggregates ADD COLUMN IF NOT EXISTS sum_applicability DOUBLE;

-- Per-season league constants, materialized with split_aggregates for the same reason.
CREATE TABLE IF NOT EXISTS season_aggregates (
    season         INTEGER PRIMARY KEY,
    attempts       BIGINT NOT NULL,
    team_games     BIGINT NOT NULL   -- the most games any team has a scored pass in, this season
);

-- The empirical-Bayes priors of the aggregate scores, measured from the season's data (view
-- league_score_priors, sql/views/30_league_score_priors.sql) and materialized with the aggregates
-- above, per season x level x split x component:
--   level       game | week | season | split (each score view's grain; qb_weekly_trend's running
--               season-to-date score uses the season level);
--   split       the split name at level 'split', 'all' at the other levels;
--   component   decision_value | execution_residual | execution_percentile (per-play values);
--   league_mean       m: the attempt-weighted mean of the component over the level's plays;
--   within_variance   s^2: the pooled within-passer variance of a play's value;
--   between_variance_estimate  the method-of-moments estimate var_i(mean_i) - mean_i(s^2 / n_i) over
--                     the qualified passers (null with fewer than two; may be negative);
--   prior_attempts    k = s^2 / tau^2, bounded to [prior_attempts_min(), prior_attempts_max()];
--   between_variance  tau^2 = s^2 / k, the prior variance used (after the bounds);
--   passers           the qualified passer units (passer x game at the game level, ...) measured.
CREATE TABLE IF NOT EXISTS score_priors (
    season                    INTEGER NOT NULL,
    level                     VARCHAR NOT NULL CHECK (level IN ('game', 'week', 'season', 'split')),
    split                     VARCHAR NOT NULL,
    component                 VARCHAR NOT NULL
        CHECK (component IN ('decision_value', 'execution_residual', 'execution_percentile')),
    league_mean               DOUBLE NOT NULL,
    within_variance           DOUBLE,
    between_variance_estimate DOUBLE,
    prior_attempts            DOUBLE NOT NULL,
    between_variance          DOUBLE,
    passers                   BIGINT NOT NULL,
    PRIMARY KEY (season, level, split, component)
);

-- Play-by-play (situation-only) scores, added to the tables above so that warehouses built before
-- them take them too (each statement is idempotent):
--   source          'tracking' or 'pbp' (null in rows loaded before the column: tracking); a season
--                   holds one source (load_partition refuses a second), so the views' priors never mix;
--   out_of_sample   the play's season is not one the scoring model fitted (its in-sample seasons);
--   execution_percentile and decision_value are null for a situation-only score (no tracking: no
--   execution model, no target); the views then read its passing score as the shrunk mean passing
--   percentile (the passing_score macro, qb_scores, league_score_priors).
ALTER TABLE play_scores ADD COLUMN IF NOT EXISTS source VARCHAR;
ALTER TABLE play_scores ADD COLUMN IF NOT EXISTS out_of_sample BOOLEAN;
ALTER TABLE play_scores ALTER COLUMN execution_percentile DROP NOT NULL;
ALTER TABLE play_scores ALTER COLUMN decision_value DROP NOT NULL;
ALTER TABLE split_aggregates ADD COLUMN IF NOT EXISTS source VARCHAR;
ALTER TABLE split_aggregates ADD COLUMN IF NOT EXISTS out_of_sample_attempts BIGINT;
ALTER TABLE split_aggregates ALTER COLUMN sum_decision_value DROP NOT NULL;
ALTER TABLE split_aggregates ALTER COLUMN sum_sq_decision_value DROP NOT NULL;
ALTER TABLE split_aggregates ALTER COLUMN sum_execution_percentile DROP NOT NULL;
ALTER TABLE split_aggregates ALTER COLUMN sum_sq_execution_percentile DROP NOT NULL;

-- ---- Constants and score formulas (the only definitions) ----------------------------------------------

-- The sufficient statistics every stats relation carries (qb_game_stats, qb_weekly_stats,
-- qb_season_stats, qb_to_date_stats, qb_split_stats / split_aggregates), as a pattern for COLUMNS():
-- sums over games, weeks or seasons add them up with sum(COLUMNS(stat_columns())).
CREATE OR REPLACE MACRO stat_columns() AS
    '^(attempts|heldout_attempts|out_of_sample_attempts|completions|passing_yards|touchdowns|interceptions'
    '|epa_plays|sum_.+)$';

-- Empirical-Bayes shrinkage with the prior strength measured from the data (per season, aggregate
-- level, split and component; table score_priors). Over the level's qualified passers i with n_i
-- attempts and mean m_i, the method of moments gives the between-passer variance
--     tau^2 = max(tau_min^2, var_i(m_i) - mean_i(s^2 / n_i))
-- with s^2 the pooled within-passer variance of a play's value, and the prior strength in attempts
-- k = s^2 / tau^2. k is bounded to [10, 1000] attempts: the floor tau_min = s / sqrt(1000) (for a
-- percentile, s^2 ~ 1/12: tau_min ~ 0.009, a spread of true mean percentiles narrower than any league
-- measured: k is ~150 in real seasons, the generated seasons' true k 160-450) keeps a season whose
-- spread the data cannot see (a negative estimate, or fewer than two qualified passers) from pinning
-- every passer to the league mean; the ceiling tau = s / sqrt(10) keeps a noisy large estimate from
-- switching the shrinkage off.
CREATE OR REPLACE MACRO prior_attempts_min() AS 10.0;
CREATE OR REPLACE MACRO prior_attempts_max() AS 1000.0;
-- (Written as the cases of k = s^2 / max(tau_min^2, estimate) so that the bound is exactly 1000; a null
-- estimate is the bound too.)
CREATE OR REPLACE MACRO prior_attempts(within_variance, between_variance_estimate) AS
    CASE
        WHEN within_variance > 0 AND between_variance_estimate * prior_attempts_max() > within_variance
            THEN greatest(prior_attempts_min(), within_variance / between_variance_estimate)
        ELSE prior_attempts_max()
    END;

-- The posterior of the normal-normal model: mean (n * mean + k * m) / (n + k) (total = n * mean).
-- Its variance s^2 / (n + k) treats the prior as known; it is estimated from p passers, and a passer
-- far from the league mean is the one a wrong shrinkage factor B = k / (n + k) misplaces most. Morris
-- (1983, "Parametric empirical Bayes inference", JASA 78) adds both estimation terms:
--     V = s^2 / (n + k) + (s^2 / n) * B / p + 2 / (p - 3) * B^2 * (mean - league mean)^2
-- (for p <= 3 the plain variance). Without them, the 90% intervals of oracle scores covered the truth
-- for 82% of generated starters (tests/warehouse/test_interval_coverage.py).
CREATE OR REPLACE MACRO shrunk_mean(attempts, total, prior_attempts, league_mean) AS
    (total + prior_attempts * league_mean) / (attempts + prior_attempts);
CREATE OR REPLACE MACRO posterior_variance(within_variance, attempts, prior_attempts, passers, deviation) AS
    within_variance / (attempts + prior_attempts)
    + CASE WHEN passers > 3 THEN
        within_variance / attempts * prior_attempts / (attempts + prior_attempts) / passers
        + 2.0 / (passers - 3) * pow(prior_attempts / (attempts + prior_attempts), 2) * pow(deviation, 2)
    ELSE 0.0 END;

-- The scoring models' own error about a passer, which no number of attempts removes: the root mean
-- square difference between a starter's season score from the models and the same score from the
-- generator's true distributions (a perfect model), measured by bench.validity on generated seasons
-- 11-13 (README, "The score"). Added to the posterior variance of every passing and execution score;
-- on real data it is a floor: a model used outside what it learned errs more (see applicability).
CREATE OR REPLACE MACRO passing_model_error_variance() AS pow(0.0076, 2);
CREATE OR REPLACE MACRO execution_model_error_variance() AS pow(0.0082, 2);

-- The 90% interval of a score on [0, 1]: estimate -+ 1.645 posterior SDs, clipped to [0, 1].
CREATE OR REPLACE MACRO low_90(estimate, variance) AS
    greatest(0.0, estimate - 1.6448536269514722 * sqrt(variance));
CREATE OR REPLACE MACRO high_90(estimate, variance) AS
    least(1.0, estimate + 1.6448536269514722 * sqrt(variance));

-- The passing score from its two components, each shrunk by its own prior: a passing percentile is
-- 0.5 + decision value + execution residual, play by play and so on average. A situation-only score
-- (play-by-play) has no decision value (null): its passing score is 0.5 + the shrunk residual, the
-- shrunk mean passing percentile.
CREATE OR REPLACE MACRO passing_score(decision, execution_residual) AS
    0.5 + coalesce(decision, 0.0) + execution_residual;

-- Standard normal CDF. DuckDB has no erf; this is the logistic-cubic approximation of Bowling et al.
-- (2009), absolute error < 1.5e-4 (under 0.01 score points). z appears twice only: a macro is expanded
-- inline, and the 11-term Abramowitz-Stegun erf made planning the score views several ms slower.
CREATE OR REPLACE MACRO std_normal_cdf(z) AS 1 / (1 + exp(-(0.07056 * pow(z, 3) + 1.5976 * z)));

-- The NGS-style 50-99 scale of a passing score:
--     score_50_99 = 50 + 49 * Phi((passing_score - league passing score) / tau_total)
-- with tau_total^2 = tau_decision^2 + tau_residual^2, the prior variance of a passer's true passing
-- score: 50 plus 49 times the share of the prior population of passers this one is better than. A
-- league-average passer scores 74.5, one prior SD above average 91, two 98; bounded, monotone,
-- centred on the season's league.
CREATE OR REPLACE MACRO scale_50_99(passing_score, league_passing_score, tau_total) AS
    50 + 49 * std_normal_cdf((passing_score - league_passing_score) / nullif(tau_total, 0));

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

-- Adjusted net yards per attempt on the scored attempts: (passing yards + 20 TD - 45 INT) / attempts.
-- play_scores holds pass attempts only, so sacks are in neither the yards nor the attempts.
CREATE OR REPLACE MACRO anya(att, yds, td, ints) AS (yds + 20 * td - 45 * ints) / att;

-- Qualification thresholds (minimum attempts). Season: the NFL's rule for rate stats, 14 attempts per
-- team game, with team games = the most games any team has played that season so far (so it scales
-- with a partial season); a game: 10; a season split: 20; a week of the weekly trend: 10. The same
-- thresholds choose the passers whose spread measures the level's prior (league_score_priors).
CREATE OR REPLACE MACRO min_attempts_per_team_game() AS 14;
CREATE OR REPLACE MACRO min_attempts_game() AS 10;
CREATE OR REPLACE MACRO min_attempts_split() AS 20;
CREATE OR REPLACE MACRO min_attempts_week() AS 10;

-- ---- The score columns of every aggregate view ----------------------------------------------------------

-- The key columns a stats relation may carry besides passer_nfl_id (its grain), as a pattern for
-- COLUMNS(): qb_scores passes them through in the relation's order. A new key column goes here.
CREATE OR REPLACE MACRO grain_columns() AS
    '^(season|week|game_id|source|team|opponent|teams|games|model_versions|split)$';

-- qb_scores('<stats relation>', prior_level, prior_split, min_attempts): the stats relation's rows (one
-- per passer x grain: its keys, then the sufficient statistics of stat_columns()) with the passer's
-- name, the scores shrunk by the priors of score_priors at (season, prior_level, prior_split), the
-- secondary measures and the traditional line. prior_split and min_attempts are expressions over the
-- stats row `s` and the season's league row `lg`: prior_split is 'all' or s.split; the season view
-- qualifies on min_attempts_per_team_game() * lg.team_games.
CREATE OR REPLACE MACRO qb_scores(stats, prior_level, prior_split, min_attempts) AS TABLE
SELECT
    q.passer_nfl_id,
    q.display_name,
    COLUMNS(grain_columns()),
    q.attempts,
    q.heldout_attempts,
    q.out_of_sample_attempts,
    q.mean_passing_percentile,
    q.mean_decision_value,
    q.mean_execution_residual,
    q.mean_execution_percentile,
    q.passing_score,
    q.passing_score_variance,
    q.passing_score_low_90,
    q.passing_score_high_90,
    scale_50_99(q.passing_score, q.league_passing_score, q.passing_score_tau) AS score_50_99,
    scale_50_99(q.passing_score_low_90, q.league_passing_score, q.passing_score_tau) AS score_50_99_low_90,
    scale_50_99(q.passing_score_high_90, q.league_passing_score, q.passing_score_tau) AS score_50_99_high_90,
    q.decision_score,
    q.shrunk_execution_residual,
    q.execution_score,
    q.execution_score_variance,
    q.execution_score_low_90,
    q.execution_score_high_90,
    q.league_passing_score,
    q.league_execution_percentile,
    q.passing_score_tau,
    q.prior_attempts_decision,
    q.prior_attempts_execution_residual,
    q.prior_attempts_execution,
    q.qualified,
    q.completions,
    100.0 * q.completions / q.attempts AS completion_pct,
    q.passing_yards,
    q.passing_yards / q.attempts AS yards_per_attempt,
    q.touchdowns,
    q.interceptions,
    anya(q.attempts, q.passing_yards, q.touchdowns, q.interceptions) AS anya,
    q.sum_yards_over_expected / q.attempts AS yards_over_expected,
    nfl_passer_rating(q.attempts, q.completions, q.passing_yards, q.touchdowns, q.interceptions)
        AS nfl_passer_rating,
    q.sum_epa / nullif(q.epa_plays, 0) AS epa_per_play,
    -- The mean shift of the plays' partitions from the scoring model's training (README, "Applicability").
    q.sum_applicability / q.attempts AS applicability
-- One layer per step, each step's results as columns: macros expand inline, so an expression that
-- named the step before (the interval of the passing score of the shrunk components ...) would carry
-- its whole expression tree, and planning the views would take tens of milliseconds.
FROM (
    SELECT
        p.*,
        low_90(p.passing_score, p.passing_score_variance) AS passing_score_low_90,
        high_90(p.passing_score, p.passing_score_variance) AS passing_score_high_90,
        low_90(p.execution_score, p.execution_score_variance) AS execution_score_low_90,
        high_90(p.execution_score, p.execution_score_variance) AS execution_score_high_90
    FROM (
        SELECT c.*, passing_score(c.decision_score, c.shrunk_execution_residual) AS passing_score
        FROM (
            SELECT
                r.*,
                r.sum_passing_percentile / r.attempts AS mean_passing_percentile,
                r.sum_decision_value / r.attempts AS mean_decision_value,
                r.sum_execution_residual / r.attempts AS mean_execution_residual,
                r.sum_execution_percentile / r.attempts AS mean_execution_percentile,
                shrunk_mean(r.attempts, r.sum_decision_value, d.prior_attempts, d.league_mean)
                    AS decision_score,
                shrunk_mean(r.attempts, r.sum_execution_residual, e.prior_attempts, e.league_mean)
                    AS shrunk_execution_residual,
                shrunk_mean(r.attempts, r.sum_execution_percentile, x.prior_attempts, x.league_mean)
                    AS execution_score,
                -- d (and x) are absent for a situation-only score: no decision component.
                coalesce(
                    posterior_variance(
                        d.within_variance, r.attempts, d.prior_attempts, d.passers,
                        r.sum_decision_value / r.attempts - d.league_mean
                    ),
                    0.0
                ) + posterior_variance(
                    e.within_variance, r.attempts, e.prior_attempts, e.passers,
                    r.sum_execution_residual / r.attempts - e.league_mean
                ) + passing_model_error_variance() AS passing_score_variance,
                posterior_variance(
                    x.within_variance, r.attempts, x.prior_attempts, x.passers,
                    r.sum_execution_percentile / r.attempts - x.league_mean
                ) + execution_model_error_variance() AS execution_score_variance,
                passing_score(d.league_mean, e.league_mean) AS league_passing_score,
                x.league_mean AS league_execution_percentile,
                sqrt(coalesce(d.between_variance, 0.0) + e.between_variance) AS passing_score_tau,
                d.prior_attempts AS prior_attempts_decision,
                e.prior_attempts AS prior_attempts_execution_residual,
                x.prior_attempts AS prior_attempts_execution
            FROM (
                SELECT
                    s.*,
                    pl.display_name,
                    s.attempts >= min_attempts AS qualified,
                    prior_split AS prior_split_key
                FROM query_table(stats) AS s
                JOIN season_aggregates AS lg USING (season)
                LEFT JOIN players AS pl ON pl.nfl_id = s.passer_nfl_id
            ) AS r
            LEFT JOIN score_priors AS d
                ON d.season = r.season AND d.level = prior_level AND d.split = r.prior_split_key
                AND d.component = 'decision_value'
            JOIN score_priors AS e
                ON e.season = r.season AND e.level = prior_level AND e.split = r.prior_split_key
                AND e.component = 'execution_residual'
            LEFT JOIN score_priors AS x
                ON x.season = r.season AND x.level = prior_level AND x.split = r.prior_split_key
                AND x.component = 'execution_percentile'
        ) AS c
    ) AS p
) AS q;
