-- The rows of `revenue_days` for every day ($everything) or for the days listed in the temp
-- table facts_scope_days (created by clinic/facts.py): revenue lines summed per day and
-- combination of the dimensions pages filter or group by.
-- A revenue line (docs/METRICS.md "Revenue") is an appointment that earns revenue: completed treatment
-- and product appointments (and follow-ups only when they cost something), plus any other
-- appointment with a price charged. Revenue = the price charged, else the list price of the item
-- valid on the session date (valid_from <= date < the next row's valid_from, so a change ON the
-- date applies that day).
-- Params: $everything (boolean: all days, else the scope table).
-- Grain: one row per day and dimension combination, in date order.
with price_periods as (
    select
        item,
        price_gbp,
        valid_from,
        lead(valid_from) over (partition by item order by valid_from) as valid_to,
    from prices
),

-- Two branches rather than one OR (see facts_session_rows.sql).
scoped as (
    select *
    from appointments
    where $everything
    union all
    select *
    from appointments
    where not $everything and appointment_date in (select day from facts_scope_days)
),

-- An equi-join on item plus the range is ~8x faster here than an ASOF join at 2M rows.
appointments_listed as (
    select
        a.*,
        p.price_gbp as list_price_gbp,
    from scoped as a
    left join price_periods as p
        on
            p.item = a.item
            and a.appointment_date >= p.valid_from
            and (p.valid_to is null or a.appointment_date < p.valid_to)
),

priced as (
    select
        appointment_date,
        clinician,
        site,
        item,
        kind,
        status,
        coalesce(funding, 'not recorded') as funding,
        price_charged_gbp,
        list_price_gbp,
        case
            when status = 'completed' then coalesce(price_charged_gbp, list_price_gbp, 0)
            else coalesce(price_charged_gbp, 0)
        end as revenue_gbp,
    from appointments_listed
),

lines as (
    select *
    from priced
    where
        (status = 'completed' and (kind <> 'follow-up' or revenue_gbp > 0))
        or (status <> 'completed' and price_charged_gbp > 0)
),

-- The month is named once per group, not per line (strftime on every line cost 0.04 s at 1M).
final as (
    select
        appointment_date,
        strftime(appointment_date, '%Y-%m') as month,
        site,
        clinician,
        item,
        kind,
        status,
        funding,
        count(*) as lines,
        sum(revenue_gbp) as revenue_gbp,
        count(list_price_gbp) as listed_lines,
        coalesce(sum(revenue_gbp) filter (where list_price_gbp is not null), 0)
            as listed_revenue_gbp,
        coalesce(sum(list_price_gbp), 0) as list_gbp,
    from lines
    group by appointment_date, site, clinician, item, kind, status, funding
)

select * from final order by appointment_date;
