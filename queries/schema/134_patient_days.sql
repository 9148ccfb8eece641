-- 134_patient_days: one row per patient and day of a completed treatment session or product
-- sale, and the counts of those rows per day and previous day, so the distinct-patient figures of
-- retention (new, returning and treated patients, the patients revenue per patient divides by)
-- read a few thousand counts instead of a million session rows (docs/PERFORMANCE.md).
-- Design notes:
-- * A patient has a session in a period [start, end] exactly when one of their session days is
--   in it and the day before it (the previous session day) is not: so "distinct patients in the
--   period" is a plain count of days in the period whose previous day is before the start, and
--   the counts of (day, previous day) pairs answer it for any dates. The same holds for the days
--   with a repeat session (returning) and for the days with a session or a sale (revenue).
-- * The previous days ignore site, clinician and funding: with one of those filters set the
--   queries read session_facts and the appointments as before (same numbers, not this speed).
-- * Written by clinic/facts.py in the same transaction as the write that changed their inputs:
--   patient_days for the patients it touched (queries/facts_patient_days.sql), the counts by
--   adding the patients' new rows and subtracting their old ones
--   (queries/facts_patient_day_counts.sql).
-- * `facts_state` is emptied so the next read or write builds them whole.

create table patient_days (
    patient_ref varchar not null,
    appointment_date date not null,
    treated boolean not null,  -- a completed treatment session that day
    repeat boolean not null,   -- a completed treatment session that has an earlier one
    prev_visit date,           -- the patient's previous day in this table
    prev_treated date,         -- when treated: the previous treated day (null: the first)
    prev_repeat date,          -- when repeat: the previous day with a repeat session
);

-- One row per day and previous day: how many patients have that day with that previous day, for
-- each of the three kinds of day of patient_days (their previous days differ, so one patient day
-- may count in up to three rows; most share one).
create table patient_day_counts (
    appointment_date date not null,
    month date not null,         -- the first day of appointment_date's month
    prev_date date,              -- null: the patient's first day of that kind
    visits bigint not null,      -- patients whose prev_visit is prev_date
    treated bigint not null,     -- patients treated that day whose prev_treated is prev_date
    repeats bigint not null,     -- patients with a repeat that day whose prev_repeat is prev_date
);

delete from facts_state;
