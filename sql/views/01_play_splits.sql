-- play_splits: the split lookup. One row per (scored pass, split it belongs to); a play is in as many
-- splits as its situation matches (e.g. a deep third-down pass under pressure is in three). Each
-- split is one (name, condition) pair below; add a split by adding a pair.
--   under_pressure / clean_pocket   the pressure flag (null: in neither)
--   ttt_*                           time to throw buckets, as bucketed upstream: < 2.5 s, 2.5-4 s, > 4 s
--   deep / short                    air yards >= 20 (is_deep) / < 20, including throws behind the line
--   third_down                      down = 3
--   red_zone                        snap at most 20 yards from the end zone
CREATE OR REPLACE VIEW play_splits AS
SELECT p.*, s.split
FROM scored_passes AS p
CROSS JOIN LATERAL (
    VALUES
        ('under_pressure', p.under_pressure),
        ('clean_pocket', NOT p.under_pressure),
        ('ttt_under_2_5s', p.time_to_throw_bucket = 'under_2_5s'),
        ('ttt_2_5_to_4s', p.time_to_throw_bucket = '2_5_to_4s'),
        ('ttt_over_4s', p.time_to_throw_bucket = 'over_4s'),
        ('deep', p.is_deep),
        ('short', NOT p.is_deep),
        ('third_down', p.down = 3),
        ('red_zone', p.yards_to_endzone <= 20)
) AS s (split, is_member)
WHERE s.is_member;
