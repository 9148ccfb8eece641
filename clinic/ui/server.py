"""What clinic.web's access gate must know of Streamlit's runtime, as a `web.Hooks`.

Called on the server's event loop and thread pool, outside any script run: whose browser opened
a Streamlit session, what its uploads hold, who a signed single-sign-on cookie names, where
st.login() would send the browser, and the inline scripts of Streamlit's page (for the CSP).
"""

from __future__ import annotations

import json
import logging
import re
from collections.abc import Mapping
from functools import cache
from pathlib import Path
from typing import Any

import streamlit

from clinic import sso, web
from clinic.ui.session import sso_enabled

log = logging.getLogger(__name__)


def session_cookies(session_id: str) -> Mapping[str, str] | None:
    """The cookies the websocket of a Streamlit session was opened with, or None."""
    from streamlit import runtime

    if not runtime.exists():
        return None
    client = runtime.get_instance().get_client(session_id)
    context = getattr(client, "client_context", None) if client is not None else None
    return None if context is None else context.cookies


def uploads_held(session_id: str) -> tuple[int, int]:
    """(files, bytes) a Streamlit session holds in the upload memory."""
    from streamlit import runtime

    if not runtime.exists():
        return 0, 0
    manager = runtime.get_instance().uploaded_file_mgr
    held = getattr(manager, "file_storage", {}).get(session_id) or {}
    files = list(held.values())
    return len(files), sum(len(f.data) for f in files)


def sso_claims(cookies: Mapping[str, str]) -> Mapping[str, Any] | None:
    """The claims of a request's SSO identity cookie when its signature checks out, else None.

    The same check Streamlit makes before it fills st.user: signed with the cookie secret,
    not older than Streamlit's cookie lifetime, made for this site's origin.
    """
    if not sso.has_identity_cookie(cookies) or not sso_enabled():
        return None
    try:
        from streamlit.auth_util import get_cookie_with_chunks, get_origin_from_redirect_uri
        from streamlit.web.server.server_util import get_cookie_secret
        from streamlit.web.server.starlette.starlette_app_utils import decode_signed_value

        secret = get_cookie_secret()

        def one(name: str) -> bytes | None:
            raw = cookies.get(name)
            return None if raw is None else decode_signed_value(secret, name, raw.encode("latin-1"))

        payload = get_cookie_with_chunks(one, sso.IDENTITY_COOKIE)
        if not payload:
            return None
        claims = json.loads(payload.decode("utf-8"))
    except Exception:  # noqa: BLE001 - an unreadable identity is no identity
        log.warning("an SSO identity cookie could not be read", exc_info=True)
        return None
    if not isinstance(claims, dict) or claims.get("is_logged_in") is not True:
        return None
    if claims.get("origin") != get_origin_from_redirect_uri():
        return None
    return claims


def sso_start_url() -> str | None:
    """Streamlit's OIDC login URL for the configured provider (what st.login() opens)."""
    if not sso_enabled():
        return None
    from streamlit.user_info import generate_login_redirect_url

    return generate_login_redirect_url("default")


@cache
def script_hashes() -> tuple[str, ...]:
    """CSP hashes of the inline scripts in Streamlit's index.html (its page shell)."""
    index = Path(streamlit.__file__).parent / "static" / "index.html"
    try:
        text = index.read_text(encoding="utf-8")
    except OSError:
        return ()
    inline = re.findall(r"<script>(.*?)</script>", text, flags=re.S)
    return tuple(web.csp_hash(body) for body in inline)


def hooks() -> web.Hooks:
    """The gate's view of this process's Streamlit runtime."""
    return web.Hooks(
        sso_enabled=sso_enabled,
        sso_claims=sso_claims,
        sso_start_url=sso_start_url,
        session_cookies=session_cookies,
        uploads_held=uploads_held,
        script_hashes=script_hashes(),
    )
