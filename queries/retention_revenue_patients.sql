-- The patients revenue per patient divides by (docs/METRICS.md "Revenue per patient").
-- Params: $scope (the appointments in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql), $by: month | all.
-- Grain: one row per value of the $by key: distinct patients with a completed treatment session
-- or a completed product sale.
with appointment_rows as (
    select
        appointment_date,
        site,
        clinician,
        coalesce(funding, 'not recorded') as funding,
        patient_ref,
    from appointments
    where kind in ('treatment', 'product') and status = 'completed'
),

final as (
    select
        case when $by = 'month' then strftime(appointment_date, '%Y-%m') else 'all' end as key,
        count(distinct patient_ref) as patients,
    from in_scope('appointment_rows', $scope)
    group by key
)

select * from final order by key;
