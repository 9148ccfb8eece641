-- 120_value_mappings: how a source system's words read as ours, and late cancellations.
-- Design notes:
-- * value_mappings: one row per (source, field, value as matched); `term` is one of our words
--   for the field (a status, a price-list item, a vein type ...) or 'skip' for "not ours: leave
--   these rows out". Saved by staff on the Upload page or with `clinic map value`; every change
--   is audited. Not clinical data: writes do not bump data_version.
-- * appointments.late_cancellation: true when a cancellation came less than 48 hours before the
--   start (or the export says "late"), false when it came earlier, null when the export cannot
--   say or the appointment was not cancelled (the late share is then "not recorded", never zero).
create table value_mappings (
    source varchar not null,
    field varchar not null,
    value varchar not null,           -- the value as matched (lower case, words only)
    shown varchar not null,           -- the value as first written in a file
    term varchar not null,            -- one of our words for the field, or 'skip'
    saved_by varchar,
    saved_at timestamp not null,      -- UTC
    primary key (source, field, value),
);

alter table appointments add column late_cancellation boolean;
alter table appointments_history add column late_cancellation boolean;
