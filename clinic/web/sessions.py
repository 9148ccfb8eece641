"""Who a request is: the session cookie, the SSO identity the runtime vouches for (Hooks), the
stable key of a browser session, the logout token, safe return paths and same-origin POSTs."""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from starlette.requests import Request

from clinic import auth, sso
from clinic.store import Store, StoreError

COOKIE = "clinic_session"
LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
WHOAMI_PATH = "/auth/whoami"
DOWNLOAD_PREFIX = "/download/"
METRICS_PATH = "/_stcore/metrics"
UPLOAD_PREFIX = "/_stcore/upload_file/"


StoreGetter = Callable[[], Store]


@dataclass(frozen=True)
class Hooks:
    """What the gate asks Streamlit's runtime; clinic.ui.server.hooks() gives the real ones.

    The defaults know nothing: no SSO, and no upload can be tied to its session (so none is
    let through).
    """

    sso_enabled: Callable[[], bool] = lambda: False
    # The verified claims of a request's SSO identity cookie, or None.
    sso_claims: Callable[[Mapping[str, str]], Mapping[str, Any] | None] = lambda _cookies: None
    # Where to send the browser to start single sign-on, or None.
    sso_start_url: Callable[[], str | None] = lambda: None
    # The cookies a Streamlit session's websocket was opened with, or None.
    session_cookies: Callable[[str], Mapping[str, str] | None] = lambda _session: None
    # (files, bytes) a Streamlit session holds in the upload memory.
    uploads_held: Callable[[str], tuple[int, int]] = lambda _session: (0, 0)
    # Run one command line on the served store: (exit code, stdout, stderr, words). The doors
    # (dashboard.py) give clinic.service.handoff.run_command; without it the API has no reports.
    run_command: Callable[..., tuple[int, bytes, bytes, Any]] | None = None
    # CSP hashes of the inline scripts of Streamlit's index.html.
    script_hashes: tuple[str, ...] = field(default=())


# -- sessions ----------------------------------------------------------------------------------
def user_from_cookies(store: Store, cookies: Mapping[str, str]) -> auth.User | None:
    """The logged-in user for a request's cookies (e.g. `st.context.cookies`), else None."""
    try:
        return auth.user_for_session(store, cookies.get(COOKIE))
    except StoreError:
        return None


def credential(cookies: Mapping[str, str]) -> str | None:
    """The secret a browser session proves itself with: our cookie, else the SSO identity."""
    token = cookies.get(COOKIE)
    if isinstance(token, str) and token:  # (AppTest's stand-in cookies are no strings)
        return f"{COOKIE}={token}"
    identity = sorted(
        (k, v)
        for k, v in cookies.items()
        if isinstance(v, str)
        and k.startswith(sso.IDENTITY_COOKIE)
        and not k.startswith(sso.IDENTITY_COOKIE + "_tokens")
    )
    return "; ".join(f"{k}={v}" for k, v in identity) or None


def session_key(cookies: Mapping[str, str]) -> str | None:
    """A stable name of the browser session behind these cookies (a hash, never the secret)."""
    found = credential(cookies)
    return hashlib.sha256(found.encode("utf-8")).hexdigest() if found else None


def logout_token(cookies: Mapping[str, str]) -> str:
    """The form token a logout of this browser session must carry ("" without a session)."""
    found = credential(cookies)
    if not found:
        return ""
    return hashlib.sha256(b"logout\0" + found.encode("utf-8")).hexdigest()[:32]


def request_user(
    store: Store, cookies: Mapping[str, str], hooks: Hooks
) -> tuple[auth.User | None, Mapping[str, Any] | None]:
    """(the user of a request's session or SSO identity, the SSO claims seen), either None."""
    if cookies.get(COOKIE):
        user = user_from_cookies(store, cookies)
        if user is not None:
            return user, None
    claims = hooks.sso_claims(cookies) if sso.has_identity_cookie(cookies) else None
    if not claims:
        return None, None

    return sso.user_for(store, claims), claims


# -- URLs and links ----------------------------------------------------------------------------
def safe_next(target: str | None) -> str:
    """`target` when it is a relative path on this site, else "/" (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(("/auth/", DOWNLOAD_PREFIX)):
        return "/"
    return target


def login_url(next_path: str | None = None) -> str:
    """The login page URL that returns to next_path (path and query string) afterwards."""
    target = safe_next(next_path)
    return LOGIN_PATH if target == "/" else f"{LOGIN_PATH}?next={quote(target, safe='')}"


def same_origin(request: Request, *, required: bool = False) -> bool:
    """Whether a browser POST comes from a page of this site (Origin, else Referer).

    Without either header the request is no browser form (browsers send Origin on every
    cross-site POST) and passes, unless `required`.
    """
    host = request.headers.get("host", "")
    origin = request.headers.get("origin")
    if origin is not None:
        if origin == "null":
            return False
        parts = urlsplit(origin)
        return parts.netloc == host and parts.scheme in ("http", "https")
    referer = request.headers.get("referer")
    if referer is not None:
        return urlsplit(referer).netloc == host
    return not required
