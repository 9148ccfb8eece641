"""Complications: rates with intervals, the funnel plot by clinician, the monthly p-chart."""

import streamlit as st

from clinic import bands, charts, formats, metrics, resolution
from clinic.ui import cached, filters, reports, session, targets, widgets
from clinic.ui.say import plain

user = session.require("complications")
f = filters.sidebar()
as_of = cached.as_of()

st.title("Complications")
st.caption(filters.describe(f))
serious = st.toggle("Serious only", key="serious_only")

overall = cached.data(metrics.complications, f, None, serious)
widgets.table(overall, "table_complications", "No completed sessions in this range.")
if not serious:  # a target is for the complication rate, not the serious-only rate
    targets.verdicts(targets.in_force(), cached.data(metrics.complication_summary, f))

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
records = session.can(user.role, "records")  # point only to a page the role can open
if events and events[1] > shown:
    st.caption(
        f"The {shown:,} newest of {events[1]:,}"
        + ("; filter Complication records for all." if records else ".")
    )
widgets.table(events[0] if events else None, "table_serious", "No serious events in this range.")

st.subheader("Published frequencies")
st.caption(bands.CAVEAT)
widgets.table(
    cached.data(bands.beside_rates, f),
    "table_bands",
    "No completed sessions in this range.",
    column_config={"liquid": "Published, liquid", "foam": "Published, foam"},
)
for source in bands.sources():
    # As text, not a link: no markdown link is live on any page (tests/app/test_markup.py).
    st.caption(plain(f"Source: {source['citation']} doi:{source['doi']}, {source['url']}"))

st.subheader("Still open")
st.caption(
    f"Reports without a resolved date on {formats.day(as_of)}, serious first, then the longest "
    "open, whatever the session's date (the other filters apply)."
    + (" Complication records, with “open only”, lists and exports them all." if records else "")
)
shown_open = 200
still_open = cached.data(resolution.open_reports, f, as_of, shown_open)
if still_open and still_open[1] > shown_open:
    st.caption(f"The first {shown_open:,} of {still_open[1]:,} open reports.")
widgets.table(
    still_open[0] if still_open else None, "table_open", "No report is open: every one is resolved."
)
st.subheader("Time to resolution")
widgets.table(
    cached.data(resolution.resolution_by_effect, f),
    "table_resolution",
    "No reports of sessions in this range.",
)
st.caption("Days from the reported date to the resolved date, of reports of sessions in range.")
targets.editor(("complication_rate",), "targets_complications")

st.subheader("Governance pack")
st.caption("The month's complications, serious events and control charts as a PDF to print.")
reports.pack_link(user)
