-- price_items: every item of the price list, by name (the words a service may be mapped to).
-- Params: none. Grain: one row per item.
select item from items order by item
