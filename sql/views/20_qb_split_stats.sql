-- qb_split_stats: sufficient statistics per passer x season x split, computed live from play_splits.
-- Table split_aggregates is its materialized copy (rebuilt per season by load_partition), which
-- qb_split_scores reads; the columns match split_aggregates one for one. The per-play sums are
-- qb_game_stats', deliberately restated over play_splits (SQL has no macro for a list of columns).
CREATE OR REPLACE VIEW qb_split_stats AS
SELECT
    passer_nfl_id,
    season,
    split,
    count(*) AS attempts,
    count(*) FILTER (WHERE heldout) AS heldout_attempts,
    sum(percentile) AS sum_percentile,
    sum(is_completion) AS completions,
    sum(completion_yards) AS passing_yards,
    sum(passing_td) AS touchdowns,
    sum(is_interception) AS interceptions
FROM play_splits
GROUP BY passer_nfl_id, season, split;
