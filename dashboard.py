"""Entry point: `streamlit run dashboard.py` serves the clinic dashboard.

`streamlit run` first imports this file to find `app`, the ASGI server: Streamlit's own server
wrapped with our login routes, a login gate and security headers (clinic/web.py). Streamlit then
runs the same file as `__main__` for every browser session, which draws the page.
"""

import streamlit as st

from clinic import ui, web

if __name__ != "__main__":
    app = st.App(__file__, routes=web.routes(), middleware=web.middleware())
else:
    st.set_page_config(page_title="Vein clinic analytics", page_icon="🩺", layout="wide")
    user = ui.current_user()
    navigation = st.navigation(
        [
            st.Page(file, title=title, url_path=url_path, icon=icon, default=(i == 0))
            for i, (_key, title, file, url_path, icon) in enumerate(ui.pages_for(user.role))
        ]
    )
    ui.account_sidebar(user)
    ui.demo_notice()
    navigation.run()
