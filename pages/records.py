"""Complication records: filter, page through and export individual side-effect reports."""

import streamlit as st

from clinic import ui

user = ui.require("records")
opts = ui.options()
today = ui.as_of()

st.title("Complication records")
st.caption("Notes are shown as plain text. Views and exports are recorded in the audit trail.")

# The filters live in the URL both ways: a link or a reload opens the same records.
link = ui.record_link(opts)
for sentence in link.refused:
    st.warning(sentence, icon=":material/link_off:")
with st.expander("Filters", expanded=True):
    a, b, c = st.columns(3)
    start = a.date_input("Reported from", link.day("from"), format=ui.UK_DATE, key="r_from")
    end = b.date_input("Reported to", link.day("to"), format=ui.UK_DATE, key="r_to")
    text = c.text_input("Notes contain", key="r_text")
    a, b, c = st.columns(3)
    effect = ui.record_select(a, "Effect", "effect", link, opts, key="r_effect")
    severity = ui.record_select(b, "Severity", "severity", link, opts, key="r_severity")
    serious = ui.record_select(c, "Serious", "serious", link, opts, key="r_serious")
    a, b, c, d = st.columns(4)
    clinician = ui.record_select(a, "Clinician", "clinician", link, opts, key="r_clinician")
    sclerosant = ui.record_select(b, "Sclerosant", "sclerosant", link, opts, key="r_sclerosant")
    form = ui.record_select(c, "Form", "form", link, opts, key="r_form")
    vein = ui.record_select(d, "Vein type", "vein_type", link, opts, key="r_vein")
    st.caption(ui.TYPED_DATE_HELP)

chosen = ui.record_choice(
    start=start, end=end, effect=effect, severity=severity, serious=serious,
    clinician=clinician, sclerosant=sclerosant, form=form, vein_type=vein, text=text,
)  # fmt: skip
ui.keep_records_in_url(chosen)
r = ui.records_filter(**chosen)
page_size = 50
# One query gives the page asked for and the total; only a page the new filters no longer have
# (page 7 of 3) costs a second one, for page 1.
page = st.session_state.get("r_page", 1)
found = ui.data("complication_records", r, page_size, (page - 1) * page_size)
total = found[1] if found else 0
pages = max(1, -(-total // page_size))
if page > pages:
    page = st.session_state["r_page"] = 1
    found = ui.data("complication_records", r, page_size, 0)
page = st.number_input("Page", min_value=1, max_value=pages, step=1, key="r_page")
st.caption(f"{ui.count(total, 'matching report')} · page {page} of {pages} · {ui.describe(r)}")
ui.audit_once("view_complication_records", filter=ui.filter_text(chosen), matches=total)
ui.table(found[0] if found else None, "table_records", "No reports match these filters.")
if total:
    ui.download(
        f"Download all {ui.count(total, 'matching report')} (CSV)",
        ui.records_export(r, chosen, total),
        "complication-records.csv",
        key="download_records",
    )
