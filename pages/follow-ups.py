"""Follow-ups: compliance with the four follow-up rules, and the call list of due reviews."""

import streamlit as st

from clinic import charts, metrics
from clinic.targets import COMPLIANCE
from clinic.ui import cached, filters, reports, session, targets, widgets
from clinic.words import count

user = session.require("follow-ups")
f = filters.sidebar()
as_of = cached.as_of()

st.title("Follow-ups")
st.caption(filters.describe(f))

if user.role in session.COMPLIANCE_ROLES:
    found = targets.in_force()
    summary = cached.data(metrics.compliance, f, as_of)
    widgets.table(summary, "table_compliance", "No sessions in this range.")
    targets.verdicts(found, summary)
    monthly = cached.data(metrics.compliance_by, f, as_of, "month")
    widgets.chart(
        charts.compliance_over_time(
            monthly,
            targets.lines(found, COMPLIANCE),
            title="Monthly compliance (95% interval)",
            partial=filters.partial(f),
            last_year=cached.data_for(filters.last_year(f), metrics.compliance_by, as_of, "month"),
        ),
        key="chart_compliance",
    )
    by_clinician = cached.data(metrics.compliance_by, f, as_of, "clinician")
    with st.expander("By clinician"):
        widgets.table(by_clinician, "table_compliance_clinician", "No sessions in this range.")
    targets.editor(COMPLIANCE, "targets_compliance")

st.subheader("Call list: reviews due and overdue")
shown = 500  # the most overdue first; the download holds everyone
calls = cached.data(metrics.call_list, f, as_of, shown)
total = calls[1] if calls else 0
if total > shown:
    st.caption(f"The {shown:,} most overdue of {total:,}; download the list for everyone.")
widgets.table(
    calls[0] if calls else None, "table_call_list", "Nobody is due or overdue for a review."
)
if total:
    widgets.download(
        f"Download the call list ({count(total, 'row')}, CSV)",
        lambda: cached.data(metrics.call_list, f, as_of)[0],
        "call-list.csv",
        key="download_call_list",
    )
    session.audit_once("view_call_list", rows=total)

widgets.stopped_courses(f, as_of)

if not session.can(user.role, "overview"):  # the others take the digest from Overview
    st.subheader("Digest")
    reports.digest_links(user)
