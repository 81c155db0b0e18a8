-- qb_split_scores: one row per passer x season x split (split names and conditions: play_splits)
-- with the score columns of the qb_scores macro (sql/schema.sql), shrunk with the season's priors of
-- that split. Reads split_aggregates, the materialized qb_split_stats, so it answers in milliseconds
-- over millions of play scores.
-- Qualified: at least min_attempts_split() attempts in the split.
CREATE OR REPLACE VIEW qb_split_scores AS
SELECT *
FROM qb_scores('split_aggregates', 'split', s.split, min_attempts_split());
