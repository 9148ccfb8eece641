-- New and returning patients (docs/METRICS.md "Retention").
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql), $by: month | all.
-- Grain: one row per value of the $by key.
-- new: the patient's first completed treatment session in the store is in scope; returning: a
-- completed treatment session in scope that has an earlier one (over all data). A patient whose
-- first and second sessions fall in one period is both. `patients`: distinct patients treated.
with sessions as (
    select
        case when $by = 'month' then month else 'all' end as key,
        patient_ref,
        prev_session_date,
    from in_scope('session_facts', $scope)
),

final as (
    select
        key,
        count(distinct patient_ref) filter (where prev_session_date is null) as new_patients,
        count(distinct patient_ref) filter (where prev_session_date is not null)
            as returning_patients,
        count(distinct patient_ref) as patients,
    from sessions
    group by key
)

select * from final order by key;
