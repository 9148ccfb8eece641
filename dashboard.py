"""Entry point: `streamlit run dashboard.py` serves the clinic dashboard.

`streamlit run` first imports this file to find `app`, the ASGI server: Streamlit's own server
wrapped with our login, logout and download routes, an access gate and security headers
(clinic/web/, told about Streamlit's runtime by clinic/ui/server.py). Streamlit then runs the
same file as `__main__` for every browser session, which draws the page.
"""

import streamlit as st

from clinic import web
from clinic.ui import cached, session

if __name__ != "__main__":
    import dataclasses

    from clinic import service
    from clinic.service import handoff
    from clinic.ui import server

    # The web layer is told what to run rather than importing the doors above it.
    hooks = dataclasses.replace(server.hooks(), run_command=handoff.run_command)
    app = st.App(
        __file__,
        routes=web.routes(hooks=hooks),
        middleware=web.middleware(hooks=hooks),
        lifespan=web.lifespan(service.start),
    )
else:
    st.set_page_config(page_title="Vein clinic analytics", page_icon="🩺", layout="wide")
    user = session.current_user()
    # Every page is registered, so each page's own role check answers a URL outside the role
    # with the access message; only the role's pages are visible in the menu.
    pages = {
        key: st.Page(
            file,
            title=session.page_title(key, user.role),
            url_path=url_path,
            icon=icon,
            visibility="visible" if session.can(user.role, key) else "hidden",
        )
        for key, _title, file, url_path, icon in session.PAGES
    }
    first = pages[session.pages_for(user.role)[0][0]]
    # "/" opens the role's first page, so every page keeps its own URL (/overview too).
    home = st.Page(
        lambda: st.switch_page(first, query_params=st.query_params.to_dict()),
        title=first.title,
        default=True,
        visibility="hidden",
    )
    navigation = st.navigation([home, *pages.values()])
    session.account_sidebar(user)
    cached.demo_notice()
    navigation.run()
