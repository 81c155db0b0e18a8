-- qb_weekly_stats: sufficient statistics per passer x season x week, summed from qb_game_stats, with
-- running season-to-date sums over the weeks he threw in (the input of qb_weekly_trend). The sums are
-- qb_season_stats' at the week grain, deliberately restated: SQL has no macro for a list of columns.
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
        count(*) AS games,
        sum(attempts) AS attempts,
        sum(heldout_attempts) AS heldout_attempts,
        sum(sum_percentile) AS sum_percentile,
        sum(completions) AS completions,
        sum(passing_yards) AS passing_yards,
        sum(touchdowns) AS touchdowns,
        sum(interceptions) AS interceptions
    FROM qb_game_stats
    GROUP BY passer_nfl_id, season, week
)
WINDOW to_date AS (PARTITION BY passer_nfl_id, season ORDER BY week ROWS UNBOUNDED PRECEDING);
