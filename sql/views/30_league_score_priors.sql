-- league_score_priors: the empirical-Bayes priors of the aggregate scores, measured from the data per
-- season x level x split x component (the columns of table score_priors, sql/schema.sql, its
-- materialized copy, which load_partition rebuilds from this view after season_aggregates and
-- split_aggregates, whose rows it reads).
--
-- A unit is one passer at the level's grain: passer x game (level game), passer x week (week), passer x
-- season (season), passer x season x split (split, one prior per split). Per component, over the units
-- of the season:
--   league_mean      = sum of the values / attempts, over every unit (the attempt-weighted mean);
--   within_variance  s^2 = sum_i (sum_sq_i - sum_i^2 / n_i) / sum_i (n_i - 1), every unit pooled (the
--                    within-passer variance needs no minimum sample, and so stays defined when few
--                    passers qualify);
--   between_variance_estimate = var_samp_i(mean_i) * (p - 1) / (p - 3) - s^2 * avg_i(1 / n_i) over the
--                    p QUALIFIED units i (the level's qualification threshold: game 10, week 10,
--                    split 20 attempts, season 14 per team game); without the factor for p <= 3,
--                    null with fewer than two;
--   prior_attempts   k = prior_attempts(s^2, estimate): s^2 / tau^2 within the bounds;
--   between_variance tau^2 = s^2 / k, the prior variance the scores use.
CREATE OR REPLACE VIEW league_score_priors AS
WITH
    -- The per-game statistics once, summed here to the week and the season (as qb_weekly_stats and
    -- qb_season_stats sum them): a refresh reads the season's plays once, not three times.
    games AS MATERIALIZED (
        SELECT * FROM qb_game_stats
    ),
    units AS (
        SELECT 'game' AS level, 'all' AS split, min_attempts_game() AS min_attempts, *
        FROM games
        UNION ALL BY NAME
        SELECT
            'week' AS level,
            'all' AS split,
            min_attempts_week() AS min_attempts,
            passer_nfl_id,
            season,
            week,
            sum(COLUMNS(stat_columns()))
        FROM games
        GROUP BY passer_nfl_id, season, week
        UNION ALL BY NAME
        SELECT
            'season' AS level,
            'all' AS split,
            min_attempts_per_team_game() * any_value(team_games) AS min_attempts,
            passer_nfl_id,
            season,
            sum(COLUMNS(stat_columns()))
        FROM (SELECT g.*, lg.team_games FROM games AS g JOIN season_aggregates AS lg USING (season))
        GROUP BY passer_nfl_id, season
        UNION ALL BY NAME
        SELECT 'split' AS level, min_attempts_split() AS min_attempts, *
        FROM split_aggregates
    ),
    -- The moments of every component side by side (the passers x components long form would keep
    -- DuckDB from pushing a season filter down to the plays: a refresh would read every season).
    moments AS (
        SELECT
            season,
            level,
            split,
            sum(attempts) AS attempts,
            nullif(sum(attempts - 1), 0) AS degrees_of_freedom,
            avg(1.0 / attempts) FILTER (WHERE attempts >= min_attempts) AS mean_inverse_attempts,
            count(*) FILTER (WHERE attempts >= min_attempts) AS passers,
            sum(sum_decision_value) AS d_total,
            sum(sum_sq_decision_value - sum_decision_value * sum_decision_value / attempts) AS d_squares,
            var_samp(sum_decision_value / attempts) FILTER (WHERE attempts >= min_attempts)
                AS d_means_variance,
            sum(sum_execution_residual) AS r_total,
            sum(sum_sq_execution_residual - sum_execution_residual * sum_execution_residual / attempts)
                AS r_squares,
            var_samp(sum_execution_residual / attempts) FILTER (WHERE attempts >= min_attempts)
                AS r_means_variance,
            sum(sum_execution_percentile) AS x_total,
            sum(sum_sq_execution_percentile - sum_execution_percentile * sum_execution_percentile / attempts)
                AS x_squares,
            var_samp(sum_execution_percentile / attempts) FILTER (WHERE attempts >= min_attempts)
                AS x_means_variance
        FROM units
        GROUP BY season, level, split
    ),
    -- INCLUDE NULLS: a level with fewer than two qualified passers has no variance of the means.
    by_component AS (
        SELECT *
        FROM moments
        UNPIVOT INCLUDE NULLS (
            (total, squares, means_variance) FOR component IN (
                (d_total, d_squares, d_means_variance) AS decision_value,
                (r_total, r_squares, r_means_variance) AS execution_residual,
                (x_total, x_squares, x_means_variance) AS execution_percentile
            )
        )
    )
SELECT
    season,
    level,
    split,
    component,
    total / attempts AS league_mean,
    squares / degrees_of_freedom AS within_variance,
    -- (p - 1) / (p - 3) over p qualified passers: the variance of the means scaled so that the
    -- shrinkage factor s^2 / (n tau^2 + s^2) it implies is unbiased (James-Stein); with the plain
    -- moment estimate the intervals of the passers farthest from the mean came out too short.
    means_variance * CASE WHEN passers > 3 THEN (passers - 1) / (passers - 3) ELSE 1 END
        - within_variance * mean_inverse_attempts AS between_variance_estimate,
    prior_attempts(within_variance, between_variance_estimate) AS prior_attempts,
    within_variance / prior_attempts AS between_variance,
    passers
FROM by_component
-- A situation-only (play-by-play) season has no decision value and no execution percentile: no prior
-- for them (the score views join those priors with LEFT JOIN).
WHERE total IS NOT NULL;
