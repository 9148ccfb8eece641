-- The rows of `patient_facts` for every patient ($everything) or for the patients listed in the
-- temp table facts_scope_patients (created by clinic/facts.py), from session_facts (written
-- first) and the patients' treatment and follow-up appointments of any status.
-- First and last are in date order, then appointment id (as session_facts orders sessions); the
-- second is the earliest session that has a previous one.
-- Params: $everything (boolean: all patients, else the scope table).
-- Grain: one row per patient with at least one completed treatment session.
with sessions as (
    select *
    from session_facts
    where $everything
    union all
    select *
    from session_facts
    where not $everything and patient_ref in (select patient_ref from facts_scope_patients)
),

visits as (
    select patient_ref, appointment_date,
    from appointments
    where $everything and kind in ('treatment', 'follow-up')
    union all
    select patient_ref, appointment_date,
    from appointments
    where
        not $everything
        and kind in ('treatment', 'follow-up')
        and patient_ref in (select patient_ref from facts_scope_patients)
),

latest as (
    select patient_ref, max(appointment_date) as latest_appointment_date,
    from visits
    group by patient_ref
),

per_patient as (
    select
        patient_ref,
        min(appointment_date) as first_date,
        arg_min(site, (appointment_date, appointment_id)) as first_site,
        arg_min(clinician, (appointment_date, appointment_id)) as first_clinician,
        arg_min(funding, (appointment_date, appointment_id)) as first_funding,
        min(appointment_date) filter (where prev_session_date is not null) as second_date,
        max(appointment_date) as last_date,
        arg_max(appointment_id, (appointment_date, appointment_id)) as last_booking_ref,
        arg_max(site, (appointment_date, appointment_id)) as last_site,
        arg_max(clinician, (appointment_date, appointment_id)) as last_clinician,
        arg_max(funding, (appointment_date, appointment_id)) as last_funding,
        count(*) as sessions,
    from sessions
    group by patient_ref
),

final as (
    select p.*, l.latest_appointment_date,
    from per_patient as p
    inner join latest as l on l.patient_ref = p.patient_ref
)

select * from final;
