"""Audit trail: the import history for everyone allowed, the full trail for admins and auditors."""

import streamlit as st

from clinic.ui import admin, cached, session, widgets

user = session.require("audit")

title = session.page_title("audit", user.role)
st.title(title)
own = session.imports_owner(user)
heading = "Imports" if own is None else "Your imports"
if heading != title:
    st.subheader(heading)
widgets.table(admin.imports(own), "table_audit_imports", "No imports yet.")

if user.role in session.AUDIT_ROLES:
    st.subheader("Who did what")
    a, b, c, d = st.columns(4)
    start = a.date_input("From", value=None, format=widgets.UK_DATE, key="a_from")
    end = b.date_input("To", value=None, format=widgets.UK_DATE, key="a_to")
    who = c.text_input("User", key="a_user")
    action = d.text_input("Action", key="a_action")
    entries = admin.audit_entries(start, end, who, action)
    widgets.table(entries, "table_audit", "No entries match.")
    if not cached.is_empty(entries):
        widgets.download("Download (CSV)", entries, "audit-trail.csv", key="download_audit")
