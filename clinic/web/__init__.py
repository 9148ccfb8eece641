"""Web plumbing for Streamlit's `st.App` (Starlette): login, logout, downloads, the access gate
and security headers on every response. Starlette only: no Streamlit import in this package;
what it must know of Streamlit's runtime comes in a `Hooks` from clinic.ui.server.

The password never passes through a Streamlit widget: a plain HTML form posts to /auth/login,
which sets the `clinic_session` cookie (HttpOnly, SameSite=Strict, Path=/, Secure on https) to
a random token whose SHA-256 is all the store keeps (clinic.auth sessions). Pages read the
cookie with `user_from_cookies(store, st.context.cookies)` on every run, which also enforces the
idle timeout and notices disabled accounts and role changes. A single-sign-on identity
(Streamlit's signed `_streamlit_user` cookie whose e-mail has a role) is a session too.

The rooms, one concern each:
- `sessions`: who a request is (cookie, SSO identity, session key, logout token, safe paths);
- `pages`: our own HTML pages (login, logout, notices) and the links Streamlit's pages show;
- `login`: the login and logout routes, with the login limits per address;
- `downloads`: files offered to one browser session, served by /download/<id>;
- `gate`: the access gate and the middleware stack; `headers`: CSP and security headers;
- `api`: the HTTP API under /api/v1 with bearer tokens (docs/API.md);
- here: all routes together and the lifespan that closes the stores when the server stops.

Cross-site request forgery: the session cookie is SameSite=Strict; the login and logout POSTs
are refused when their Origin (or Referer) names another host, and logout also needs a token
derived from the session being ended.
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Callable
from typing import Any

from starlette.routing import Route

from clinic import config
from clinic.store import open_store, shutdown_all
from clinic.web import api, downloads, login
from clinic.web.downloads import CSV, DOWNLOADS, Downloads
from clinic.web.gate import middleware
from clinic.web.headers import app_csp, csp_hash
from clinic.web.pages import download_link_html, login_link_html, login_page, logout_form_html
from clinic.web.sessions import (
    COOKIE,
    DOWNLOAD_PREFIX,
    Hooks,
    StoreGetter,
    login_url,
    logout_token,
    safe_next,
    session_key,
    user_from_cookies,
)

__all__ = [
    "COOKIE",
    "CSV",
    "DOWNLOADS",
    "DOWNLOAD_PREFIX",
    "Downloads",
    "Hooks",
    "app_csp",
    "csp_hash",
    "download_link_html",
    "lifespan",
    "login_link_html",
    "login_page",
    "login_url",
    "logout_form_html",
    "logout_token",
    "middleware",
    "routes",
    "safe_next",
    "session_key",
    "user_from_cookies",
]


def routes(store_getter: StoreGetter | None = None, *, hooks: Hooks | None = None) -> list[Route]:
    """Starlette routes: /auth/login (GET form, POST), /auth/logout (GET page, POST),
    /auth/whoami, /auth/sso (start single sign-on), /download/<id> and the API, /api/v1/."""
    get_store = store_getter or open_store
    hooks = hooks or Hooks()
    return [
        *login.routes(get_store, hooks),
        downloads.route(get_store, hooks),
        *api.routes(get_store, hooks.run_command),
    ]


def lifespan(start: Callable[[], Any] | None = None) -> Callable[[object], Any]:
    """The server's lifespan: `start()` (the doors give clinic.service.start: open the store,
    take handed-over commands) and, when the server stops (SIGTERM, Ctrl-C), the started
    service's stop(), then every store closed at a clean point.

    uvicorn runs the stop after it has closed the connections, and then raises the signal again
    with its previous handler: SIGTERM's default ends the process without Python's clean-up,
    so without this the store's log was left for the next start to replay. An import in flight
    commits or rolls back first, within CLINIC_STOP_WAIT_SECONDS.
    """

    @contextlib.asynccontextmanager
    async def span(_app: object) -> AsyncIterator[None]:
        started = await asyncio.to_thread(start) if start else None
        yield
        if started is not None:
            await asyncio.to_thread(started.stop)
        wait = config.stop_wait_seconds()
        for path, outcome in (await asyncio.to_thread(shutdown_all, wait)).items():
            print(f"clinic: store {path} {outcome}.", file=sys.stderr)

    return span
