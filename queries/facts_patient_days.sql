-- The rows of `patient_days` for every patient ($everything) or for the patients listed in the
-- temp table facts_scope_patients (created by clinic/facts.py), from session_facts (written
-- first) and the patients' completed product sales.
-- repeat: a session of the day has an earlier session (session_facts.prev_session_date, so two
-- sessions on the patient's first day make it a repeat day too, as the retention figures count).
-- Params: $everything (boolean: all patients, else the scope table).
-- Grain: one row per patient and day with a completed treatment session or product sale.
with sessions as (
    select patient_ref, appointment_date, prev_session_date,
    from session_facts
    where $everything
    union all
    select patient_ref, appointment_date, prev_session_date,
    from session_facts
    where not $everything and patient_ref in (select patient_ref from facts_scope_patients)
),

sales as (
    select patient_ref, appointment_date,
    from appointments
    where $everything and kind = 'product' and status = 'completed'
    union all
    select patient_ref, appointment_date,
    from appointments
    where
        not $everything
        and kind = 'product'
        and status = 'completed'
        and patient_ref in (select patient_ref from facts_scope_patients)
),

days as (
    select patient_ref, appointment_date, true as treated, prev_session_date is not null as repeat,
    from sessions
    union all
    select patient_ref, appointment_date, false as treated, false as repeat,
    from sales
),

per_day as (
    select patient_ref, appointment_date, bool_or(treated) as treated, bool_or(repeat) as repeat,
    from days
    group by patient_ref, appointment_date
),

-- One window, one sort: dates rise along it, so the latest earlier treated (repeat) day is
-- the running max over the rows before, as lag() over a second and third partitioning was
-- (which cost a sort each).
final as (
    select
        patient_ref,
        appointment_date,
        treated,
        repeat,
        lag(appointment_date) over earlier_days as prev_visit,
        case when treated then max(appointment_date) filter (where treated) over before end
            as prev_treated,
        case when repeat then max(appointment_date) filter (where repeat) over before end
            as prev_repeat,
    from per_day
    window
        earlier_days as (partition by patient_ref order by appointment_date),
        before as (
            partition by patient_ref order by appointment_date
            rows between unbounded preceding and 1 preceding
        )
)

select * from final;
