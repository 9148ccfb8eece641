-- Sessions per patient of each starting cohort (docs/METRICS.md "Retention").
-- Params: $scope (applied to the first session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of.
-- Grain: one row per month of first completed treatment session (the cohort): its patients and
-- all their completed treatment sessions up to $as_of, at any site.
-- One pass over session_facts grouped by patient.
with patients as (
    select
        patient_ref,
        min(appointment_date) filter (where prev_session_date is null) as appointment_date,
        any_value(site) filter (where prev_session_date is null) as site,
        any_value(clinician) filter (where prev_session_date is null) as clinician,
        any_value(funding) filter (where prev_session_date is null) as funding,
        count(*) filter (where appointment_date <= $as_of) as sessions,
    from session_facts
    group by patient_ref
),

final as (
    select
        strftime(date_trunc('month', appointment_date), '%Y-%m') as cohort,
        count(*) as patients,
        sum(sessions) as sessions,
    from in_scope('patients', $scope)
    where appointment_date <= $as_of
    group by cohort
)

select * from final order by cohort;
