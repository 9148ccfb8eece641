-- Attendance: no-show (DNA) and cancellation counts (docs/METRICS.md "Attendance").
-- Params: $scope (the appointments in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql),
--         $by: clinician | site | month | service | all.
-- Grain: one row per value of the $by key (key = 'all' when $by = 'all').
-- Only treatment sessions and follow-up visits count; product sales and booked (future)
-- appointments never do. late_known / late: cancellations whose export said whether they were
-- late, and those that were.
with appointment_rows as (
    select
        appointment_date,
        site,
        clinician,
        coalesce(funding, 'not recorded') as funding,
        item,
        status,
        late_cancellation,
    from appointments
    where kind in ('treatment', 'follow-up') and status in ('completed', 'no-show', 'cancelled')
),

-- A month is grouped as a date and written as text once per group (strftime per row cost ~3x).
keyed as (
    select
        case $by
            when 'clinician' then clinician
            when 'site' then site
            when 'service' then item
            else 'all'
        end as key,
        case when $by = 'month' then date_trunc('month', appointment_date) end as period,
        status,
        late_cancellation,
    from in_scope('appointment_rows', $scope)
),

final as (
    select
        coalesce(strftime(period, '%Y-%m'), key) as key,
        count(*) filter (where status <> 'cancelled') as no_show_eligible,
        count(*) filter (where status = 'no-show') as no_show_events,
        count(*) as cancelled_eligible,
        count(*) filter (where status = 'cancelled') as cancelled_events,
        count(*) filter (
            where status = 'cancelled' and late_cancellation is not null
        ) as late_known,
        count(*) filter (where status = 'cancelled' and late_cancellation) as late,
    from keyed
    group by key, period
)

select * from final order by key;
