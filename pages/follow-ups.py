"""Follow-ups: compliance with the four follow-up rules, and the call list of due reviews."""

import streamlit as st

from clinic import charts, ui

user = ui.require("follow-ups")
f = ui.filters()
as_of = ui.as_of()

st.title("Follow-ups")
st.caption(f"{ui.describe(f)} · as of {as_of:%d/%m/%Y}")

if user.role in ui.COMPLIANCE_ROLES:
    target = st.slider(
        "Target", min_value=0.5, max_value=1.0, value=0.8, step=0.05, format="percent",
        key="compliance_target",
    )  # fmt: skip
    summary = ui.data("compliance", f, as_of)
    ui.table(summary, "table_compliance", "No sessions in this range.")
    monthly = ui.data("compliance_by", f, as_of, "month")
    ui.chart(
        charts.compliance_over_time(monthly, target, title="Monthly compliance (95% interval)"),
        key="chart_compliance",
    )
    by_clinician = ui.data("compliance_by", f, as_of, "clinician")
    with st.expander("By clinician"):
        ui.table(by_clinician, "table_compliance_clinician", "No sessions in this range.")

st.subheader("Call list: reviews due and overdue")
calls = ui.data("call_list", f, as_of)
ui.table(calls, "table_call_list", "Nobody is due or overdue for a review in this range.")
if not ui.is_empty(calls):
    ui.download("Download call list (CSV)", calls, "call-list.csv", key="download_call_list")
    ui.audit_once("view_call_list", rows=len(calls))
