"""Complication records: filter, page through and export individual side-effect reports."""

import streamlit as st

from clinic import metrics, scope
from clinic.ui import cached, filters, session, widgets
from clinic.words import count

user = session.require("records")
opts = cached.options()
today = cached.as_of()

st.title("Complication records")
st.caption("Notes are shown as plain text. Views and exports are recorded in the audit trail.")

# The filters live in the URL both ways: a link or a reload opens the same records.
link = filters.records_link(opts)
for sentence in link.refused:
    st.warning(sentence, icon=":material/link_off:")
with st.expander("Filters", expanded=True):
    a, b, c = st.columns(3)
    start = a.date_input(
        "Reported from", link.values.get("start"), format=widgets.UK_DATE, key="r_from"
    )
    end = b.date_input("Reported to", link.values.get("end"), format=widgets.UK_DATE, key="r_to")
    text = c.text_input("Notes contain", key="r_text")
    a, b, c = st.columns(3)
    effect = filters.record_select(a, "Effect", "effect", link, opts, key="r_effect")
    severity = filters.record_select(b, "Severity", "severity", link, opts, key="r_severity")
    serious = filters.record_select(c, "Serious", "serious", link, opts, key="r_serious")
    a, b, c, d = st.columns(4)
    clinician = filters.record_select(a, "Clinician", "clinician", link, opts, key="r_clinician")
    sclerosant = filters.record_select(
        b, "Sclerosant", "sclerosant", link, opts, key="r_sclerosant"
    )
    form = filters.record_select(c, "Form", "form", link, opts, key="r_form")
    vein = filters.record_select(d, "Vein type", "vein_type", link, opts, key="r_vein")
    open_only = st.checkbox(
        "Open only (no resolved date)", value=bool(link.values.get("open_only")), key="r_open"
    )
    st.caption(filters.TYPED_DATE_HELP)

r = filters.chosen(
    start=start,
    end=end,
    effect=effect,
    severity=severity,
    serious=serious,
    clinician=clinician,
    sclerosant=sclerosant,
    form=form,
    vein_type=vein,
    text=text,
    open_only=open_only,
)
filters.keep_records_in_url(r)
page_size = 50
# One query gives the page asked for and the total; only a page the new filters no longer have
# (page 7 of 3) costs a second one, for page 1.
page = st.session_state.get("r_page", 1)
found = cached.data(metrics.complication_records, r, page_size, (page - 1) * page_size)
total = found[1] if found else 0
pages = max(1, -(-total // page_size))
if page > pages:
    page = st.session_state["r_page"] = 1
    found = cached.data(metrics.complication_records, r, page_size, 0)
page = st.number_input("Page", min_value=1, max_value=pages, step=1, key="r_page")
shown = filters.describe(r, reported=True)
st.caption(f"{count(total, 'matching report')} · page {page} of {pages} · {shown}")
session.audit_once("view_complication_records", filter=scope.audit_text(r), matches=total)
widgets.table(found[0] if found else None, "table_records", "No reports match these filters.")
if total:
    widgets.download(
        f"Download all {count(total, 'matching report')} (CSV)",
        widgets.records_export(r),
        "complication-records.csv",
        key="download_records",
    )
