-- qb_weekly_trend: one row per passer x season x week he threw in: the week's own score columns (of
-- the qb_scores macro, sql/schema.sql, with the week-level priors; qualified: at least
-- min_attempts_week() attempts), then the running season-to-date score through that week, the same
-- macro over qb_to_date_stats with the season-level priors (a season-to-date score is a season score
-- so far): attempts_to_date, mean_passing_percentile_to_date, passing_score_to_date,
-- passing_score_low_90_to_date, passing_score_high_90_to_date, score_50_99_to_date,
-- score_50_99_low_90_to_date, score_50_99_high_90_to_date, decision_score_to_date,
-- execution_score_to_date, execution_score_low_90_to_date, execution_score_high_90_to_date.
CREATE OR REPLACE VIEW qb_weekly_trend AS
SELECT w.*, d.* EXCLUDE (passer_nfl_id, season, week)
FROM qb_scores('qb_weekly_stats', 'week', 'all', min_attempts_week()) AS w
JOIN (
    SELECT
        passer_nfl_id,
        season,
        week,
        COLUMNS(
            '^(attempts|mean_passing_percentile|passing_score|passing_score_low_90|passing_score_high_90'
            '|score_50_99|score_50_99_low_90|score_50_99_high_90|decision_score|execution_score'
            '|execution_score_low_90|execution_score_high_90)$'
        ) AS '\1_to_date'
    FROM qb_scores('qb_to_date_stats', 'season', 'all', min_attempts_week())
) AS d USING (passer_nfl_id, season, week);
