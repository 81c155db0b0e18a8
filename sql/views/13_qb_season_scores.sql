-- qb_season_scores: one row per passer x season: passer_nfl_id, display_name, season, teams, games,
-- model_versions, then the score columns of the qb_scores macro (sql/schema.sql), shrunk with the
-- season's season-level priors.
-- Qualified: at least min_attempts_per_team_game() attempts per team game played that season (the
-- NFL's rule for rate stats; team games from season_aggregates, so it scales with a partial season).
CREATE OR REPLACE VIEW qb_season_scores AS
SELECT *
FROM qb_scores('qb_season_stats', 'season', 'all', min_attempts_per_team_game() * lg.team_games);
