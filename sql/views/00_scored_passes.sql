-- scored_passes: play_scores plus the per-play pieces every aggregate view sums, so they all sum the
-- same definitions (NFL box-score conventions for the traditional line):
--   is_completion:       pass_result = 'C';
--   completion_yards:    yards_gained on completions, 0 otherwise (passing yards; an interception's
--                        return does not count against the passer);
--   passing_td:          a completion that scored;
--   is_interception:     pass_result = 'IN';
--   execution_residual:  passing_percentile - 0.5 - decision_value, the part of the passing percentile
--                        the choice of target does not explain (the passing score's second component;
--                        a situation-only score has no decision value: all of it);
--   source:              'tracking' where play_scores has none (rows loaded before the column).
--   yards_over_expected: yards_gained minus the passing model's expected yards.
CREATE OR REPLACE VIEW scored_passes AS
SELECT
    s.* REPLACE (coalesce(s.source, 'tracking') AS source),
    (s.pass_result = 'C')::INTEGER AS is_completion,
    CASE WHEN s.pass_result = 'C' THEN s.yards_gained ELSE 0 END AS completion_yards,
    (s.pass_result = 'C' AND coalesce(s.is_touchdown, FALSE))::INTEGER AS passing_td,
    (s.pass_result = 'IN')::INTEGER AS is_interception,
    s.passing_percentile - 0.5 - coalesce(s.decision_value, 0.0) AS execution_residual,
    s.yards_gained - s.expected_yards AS yards_over_expected
FROM play_scores AS s;
