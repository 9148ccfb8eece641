-- Revenue per patient (docs/METRICS.md "Revenue per patient"): the revenue and the patients it
-- is divided by.
-- Params: $scope (the appointments in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql), $by: month | all.
-- Grain: one row per value of the $by key with patients or revenue: distinct patients with a
-- completed treatment session or a completed product sale, and the revenue of the revenue lines
-- (revenue_days, as revenue_by.sql sums it; null when the period has none).
-- Without a site, clinician or funding filter: sums of patient_day_counts (migration 134, as in
-- retention_patients_by.sql); with one: a distinct count over the appointments. The other
-- branch's condition is false, so it reads nothing.
with day_counts as (
    select
        *,
        null::varchar as site,
        null::varchar as clinician,
        null::varchar as funding,
    from patient_day_counts
),

counted as (
    select
        case when $by = 'month' then month end as period,
        visits,
    from in_scope('day_counts', $scope)
    where
        $scope['site'] is null
        and $scope['clinician'] is null
        and $scope['funding'] is null
        and (
            prev_date is null
            or prev_date < greatest(case when $by = 'month' then month end, $scope['start']::date)
        )
),

counted_final as (
    select
        coalesce(strftime(period, '%Y-%m'), 'all') as key,
        sum(visits)::bigint as patients,
    from counted
    group by period
    having sum(visits) > 0
),

appointment_rows as (
    select
        appointment_date,
        site,
        clinician,
        coalesce(funding, 'not recorded') as funding,
        patient_ref,
    from appointments
    where kind in ('treatment', 'product') and status = 'completed'
),

filtered_final as (
    select
        case when $by = 'month' then strftime(appointment_date, '%Y-%m') else 'all' end as key,
        count(distinct patient_ref) as patients,
    from in_scope('appointment_rows', $scope)
    where
        $scope['site'] is not null
        or $scope['clinician'] is not null
        or $scope['funding'] is not null
    group by key
),

patients as (
    select * from counted_final
    union all
    select * from filtered_final
),

money as (
    select
        case when $by = 'month' then month else 'all' end as key,
        round(sum(revenue_gbp), 2) as revenue_gbp,
    from in_scope('revenue_days', $scope)
    group by key
),

final as (
    select key, p.patients, m.revenue_gbp,
    from patients as p
    full outer join money as m using (key)
)

select * from final order by key;
