-- Monthly sparkline series: completed treatment sessions, revenue, complication rate.
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all).
-- Grain: one row per month with any revenue or treatment session.
-- Reads the daily sums session_days and revenue_days (same numbers as the row-level facts).
with sessions as (
    select *
    from session_days
    where
        ($start::date is null or appointment_date >= $start)
        and ($end::date is null or appointment_date <= $end)
        and ($site::varchar is null or site = $site)
        and ($clinician::varchar is null or clinician = $clinician)
),

lines as (
    select *
    from revenue_days
    where
        ($start::date is null or appointment_date >= $start)
        and ($end::date is null or appointment_date <= $end)
        and ($site::varchar is null or site = $site)
        and ($clinician::varchar is null or clinician = $clinician)
),

treated as (
    select
        month,
        sum(sessions)::bigint as sessions,
        sum(events)::bigint as events,
    from sessions
    group by month
),

earned as (
    select month, round(sum(revenue_gbp), 2) as revenue_gbp,
    from lines
    group by month
),

final as (
    select
        coalesce(t.month, e.month) as month,
        coalesce(t.sessions, 0) as sessions,
        coalesce(e.revenue_gbp, 0) as revenue_gbp,
        coalesce(t.events, 0) as events,
    from treated as t
    full outer join earned as e on e.month = t.month
)

select * from final order by month;
