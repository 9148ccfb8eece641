-- The rows of `attendance_days` for every day ($everything) or for the days listed in the temp
-- table facts_scope_days (created by clinic/facts.py): treatment and follow-up appointments
-- counted by status per day and dimension combination (docs/METRICS.md "Attendance"), and the
-- no-shows at the list price of their item valid on the day (valid_from <= date < next).
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
    select appointment_date, site, clinician, funding, item, kind, status, late_cancellation,
    from appointments
    where $everything
    union all
    select appointment_date, site, clinician, funding, item, kind, status, late_cancellation,
    from appointments
    where not $everything and appointment_date in (select day from facts_scope_days)
),

counted as (
    select *
    from scoped
    where status in ('completed', 'no-show', 'cancelled') and kind in ('treatment', 'follow-up')
),

priced as (
    select
        a.*,
        case when a.status = 'no-show' then p.price_gbp end as no_show_price_gbp,
    from counted as a
    left join price_periods as p
        on
            a.status = 'no-show'
            and p.item = a.item
            and a.appointment_date >= p.valid_from
            and (p.valid_to is null or a.appointment_date < p.valid_to)
),

final as (
    select
        appointment_date,
        site,
        clinician,
        coalesce(funding, 'not recorded') as funding,
        item,
        count(*) filter (where status = 'completed') as completed,
        count(*) filter (where status = 'no-show') as no_show,
        count(*) filter (where status = 'cancelled') as cancelled,
        count(*) filter (where status = 'cancelled' and late_cancellation is not null)
            as late_known,
        count(*) filter (where status = 'cancelled' and late_cancellation) as late,
        coalesce(sum(no_show_price_gbp), 0)::decimal(38, 2) as lost_gbp,
        count(*) filter (where status = 'no-show' and no_show_price_gbp is null) as unpriced,
    from priced
    group by appointment_date, site, clinician, coalesce(funding, 'not recorded'), item
)

select * from final order by appointment_date;
