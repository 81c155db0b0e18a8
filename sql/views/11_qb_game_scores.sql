-- qb_game_scores: one row per passer x game: passer_nfl_id, display_name, season, week, game_id,
-- game_date (null when the games table lacks the game), team, opponent, then the score columns of the
-- qb_scores macro (sql/schema.sql), shrunk with the season's game-level priors.
-- Qualified: at least min_attempts_game() attempts.
CREATE OR REPLACE VIEW qb_game_scores AS
SELECT
    s.passer_nfl_id,
    s.display_name,
    s.season,
    s.week,
    s.game_id,
    g.game_date,
    s.* EXCLUDE (passer_nfl_id, display_name, season, week, game_id)
FROM qb_scores('qb_game_stats', 'game', 'all', min_attempts_game()) AS s
LEFT JOIN games AS g USING (game_id);
