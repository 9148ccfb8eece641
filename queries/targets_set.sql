-- Record a target (or, with a null $value, withdraw it) for one measure; the history stays.
-- Params: $measure, $direction ('min' at least / 'max' at most), $value (0..1 or null),
--         $set_by (user name), $set_at (UTC timestamp).
-- Grain: inserts one row; returns its target_id.
insert into targets (measure, direction, value, set_by, set_at)
values ($measure, $direction, $value, $set_by, $set_at)
returning target_id;
