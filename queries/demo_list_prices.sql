-- demo_list_prices: the demo price list as one lookup value for the export queries.
-- Answers: item -> its prices by date, kept in the variable demo_list_prices so the appointments
-- export finds a list price without a join (a join would give up the rows' order).
-- Params: none (reads the table demo_price_list).
-- Grain: not a query; sets one variable (a MAP of item -> list of {valid_from, price_gbp}).
set variable demo_list_prices = (
    with

    price_list as (
        select * from demo_price_list
    ),

    by_item as (
        select
            item,
            list({'valid_from': valid_from, 'price_gbp': price_gbp} order by valid_from) as prices,
        from price_list
        group by item
    ),

    final as (
        select map_from_entries(list((item, prices))) as lookup
        from by_item
    )

    select * from final
);
