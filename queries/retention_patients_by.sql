-- New and returning patients (docs/METRICS.md "Retention").
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql), $by: month | all.
-- Grain: one row per value of the $by key.
-- new: the patient's first completed treatment session in the store is in scope; returning: a
-- completed treatment session in scope that has an earlier one (over all data). A patient whose
-- first and second sessions fall in one period is both. `patients`: distinct patients treated.
-- Without a site, clinician or funding filter: sums of patient_day_counts (migration 134: a
-- patient counts in a period once, on the first of their days in it, the one whose previous day
-- is before the period's start). With one: one row per patient and period of session_facts, then
-- plain sums (three distinct counts cost ~3x). The other branch's condition is false, so it
-- reads nothing.
-- patient_day_counts has no site, clinician or funding: in_scope reads only its dates here.
with day_counts as (
    select
        *,
        null::varchar as site,
        null::varchar as clinician,
        null::varchar as funding,
    from patient_day_counts
),

-- A day counts when its previous day is before the period's start (a null start, all dates by
-- all: only the days without a previous one).
counted as (
    select
        case when $by = 'month' then month end as period,
        prev_date is null
        or prev_date < greatest(case when $by = 'month' then month end, $scope['start']::date)
            as is_first_in_period,
        prev_date is null as is_first,
        treated,
        repeats,
    from in_scope('day_counts', $scope)
    where $scope['site'] is null and $scope['clinician'] is null and $scope['funding'] is null
),

counted_final as (
    select
        period,
        coalesce(sum(treated) filter (where is_first), 0) as new_patients,
        coalesce(sum(repeats) filter (where is_first_in_period), 0) as returning_patients,
        coalesce(sum(treated) filter (where is_first_in_period), 0) as patients,
    from counted
    group by period
    having sum(treated) > 0
),

per_patient as (
    select
        case when $by = 'month' then date_trunc('month', appointment_date) end as period,
        patient_ref,
        bool_or(prev_session_date is null) as is_new,
        bool_or(prev_session_date is not null) as is_returning,
    from in_scope('session_facts', $scope)
    where
        $scope['site'] is not null
        or $scope['clinician'] is not null
        or $scope['funding'] is not null
    group by period, patient_ref
),

filtered_final as (
    select
        period,
        count(*) filter (where is_new) as new_patients,
        count(*) filter (where is_returning) as returning_patients,
        count(*) as patients,
    from per_patient
    group by period
),

final as (
    select
        coalesce(strftime(period, '%Y-%m'), 'all') as key,
        new_patients::bigint as new_patients,
        returning_patients::bigint as returning_patients,
        patients::bigint as patients,
    from (select * from counted_final union all select * from filtered_final)
)

select * from final order by key;
