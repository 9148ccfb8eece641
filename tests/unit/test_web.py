"""Web login plumbing on a real `streamlit run` server: cookie flags, headers, gate, logout."""

from __future__ import annotations

import http.client
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlencode

import pytest

from clinic import auth, web
from clinic.config import ROOT
from clinic.store import Store

PW = "correct horse battery"
FIXTURE_APP = Path(__file__).with_name("webapp_fixture.py")


@pytest.mark.parametrize(
    ("target", "expected"),
    [
        ("/records?from=2025-01-01&effect=DVT", "/records?from=2025-01-01&effect=DVT"),
        ("/", "/"),
        (None, "/"),
        ("", "/"),
        ("//evil.example/x", "/"),
        ("/\\evil.example", "/"),
        ("https://evil.example/", "/"),
        ("records", "/"),
        ("/auth/logout", "/"),
        ("/a\r\nSet-Cookie: x=1", "/"),
    ],
)
def test_safe_next(target, expected):
    """Only same-site relative paths survive as a post-login destination."""
    assert web.safe_next(target) == expected


def test_login_url_keeps_the_query_string():
    """The login link carries the whole deep link, encoded."""
    assert web.login_url("/records?a=1&b=2") == "/auth/login?next=%2Frecords%3Fa%3D1%26b%3D2"
    assert web.login_url("/") == "/auth/login"


def test_login_page_escapes_what_it_shows():
    """User-supplied text is escaped in the login page."""
    page = web.login_page('/x?"><script>', "<b>no</b>", '"><script>alert(1)</script>')
    assert "<script>" not in page
    assert 'for="username">Username<' in page and 'for="password">Password<' in page
    assert ">Log in</button>" in page


def test_user_from_cookies_stops_for_a_disabled_account(store):
    """The cookie of a user who is then disabled no longer maps to anyone."""
    auth.add_user(store, "ann", "staff", PW)
    token = auth.create_session(store, "ann")
    assert web.user_from_cookies(store, {web.COOKIE: token}) == auth.User("ann", "staff")
    auth.disable_user(store, "ann")
    assert web.user_from_cookies(store, {web.COOKIE: token}) is None
    assert web.user_from_cookies(store, {}) is None


# -- a real server -----------------------------------------------------------------------------
def _free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def server(tmp_path_factory) -> Iterator[tuple[int, Path]]:
    """`streamlit run` of the fixture app over a store with ann (admin); yields (port, db)."""
    folder = tmp_path_factory.mktemp("web")
    db = folder / "web.duckdb"
    env = dict(os.environ, CLINIC_DB=str(db), CLINIC_KEY_FILE=str(folder / "web.key"))
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    setup = Store(db)
    auth.add_user(setup, "ann", "admin", PW)
    setup.close()
    port = _free_port()
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "streamlit",
            "run",
            str(FIXTURE_APP),
            "--server.port",
            str(port),
            "--server.address",
            "127.0.0.1",
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _get(port, "/_stcore/health")[0] == 200:
                    break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"streamlit did not start: {proc.stderr.read().decode()[-2000:]}")
            time.sleep(0.3)
        yield port, db
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def _request(
    port: int, method: str, path: str, headers: dict | None = None, body: str | None = None
) -> tuple[int, http.client.HTTPMessage, str]:
    """One HTTP request without following redirects: (status, headers, body)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        conn.request(method, path, body=body, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.msg, resp.read().decode("utf-8", "replace")
    finally:
        conn.close()


def _get(port: int, path: str, **headers: str) -> tuple[int, http.client.HTTPMessage, str]:
    """GET a path with extra headers."""
    return _request(port, "GET", path, {k.replace("_", "-"): v for k, v in headers.items()})


def _login(port: int, username: str, password: str, next_path: str = "/", **headers: str):
    """POST the login form."""
    form = urlencode({"username": username, "password": password, "next": next_path})
    return _request(
        port,
        "POST",
        "/auth/login",
        {"Content-Type": "application/x-www-form-urlencoded", **headers},
        form,
    )


def _token(response_headers: http.client.HTTPMessage) -> str:
    """The clinic_session value of a Set-Cookie header."""
    for cookie in response_headers.get_all("Set-Cookie") or []:
        name, _, rest = cookie.partition("=")
        if name == web.COOKIE:
            return rest.split(";")[0]
    raise AssertionError("no session cookie set")


def _assert_security_headers(headers: http.client.HTTPMessage) -> None:
    """The four security headers are present with safe values."""
    assert headers["Content-Security-Policy"] == "frame-ancestors 'none'"
    assert headers["X-Frame-Options"] == "DENY"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("same-origin", "strict-origin-when-cross-origin")


@pytest.mark.slow
def test_headers_on_every_response(server):
    """The security headers come with Streamlit's pages, its health check and our routes."""
    port, _ = server
    for path in ("/", "/_stcore/health", "/auth/login", "/auth/whoami"):
        _assert_security_headers(_get(port, path)[1])
    _assert_security_headers(_login(port, "ann", "wrong password")[1])


@pytest.mark.slow
def test_deep_link_goes_through_login_and_back(server):
    """An anonymous deep link is sent to the login form and returned to after login."""
    port, _ = server
    status, headers, _ = _get(port, "/records?from=2025-01-01&x=1", Accept="text/html")
    assert status == 303
    assert headers["Location"] == "/auth/login?next=%2Frecords%3Ffrom%3D2025-01-01%26x%3D1"
    status, _, page = _get(port, headers["Location"])
    assert status == 200 and "Username" in page and "Password" in page and "Log in" in page
    assert 'value="/records?from=2025-01-01&amp;x=1"' in page
    status, headers, _ = _login(port, "ann", PW, "/records?from=2025-01-01&x=1")
    assert status == 303 and headers["Location"] == "/records?from=2025-01-01&x=1"
    token = _token(headers)
    status, _, page = _get(
        port, "/records?from=2025-01-01&x=1", Accept="text/html", Cookie=f"{web.COOKIE}={token}"
    )
    assert status == 200 and "<html" in page.lower()


@pytest.mark.slow
def test_session_cookie_flags(server):
    """The session cookie is HttpOnly, SameSite=Strict, Path=/ and not Secure on plain http."""
    port, _ = server
    _, headers, _ = _login(port, "ann", PW)
    [cookie] = [c for c in headers.get_all("Set-Cookie") if c.startswith(web.COOKIE + "=")]
    flags = {part.strip().lower() for part in cookie.split(";")[1:]}
    assert {"httponly", "samesite=strict", "path=/"} <= flags
    assert "secure" not in flags


@pytest.mark.slow
def test_wrong_password_is_refused(server):
    """A wrong password sets no cookie and shows the form again with a sentence."""
    port, _ = server
    status, headers, page = _login(port, "ann", "not the password", "/revenue")
    assert status == 401
    assert not [c for c in headers.get_all("Set-Cookie") or [] if c.startswith(web.COOKIE)]
    assert "not right" in page and 'value="/revenue"' in page


@pytest.mark.slow
def test_open_redirect_and_cross_site_post_are_refused(server):
    """A foreign next goes to /, and a login posted from another site is refused."""
    port, _ = server
    status, headers, _ = _login(port, "ann", PW, "//evil.example/")
    assert status == 303 and headers["Location"] == "/"
    status, headers, _ = _login(port, "ann", PW, "/", Origin="https://evil.example")
    assert status == 403 and not headers.get_all("Set-Cookie")
    status, _, _ = _login(port, "ann", PW, "/", Origin=f"http://127.0.0.1:{port}")
    assert status == 303


@pytest.mark.slow
def test_logout_revokes_the_session(server):
    """After logout the cookie is cleared and the old token maps to nobody."""
    port, _ = server
    token = _token(_login(port, "ann", PW)[1])
    cookie = f"{web.COOKIE}={token}"
    status, _, body = _get(port, "/auth/whoami", Cookie=cookie)
    assert status == 200 and '"ann"' in body
    status, headers, _ = _get(port, "/auth/logout", Cookie=cookie)
    assert status == 303 and headers["Location"] == "/"
    cleared = [c for c in headers.get_all("Set-Cookie") if c.startswith(web.COOKIE + "=")]
    assert cleared and ("max-age=0" in cleared[0].lower() or "expires" in cleared[0].lower())
    assert _get(port, "/auth/whoami", Cookie=cookie)[0] == 401
    assert _get(port, "/", Accept="text/html", Cookie=cookie)[0] == 303


def test_link_helpers_stay_in_the_same_tab():
    """The login and logout links for pages open in the same tab and escape the target."""
    assert web.logout_link_html() == '<a href="/auth/logout" target="_self">Log out</a>'
    link = web.login_link_html('/records?a=1&b="2"')
    assert 'target="_self"' in link and '"2"' not in link
    assert link.startswith('<a href="/auth/login?next=%2Frecords%3Fa%3D1%26b%3D%222%22"')
