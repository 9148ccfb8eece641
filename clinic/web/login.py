"""Logging in and out: the login form and its POST (failures limited per address, only a few
password checks at once), the logout page and its POST (same origin and a token derived from
the session), who am I, and the start of single sign-on."""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import logging
import os
import time

from limits import RateLimitItem, parse_many, storage, strategies
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Match, Route
from starlette.types import Scope

from clinic import auth, sso
from clinic.store import StoreError
from clinic.web.downloads import DOWNLOADS
from clinic.web.pages import alert, login_body, logout_form_html, page
from clinic.web.sessions import (
    COOKIE,
    LOGIN_PATH,
    LOGOUT_PATH,
    WHOAMI_PATH,
    Hooks,
    StoreGetter,
    credential,
    logout_token,
    request_user,
    safe_next,
    same_origin,
    session_key,
)

log = logging.getLogger(__name__)

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


def routes(get_store: StoreGetter, hooks: Hooks) -> list[Route]:
    """/auth/login (GET form, POST), /auth/logout (GET page, POST), /auth/whoami and /auth/sso
    (start single sign-on)."""
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
        return page(login_body(request.query_params.get("next", "/"), "", "", shown, offer_sso))

    def form_again(target: str, message: str, status: int, username: str = "", **h: str):
        return page(login_body(target, message, username, False, False), status, **h)

    async def login(request: Request) -> Response:
        if not same_origin(request):
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
            return form_again(
                target, TOO_MANY.format(-(-wait // 60)), 429, username, **{"Retry-After": str(wait)}
            )
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
            return form_again(
                target, TOO_MANY.format(-(-wait // 60)), 429, username, **{"Retry-After": str(wait)}
            )
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
        if not credential(request.cookies):
            return RedirectResponse(LOGIN_PATH, status_code=303)
        question = "<p>Log out of the clinic dashboard in this browser?</p>"
        return page(question + logout_form_html(request.cookies, styled=False), title="Log out")

    async def logout(request: Request) -> Response:
        try:
            form = await request.form(max_files=0, max_fields=5, max_part_size=1024)
        except Exception:
            form = {}
        expected = logout_token(request.cookies)
        sent = str(form.get("token") or "")
        if not same_origin(request, required=True) or not hmac.compare_digest(sent, expected):
            return page(
                alert("This logout was sent from another site and was refused."), 403, "Log out"
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

    return [
        _FormRoute(LOGIN_PATH, login_form, methods=["GET"]),
        Route(LOGIN_PATH, login, methods=["POST"]),
        Route(LOGOUT_PATH, logout_page, methods=["GET"]),
        Route(LOGOUT_PATH, logout, methods=["POST"]),
        Route(WHOAMI_PATH, whoami, methods=["GET"]),
        Route(sso.START_PATH, sso_start, methods=["GET"]),
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
