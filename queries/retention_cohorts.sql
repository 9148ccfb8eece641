-- Sessions per patient of each starting cohort (docs/METRICS.md "Retention").
-- Params: $scope (applied to the first session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of.
-- Grain: one row per month of first completed treatment session (the cohort): its patients and
-- all their completed treatment sessions up to $as_of, at any site.
-- Reads patient_facts; the sessions after $as_of are taken off from session_facts.
-- Not materialized: read twice, copying 300,000 patient rows cost more than a second scan.
with firsts as not materialized (
    select
        patient_ref,
        first_date as appointment_date,
        first_site as site,
        first_clinician as clinician,
        first_funding as funding,
        sessions,
    from patient_facts
),

cohort as not materialized (
    select patient_ref, appointment_date, sessions,
    from in_scope('firsts', $scope)
    where appointment_date <= $as_of
),

-- Sessions after $as_of, to take off their patients' totals: session_facts is written in date
-- order, so this range reads only the last row groups (none when $as_of is today).
later as (
    select patient_ref, count(*) as sessions,
    from session_facts
    where appointment_date > $as_of
    group by patient_ref
),

counted as (
    select appointment_date, 1 as patients, sessions,
    from cohort
    union all
    select c.appointment_date, 0 as patients, -l.sessions as sessions,
    from later as l
    inner join cohort as c on c.patient_ref = l.patient_ref
),

-- Summed per day first: the month of ~700 days instead of 300,000 patients' first days.
days as (
    select appointment_date, sum(patients) as patients, sum(sessions) as sessions,
    from counted
    group by appointment_date
),

final as (
    select
        date_trunc('month', appointment_date) as period,
        sum(patients) as patients,
        sum(sessions) as sessions,
    from days
    group by period
)

select strftime(period, '%Y-%m') as cohort, patients, sessions,
from final
order by cohort;
