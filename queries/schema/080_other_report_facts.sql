-- 080_other_report_facts: the reports that are not of a completed treatment session, with the
-- details of the appointment they follow, for the records page (its filters and its rows).
-- Design notes:
-- * Filtering the complication records by clinician, site or a clinical detail joined the
--   reports to every appointment with that value: at 10M sessions a hash table of ~8M
--   appointment ids (0.46 s, ~750 MB of the server's memory). report_facts holds those
--   dimensions for the reports of completed treatment sessions; this table holds them for the
--   rest (a follow-up's report, say: few or none), so the filter reads two tables the size of
--   the reports. A report of an appointment not in the store is in neither and matches no
--   session filter, as in the definition. The records page also shows those reports' appointment
--   details from here, so it never reads the appointments.
-- * Written by clinic/facts.py with the other facts (queries/facts_other_report_rows.sql), in
--   the same transaction as the write that changed its inputs, for the patients it touched.
-- * Existing stores: `facts_state` is emptied so the next read or write rebuilds every fact
--   table whole, this one included.

create table other_report_facts (
    report_id varchar not null,
    appointment_id varchar not null,  -- an appointment that is not a completed treatment session
    patient_ref varchar not null,
    appointment_date date not null,
    clinician varchar,
    site varchar,
    sclerosant varchar,
    form varchar,
    vein_type varchar,
    concentration_pct double,
    volume_ml double,
    treated_area varchar,
);

delete from facts_state;
