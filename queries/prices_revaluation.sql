-- prices_revaluation: how saving proposed price rows would re-value past revenue. A completed
-- appointment without a charged price earns the list price of its item valid on its date
-- (docs/METRICS.md "Revenue"; valid_from <= date < the next row's valid_from), so a new or changed
-- list price changes what such appointments earned.
-- Params: none. Inputs: the temp view ingest_clean (the proposed rows, checked: item,
-- valid_from, price_gbp, one per item and date; a row with the item and date of a stored price
-- replaces it, as the import's upsert does), prices, appointments.
-- Grain: one row. appointments: the completed appointments without a charged price whose
-- revenue changes; before_gbp, after_gbp: their revenue now and after the save; change_gbp:
-- after_gbp - before_gbp.
with proposed as (
    select
        item,
        valid_from,
        price_gbp,
    from ingest_clean
),

stored as (
    select
        item,
        valid_from,
        price_gbp,
    from prices
    where item in (select item from proposed)
),

saved as (
    select * from proposed
    union all
    select stored.*
    from stored
    anti join proposed
        on proposed.item = stored.item and proposed.valid_from = stored.valid_from
),

periods_before as (
    select
        item,
        price_gbp,
        valid_from,
        lead(valid_from) over (partition by item order by valid_from) as valid_to,
    from stored
),

periods_after as (
    select
        item,
        price_gbp,
        valid_from,
        lead(valid_from) over (partition by item order by valid_from) as valid_to,
    from saved
),

uncharged as (
    select
        item,
        appointment_date,
    from appointments
    where
        status = 'completed'
        and price_charged_gbp is null
        and item in (select item from proposed)
),

-- Each appointment falls in at most one period of each list (one row per item and date).
valued as (
    select
        coalesce(b.price_gbp, 0) as before_gbp,
        coalesce(a.price_gbp, 0) as after_gbp,
    from uncharged as u
    left join periods_before as b
        on
            b.item = u.item
            and u.appointment_date >= b.valid_from
            and (b.valid_to is null or u.appointment_date < b.valid_to)
    left join periods_after as a
        on
            a.item = u.item
            and u.appointment_date >= a.valid_from
            and (a.valid_to is null or u.appointment_date < a.valid_to)
),

changed as (
    select * from valued where after_gbp <> before_gbp
),

final as (
    select
        count(*) as appointments,
        coalesce(sum(before_gbp), 0)::double as before_gbp,
        coalesce(sum(after_gbp), 0)::double as after_gbp,
        coalesce(sum(after_gbp - before_gbp), 0)::double as change_gbp,
    from changed
)

select * from final
