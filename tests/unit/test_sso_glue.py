"""Single sign-on glue: settings check, e-mail -> role, audit once per login, web routing."""

from __future__ import annotations

import asyncio
import json
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from clinic import auth, sso, web
from clinic.store import Store

SETTINGS = {
    "redirect_uri": "http://127.0.0.1:8501/oauth2callback",
    "cookie_secret": "s" * 32,
    "client_id": "clinic-dashboard",
    "client_secret": "secret",
    "server_metadata_url": "http://127.0.0.1:9400/.well-known/openid-configuration",
}


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        (SETTINGS, True),
        ({**SETTINGS, "client_kwargs": {"scope": "openid email"}}, True),
        ({k: v for k, v in SETTINGS.items() if k != "client_secret"}, False),
        ({**SETTINGS, "cookie_secret": ""}, False),
        ({}, False),
        (None, False),
    ],
)
def test_is_configured(section, expected):
    """SSO counts as configured only with all five keys of one provider filled in."""
    assert sso.is_configured(section) is expected


@pytest.mark.parametrize(
    ("claims", "expected"),
    [
        ({"email": " Jane.Doe@Clinic.Example "}, "jane.doe@clinic.example"),
        ({"email": "jane@clinic.example", "email_verified": True}, "jane@clinic.example"),
        ({"email": "jane@clinic.example", "email_verified": False}, None),
        ({"email": "not-an-address"}, None),
        ({"sub": "jane"}, None),
        ({"email": 42}, None),
    ],
)
def test_email_of(claims, expected):
    """The identity's e-mail, normalised; none when missing, malformed or unverified."""
    assert sso.email_of(claims) == expected


def test_user_for_takes_the_role_from_the_email_table(store: Store):
    """A mapped e-mail becomes a user with that role; an unmapped one gets nothing."""
    auth.set_sso_role(store, "Jane@Clinic.Example", "auditor")
    user = sso.user_for(store, {"email": "jane@clinic.example", "name": "Jane"})
    assert user == auth.User("jane@clinic.example", "auditor", "jane@clinic.example")
    assert sso.user_for(store, {"email": "someone@else.example"}) is None
    assert sso.user_for(store, {"sub": "no-email"}) is None


def _sso_audit_rows(store: Store) -> list[tuple]:
    """The audit rows of SSO logins, oldest first."""
    rows = store.rows(
        "select username, role, action, outcome, details from audit_log"
        " where action = 'login' order by seq",
        {},
    )
    return [r for r in rows if r[4] and json.loads(r[4]).get("method") == "sso"]


def test_record_login_audits_once_per_provider_login(store: Store):
    """Reruns of the same login add no rows; a new provider login adds one."""
    user = auth.User("ann@clinic.example", "auditor", "ann@clinic.example")
    assert sso.record_login(store, user, "1700000000") is True
    assert sso.record_login(store, user, "1700000000") is False
    assert sso.record_login(store, user, "1700000999") is True
    rows = _sso_audit_rows(store)
    assert [(r[0], r[1], r[2], r[3]) for r in rows] == [
        ("ann@clinic.example", "auditor", "login", "ok"),
        ("ann@clinic.example", "auditor", "login", "ok"),
    ]


def test_record_refusal_audits_a_failed_login(store: Store):
    """An identity without a role is audited as a failed SSO login, once."""
    assert sso.record_refusal(store, "bob@elsewhere.example", "1700000001") is True
    assert sso.record_refusal(store, "bob@elsewhere.example", "1700000001") is False
    rows = _sso_audit_rows(store)
    assert [(r[0], r[3], json.loads(r[4])["why"]) for r in rows] == [
        ("bob@elsewhere.example", "failed", "no-role")
    ]


# -- clinic/web.py beside Streamlit's own auth routes ------------------------------------------
def _call(
    app: Any, path: str, query: str = "", cookies: str = "", method: str = "GET", body: str = ""
) -> tuple[int, list[tuple[str, str]], bytes]:
    """One request through an ASGI app (status, header pairs, body), as a browser navigation
    (a POST comes from a page of the same site)."""
    headers = [(b"host", b"testserver"), (b"accept", b"text/html")]
    if cookies:
        headers.append((b"cookie", cookies.encode()))
    if method == "POST":
        headers += [
            (b"origin", b"http://testserver"),
            (b"content-type", b"application/x-www-form-urlencoded"),
        ]
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": query.encode(),
        "headers": headers,
        "client": ("127.0.0.1", 1),
        "server": ("testserver", 80),
    }
    sent: list[dict] = []

    async def receive() -> dict:
        return {"type": "http.request", "body": body.encode(), "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    # A thread of its own: Playwright's sync API may hold an event loop on the main thread.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(asyncio.run, app(scope, receive, send)).result()
    start = next(m for m in sent if m["type"] == "http.response.start")
    body = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    return start["status"], [(k.decode(), v.decode()) for k, v in start["headers"]], body


# Stand-ins for what Streamlit's runtime would tell the gate: one identity cookie value whose
# signature "checks out", for each of two e-mail addresses.
SIGNED = {
    "good-auditor": {"email": "jane@clinic.example", "is_logged_in": True, "iat": 1},
    "good-stranger": {"email": "no.role@elsewhere.example", "is_logged_in": True, "iat": 2},
}
HOOKS = web.Hooks(
    sso_enabled=lambda: True,
    sso_claims=lambda cookies: SIGNED.get(cookies.get(sso.IDENTITY_COOKIE, "")),
    sso_start_url=lambda: "/auth/login?provider=signed-token",
)


@pytest.fixture
def web_app(store: Store) -> Starlette:
    """Our routes and middleware in front of stand-ins for Streamlit's login route and page."""
    auth.set_sso_role(store, "jane@clinic.example", "auditor")

    async def streamlit_login(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("streamlit oidc redirect")

    async def streamlit_page(_request: Any) -> PlainTextResponse:
        return PlainTextResponse("streamlit page")

    return Starlette(
        routes=[
            *web.routes(lambda: store, hooks=HOOKS),
            Route("/auth/login", streamlit_login),
            Route("/{path:path}", streamlit_page),
        ],
        middleware=web.middleware(lambda: store, hooks=HOOKS),
    )


def test_login_form_steps_aside_for_st_login(web_app):
    """GET /auth/login shows our form, but ?provider=... reaches Streamlit's OIDC route."""
    status, _, body = _call(web_app, "/auth/login")
    assert status == 200 and b'data-testid="login-form"' in body
    status, _, body = _call(web_app, "/auth/login", "provider=abc.def")
    assert (status, body) == (200, b"streamlit oidc redirect")


@pytest.mark.parametrize(
    ("path", "query", "cookies", "passes"),
    [
        ("/overview", "", "", False),
        ("/overview", "", "_streamlit_user=good-auditor", True),
        ("/overview", "", "_streamlit_user=forged", False),
        ("/overview", "", "_streamlit_user_tokens=only-tokens", False),
        ("/", "sso=1", "", False),
        ("/oauth2callback", "code=x&state=y", "", True),
    ],
)
def test_gate_lets_sso_requests_through(web_app, path, query, cookies, passes):
    """A signed identity with a role and the OIDC callback pass; a forged identity does not."""
    status, headers, _ = _call(web_app, path, query, cookies)
    if passes:
        assert status == 200
    else:
        assert status == 303 and dict(headers)["location"].startswith("/auth/login")


def test_gate_refuses_an_identity_without_a_role(web_app, store):
    """A signed identity whose e-mail has no role gets the sentence, not Streamlit, and an
    audit row."""
    status, _, body = _call(web_app, "/overview", "", "_streamlit_user=good-stranger")
    assert status == 403 and sso.NO_ROLE_MESSAGE.replace("'", "&#x27;").encode() in body
    assert b"streamlit page" not in body
    assert [(r[0], r[3]) for r in _sso_audit_rows(store)] == [
        ("no.role@elsewhere.example", "failed")
    ]


def test_sso_starts_without_opening_the_app(web_app):
    """/auth/sso sends the browser straight to Streamlit's OIDC route (no page, no websocket)."""
    status, headers, _ = _call(web_app, "/auth/sso")
    assert status == 303 and dict(headers)["location"] == "/auth/login?provider=signed-token"


def test_logout_also_clears_the_sso_identity(web_app):
    """/auth/logout deletes Streamlit's identity cookies (and chunks) besides ours."""
    cookies = {"_streamlit_user": "a", "_streamlit_user_1": "b", "other": "c"}
    status, headers, _ = _call(
        web_app,
        "/auth/logout",
        cookies="; ".join(f"{k}={v}" for k, v in cookies.items()),
        method="POST",
        body=f"token={web.logout_token(cookies)}",
    )
    cleared = {v.split("=", 1)[0] for k, v in headers if k == "set-cookie" and "Max-Age=0" in v}
    assert status == 303
    assert cleared == {web.COOKIE, "_streamlit_user", "_streamlit_user_1"}


def test_login_page_links_to_sso_only_when_configured():
    """The HTML login page carries the SSO link only when asked to."""
    assert 'data-testid="sso-login"' not in web.login_page("/")
    page = web.login_page("/", sso_link=True)
    assert f'href="{sso.START_PATH}"' in page and "Log in with the clinic&#x27;s account" in page
