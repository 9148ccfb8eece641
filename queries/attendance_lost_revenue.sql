-- The revenue lost to no-shows at list price (docs/METRICS.md "Lost revenue of no-shows").
-- Params: $scope (the appointments in scope: dates inclusive, site, clinician, funding; see the
--         macro in_scope, queries/schema/100_sessions_in_scope.sql).
-- Grain: one row per month with a no-show; `unpriced` counts no-shows whose item had no list
-- price valid on the day (they add nothing).
-- The list price valid on the date: valid_from <= date < the next row's valid_from.
with price_periods as (
    select
        item,
        price_gbp,
        valid_from,
        lead(valid_from) over (partition by item order by valid_from) as valid_to,
    from prices
),

no_shows as (
    select
        appointment_date,
        site,
        clinician,
        coalesce(funding, 'not recorded') as funding,
        item,
    from appointments
    where kind in ('treatment', 'follow-up') and status = 'no-show'
),

priced as (
    select
        strftime(n.appointment_date, '%Y-%m') as month,
        p.price_gbp,
    from in_scope('no_shows', $scope) as n
    left join price_periods as p
        on
            p.item = n.item
            and p.valid_from <= n.appointment_date
            and (p.valid_to is null or n.appointment_date < p.valid_to)
),

final as (
    select
        month,
        count(*) as no_shows,
        coalesce(sum(price_gbp), 0)::decimal(38, 2) as lost_gbp,
        count(*) filter (where price_gbp is null) as unpriced,
    from priced
    group by month
)

select * from final order by month;
