"""Optional single sign-on with the clinic's identity provider (OIDC through Streamlit's st.login).

SSO is on when Streamlit's secrets hold a complete `[auth]` section (see
.streamlit/secrets.example.toml) and Authlib is installed. Streamlit runs the OIDC flow itself
(/auth/login?provider=..., /oauth2callback) and keeps the identity in its signed cookie
`_streamlit_user`; this module only decides who that identity is in the clinic: the role comes
from the e-mail -> role table (`clinic.auth.role_for_email`), and an e-mail without a role gets
no access. Local accounts (clinic/web.py) keep working unchanged beside it.

Streamlit is imported lazily, only by `enabled()`, so the rest stays testable without it.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Mapping
from typing import Any

from clinic import audit, auth
from clinic.store import Store, StoreError

log = logging.getLogger(__name__)

# Keys Streamlit needs for a single ("default") provider in the [auth] section of secrets.
REQUIRED_KEYS = (
    "redirect_uri",
    "cookie_secret",
    "client_id",
    "client_secret",
    "server_metadata_url",
)
# Streamlit's identity cookie; large identities are split into `_streamlit_user_1`, ...
IDENTITY_COOKIE = "_streamlit_user"
# The HTML login page links here; clinic.web sends the browser on to Streamlit's OIDC route
# (no Streamlit page, and so no websocket, is opened before the user has logged in).
START_PATH = "/auth/sso"
NO_ROLE_MESSAGE = "Your account has no role in this clinic's dashboard; ask the administrator."
BUTTON_LABEL = "Log in with the clinic's account"

_audited: set[tuple[str, str]] = set()
_audited_lock = threading.Lock()


def is_configured(section: Mapping[str, Any] | None) -> bool:
    """Whether an `[auth]` secrets section names one complete OIDC provider."""
    if not section:
        return False
    return all(isinstance(section.get(k), str) and section.get(k) for k in REQUIRED_KEYS)


def has_identity_cookie(cookies: Mapping[str, str]) -> bool:
    """Whether a request carries Streamlit's (signed) SSO identity cookie."""
    return IDENTITY_COOKIE in cookies


def email_of(claims: Mapping[str, Any]) -> str | None:
    """The normalised e-mail of an OIDC identity, or None (missing or marked unverified)."""
    email = claims.get("email")
    if not isinstance(email, str) or "@" not in email:
        return None
    if claims.get("email_verified") is False:
        return None
    return email.strip().lower()


def user_for(store: Store, claims: Mapping[str, Any]) -> auth.User | None:
    """The clinic user of an OIDC identity (role from the e-mail table), or None without a role."""
    email = email_of(claims)
    if email is None:
        return None
    try:
        role = auth.role_for_email(store, email)
    except StoreError:
        return None
    if role is None:
        return None
    return auth.User(username=email, role=role, email=email)


def record_login(store: Store, user: auth.User, login_id: str) -> bool:
    """Audit an SSO login once per provider login (login_id, e.g. the token's iat); True if new."""
    key = (user.username, login_id)
    with _audited_lock:
        if key in _audited:
            return False
        _audited.add(key)
    try:
        audit.log(
            store,
            user=user.username,
            role=user.role,
            action="login",
            outcome="ok",
            object=user.username,
            details={"method": "sso"},
        )
    except StoreError:
        log.warning("could not audit the SSO login of %s", user.username)
    return True


def record_refusal(store: Store, email: object, login_id: str) -> bool:
    """Audit a refused SSO login (identity without a role) once per provider login."""
    who = str(email or "")[:200] or None
    key = (f"refused:{who}", login_id)
    with _audited_lock:
        if key in _audited:
            return False
        _audited.add(key)
    try:
        audit.log(
            store,
            user=who,
            role=None,
            action="login",
            outcome="failed",
            object=who,
            details={"method": "sso", "why": "no-role"},
        )
    except StoreError:
        log.warning("could not audit a refused SSO login")
    return True
