-- Price realisation: what completed treatment and product appointments were charged against the
-- list price valid on their date.
-- Params: $start, $end (session date, inclusive, null = open), $site, $clinician (null = all).
-- Grain: one row per item. Appointments without a list price on their date are left out
-- (nothing to compare against).
-- Reads revenue_days (revenue lines summed per day and dimension, same numbers).
with lines as (
    select *
    from revenue_days
    where
        status = 'completed'
        and kind in ('treatment', 'product')
        and listed_lines > 0
        and
    ($start::date is null or appointment_date >= $start)
    and ($end::date is null or appointment_date <= $end)
    and ($site::varchar is null or site = $site)
    and ($clinician::varchar is null or clinician = $clinician)
),

final as (
    select
        item,
        sum(listed_lines)::bigint as sessions,
        round(sum(listed_revenue_gbp), 2) as charged_gbp,
        round(sum(list_gbp), 2) as list_gbp,
    from lines
    group by item
)

select * from final order by item;
