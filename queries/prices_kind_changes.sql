-- prices_kind_changes: the items whose kind saving proposed price rows would change. An item's
-- kind is that of its latest price row (the `items` view), and an imported appointment takes
-- the kind of its item: a product saved as a treatment makes its next sales count as sessions.
-- Params: none. Inputs: the temp view ingest_clean (the proposed rows, checked: item, kind,
-- valid_from; a row with the item and date of a stored price replaces it), prices, items.
-- Grain: one row per known item whose kind changes: item, kind_before, kind_after.
with proposed as (
    select
        item,
        kind,
        valid_from,
    from ingest_clean
),

saved as (
    select * from proposed
    union all
    select
        prices.item,
        prices.kind,
        prices.valid_from,
    from prices
    anti join proposed
        on proposed.item = prices.item and proposed.valid_from = prices.valid_from
    where prices.item in (select item from proposed)
),

latest as (
    select
        item,
        kind,
    from saved
    qualify row_number() over (partition by item order by valid_from desc) = 1
),

final as (
    select
        items.item,
        items.kind as kind_before,
        latest.kind as kind_after,
    from items
    inner join latest on latest.item = items.item
    where latest.kind <> items.kind
)

select * from final order by item
