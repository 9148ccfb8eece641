"""Prices: the price list with its history, and a new price for an item from a date."""

import streamlit as st

from clinic import ui

user = ui.require("prices")

st.title("Prices")
prices = ui.price_list()
st.caption("Each row is a price from the date it took effect; ticked rows are in force today.")
ui.table(prices, "table_prices", "The price list is empty: upload a prices export.")

st.subheader("Change a price")
items = ui.items_of(prices)
with st.form("price_form"):
    a, b = st.columns(2)
    item = a.selectbox("Item", items, key="p_item", accept_new_options=True,
                       help="Type a new name to add an item.")  # fmt: skip
    kind = b.selectbox("Kind", ["treatment", "follow-up", "product"], key="p_kind")
    price = a.number_input("Price (£)", min_value=0.0, step=5.0, format="%.2f", key="p_price")
    valid_from = b.date_input("From", value=ui.as_of(), format=ui.UK_DATE, key="p_from")
    submitted = st.form_submit_button("Save price", key="p_submit")
if submitted:
    result = ui.attempt(
        lambda: ui.add_price(item or "", kind, price, valid_from),
        "The price could not be saved.",
    )
    ui.show_result(result)
