-- qb_season_stats: sufficient statistics per passer x season (the input of qb_season_scores), summed
-- from qb_game_stats so the statistics are defined once.
CREATE OR REPLACE VIEW qb_season_stats AS
SELECT
    passer_nfl_id,
    season,
    -- Every team he threw for, alphabetical ('BUF/NYJ' after a trade).
    string_agg(DISTINCT team, '/' ORDER BY team) AS teams,
    count(*) AS games,
    sum(attempts) AS attempts,
    sum(heldout_attempts) AS heldout_attempts,
    sum(sum_percentile) AS sum_percentile,
    sum(completions) AS completions,
    sum(passing_yards) AS passing_yards,
    sum(touchdowns) AS touchdowns,
    sum(interceptions) AS interceptions
FROM qb_game_stats
GROUP BY passer_nfl_id, season;
