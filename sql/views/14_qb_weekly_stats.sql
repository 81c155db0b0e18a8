-- qb_weekly_stats: sufficient statistics per passer x season x week, with running season-to-date sums
-- over the weeks he threw in (the input of qb_weekly_trend).
CREATE OR REPLACE VIEW qb_weekly_stats AS
SELECT
    *,
    sum(attempts) OVER to_date AS attempts_to_date,
    sum(sum_percentile) OVER to_date AS sum_percentile_to_date
FROM (
    SELECT
        passer_nfl_id,
        season,
        week,
        count(DISTINCT game_id) AS games,
        count(*) AS attempts,
        count(*) FILTER (WHERE heldout) AS heldout_attempts,
        sum(percentile) AS sum_percentile,
        sum(is_completion) AS completions,
        sum(completion_yards) AS passing_yards,
        sum(passing_td) AS touchdowns,
        sum(is_interception) AS interceptions
    FROM scored_passes
    GROUP BY passer_nfl_id, season, week
)
WINDOW to_date AS (PARTITION BY passer_nfl_id, season ORDER BY week ROWS UNBOUNDED PRECEDING);
