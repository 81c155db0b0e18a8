-- league_seasons: the per-season league constants, computed live from play_scores.
--   league_mean: mean percentile over every scored pass of the season (the shrinkage target, ~0.5);
--   team_games:  the most games any one team has a scored pass in, i.e. the team games played so far
--                (the season qualification threshold is min_attempts_per_team_game() per team game).
-- The score views read its materialized copy, table season_aggregates, which load_partition rebuilds
-- from this view.
CREATE OR REPLACE VIEW league_seasons AS
WITH
    league AS (
        SELECT season, count(*) AS attempts, avg(percentile) AS league_mean
        FROM play_scores
        GROUP BY season
    ),
    team_games AS (
        SELECT season, max(games) AS team_games
        FROM (
            SELECT season, possession_team, count(DISTINCT game_id) AS games
            FROM play_scores
            GROUP BY season, possession_team
        )
        GROUP BY season
    )
SELECT league.season, league.attempts, league.league_mean, team_games.team_games
FROM league
JOIN team_games USING (season);
