"""Entry point: `streamlit run dashboard.py` serves the clinic dashboard."""

import streamlit as st

from clinic import ui

st.set_page_config(page_title="Vein clinic analytics", page_icon="🩺", layout="wide")

user = ui.current_user()
navigation = st.navigation(
    [
        st.Page(file, title=title, url_path=url_path, icon=icon, default=(i == 0))
        for i, (_key, title, file, url_path, icon) in enumerate(ui.pages_for(user.role))
    ]
)
st.sidebar.caption(f"Signed in as {user.username} ({user.role})")
ui.demo_notice()
navigation.run()
