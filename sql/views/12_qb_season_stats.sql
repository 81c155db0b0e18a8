-- qb_season_stats: sufficient statistics per passer x season (the input of qb_season_scores), summed
-- from qb_game_stats so the statistics are defined once, and model_versions: how many distinct model
-- versions scored his season's passes (plays without a recorded version are not counted). More than 1
-- means the season mixes scores of different models (a week rescored after a retrain, say), whose
-- percentiles are not on quite the same scale.
CREATE OR REPLACE VIEW qb_season_stats AS
WITH
    seasons AS (
        SELECT
            passer_nfl_id,
            season,
            -- Every team he threw for, alphabetical ('BUF/NYJ' after a trade).
            string_agg(DISTINCT team, '/' ORDER BY team) AS teams,
            count(*) AS games,
            min(source) AS source,
            sum(COLUMNS(stat_columns()))
        FROM qb_game_stats
        GROUP BY passer_nfl_id, season
    ),
    -- Distinct counts do not add up over games, so they come from the plays.
    versions AS (
        SELECT passer_nfl_id, season, count(DISTINCT model_version) AS model_versions
        FROM play_scores
        GROUP BY passer_nfl_id, season
    )
SELECT
    s.passer_nfl_id,
    s.season,
    s.teams,
    s.games,
    v.model_versions,
    s.* EXCLUDE (passer_nfl_id, season, teams, games)
FROM seasons AS s
JOIN versions AS v USING (passer_nfl_id, season);
