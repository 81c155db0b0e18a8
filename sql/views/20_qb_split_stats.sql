-- qb_split_stats: sufficient statistics per passer x season x split, computed live from play_splits.
-- Table split_aggregates is its materialized copy (rebuilt per season by load_partition), which
-- qb_split_scores reads; the columns match split_aggregates one for one. The per-play sums are
-- qb_game_stats', deliberately restated over play_splits (SQL has no macro for a list of aggregates).
CREATE OR REPLACE VIEW qb_split_stats AS
SELECT
    passer_nfl_id,
    season,
    split,
    min(source) AS source,
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
FROM play_splits
GROUP BY passer_nfl_id, season, split;
