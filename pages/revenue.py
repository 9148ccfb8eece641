"""Revenue: monthly takings by session type, clinician, treatment vs product, price realisation."""

import streamlit as st

from clinic import charts, ui

user = ui.require("revenue")
f = ui.filters()

st.title("Revenue")
st.caption(ui.describe(f))

monthly = ui.data("revenue_monthly", f, "session_type")
ui.chart(
    charts.stacked_monthly(
        monthly, "session_type", title="Monthly revenue by session type", partial=ui.partial(f)
    ),
    key="chart_revenue_type",
)
left, right = st.columns(2)
by_clinician = ui.data("revenue", f, "clinician")
ui.chart(
    container=left,
    fig=charts.bars(by_clinician, "clinician", "revenue_gbp", title="Revenue by clinician"),
    key="chart_revenue_clinician",
)
kinds = ui.data("revenue_monthly", f, "kind")
ui.chart(
    container=right,
    fig=charts.stacked_monthly(
        kinds, "kind", title="Treatments and products", partial=ui.partial(f)
    ),
    key="chart_revenue_kind",
)

st.subheader("Price realisation")
st.caption("Charged against the list price valid on the session date.")
realisation = ui.data("price_realisation", f)
ui.chart(
    charts.bars(realisation, "item", "realisation", title="Realisation by item"),
    key="chart_realisation",
)
ui.table(realisation, "table_realisation", "No priced sessions in this range.")

st.subheader("Revenue table")
by = st.segmented_control(
    "Group by",
    ui.REVENUE_BY,
    default="month",
    format_func=ui.label,
    key="revenue_by",
)
table = ui.data("revenue", f, by or "month")
ui.table(table, "table_revenue", "No sessions in this range: widen the dates or upload an export.")
if not ui.is_empty(table):
    ui.download("Download CSV", table, f"revenue-by-{by or 'month'}.csv", key="download_revenue")
