-- 132_attendance_patient_facts: the daily attendance sums and one row per treated patient, so
-- attendance and retention read small tables instead of every appointment (docs/PERFORMANCE.md).
-- Design notes:
-- * At 1M sessions, counting no-shows over the 2.3M appointments took ~0.3 s and the per-patient
--   first/second/last session ~0.7-3 s per figure. Like session_days and revenue_days, these
--   tables are written by clinic/facts.py in the same transaction as the write that changed
--   their inputs: attendance_days for the days it touched, patient_facts for the patients.
-- * Definitions: queries/facts_attendance_days.sql and queries/facts_patient_rows.sql.
-- * `facts_state` is emptied so the next read or write builds them whole.

-- One row per day and combination of dimensions: treatment and follow-up appointments by
-- status (product sales and booked appointments are not here), late cancellations where known,
-- and the list-price value of the no-shows.
create table attendance_days (
    appointment_date date not null,
    site varchar,
    clinician varchar,
    funding varchar not null,
    item varchar,
    completed bigint not null,
    no_show bigint not null,
    cancelled bigint not null,
    late_known bigint not null,      -- cancellations whose export said late or not
    late bigint not null,
    lost_gbp decimal(38, 2) not null, -- no-shows at the list price valid on the day
    unpriced bigint not null,        -- no-shows without a list price that day
);

-- One row per patient with a completed treatment session: the first (with its dimensions), the
-- second, the last (with its booking reference and dimensions), how many, and the date of the
-- patient's latest treatment or follow-up appointment of any status.
create table patient_facts (
    patient_ref varchar not null,
    first_date date not null,
    first_site varchar,
    first_clinician varchar,
    first_funding varchar,
    second_date date,
    last_date date not null,
    last_booking_ref varchar not null,
    last_site varchar,
    last_clinician varchar,
    last_funding varchar,
    sessions bigint not null,
    latest_appointment_date date not null,
);

delete from facts_state;
