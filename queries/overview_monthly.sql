-- Monthly sparkline series: completed treatment sessions, revenue, complication rate.
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql).
-- Grain: one row per month with any revenue or treatment session.
-- Reads the daily sums session_days and revenue_days (same numbers as the row-level facts).
with sessions as (
    select *
    from in_scope('session_days', $scope)
),

lines as (
    select *
    from in_scope('revenue_days', $scope)
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
