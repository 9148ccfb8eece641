-- Revenue per month split by one dimension, for stacked charts (DOMAIN.md "Revenue").
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all),
--         $by: session_type | clinician | site | funding | kind.
-- Grain: one row per month per value of the $by key.
with lines as (
    select *
    from revenue_lines
    where
    ($start::date is null or appointment_date >= $start)
    and ($end::date is null or appointment_date <= $end)
    and ($site::varchar is null or site = $site)
    and ($clinician::varchar is null or clinician = $clinician)
),

keyed as (
    select
        month,
        case $by
            when 'session_type' then item
            when 'clinician' then clinician
            when 'site' then site
            when 'funding' then funding
            when 'kind' then kind
            else 'all'
        end as key,
        revenue_gbp,
    from lines
),

final as (
    select
        month,
        key,
        count(*) as sessions,
        round(sum(revenue_gbp), 2) as revenue_gbp,
    from keyed
    group by month, key
)

select * from final order by month, key;
