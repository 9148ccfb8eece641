-- Record a target (or, with a null $value, withdraw it) for one measure; the history stays.
-- Params: $measure, $direction ('min' at least / 'max' at most), $value (0..1 or null),
--         $set_by (user name), $set_at (UTC timestamp).
-- Grain: inserts one row; returns its target_id (the next after the largest: the caller holds
-- the store's write lock, so no two writes take the same one).
insert into targets (target_id, measure, direction, value, set_by, set_at)
values (
    (select coalesce(max(target_id), 0) + 1 from targets),
    $measure, $direction, $value, $set_by, $set_at
)
returning target_id;
