"""The access gate: nothing but the login page, the health check, Streamlit's public front
end and the HTTP API (/api/v1, its own bearer tokens: clinic.web.api) to a request without a
live session (no websocket, no upload, no media, no page); uploads
only into a Streamlit session this browser session opened, bounded; the metrics for admins.
Then the middleware stack st.App wraps Streamlit in: security headers, then the gate."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Mapping
from typing import Any

from starlette.concurrency import run_in_threadpool
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection
from starlette.responses import PlainTextResponse, RedirectResponse
from starlette.types import ASGIApp, Receive, Scope, Send

from clinic import config, sso
from clinic.store import StoreError, open_store
from clinic.web.api import PREFIX as API_PREFIX
from clinic.web.headers import SecurityHeadersMiddleware, app_csp
from clinic.web.pages import notice, page
from clinic.web.sessions import (
    METRICS_PATH,
    UPLOAD_PREFIX,
    Hooks,
    StoreGetter,
    login_url,
    request_user,
    session_key,
)

# Streamlit's front end (the same files for every install, no data) and what logging in needs.
_PUBLIC_PREFIXES = ("/auth/", "/static/")
_PUBLIC_PATHS = frozenset({"/oauth2callback", "/_stcore/health", "/favicon.png", "/manifest.json"})
# Files one browser session may hold in Streamlit's upload memory at once (the Upload page uses
# one; a replaced file may briefly overlap its successor), and their total size in uploads.
UPLOAD_FILES_PER_SESSION = 4
UPLOAD_SIZES_PER_SESSION = 2
_MULTIPART_SLACK = 1024 * 1024  # boundary lines and part headers around an uploaded file


def _api(path: str) -> bool:
    """Whether `path` is the HTTP API's, which checks its own bearer tokens."""
    if ".." in path or "//" in path or "\\" in path:
        return False
    return path == API_PREFIX or path.startswith(API_PREFIX + "/")


def _public(path: str) -> bool:
    """Whether anyone may fetch `path` (login, health check, Streamlit's static front end)."""
    if ".." in path or "//" in path or "\\" in path:
        return False
    return path in _PUBLIC_PATHS or path.startswith(_PUBLIC_PREFIXES)


class LoginGateMiddleware:
    """Serve nothing but the public paths to a request without a live session.

    Page navigations go to the login form (keeping the deep link), a websocket is closed before
    it opens, anything else gets 401. An SSO identity without a role gets a sentence. Uploads
    must name a Streamlit session this browser session opened, within the per-session bounds.
    """

    def __init__(
        self, app: ASGIApp, store_getter: StoreGetter | None = None, hooks: Hooks | None = None
    ) -> None:
        """Wrap the next ASGI app; read sessions from the store store_getter returns."""
        self.app = app
        self.get_store: StoreGetter = store_getter or open_store
        self.hooks = hooks or Hooks()
        self._uploads_lock = threading.Lock()
        # session key -> the Streamlit sessions it uploaded into; bytes of uploads in flight.
        self._upload_sessions: dict[str, set[str]] = {}
        self._in_flight: dict[str, int] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Let a public path or a live session through; refuse the rest."""
        if scope["type"] not in ("http", "websocket") or _public(scope["path"]):
            await self.app(scope, receive, send)
            return
        if scope["type"] == "http" and _api(scope["path"]):
            # The API answers with bearer tokens, not the session cookie; its routes (clinic.web.
            # api) catch every path below /api/v1, so nothing of Streamlit is reached this way.
            await self.app(scope, receive, send)
            return
        conn = HTTPConnection(scope)
        try:
            user, claims = await run_in_threadpool(
                request_user, self.get_store(), conn.cookies, self.hooks
            )
        except StoreError:
            user, claims = None, None
        if user is None:
            await self._refuse(scope, receive, send, conn, claims)
            return
        path = scope["path"]
        if path == METRICS_PATH and user.role != "admin":
            await PlainTextResponse("Only administrators may read the metrics.", 403)(
                scope, receive, send
            )
            return
        if path.startswith(UPLOAD_PREFIX) and scope.get("method") == "PUT":
            await self._upload(scope, receive, send, conn)
            return
        await self.app(scope, receive, send)

    async def _refuse(
        self,
        scope: Scope,
        receive: Receive,
        send: Send,
        conn: HTTPConnection,
        claims: Mapping[str, Any] | None,
    ) -> None:
        """Answer a request without a session: login redirect, no-role page, 401 or no socket."""
        if scope["type"] == "websocket":
            # Closing before accepting makes the server answer the handshake with 403.
            await send({"type": "websocket.close", "code": 1008})
            return
        wants_page = scope["method"] in ("GET", "HEAD") and "text/html" in conn.headers.get(
            "accept", ""
        )
        if claims:  # a signed identity whose e-mail has no role here
            email = sso.email_of(claims) or claims.get("email")
            login_id = str(claims.get("iat") or claims.get("sub") or "")
            with contextlib.suppress(StoreError):
                await run_in_threadpool(sso.record_refusal, self.get_store(), email, login_id)
            await page(notice(sso.NO_ROLE_MESSAGE, conn.cookies), 403, "No access")(
                scope, receive, send
            )
            return
        if wants_page:
            path = scope["path"]
            query = scope.get("query_string", b"").decode("latin-1")
            target = path + (f"?{query}" if query else "")
            await RedirectResponse(login_url(target), status_code=303)(scope, receive, send)
            return
        await PlainTextResponse("Log in first.", 401)(scope, receive, send)

    async def _upload(
        self, scope: Scope, receive: Receive, send: Send, conn: HTTPConnection
    ) -> None:
        """Pass an upload on only into this browser session's own Streamlit session, bounded."""
        streamlit_session = scope["path"][len(UPLOAD_PREFIX) :].split("/", 1)[0]
        key = session_key(conn.cookies)
        opened_with = await run_in_threadpool(self.hooks.session_cookies, streamlit_session)
        if key is None or opened_with is None or session_key(opened_with) != key:
            await PlainTextResponse("This upload is not for your session.", 403)(
                scope, receive, send
            )
            return
        limit = config.max_upload_mb() * 1024 * 1024
        try:
            size = int(conn.headers["content-length"])
        except (KeyError, ValueError):
            await PlainTextResponse("An upload must state its length.", 411)(scope, receive, send)
            return
        if size > limit + _MULTIPART_SLACK:
            await PlainTextResponse("The file is larger than the upload limit.", 413)(
                scope, receive, send
            )
            return
        with self._uploads_lock:
            sessions = self._upload_sessions.setdefault(key, set())
            sessions.add(streamlit_session)
            held = {s: self.hooks.uploads_held(s) for s in sessions}
            # A Streamlit session that closed holds nothing any more: forget it.
            sessions.difference_update(
                s for s, (files, _b) in held.items() if not files and s != streamlit_session
            )
            files = sum(f for f, _b in held.values())
            held_bytes = sum(b for _f, b in held.values()) + self._in_flight.get(key, 0)
            cap = UPLOAD_SIZES_PER_SESSION * (limit + _MULTIPART_SLACK)
            refused = files >= UPLOAD_FILES_PER_SESSION or held_bytes + size > cap
            if not refused:
                self._in_flight[key] = self._in_flight.get(key, 0) + size
        if refused:
            await PlainTextResponse(
                "This session holds as many uploaded files as it may; remove one first.", 413
            )(scope, receive, send)
            return
        try:
            await self.app(scope, receive, send)
        finally:
            with self._uploads_lock:
                left = self._in_flight.get(key, 0) - size
                if left > 0:
                    self._in_flight[key] = left
                else:
                    self._in_flight.pop(key, None)


def middleware(
    store_getter: StoreGetter | None = None,
    *,
    hooks: Hooks | None = None,
    require_login: bool = True,
) -> list[Middleware]:
    """Middleware for st.App: security headers on every response, then the access gate."""
    hooks = hooks or Hooks()
    stack = [Middleware(SecurityHeadersMiddleware, csp=app_csp(hooks.script_hashes))]
    if require_login:
        stack.append(Middleware(LoginGateMiddleware, store_getter=store_getter, hooks=hooks))
    return stack
