-- demo_price_list: the demo clinic's price list with its history.
-- Answers: what each item cost and from when (a price rise on $rise_day).
-- Params: $first_valid (the date the first prices took effect), $rise_day (the price rise).
-- Grain: one row per item per date a price took effect.
with

items as (
    select *
    from (
        values
            ('Single Session', 'treatment', 150.00, 165.00, '30 min'),
            ('Additional Session', 'treatment', 120.00, 130.00, '30 min'),
            ('Compression Socks', 'product', 25.00, 28.00, null),
            ('6 Week Review', 'follow-up', 0.00, null, '15 min'),
            ('2 Week Check', 'follow-up', 0.00, null, '15 min'),
    ) as t (item, kind, old_price, new_price, duration)
),

first_prices as (
    select
        item,
        kind,
        cast(old_price as decimal(10, 2)) as price_gbp,
        cast($first_valid as date) as valid_from,
        duration,
    from items
),

risen_prices as (
    select
        item,
        kind,
        cast(new_price as decimal(10, 2)) as price_gbp,
        cast($rise_day as date) as valid_from,
        duration,
    from items
    where new_price is not null
),

final as (
    select * from first_prices
    union all
    select * from risen_prices
)

select * from final
order by item, valid_from
