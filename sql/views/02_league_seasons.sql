-- league_seasons: the per-season league constants, computed live from play_scores.
--   attempts:    scored passes of the season;
--   team_games:  the most games any one team has a scored pass in, i.e. the team games played so far
--                (the season qualification threshold is min_attempts_per_team_game() per team game).
-- The score views read its materialized copy, table season_aggregates, which load_partition rebuilds
-- from this view. (The league means the scores shrink toward are per level, in score_priors.)
CREATE OR REPLACE VIEW league_seasons AS
SELECT season, sum(attempts) AS attempts, max(games) AS team_games
FROM (
    SELECT season, possession_team, count(*) AS attempts, count(DISTINCT game_id) AS games
    FROM play_scores
    GROUP BY season, possession_team
)
GROUP BY season;
