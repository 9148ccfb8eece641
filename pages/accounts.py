"""Accounts: who can sign in, with which role; add, disable and re-enable accounts."""

import streamlit as st

from clinic import auth
from clinic.ui import admin, session, widgets

user = session.require("accounts")

st.title("Accounts")
accounts = admin.accounts()
widgets.table(accounts, "table_accounts", "No accounts yet: add the first one below.")

st.subheader("Add an account")
widgets.say_done()
with st.form("account_form"):
    a, b = st.columns(2)
    name = a.text_input("User name", key="acc_name")
    # No default role: whoever adds an account chooses it (least privilege).
    role = b.selectbox(
        "Role",
        auth.ROLES,
        index=None,
        placeholder="Choose a role",
        key="acc_role",
        format_func=lambda r: f"{r}: {admin.ROLE_DUTIES[r]}",
        help="Give the smallest role that lets the person do their work.",
    )
    email = a.text_input("E-mail (optional)", key="acc_email")
    password = b.text_input("Password", type="password", key="acc_password")
    add = st.form_submit_button("Add account", key="acc_add")
if add:
    admin.add_account(name, role, password, email)

names = admin.usernames(accounts)
if names:
    st.subheader("Disable or enable")
    a, b = st.columns([3, 1])
    chosen = a.selectbox("Account", names, key="acc_target")
    disable = b.toggle("Disabled", key="acc_disabled")
    if st.button("Apply", key="acc_apply"):
        admin.set_account_disabled(chosen, disable)
