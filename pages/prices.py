"""Prices: the price list with its history, and a new price for an item from a date."""

import streamlit as st

from clinic.ui import admin, cached, session, upload, widgets

user = session.require("prices")

st.title("Prices")
prices = admin.price_list()
st.caption("Each row is a price from the date it took effect; ticked rows are in force today.")
widgets.table(prices, "table_prices", "The price list is empty: upload a prices export.")

st.subheader("Change a price")
widgets.say_done()
a, b = st.columns(2)
item = a.selectbox(
    "Item",
    admin.items_of(prices),
    index=None,
    placeholder="Choose an item, or type a new one",
    key="p_item",
    accept_new_options=True,
)
# The kind and price start from the chosen item's own (keys per item, so choosing another item
# starts from that one's); a new item's kind is chosen, never assumed.
now = admin.price_now(prices, item)
kind = b.selectbox(
    "Kind",
    admin.PRICE_KINDS,
    index=admin.kind_index(now),
    key=f"p_kind:{item}",
    placeholder="Choose a kind",
)
price = a.number_input(
    "Price (£)",
    min_value=0.0,
    step=5.0,
    format="%.2f",
    key=f"p_price:{item}",
    value=now.price_gbp if now else None,
)
valid_from = b.date_input("From", value=cached.as_of(), format=widgets.UK_DATE, key="p_from")
duration = now.duration_min if now else None
effect = admin.price_preview(item, kind, price, valid_from, duration)
sure = upload.kind_change_confirmed(effect, key=f"p_kind_ok:{item}:{kind}")
if st.button("Save price", type="primary", disabled=effect is None or not sure, key="p_submit"):
    admin.save_price(item, kind, price, valid_from, duration)
