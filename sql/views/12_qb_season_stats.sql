-- qb_season_stats: sufficient statistics per passer x season (the input of qb_season_scores).
CREATE OR REPLACE VIEW qb_season_stats AS
SELECT
    passer_nfl_id,
    season,
    -- Every team he threw for, alphabetical ('BUF/NYJ' after a trade).
    string_agg(DISTINCT possession_team, '/' ORDER BY possession_team) AS teams,
    count(DISTINCT game_id) AS games,
    count(*) AS attempts,
    count(*) FILTER (WHERE heldout) AS heldout_attempts,
    sum(percentile) AS sum_percentile,
    sum(is_completion) AS completions,
    sum(completion_yards) AS passing_yards,
    sum(passing_td) AS touchdowns,
    sum(is_interception) AS interceptions
FROM scored_passes
GROUP BY passer_nfl_id, season;
