"""Audit trail: the import history for everyone allowed, the full trail for admins and auditors."""

import streamlit as st

from clinic import ui

user = ui.require("audit")

title = ui.page_title("audit", user.role)
st.title(title)
own = ui.imports_owner(user)
heading = "Imports" if own is None else "Your imports"
if heading != title:
    st.subheader(heading)
ui.table(ui.imports(own), "table_audit_imports", "No imports yet.")

if user.role in ui.AUDIT_ROLES:
    st.subheader("Who did what")
    a, b, c, d = st.columns(4)
    start = a.date_input("From", value=None, format=ui.UK_DATE, key="a_from")
    end = b.date_input("To", value=None, format=ui.UK_DATE, key="a_to")
    who = c.text_input("User", key="a_user")
    action = d.text_input("Action", key="a_action")
    entries = ui.audit_entries(start, end, who, action)
    ui.table(entries, "table_audit", "No entries match.")
    if not ui.is_empty(entries):
        ui.download("Download (CSV)", entries, "audit-trail.csv", key="download_audit")
