-- The rows of `revenue_facts` for every appointment ($everything) or for the appointments of the
-- patients in temp table facts_scope_patients and of the items in facts_scope_items (both
-- created by clinic/facts.py): one row per appointment that earns revenue (DOMAIN.md "Revenue").
-- Completed treatment and product appointments (and follow-ups only when they cost something),
-- plus any other appointment with a price charged. Revenue = the price charged, else the list
-- price of the item valid on the session date (valid_from <= date < the next row's valid_from,
-- so a change ON the date applies that day).
-- Params: $everything (boolean: all appointments, else the scope tables).
-- Grain: one row per revenue-earning appointment, in date order.
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
    where
        not $everything
        and (
            patient_ref in (select patient_ref from facts_scope_patients)
            or item in (select item from facts_scope_items)
        )
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
        appointment_id,
        appointment_date,
        strftime(appointment_date, '%Y-%m') as month,
        patient_ref,
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

final as (
    select *
    from priced
    where
        (status = 'completed' and (kind <> 'follow-up' or revenue_gbp > 0))
        or (status <> 'completed' and price_charged_gbp > 0)
)

select * from final order by appointment_date;
