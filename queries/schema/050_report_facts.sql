-- 050_report_facts: side-effect reports with the session they follow, kept like session_facts.
-- Design notes:
-- * The serious-events list and the rate per effect joined every report to every session in
--   range (~0.2-0.6 s at 10M sessions). `report_facts` holds, per report linked to a completed
--   treatment session, the session's date and dimensions and whether the report is serious, so
--   both are one scan of a table the size of the reports.
-- * Written by clinic/facts.py with the other facts (queries/facts_report_rows.sql), in the same
--   transaction as the write that changed its inputs, for the patients that write touched.
-- * Existing stores: `facts_state` is emptied so the next read or write rebuilds every fact
--   table whole, this one included.

create table report_facts (
    report_id varchar not null,
    reported_date date not null,
    effect varchar not null,
    severity varchar,
    medical_attention boolean,
    outcome varchar,
    is_serious boolean not null,      -- a serious term (effect_terms) or medical attention
    appointment_id varchar not null,  -- the completed treatment session it follows
    patient_ref varchar not null,
    appointment_date date not null,   -- the session's date: every date filter applies to it
    clinician varchar,
    site varchar,
    sclerosant varchar,
    form varchar,
    vein_type varchar,
);

delete from facts_state;
