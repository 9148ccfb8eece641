"""A throwaway Streamlit app for tests/unit/test_web.py: clinic.web wired into st.App.

`streamlit run` finds `app` below and serves it with uvicorn, importing this file as a module;
Streamlit then runs the same file as `__main__` for every browser session, which draws the page.
"""

import streamlit as st

from clinic import web

if __name__ != "__main__":
    app = st.App(__file__, routes=web.routes(), middleware=web.middleware())
else:
    from clinic.store import open_store

    user = web.user_from_cookies(open_store(), st.context.cookies)
    if user is None:
        st.markdown(web.login_link_html("/"), unsafe_allow_html=True)
    else:
        st.write(f"Hello {user.username}")
        st.markdown(web.logout_form_html(st.context.cookies), unsafe_allow_html=True)
