-- qb_game_stats: sufficient statistics per passer x game (the input of qb_game_scores).
CREATE OR REPLACE VIEW qb_game_stats AS
SELECT
    passer_nfl_id,
    season,
    week,
    game_id,
    -- A passer throws for one team in a game. (min, not mode: with mode DuckDB 2.0 stops pushing a
    -- season filter below the aggregation and scans every season.)
    min(possession_team) AS team,
    min(defensive_team) AS opponent,
    count(*) AS attempts,
    count(*) FILTER (WHERE heldout) AS heldout_attempts,
    sum(percentile) AS sum_percentile,
    sum(is_completion) AS completions,
    sum(completion_yards) AS passing_yards,
    sum(passing_td) AS touchdowns,
    sum(is_interception) AS interceptions
FROM scored_passes
GROUP BY passer_nfl_id, season, week, game_id;
