-- Sessions per patient of each starting cohort (docs/METRICS.md "Retention").
-- Params: $scope (applied to the first session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of.
-- Grain: one row per month of first completed treatment session (the cohort): its patients and
-- all their completed treatment sessions up to $as_of, at any site.
-- Reads patient_facts; only a patient with a session after $as_of is counted from session_facts.
with firsts as (
    select
        patient_ref,
        first_date as appointment_date,
        first_site as site,
        first_clinician as clinician,
        first_funding as funding,
        last_date,
        sessions,
    from patient_facts
),

cohort as (
    select patient_ref, appointment_date, last_date, sessions,
    from in_scope('firsts', $scope)
    where appointment_date <= $as_of
),

recounted as (
    select s.patient_ref, count(*) as sessions,
    from session_facts as s
    where
        s.appointment_date <= $as_of
        and s.patient_ref in (select patient_ref from cohort where last_date > $as_of)
    group by s.patient_ref
),

final as (
    select
        date_trunc('month', c.appointment_date) as period,
        count(*) as patients,
        sum(case when c.last_date <= $as_of then c.sessions else r.sessions end) as sessions,
    from cohort as c
    left join recounted as r on r.patient_ref = c.patient_ref
    group by period
)

select strftime(period, '%Y-%m') as cohort, patients, sessions,
from final
order by cohort;
