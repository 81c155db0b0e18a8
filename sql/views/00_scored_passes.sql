-- scored_passes: play_scores plus the per-play pieces of the traditional passing line, so every
-- aggregate view sums the same definitions (NFL box-score conventions):
--   completion_yards: yards_gained on completions, 0 otherwise (passing yards; an interception's
--                     return does not count against the passer);
--   passing_td:       a completion that scored;
--   is_interception:  pass_result = 'IN'.
CREATE OR REPLACE VIEW scored_passes AS
SELECT
    s.*,
    (s.pass_result = 'C')::INTEGER AS is_completion,
    CASE WHEN s.pass_result = 'C' THEN s.yards_gained ELSE 0 END AS completion_yards,
    (s.pass_result = 'C' AND coalesce(s.is_touchdown, FALSE))::INTEGER AS passing_td,
    (s.pass_result = 'IN')::INTEGER AS is_interception
FROM play_scores AS s;
