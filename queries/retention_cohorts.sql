-- Sessions per patient of each starting cohort (docs/METRICS.md "Retention").
-- Params: $scope (applied to the first session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of.
-- Grain: one row per month of first completed treatment session (the cohort): its patients and
-- all their completed treatment sessions up to $as_of, at any site.
with firsts as (
    select patient_ref, appointment_date, month, site, clinician, funding,
    from session_facts
    where prev_session_date is null
),

cohort as (
    select patient_ref, month as cohort,
    from in_scope('firsts', $scope)
    where appointment_date <= $as_of
),

final as (
    select
        c.cohort,
        count(distinct c.patient_ref) as patients,
        count(*) as sessions,
    from cohort as c
    inner join session_facts as s on s.patient_ref = c.patient_ref
    where s.appointment_date <= $as_of
    group by c.cohort
)

select * from final order by cohort;
