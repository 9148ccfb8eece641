-- Price realisation: what completed treatment and product appointments were charged against the
-- list price valid on their date.
-- Params: $scope (the sessions in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql).
-- Grain: one row per item. Appointments without a list price on their date are left out
-- (nothing to compare against).
-- Reads revenue_days (revenue lines summed per day and dimension, same numbers).
with lines as (
    select *
    from in_scope('revenue_days', $scope)
    where
        status = 'completed'
        and kind in ('treatment', 'product')
        and listed_lines > 0
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
