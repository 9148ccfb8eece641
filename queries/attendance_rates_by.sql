-- Attendance: no-show (DNA) and cancellation counts (docs/METRICS.md "Attendance").
-- Params: $scope (the appointments in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql),
--         $by: clinician | site | month | service | all.
-- Grain: one row per value of the $by key (key = 'all' when $by = 'all').
-- Reads attendance_days (treatment and follow-up appointments by status per day; product sales
-- and booked appointments are not there). late_known / late: cancellations whose export said
-- whether they were late, and those that were.
with keyed as (
    select
        case $by
            when 'clinician' then clinician
            when 'site' then site
            when 'service' then item
            else 'all'
        end as key,
        -- A month is grouped as a date and written as text once per group.
        case when $by = 'month' then date_trunc('month', appointment_date) end as period,
        completed,
        no_show,
        cancelled,
        late_known,
        late,
    from in_scope('attendance_days', $scope)
),

final as (
    select
        coalesce(strftime(period, '%Y-%m'), key) as key,
        sum(completed + no_show)::bigint as no_show_eligible,
        sum(no_show)::bigint as no_show_events,
        sum(completed + no_show + cancelled)::bigint as cancelled_eligible,
        sum(cancelled)::bigint as cancelled_events,
        sum(late_known)::bigint as late_known,
        sum(late)::bigint as late,
    from keyed
    group by key, period
)

select * from final order by key;
