-- Revenue and revenue-earning appointments grouped by one dimension (docs/METRICS.md "Revenue").
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql),
--         $by: session_type | month | clinician | site | funding | kind | all;
--         $monthly: also split by month (for stacked charts).
-- Grain: one row per value of the $by key (key = 'all' when $by = 'all'), per month when
-- $monthly (month is null otherwise).
-- Reads revenue_days (revenue lines summed per day and dimension, same numbers).
with lines as (
    select *
    from in_scope('revenue_days', $scope)
),

keyed as (
    select
        case when $monthly then month end as month,
        case $by
            when 'session_type' then item
            when 'month' then month
            when 'clinician' then clinician
            when 'site' then site
            when 'funding' then funding
            when 'kind' then kind
            else 'all'
        end as key,
        lines,
        revenue_gbp,
    from lines
),

final as (
    select
        month,
        key,
        sum(lines)::bigint as sessions,
        round(sum(revenue_gbp), 2) as revenue_gbp,
    from keyed
    group by month, key
)

select * from final order by month, key;
