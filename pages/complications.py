"""Complications: rates with intervals, the funnel plot by clinician, the monthly p-chart."""

import streamlit as st

from clinic import charts, metrics
from clinic.ui import cached, filters, session, widgets

user = session.require("complications")
f = filters.sidebar()

st.title("Complications")
st.caption(filters.describe(f))
serious = st.toggle("Serious only", key="serious_only")

overall = cached.data(metrics.complications, f, None, serious)
widgets.table(overall, "table_complications", "No completed sessions in this range.")

for row in (("effect", "sclerosant"), ("form", "vein_type")):
    columns = st.columns(2)  # one row at a time, so the charts of a row line up
    for column, by in zip(columns, row, strict=True):
        rates = cached.data(metrics.complications, f, by, serious)
        widgets.chart(
            container=column,
            fig=charts.rate_bars(rates, by, title=f"By {widgets.label(by).lower()}"),
            key=f"chart_rate_{by}",
        )

st.subheader("Clinicians against the clinic's rate")
funnel = cached.data(metrics.funnel, f, "clinician", serious)
curve = widgets.funnel_limits(funnel)
widgets.chart(
    charts.funnel(funnel, curve, "clinician", title="Funnel plot (95% and 99.8% limits)"),
    key="chart_funnel",
)

st.subheader("Month by month")
monthly = cached.data(metrics.spc, f, serious)
widgets.chart(
    charts.spc(monthly, title="p-chart of the monthly rate", partial=filters.partial(f)),
    key="chart_spc",
)

st.subheader("Serious events")
shown = 200  # the newest; Complication records lists and exports them all
events = cached.data(metrics.serious_events, f, shown)
if events and events[1] > shown:
    st.caption(f"The {shown:,} newest of {events[1]:,}; filter Complication records for all.")
widgets.table(events[0] if events else None, "table_serious", "No serious events in this range.")
