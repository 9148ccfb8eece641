-- ingest_prices_clean: each data row of a price list export, typed and checked.
-- Params: none. Inputs: ingest_raw (r_<canonical column> as text, in file order) and
-- ingest_vocab; prices (an item already known keeps its stored spelling).
-- Grain: one row per data row of the file; e_<column> holds the reason a value is rejected.
with

raw as (select * from ingest_raw),

vocab as (select * from ingest_vocab),

known as (
    select ingest_norm(item) as item_norm, any_value(item) as item
    from prices
    group by ingest_norm(item)
),

typed as (
    select
        raw.*,
        coalesce(known.item, ingest_blank(raw.r_item)) as item,
        kd.canonical as kind,
        ingest_date(raw.r_valid_from) as valid_from,
        ingest_money(raw.r_price) as price_gbp,
        ingest_minutes(raw.r_duration_min) as duration_min,
    from raw
    left join known on known.item_norm = ingest_norm(raw.r_item)
    left join vocab as kd on kd.field = 'kind' and kd.term = ingest_norm(raw.r_kind)
),

final as (
    select
        typed.*,
        case when item is null then 'the item is empty' end as e_item,
        case
            when ingest_blank(r_kind) is null then 'the kind is empty'
            when kind is null
                then 'unknown kind ''' || trim(r_kind) || ''': use one of follow-up, product, treatment'
        end as e_kind,
        case
            when ingest_blank(r_price) is null then 'the price is empty'
            when price_gbp is null
                then 'not an amount of money: use 120, 120.00, £120.00 or £1,234.50'
            when price_gbp < 0 then 'a list price cannot be negative'
        end as e_price,
        case
            when ingest_blank(r_valid_from) is null then 'the valid-from date is empty'
            when valid_from is null
                then 'not a date: use 2025-04-03 or 03/04/2025 (day first, UK order)'
        end as e_valid_from,
        case
            when duration_min is null and ingest_blank(r_duration_min) is not null
                then 'not a duration: use 30, 30 min or 1h 30m'
        end as e_duration_min,
    from typed
)

-- The raw r_ columns stay in: the importer keeps them only for rejected values (v_<column>).
select * from final
