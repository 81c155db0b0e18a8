-- qb_to_date_stats: per passer x season x week he threw in, the running season-to-date sums of the
-- sufficient statistics through that week (the input of qb_weekly_trend's *_to_date columns).
CREATE OR REPLACE VIEW qb_to_date_stats AS
SELECT passer_nfl_id, season, week, source, sum(COLUMNS(stat_columns())) OVER to_date
FROM qb_weekly_stats
WINDOW to_date AS (PARTITION BY passer_nfl_id, season ORDER BY week ROWS UNBOUNDED PRECEDING);
