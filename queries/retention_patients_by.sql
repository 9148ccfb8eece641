-- New and returning patients (docs/METRICS.md "Retention").
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql), $by: month | all.
-- Grain: one row per value of the $by key.
-- new: the patient's first completed treatment session in the store is in scope; returning: a
-- completed treatment session in scope that has an earlier one (over all data). A patient whose
-- first and second sessions fall in one period is both. `patients`: distinct patients treated.
-- One row per patient and period first, then plain sums (three distinct counts cost ~3x).
with per_patient as (
    select
        case when $by = 'month' then date_trunc('month', appointment_date) end as period,
        patient_ref,
        bool_or(prev_session_date is null) as is_new,
        bool_or(prev_session_date is not null) as is_returning,
    from in_scope('session_facts', $scope)
    group by period, patient_ref
),

final as (
    select
        coalesce(strftime(period, '%Y-%m'), 'all') as key,
        count(*) filter (where is_new) as new_patients,
        count(*) filter (where is_returning) as returning_patients,
        count(*) as patients,
    from per_patient
    group by period
)

select * from final order by key;
