"""Web-login plumbing for Streamlit's `st.App` (Starlette): login/logout routes, a login gate
and security headers on every response.

The password never passes through a Streamlit widget: a plain HTML form posts to /auth/login,
which sets the `clinic_session` cookie (HttpOnly, SameSite=Strict, Path=/, Secure on https) to
a random token whose SHA-256 is all the store keeps (clinic.auth sessions). Pages read the
cookie with `user_from_cookies(store, st.context.cookies)` on every run, which also enforces the
idle timeout and notices disabled accounts and role changes.

Cross-site request forgery: the session cookie is SameSite=Strict, and the login and logout
POSTs are refused when their Origin (or, without one, Referer) names another host.

This module imports Starlette (shipped with Streamlit) but not Streamlit itself.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import sys
from collections.abc import AsyncIterator, Callable, Mapping
from urllib.parse import quote, urlsplit

from starlette.concurrency import run_in_threadpool
from starlette.datastructures import MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from starlette.routing import Match, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from clinic import auth, config, sso
from clinic.store import Store, StoreError, open_store, shutdown_all

COOKIE = "clinic_session"
LOGIN_PATH = "/auth/login"
LOGOUT_PATH = "/auth/logout"
WHOAMI_PATH = "/auth/whoami"

SECURITY_HEADERS = {
    # Only frame-ancestors: a fuller policy would break Streamlit's inline scripts and styles.
    "Content-Security-Policy": "frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}

# Paths the login gate never redirects: Streamlit's own endpoints and assets, and ours.
_UNGATED_PREFIXES = ("/_stcore/", "/static/", "/media/", "/component/", "/app/static/", "/auth/",
                     "/oauth2callback")  # fmt: skip

StoreGetter = Callable[[], Store]


def user_from_cookies(store: Store, cookies: Mapping[str, str]) -> auth.User | None:
    """The logged-in user for a request's cookies (e.g. `st.context.cookies`), else None."""
    try:
        return auth.user_for_session(store, cookies.get(COOKIE))
    except StoreError:
        return None


def safe_next(target: str | None) -> str:
    """`target` when it is a relative path on this site, else "/" (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return "/"
    if "\\" in target or any(ord(c) < 32 or ord(c) == 127 for c in target):
        return "/"
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or parts.path.startswith(("/auth/",)):
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


def logout_link_html(text: str = "Log out") -> str:
    """An HTML link that logs out in the same tab (for st.markdown / st.sidebar.markdown)."""
    return f'<a href="{LOGOUT_PATH}" target="_self">{html.escape(text)}</a>'


def _same_origin(request: Request) -> bool:
    """Whether a browser POST comes from a page of this site (Origin, else Referer)."""
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
    # Neither header: not a browser form (browsers send Origin on every cross-site POST).
    return True


_PAGE = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Log in - Clinic dashboard</title>
<style>
 body {{ font-family: system-ui, sans-serif; background: #f6f7f9; margin: 0; }}
 main {{ max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem;
        border-radius: 0.5rem; box-shadow: 0 1px 4px rgba(0,0,0,.1); }}
 h1 {{ font-size: 1.4rem; margin-top: 0; }}
 label {{ display: block; margin-top: 1rem; font-weight: 600; }}
 input {{ width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem;
         font-size: 1rem; }}
 button {{ margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; cursor: pointer; }}
 .demo {{ background: #e8f1fa; padding: .6rem; border-radius: .25rem; }}
 .error {{ color: #a40000; background: #fdecea; padding: .6rem; border-radius: .25rem; }}
</style>
</head>
<body>
<main>
<h1>Clinic dashboard</h1>
{demo}{message}
<form method="post" action="{action}" data-testid="login-form">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus
 value="{username}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">Log in</button>
</form>
{sso}
</main>
</body>
</html>
"""


_DEMO_NOTE = (
    '<p class="demo" role="note">Demo store: synthetic data, no real patients. The one-time '
    "passwords of the demo accounts were printed in the terminal that created it.</p>"
)


_SSO_LINK = '<p><a href="{href}" data-testid="sso-login">{text}</a></p>'


def login_page(
    next_path: str = "/",
    message: str = "",
    username: str = "",
    *,
    demo: bool = False,
    sso_link: bool = False,
) -> str:
    """The HTML of the login form (fields "Username" and "Password", button "Log in")."""
    return _PAGE.format(
        demo=_DEMO_NOTE if demo else "",
        sso=_SSO_LINK.format(href=sso.START_PATH, text=html.escape(sso.BUTTON_LABEL))
        if sso_link
        else "",
        action=LOGIN_PATH,
        message=f'<p class="error" role="alert">{html.escape(message)}</p>' if message else "",
        username=html.escape(username, quote=True),
        next=html.escape(safe_next(next_path), quote=True),
    )


def routes(
    store_getter: StoreGetter | None = None, *, sso_enabled: Callable[[], bool] = lambda: False
) -> list[Route]:
    """Starlette routes: GET/POST /auth/login, GET/POST /auth/logout, GET /auth/whoami.

    `sso_enabled` tells whether to offer single sign-on; the entry script passes ui's check,
    which reads Streamlit's secrets (this module stays free of Streamlit).
    """
    get_store: StoreGetter = store_getter or open_store

    def is_demo() -> bool:
        from clinic import demo

        try:
            return demo.is_demo(get_store())
        except StoreError:
            return False

    async def login_form(request: Request) -> Response:
        shown = await run_in_threadpool(is_demo)
        offer_sso = await run_in_threadpool(sso_enabled)
        return HTMLResponse(
            login_page(request.query_params.get("next", "/"), demo=shown, sso_link=offer_sso)
        )

    async def login(request: Request) -> Response:
        if not _same_origin(request):
            return HTMLResponse(
                login_page("/", "This login form was sent from another site and was refused."),
                status_code=403,
            )
        try:
            form = await request.form(max_files=0, max_fields=10, max_part_size=4096)
        except Exception:  # malformed body: answer with the form, not a traceback
            return HTMLResponse(login_page("/", "The login form could not be read."), 400)
        username = str(form.get("username") or "")[:200]
        password = str(form.get("password") or "")[:2000]
        target = safe_next(str(form.get("next") or "/"))
        try:
            store = get_store()
            result = await run_in_threadpool(auth.authenticate, store, username, password)
            token = None
            if result.user is not None:
                token = await run_in_threadpool(auth.create_session, store, result.user.username)
        except (StoreError, auth.AuthError):
            return HTMLResponse(
                login_page(target, "The clinic store is not available; try again shortly."),
                status_code=503,
            )
        if token is None:
            return HTMLResponse(login_page(target, result.reason, username), status_code=401)
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

    async def logout(request: Request) -> Response:
        if request.method == "POST" and not _same_origin(request):
            return Response("Refused: this request came from another site.", status_code=403)
        token = request.cookies.get(COOKIE)
        if token:
            # On a store failure the cookie is still cleared; the session ends at its idle timeout.
            with contextlib.suppress(StoreError):
                await run_in_threadpool(auth.revoke_session, get_store(), token)
        response = RedirectResponse("/", status_code=303)
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
            user = await run_in_threadpool(user_from_cookies, get_store(), request.cookies)
        except StoreError:
            user = None
        if user is None:
            return JSONResponse({"user": None}, status_code=401)
        return JSONResponse({"user": user.username, "role": user.role})

    return [
        _FormRoute(LOGIN_PATH, login_form, methods=["GET"]),
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route(LOGOUT_PATH, logout, methods=["GET", "POST"]),
        Route(WHOAMI_PATH, whoami, methods=["GET"]),
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


class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (Streamlit's included)."""

    def __init__(self, app: ASGIApp) -> None:
        """Wrap the next ASGI app."""
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add headers to the response start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    current = headers.get(name)
                    if current is None:
                        headers[name] = value
                    elif name == "Content-Security-Policy" and "frame-ancestors" not in current:
                        headers[name] = f"{current}; {value}"
            await send(message)

        await self.app(scope, receive, send_with_headers)


class LoginGateMiddleware:
    """Send page navigations without a live session to the login form, keeping the deep link.

    Only GET requests for HTML pages outside Streamlit's own endpoints are gated; pages still
    check the user and role themselves (the websocket that carries page content is not gated).
    """

    def __init__(self, app: ASGIApp, store_getter: StoreGetter | None = None) -> None:
        """Wrap the next ASGI app; read sessions from the store store_getter returns."""
        self.app = app
        self.get_store: StoreGetter = store_getter or open_store

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Redirect an anonymous page navigation to /auth/login?next=..., else pass it on."""
        if scope["type"] == "http" and scope["method"] in ("GET", "HEAD"):
            request = Request(scope)
            path = request.url.path
            wants_page = "text/html" in request.headers.get("accept", "")
            if wants_page and not path.startswith(_UNGATED_PREFIXES) and not _sso_request(request):
                try:
                    user = await run_in_threadpool(
                        user_from_cookies, self.get_store(), request.cookies
                    )
                except StoreError:
                    user = None
                if user is None:
                    target = path + (f"?{request.url.query}" if request.url.query else "")
                    await RedirectResponse(login_url(target), status_code=303)(scope, receive, send)
                    return
        await self.app(scope, receive, send)


def _sso_request(request: Request) -> bool:
    """Whether the page request carries an SSO identity, or asks to start SSO (`/?sso=1`).

    Streamlit checks the identity cookie's signature itself; the page then resolves st.user and
    refuses identities without a role, so passing these requests on grants nothing by itself.
    """
    return sso.has_identity_cookie(request.cookies) or (
        request.query_params.get(sso.QUERY_PARAM) == "1"
    )


def middleware(
    store_getter: StoreGetter | None = None, *, require_login: bool = True
) -> list[Middleware]:
    """Middleware for st.App: security headers on every response, then the login gate."""
    stack = [Middleware(SecurityHeadersMiddleware)]
    if require_login:
        stack.append(Middleware(LoginGateMiddleware, store_getter=store_getter))
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
