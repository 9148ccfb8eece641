-- prices_timeline: the price list with its history; `current` marks the price in force today.
-- $today: the date that decides which price is current.
-- Grain: one row per item per date a price took effect.
with price_rows as (
    select * from prices
),

ranked as (
    select
        item,
        kind,
        valid_from,
        price_gbp::double as price_gbp,
        duration_min,
        import_id,
        row_number() over (
            partition by item order by (valid_from <= $today) desc, valid_from desc
        ) = 1 and valid_from <= $today as current,
    from price_rows
),

final as (
    select * from ranked
    order by item, valid_from desc
)

select * from final
