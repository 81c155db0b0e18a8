-- qb_game_stats: sufficient statistics per passer x game (the input of qb_game_scores, and summed by
-- the week, season and to-date statistics): attempts, heldout_attempts, sums (sum_*) and sums of squares
-- (sum_sq_*, for the priors' within-passer variance) of the per-play values, the traditional line, and
-- epa_plays / sum_epa over the plays that carry an EPA. The columns match stat_columns() (sql/schema.sql).
CREATE OR REPLACE VIEW qb_game_stats AS
SELECT
    passer_nfl_id,
    season,
    week,
    game_id,
    -- A passer throws for one team in a game. (min, not mode: with mode DuckDB 2.0 stops pushing a
    -- season filter below the aggregation and scans every season.)
    min(possession_team) AS team,
    min(defensive_team) AS opponent,
    min(source) AS source,  -- one per season (load_partition)
    count(*) AS attempts,
    count(*) FILTER (WHERE heldout) AS heldout_attempts,
    count(*) FILTER (WHERE out_of_sample) AS out_of_sample_attempts,
    sum(passing_percentile) AS sum_passing_percentile,
    sum(decision_value) AS sum_decision_value,
    sum(decision_value * decision_value) AS sum_sq_decision_value,
    sum(execution_residual) AS sum_execution_residual,
    sum(execution_residual * execution_residual) AS sum_sq_execution_residual,
    sum(execution_percentile) AS sum_execution_percentile,
    sum(execution_percentile * execution_percentile) AS sum_sq_execution_percentile,
    sum(is_completion) AS completions,
    sum(completion_yards) AS passing_yards,
    sum(passing_td) AS touchdowns,
    sum(is_interception) AS interceptions,
    sum(yards_over_expected) AS sum_yards_over_expected,
    count(epa) AS epa_plays,
    sum(epa) AS sum_epa,
    sum(applicability) AS sum_applicability
FROM scored_passes
GROUP BY passer_nfl_id, season, week, game_id;
