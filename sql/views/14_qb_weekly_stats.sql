-- qb_weekly_stats: sufficient statistics per passer x season x week (the input of the week's own
-- scores in qb_weekly_trend), summed from qb_game_stats so the statistics are defined once.
CREATE OR REPLACE VIEW qb_weekly_stats AS
SELECT passer_nfl_id, season, week, min(source) AS source, count(*) AS games, sum(COLUMNS(stat_columns()))
FROM qb_game_stats
GROUP BY passer_nfl_id, season, week;
