"""Web plumbing for Streamlit's `st.App` (Starlette): login, logout, downloads, the access gate
and security headers on every response.

The password never passes through a Streamlit widget: a plain HTML form posts to /auth/login,
which sets the `clinic_session` cookie (HttpOnly, SameSite=Strict, Path=/, Secure on https) to
a random token whose SHA-256 is all the store keeps (clinic.auth sessions). Pages read the
cookie with `user_from_cookies(store, st.context.cookies)` on every run, which also enforces the
idle timeout and notices disabled accounts and role changes. A single-sign-on identity
(Streamlit's signed `_streamlit_user` cookie whose e-mail has a role) is a session too.

The access gate answers nothing but the login page, the health check and Streamlit's public
front-end files to a request without a live session: no websocket (`/_stcore/stream`), no
upload, no media, no component file, no page. Uploads go only into the Streamlit session the
same browser session opened, with the number and size of files held bounded; the metrics
endpoint is for admins.

Downloads are served by /download/<id>, not by Streamlit's /media: an id belongs to the session
that was offered it, is refused to anyone else and ends with that session (logout, idle
timeout); the file is built, made spreadsheet-safe and audited when it is fetched.

Cross-site request forgery: the session cookie is SameSite=Strict; the login and logout POSTs
are refused when their Origin (or Referer) names another host, and logout also needs a token
derived from the session being ended. Login failures are limited per address (`limits`) and
only a few Argon2 checks run at once.

This module imports Starlette (shipped with Streamlit) but not Streamlit itself: what it must
know of Streamlit's runtime comes in a `Hooks` from clinic.ui_server.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import html
import logging
import os
import re
import secrets
import sys
import threading
import time
from collections import OrderedDict
from collections.abc import AsyncIterator, Callable, Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import quote, urlsplit

from limits import RateLimitItem, parse_many, storage, strategies
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import HTTPConnection, Request
from starlette.responses import (
    HTMLResponse,
    JSONResponse,
    PlainTextResponse,
    RedirectResponse,
    Response,
)
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinic import auth, config, sso
from clinic.store import Store, StoreError, open_store, shutdown_all

log = logging.getLogger(__name__)

COOKIE = "clinic_session"
LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
WHOAMI_PATH = "/auth/whoami"
DOWNLOAD_PREFIX = "/download/"
METRICS_PATH = "/_stcore/metrics"
UPLOAD_PREFIX = "/_stcore/upload_file/"

# Streamlit's front end (the same files for every install, no data) and what logging in needs.
_PUBLIC_PREFIXES = ("/auth/", "/static/")
_PUBLIC_PATHS = frozenset({"/oauth2callback", "/_stcore/health", "/favicon.png", "/manifest.json"})
# Files one browser session may hold in Streamlit's upload memory at once (the Upload page uses
# one; a replaced file may briefly overlap its successor), and their total size in uploads.
UPLOAD_FILES_PER_SESSION = 4
UPLOAD_SIZES_PER_SESSION = 2
_MULTIPART_SLACK = 1024 * 1024  # boundary lines and part headers around an uploaded file

# Our own pages (login, logout, notices) load nothing: their one style block is allowed by hash.
_STYLE = """
 body { font-family: system-ui, sans-serif; background: #f6f7f9; margin: 0; }
 main { max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem;
        border-radius: 0.5rem; box-shadow: 0 1px 4px rgba(0,0,0,.1); }
 h1 { font-size: 1.4rem; margin-top: 0; }
 label { display: block; margin-top: 1rem; font-weight: 600; }
 input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem;
         font-size: 1rem; }
 button { margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; cursor: pointer; }
 .demo { background: #e8f1fa; padding: .6rem; border-radius: .25rem; }
 .error { color: #a40000; background: #fdecea; padding: .6rem; border-radius: .25rem; }
"""


def csp_hash(text: str) -> str:
    """A CSP source expression allowing exactly this inline script or style."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


PAGE_CSP = (
    f"default-src 'none'; style-src {csp_hash(_STYLE)}; img-src 'self'; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'"
)


def app_csp(script_hashes: tuple[str, ...] = ()) -> str:
    """The policy of Streamlit's pages: only this site's scripts (and the inline ones named by
    hash), images and connections; CSS-in-JS needs inline styles; no plugins, no foreign forms.
    """
    # WebAssembly (Arrow tables) needs 'wasm-unsafe-eval', which allows no JavaScript eval.
    scripts = " ".join(("'self'", "'wasm-unsafe-eval'", *script_hashes))
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self';"
        " worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self';"
        " frame-ancestors 'none'"
    )


SECURITY_HEADERS = {
    "Content-Security-Policy": app_csp(),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

StoreGetter = Callable[[], Store]


@dataclass(frozen=True)
class Hooks:
    """What the gate asks Streamlit's runtime; clinic.ui_server.hooks() gives the real ones.

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
    # CSP hashes of the inline scripts of Streamlit's index.html.
    script_hashes: tuple[str, ...] = field(default=())


# -- sessions ----------------------------------------------------------------------------------
def user_from_cookies(store: Store, cookies: Mapping[str, str]) -> auth.User | None:
    """The logged-in user for a request's cookies (e.g. `st.context.cookies`), else None."""
    try:
        return auth.user_for_session(store, cookies.get(COOKIE))
    except StoreError:
        return None


def _credential(cookies: Mapping[str, str]) -> str | None:
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
    found = _credential(cookies)
    return hashlib.sha256(found.encode("utf-8")).hexdigest() if found else None


def logout_token(cookies: Mapping[str, str]) -> str:
    """The form token a logout of this browser session must carry ("" without a session)."""
    found = _credential(cookies)
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


def login_link_html(next_path: str | None = None, text: str = "Log in") -> str:
    """An HTML link to the login page that opens in the same tab (for st.markdown)."""
    return (
        f'<a href="{html.escape(login_url(next_path), quote=True)}" target="_self">'
        f"{html.escape(text)}</a>"
    )


# Our buttons and links inside Streamlit's pages look like its secondary buttons.
_BUTTON_STYLE = (
    "display:inline-block;padding:.35rem .8rem;border:1px solid rgba(49,51,63,.2);"
    "border-radius:.5rem;background:#fff;color:inherit;font:inherit;cursor:pointer;"
    "text-decoration:none"
)


def logout_form_html(
    cookies: Mapping[str, str], text: str = "Log out", *, styled: bool = True
) -> str:
    """A one-button form that logs this browser session out (POST, with its token).

    `styled` for Streamlit's pages; our own pages style buttons from their style block (their
    CSP allows no style attributes).
    """
    style = f' style="{_BUTTON_STYLE}"' if styled else ""
    return (
        f'<form method="post" action="{LOGOUT_PATH}" data-testid="logout-form">'
        f'<input type="hidden" name="token" value="{logout_token(cookies)}">'
        f'<button type="submit"{style}>{html.escape(text)}</button></form>'
    )


def download_link_html(url: str, label: str) -> str:
    """A link that fetches a download offered by Downloads.offer, in the same tab."""
    return (
        f'<a href="{html.escape(url, quote=True)}" target="_self" data-testid="clinic-download"'
        f' style="{_BUTTON_STYLE}">&#11015; {html.escape(label)}</a>'
    )


def _same_origin(request: Request, *, required: bool = False) -> bool:
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


# -- our HTML pages ----------------------------------------------------------------------------
_SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Clinic dashboard</title>
<link rel="icon" href="/favicon.png">
<style>{style}</style>
</head>
<body>
<main>
<h1>Clinic dashboard</h1>
{body}
</main>
</body>
</html>
"""

_LOGIN_FORM = """{demo}{message}
<form method="post" action="{action}" data-testid="login-form">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus
 value="{username}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">Log in</button>
</form>
{sso}"""

_DEMO_NOTE = (
    '<p class="demo" role="note">Demo store: synthetic data, no real patients. The one-time '
    "passwords of the demo accounts were printed in the terminal that created it.</p>"
)

_SSO_LINK = '<p><a href="{href}" data-testid="sso-login">{text}</a></p>'


def _alert(message: str) -> str:
    """A message paragraph (escaped) announced to screen readers."""
    return f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""


def _shell(title: str, body: str) -> str:
    """One of our pages around an already-escaped body."""
    return _SHELL.format(title=html.escape(title), style=_STYLE, body=body)


def _page(body: str, status: int = 200, title: str = "Log in", **headers: str) -> HTMLResponse:
    """An HTMLResponse of our own page with its strict Content-Security-Policy."""
    return HTMLResponse(
        _shell(title, body),
        status_code=status,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store", **headers},
    )


def login_page(
    next_path: str = "/",
    message: str = "",
    username: str = "",
    *,
    demo: bool = False,
    sso_link: bool = False,
) -> str:
    """The HTML of the login form (fields "Username" and "Password", button "Log in")."""
    return _shell("Log in", _login_body(next_path, message, username, demo, sso_link))


def _login_body(next_path: str, message: str, username: str, demo: bool, sso_link: bool) -> str:
    """The login form's part of the page."""
    return _LOGIN_FORM.format(
        demo=_DEMO_NOTE if demo else "",
        sso=_SSO_LINK.format(href=sso.START_PATH, text=html.escape(sso.BUTTON_LABEL))
        if sso_link
        else "",
        action=LOGIN_PATH,
        message=_alert(message),
        username=html.escape(username, quote=True),
        next=html.escape(safe_next(next_path), quote=True),
    )


def _notice(message: str, cookies: Mapping[str, str] | None = None) -> str:
    """A page body with a sentence and, for a browser session, its logout button."""
    form = logout_form_html(cookies, styled=False) if cookies and _credential(cookies) else ""
    link = f'<p><a href="{LOGIN_PATH}">Go to the login page</a></p>' if not form else ""
    return _alert(message) + form + link


# -- settings ----------------------------------------------------------------------------------
TOO_MANY = (
    "Too many failed logins from this address: try again in {} minutes, or ask an administrator."
)
AT_ONCE = "Too many logins at once from this address; try again in a moment."
# Login attempts one address may have waiting at once (a clinic's PCs behind one NAT at 9:00).
MAX_WAITING = 12


def login_failure_limits() -> list[RateLimitItem]:
    """Failed logins allowed per address (env CLINIC_LOGIN_FAILURES, default 20/15 minutes)."""
    text = os.environ.get("CLINIC_LOGIN_FAILURES") or "20/15 minutes"
    try:
        return parse_many(text)
    except ValueError:
        log.warning("CLINIC_LOGIN_FAILURES=%r is not a rate such as 20/15 minutes", text)
        return parse_many("20/15 minutes")


def login_concurrency() -> int:
    """Password checks run at once, in all and per address (env CLINIC_LOGIN_CONCURRENCY,
    default 2; each holds 64 MiB)."""
    try:
        value = int(os.environ.get("CLINIC_LOGIN_CONCURRENCY", "2"))
    except ValueError:
        return 2
    return value if value > 0 else 2


# -- downloads ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class _Offer:
    """A file offered to one browser session, built when fetched."""

    owner: str
    key: str
    file_name: str
    build: Callable[[], bytes]


class Downloads:
    """Files offered for download: each id belongs to the session it was offered to.

    A page run offers its downloads again (same id for the same session and button), so the
    table stays as small as the open pages; the oldest offers go beyond `limit`, and logout
    ends a session's offers at once.
    """

    def __init__(self, limit: int = 2000) -> None:
        """An empty table of at most `limit` offers."""
        self._lock = threading.Lock()
        self._limit = limit
        self._offers: OrderedDict[str, _Offer] = OrderedDict()
        self._ids: dict[tuple[str, str], str] = {}

    def offer(self, owner: str, key: str, file_name: str, build: Callable[[], bytes]) -> str:
        """Offer a file to the session `owner` (a session_key) for button `key`; its URL."""
        with self._lock:
            found = self._ids.get((owner, key)) or secrets.token_urlsafe(24)
            self._ids[(owner, key)] = found
            self._offers[found] = _Offer(owner, key, file_name, build)
            self._offers.move_to_end(found)
            while len(self._offers) > self._limit:
                _gone, old = self._offers.popitem(last=False)
                self._ids.pop((old.owner, old.key), None)
        return DOWNLOAD_PREFIX + found

    def claim(self, download_id: str, owner: str | None) -> _Offer | None:
        """The offer behind an id when `owner` is the session it was made for, else None."""
        with self._lock:
            found = self._offers.get(download_id)
        if found is None or not owner or not hmac.compare_digest(found.owner, owner):
            return None
        return found

    def end(self, owner: str | None) -> int:
        """Withdraw every offer of a session (at logout); how many there were."""
        if not owner:
            return 0
        with self._lock:
            gone = [i for i, o in self._offers.items() if o.owner == owner]
            for found in gone:
                offer = self._offers.pop(found)
                self._ids.pop((offer.owner, offer.key), None)
        return len(gone)


DOWNLOADS = Downloads()

_SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9._ -]{1,120}$")


def _disposition(file_name: str) -> str:
    """A Content-Disposition header naming the file, whatever its characters."""
    if _SAFE_FILE_NAME.match(file_name):
        return f'attachment; filename="{file_name}"'
    return f"attachment; filename*=utf-8''{quote(file_name, safe='')}"


# -- routes ------------------------------------------------------------------------------------
def routes(store_getter: StoreGetter | None = None, *, hooks: Hooks | None = None) -> list[Route]:
    """Starlette routes: /auth/login (GET form, POST), /auth/logout (GET page, POST),
    /auth/whoami, /auth/sso (start single sign-on) and /download/<id>.
    """
    get_store: StoreGetter = store_getter or open_store
    hooks = hooks or Hooks()
    limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    rules = login_failure_limits()
    concurrency = login_concurrency()
    checking = asyncio.Semaphore(concurrency)
    pending: dict[str, int] = {}  # address -> its login attempts under way or waiting
    gates: dict[str, asyncio.Semaphore] = {}  # address -> its share of the checks

    def is_demo() -> bool:
        from clinic import demo

        try:
            return demo.is_demo(get_store())
        except StoreError:
            return False

    def address(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def over_limit(where: str) -> int | None:
        """Seconds until `where` may try again, or None when it may try now."""
        waits = [
            limiter.get_window_stats(rule, "login", where).reset_time - time.time()
            for rule in rules
            if not limiter.test(rule, "login", where)
        ]
        return max(1, int(max(waits)) + 1) if waits else None

    async def check(
        where: str, username: str, password: str
    ) -> tuple[str | None, auth.AuthResult | None]:
        """(session token or None, the login's result), or (None, None) when over the limit."""
        # Each check holds 64 MiB of Argon2 memory: only a few at once, the rest queue.
        await asyncio.wait_for(checking.acquire(), timeout=20)
        try:
            if over_limit(where) is not None:
                return None, None
            store = get_store()
            result = await run_in_threadpool(auth.authenticate, store, username, password)
            token = None
            if result.user is not None:
                token = await run_in_threadpool(auth.create_session, store, result.user.username)
            return token, result
        finally:
            checking.release()

    async def login_form(request: Request) -> Response:
        shown = await run_in_threadpool(is_demo)
        offer_sso = await run_in_threadpool(hooks.sso_enabled)
        return _page(_login_body(request.query_params.get("next", "/"), "", "", shown, offer_sso))

    def form_again(target: str, message: str, status: int, username: str = "", **h: str):
        return _page(_login_body(target, message, username, False, False), status, **h)

    async def login(request: Request) -> Response:
        if not _same_origin(request):
            refused = "This login form was sent from another site and was refused."
            return form_again("/", refused, 403)
        try:
            form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
        except Exception:  # malformed body: answer with the form, not a traceback
            return form_again("/", "The login form could not be read.", 400)
        username = str(form.get("username") or "")[:200]
        password = str(form.get("password") or "")[:2000]
        target = safe_next(str(form.get("next") or "/"))
        where = address(request)
        wait = over_limit(where)
        if wait is not None:
            return form_again(target, TOO_MANY.format(-(-wait // 60)), 429, username,
                              **{"Retry-After": str(wait)})  # fmt: skip
        if pending.get(where, 0) >= MAX_WAITING:
            return form_again(target, AT_ONCE, 429, username, **{"Retry-After": "2"})
        pending[where] = pending.get(where, 0) + 1
        # One address never holds more than its share of the password checks: the others of
        # a burst wait in the address's own queue, so everyone else is not stuck behind it.
        gate = gates.setdefault(where, asyncio.Semaphore(concurrency))
        try:
            await asyncio.wait_for(gate.acquire(), timeout=20)
            try:
                token, result = await check(where, username, password)
            finally:
                gate.release()
        except TimeoutError:
            return form_again(target, "The server is busy; try again in a moment.", 503, username)
        except (StoreError, auth.AuthError):
            return form_again(target, "The clinic store is not available; try again shortly.", 503)
        finally:
            pending[where] -= 1
            if not pending[where]:
                del pending[where], gates[where]
        if result is None:  # failures piled up while this attempt queued
            wait = over_limit(where) or 60
            return form_again(target, TOO_MANY.format(-(-wait // 60)), 429, username,
                              **{"Retry-After": str(wait)})  # fmt: skip
        if token is None:
            for rule in rules:
                limiter.hit(rule, "login", where)
            return form_again(target, result.reason, 401, username)
        response = RedirectResponse(target, status_code=303)
        response.set_cookie(
            COOKIE,
            token,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        return response

    async def logout_page(request: Request) -> Response:
        # A GET never logs out: a link from another site must not end (or half end) a session.
        if not _credential(request.cookies):
            return RedirectResponse(LOGIN_PATH, status_code=303)
        question = "<p>Log out of the clinic dashboard in this browser?</p>"
        return _page(question + logout_form_html(request.cookies, styled=False), title="Log out")

    async def logout(request: Request) -> Response:
        try:
            form = await request.form(max_files=0, max_fields=5, max_part_size=1024)
        except Exception:
            form = {}
        expected = logout_token(request.cookies)
        sent = str(form.get("token") or "")
        if not _same_origin(request, required=True) or not hmac.compare_digest(sent, expected):
            return _page(
                _alert("This logout was sent from another site and was refused."), 403, "Log out"
            )
        token = request.cookies.get(COOKIE)
        if token:
            # On a store failure the cookie is still cleared; the session ends at its idle timeout.
            with contextlib.suppress(StoreError):
                await run_in_threadpool(auth.revoke_session, get_store(), token)
        DOWNLOADS.end(session_key(request.cookies))
        response = RedirectResponse(LOGIN_PATH, status_code=303)
        response.delete_cookie(
            COOKIE,
            path="/",
            httponly=True,
            samesite="strict",
            secure=request.url.scheme == "https",
        )
        # A single-sign-on identity ends here too (locally; the provider's session stays).
        for name in request.cookies:
            if name.startswith(sso.IDENTITY_COOKIE):
                response.delete_cookie(name, path="/")
        return response

    async def whoami(request: Request) -> Response:
        try:
            user, _claims = await run_in_threadpool(
                request_user, get_store(), request.cookies, hooks
            )
        except StoreError:
            user = None
        if user is None:
            return JSONResponse({"user": None}, status_code=401)
        return JSONResponse({"user": user.username, "role": user.role})

    async def sso_start(_request: Request) -> Response:
        url = await run_in_threadpool(hooks.sso_start_url)
        return RedirectResponse(url or LOGIN_PATH, status_code=303)

    async def download(request: Request) -> Response:
        try:
            user, _claims = await run_in_threadpool(
                request_user, get_store(), request.cookies, hooks
            )
        except StoreError:
            user = None
        offer = None
        if user is not None:
            offer = DOWNLOADS.claim(request.path_params["id"], session_key(request.cookies))
        if offer is None:
            return _page(
                _notice(
                    "This download has ended (it belongs to the browser session that opened the"
                    " page, and ends with it). Log in and download it from the page again.",
                    request.cookies,
                ),
                404,
                "Download",
            )
        try:
            data = await run_in_threadpool(offer.build)
        except Exception:  # noqa: BLE001 - a sentence, never a traceback
            log.exception("download %s failed", offer.file_name)
            return _page(
                _notice("The file could not be made; try again, or tell the administrator."),
                500,
                "Download",
            )
        return Response(
            data,
            media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": _disposition(offer.file_name),
                     "Cache-Control": "no-store"},
        )  # fmt: skip

    return [
        _FormRoute(LOGIN_PATH, login_form, methods=["GET"]),
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route(LOGOUT_PATH, logout_page, methods=["GET"]),
        Route(LOGOUT_PATH, logout, methods=["POST"]),
        Route(WHOAMI_PATH, whoami, methods=["GET"]),
        Route(sso.START_PATH, sso_start, methods=["GET"]),
        Route(DOWNLOAD_PREFIX + "{id}", download, methods=["GET"]),
    ]


class _FormRoute(Route):
    """Our login form route, stepping aside for Streamlit's st.login() redirect on the same path.

    st.login() sends the browser to GET /auth/login?provider=...; st.App puts our routes first,
    so without this the form would shadow Streamlit's OIDC route.
    """

    def matches(self, scope: Scope) -> tuple[Match, Scope]:
        """No match when the query names an OIDC provider, else the usual path match."""
        if scope["type"] == "http" and b"provider=" in scope.get("query_string", b""):
            return Match.NONE, {}
        return super().matches(scope)


# -- middleware --------------------------------------------------------------------------------
class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (Streamlit's included)."""

    def __init__(self, app: ASGIApp, csp: str | None = None) -> None:
        """Wrap the next ASGI app; `csp` is the policy of responses that set none."""
        self.app = app
        self.headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp or app_csp()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add headers to the response start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    current = headers.get(name)
                    if current is None:
                        headers[name] = value
                    elif name == "Content-Security-Policy" and "frame-ancestors" not in current:
                        headers[name] = f"{current}; frame-ancestors 'none'"
            await send(message)

        await self.app(scope, receive, send_with_headers)


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
            await _page(_notice(sso.NO_ROLE_MESSAGE, conn.cookies), 403, "No access")(
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


@contextlib.asynccontextmanager
async def lifespan(_app: object) -> AsyncIterator[None]:
    """Serve; when the server stops (SIGTERM, Ctrl-C), close every store at a clean point.

    uvicorn runs this after it has closed the connections, and then raises the signal again
    with its previous handler: SIGTERM's default ends the process without Python's clean-up,
    so without this the store's log was left for the next start to replay. An import in flight
    commits or rolls back first, within CLINIC_STOP_WAIT_SECONDS.
    """
    yield
    wait = config.stop_wait_seconds()
    for path, outcome in (await asyncio.to_thread(shutdown_all, wait)).items():
        print(f"clinic: store {path} {outcome}.", file=sys.stderr)
