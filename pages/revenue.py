"""Revenue: monthly takings by session type, clinician, treatment vs product, price realisation."""

import streamlit as st

from clinic import charts, metrics
from clinic.ui import cached, filters, session, widgets

user = session.require("revenue")
f = filters.sidebar()

st.title("Revenue")
st.caption(filters.describe(f))

monthly = cached.data(metrics.revenue_monthly, f, "session_type")
widgets.chart(
    charts.stacked_monthly(
        monthly, "session_type", title="Monthly revenue by session type", partial=filters.partial(f)
    ),
    key="chart_revenue_type",
)
left, right = st.columns(2)
by_clinician = cached.data(metrics.revenue, f, "clinician")
widgets.chart(
    container=left,
    fig=charts.bars(by_clinician, "clinician", "revenue_gbp", title="Revenue by clinician"),
    key="chart_revenue_clinician",
)
kinds = cached.data(metrics.revenue_monthly, f, "kind")
widgets.chart(
    container=right,
    fig=charts.stacked_monthly(
        kinds, "kind", title="Treatments and products", partial=filters.partial(f)
    ),
    key="chart_revenue_kind",
)

st.subheader("Price realisation")
st.caption("Charged against the list price valid on the session date.")
realisation = cached.data(metrics.price_realisation, f)
widgets.chart(
    charts.bars(realisation, "item", "realisation", title="Realisation by item"),
    key="chart_realisation",
)
widgets.table(realisation, "table_realisation", "No priced sessions in this range.")

st.subheader("Revenue table")
by = st.segmented_control(
    "Group by",
    widgets.REVENUE_BY,
    default="month",
    format_func=widgets.label,
    key="revenue_by",
)
table = cached.data(metrics.revenue, f, by or "month")
widgets.table(
    table, "table_revenue", "No sessions in this range: widen the dates or upload an export."
)
if not cached.is_empty(table):
    widgets.download(
        "Download CSV", table, f"revenue-by-{by or 'month'}.csv", key="download_revenue"
    )
