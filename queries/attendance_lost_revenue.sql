-- The revenue lost to no-shows at list price (docs/METRICS.md "Lost revenue of no-shows").
-- Params: $scope (the appointments in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql).
-- Grain: one row per month with a no-show; `unpriced` counts no-shows whose item had no list
-- price valid on the day (they add nothing).
-- Reads attendance_days, which keeps each day's no-shows at the list price valid that day.
with months as (
    select
        date_trunc('month', appointment_date) as period,
        no_show,
        lost_gbp,
        unpriced,
    from in_scope('attendance_days', $scope)
    where no_show > 0
),

final as (
    select
        strftime(period, '%Y-%m') as month,
        sum(no_show)::bigint as no_shows,
        sum(lost_gbp)::decimal(38, 2) as lost_gbp,
        sum(unpriced)::bigint as unpriced,
    from months
    group by period
)

select * from final order by month;
