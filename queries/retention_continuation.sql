-- Course continuation (docs/METRICS.md "Retention"): patients whose first completed treatment
-- session in the store is in scope and at least 120 days before $as_of, and those whose second
-- completed treatment session is dated 1 to 120 days after the first.
-- Params: $scope (applied to the first session: dates inclusive, site, clinician, funding; see
--         the macro in_scope, queries/schema/100_sessions_in_scope.sql), $as_of,
--         $by: month (of the first session) | all.
-- Grain: one row per value of the $by key.
-- A first session is a session_facts row without a previous session (over all data, so a date
-- filter never turns a repeat into a first); the second is the earliest of the other rows.
-- One pass over session_facts grouped by patient (a join of firsts to seconds cost ~4x).
with patients as (
    select
        patient_ref,
        min(appointment_date) filter (where prev_session_date is null) as appointment_date,
        min(appointment_date) filter (where prev_session_date is not null) as second_date,
        any_value(site) filter (where prev_session_date is null) as site,
        any_value(clinician) filter (where prev_session_date is null) as clinician,
        any_value(funding) filter (where prev_session_date is null) as funding,
    from session_facts
    group by patient_ref
),

cohort as (
    select appointment_date, second_date,
    from in_scope('patients', $scope)
    where appointment_date + 120 <= $as_of
),

final as (
    select
        case when $by = 'month' then strftime(appointment_date, '%Y-%m') else 'all' end as key,
        count(*) as eligible,
        count(*) filter (
            where second_date between appointment_date + 1 and appointment_date + 120
        ) as met,
    from cohort
    group by key
)

select * from final order by key;
