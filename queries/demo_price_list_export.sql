-- demo_price_list_export: the demo price list as a booking system exports it.
-- Answers: the rows of the prices CSV (vendor headers, UK dates, pound amounts).
-- Params: none (reads the temp table demo_price_list).
-- Grain: one row per item per date a price took effect.
with

price_list as (
    select * from demo_price_list
),

final as (
    select
        item as "Service",
        kind as "Category",
        printf('£%.2f', price_gbp) as "Price",
        strftime(valid_from, '%d/%m/%Y') as "Effective From",
        duration as "Duration",
    from price_list
)

select * from final
order by "Service", strptime("Effective From", '%d/%m/%Y')
