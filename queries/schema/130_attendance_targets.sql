-- 130_attendance_targets: what attendance reporting and targets need (docs/METRICS.md).
-- Design notes:
-- * `late_cancellation` (added by migration 120, written by the import profiles): null means the
--   export could not say, and the late share is then "not recorded", never zero.
-- * `targets`: one row per target set, never updated, so the history stays; the target in
--   force for a measure is its latest row (a row with `value` null withdraws it). `direction`
--   says whether the rate must be at least (`min`) or at most (`max`) the value. Setting one is
--   audited (clinic/targets.py) and bumps data_version like any write.

-- No sequence (migration 090 keeps the store free of them): the id is the next after the
-- largest, taken under the store's write lock (queries/targets_set.sql).
create table targets (
    target_id integer primary key,
    measure varchar not null check (   -- a key of clinic.targets.MEASURES
        measure in (
            'review_6w', 'check_2w', 'spacing', 'compression', 'no_show', 'cancelled',
            'course_continuation', 'complication_rate'
        )
    ),
    direction varchar check (direction in ('min', 'max')),
    value double check (value between 0 and 1),   -- a rate 0..1; null: no target from now on
    set_by varchar,
    set_at timestamp not null,         -- UTC
);
