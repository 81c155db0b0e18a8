-- qb_weekly_trend: one row per passer x season x week he threw in: the week's own score columns (of
-- the qb_scores macro, sql/schema.sql; qualified: at least min_attempts_week() attempts) and the
-- running season-to-date score through that week, shrunk toward the season's league mean with the
-- same prior: attempts_to_date, mean_percentile_to_date, shrunk_percentile_to_date,
-- percentile_low_90_to_date, percentile_high_90_to_date, score_50_99_to_date.
CREATE OR REPLACE VIEW qb_weekly_trend AS
SELECT
    s.* EXCLUDE (sum_percentile_to_date),
    s.sum_percentile_to_date / s.attempts_to_date AS mean_percentile_to_date,
    shrunk_percentile(s.attempts_to_date, s.sum_percentile_to_date, s.league_mean)
        AS shrunk_percentile_to_date,
    greatest(0.0, shrunk_percentile_to_date - percentile_interval_halfwidth(s.attempts_to_date))
        AS percentile_low_90_to_date,
    least(1.0, shrunk_percentile_to_date + percentile_interval_halfwidth(s.attempts_to_date))
        AS percentile_high_90_to_date,
    passing_score(shrunk_percentile_to_date, s.league_mean) AS score_50_99_to_date
FROM qb_scores('qb_weekly_stats', min_attempts_week()) AS s;
