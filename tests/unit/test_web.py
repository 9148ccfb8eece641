"""Web plumbing: cookie flags, headers, the access gate, logout, downloads, login abuse.

Most tests run against a real `streamlit run` server; the login limits and the downloads table
are also driven straight through the ASGI routes on a real store.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.client
import os
import re
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from urllib.parse import urlencode

import pytest
from starlette.applications import Starlette

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
    auth.add_user(setup, "sam", "staff", PW)
    setup.close()
    with _streamlit(env, "--server.address", "127.0.0.1") as port:
        yield port, db


@contextlib.contextmanager
def _streamlit(env: dict[str, str], *options: str) -> Iterator[int]:
    """`streamlit run` of the fixture app from the repository root; yields its port."""
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
            "--server.headless",
            "true",
            "--browser.gatherUsageStats",
            "false",
            *options,
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
        yield port
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
    policy = headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in policy and "object-src 'none'" not in policy.split(";")[0]
    assert re.search(r"(^|; )default-src '(none|self)'", policy), policy
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
def test_content_security_policy_beyond_frame_ancestors(server):
    """Our pages load nothing from anywhere; Streamlit's only this site's scripts and images."""
    port, _ = server
    ours = _get(port, "/auth/login")[1]["Content-Security-Policy"]
    assert ours.startswith("default-src 'none';") and "script-src" not in ours
    assert "form-action 'self'" in ours and "base-uri 'none'" in ours
    token = _token(_login(port, "ann", PW)[1])
    theirs = _get(port, "/", Accept="text/html", Cookie=f"{web.COOKIE}={token}")[1]
    policy = dict(
        part.strip().split(" ", 1) for part in theirs["Content-Security-Policy"].split(";")
    )
    assert policy["default-src"] == "'self'" and policy["object-src"] == "'none'"
    assert policy["img-src"] == "'self' data: blob:" and policy["connect-src"] == "'self'"
    assert (
        "'unsafe-inline'" not in policy["script-src"]
        and "'unsafe-eval'" not in policy["script-src"]
    )
    assert policy["form-action"] == "'self'" and policy["frame-ancestors"] == "'none'"


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


def _logout(port: int, cookie: str, token: str | None = None, **headers: str):
    """POST the logout form (with the session's own token unless one is given)."""
    if token is None:
        token = web.logout_token({web.COOKIE: cookie.split("=", 1)[1]})
    return _request(
        port,
        "POST",
        "/auth/logout",
        {"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie, **headers},
        urlencode({"token": token}),
    )


@pytest.mark.slow
def test_logout_revokes_the_session(server):
    """After logout the cookie is cleared and the old token maps to nobody."""
    port, _ = server
    token = _token(_login(port, "ann", PW)[1])
    cookie = f"{web.COOKIE}={token}"
    status, _, body = _get(port, "/auth/whoami", Cookie=cookie)
    assert status == 200 and '"ann"' in body
    status, headers, _ = _logout(port, cookie, Origin=f"http://127.0.0.1:{port}")
    assert status == 303 and headers["Location"] == "/auth/login"
    cleared = [c for c in headers.get_all("Set-Cookie") if c.startswith(web.COOKIE + "=")]
    assert cleared and ("max-age=0" in cleared[0].lower() or "expires" in cleared[0].lower())
    assert _get(port, "/auth/whoami", Cookie=cookie)[0] == 401
    assert _get(port, "/", Accept="text/html", Cookie=cookie)[0] == 303


@pytest.mark.slow
def test_a_cross_site_logout_leaves_the_session_whole(server):
    """GET /auth/logout, a POST from another site or without the token ends nothing."""
    port, _ = server
    token = _token(_login(port, "ann", PW)[1])
    cookie = f"{web.COOKIE}={token}"
    here = f"http://127.0.0.1:{port}"
    status, headers, page = _get(port, "/auth/logout", Cookie=cookie, Accept="text/html")
    assert status == 200 and 'data-testid="logout-form"' in page
    assert not headers.get_all("Set-Cookie")
    for response in (
        _logout(port, cookie, Origin="https://evil.example"),
        _logout(port, cookie, Referer="https://evil.example/page"),
        _logout(port, cookie),  # no Origin, no Referer: not a form of ours
        _logout(port, cookie, token="0" * 32, Origin=here),
        _logout(port, cookie, token="", Origin=here),
    ):
        assert response[0] == 403 and not response[1].get_all("Set-Cookie")
        assert _get(port, "/auth/whoami", Cookie=cookie)[0] == 200  # still logged in
    assert _logout(port, cookie, Referer=f"{here}/overview")[0] == 303
    assert _get(port, "/auth/whoami", Cookie=cookie)[0] == 401


@pytest.mark.slow
def test_nothing_of_streamlit_is_served_without_a_session(server):
    """Without a live session only the login page, the health check and static files answer."""
    port, _ = server
    boundary = "b"
    body = f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="a.csv"\r\n\r\n'
    body += f"x\r\n--{boundary}--\r\n"
    refused = [
        ("GET", "/_stcore/host-config"),
        ("GET", "/_stcore/metrics"),
        ("GET", "/media/0123456789abcdef.csv"),
        ("GET", "/component/some.component/index.html"),
        ("GET", "/_stcore/bidi-components/x/index.js"),
        ("PUT", "/_stcore/upload_file/some-session/some-file"),
        ("DELETE", "/_stcore/upload_file/some-session/some-file"),
        ("GET", "/_stcore/agent/openapi.json"),
        ("GET", "/"),
        ("GET", "/download/anything"),
        ("GET", "/static/../_stcore/host-config"),
    ]
    upload = {"Content-Type": f"multipart/form-data; boundary={boundary}"}
    revoked = _token(_login(port, "sam", PW)[1])
    for cookie in ("", f"{web.COOKIE}=made-up", f"{web.COOKIE}={revoked}"):
        if revoked in cookie:
            _logout(port, cookie, Origin=f"http://127.0.0.1:{port}")
        for method, path in refused:
            headers = {**upload, "Cookie": cookie} if cookie else dict(upload)
            status, _, _ = _request(port, method, path, headers, body if method == "PUT" else None)
            assert status in (401, 400), (cookie, method, path, status)
            assert status == 401 or path.startswith("/static/.."), (method, path, status)
    for path in ("/_stcore/health", "/auth/login", "/favicon.png"):
        assert _get(port, path)[0] == 200, path


@pytest.mark.slow
def test_metrics_are_for_administrators(server):
    """/_stcore/metrics answers an admin's session only."""
    port, _ = server
    staff = _token(_login(port, "sam", PW)[1])
    admin = _token(_login(port, "ann", PW)[1])
    assert _get(port, "/_stcore/metrics")[0] == 401
    assert _get(port, "/_stcore/metrics", Cookie=f"{web.COOKIE}={staff}")[0] == 403
    status, _, text = _get(port, "/_stcore/metrics", Cookie=f"{web.COOKIE}={admin}")
    assert status == 200 and "# EOF" in text


@pytest.mark.slow
def test_the_server_listens_on_loopback_unless_told_otherwise(tmp_path):
    """With the repository's settings and no --server.address, other interfaces get no answer."""
    env = dict(os.environ, CLINIC_DB=str(tmp_path / "l.duckdb"))
    env["CLINIC_KEY_FILE"] = str(tmp_path / "l.key")
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    # 127.0.0.2 reaches this machine too (all of 127/8 is loopback on Linux): a server bound to
    # every interface answers there, one bound to 127.0.0.1 does not.
    with _streamlit(env) as port, pytest.raises(OSError):
        socket.create_connection(("127.0.0.2", port), timeout=5).close()


def test_link_helpers_stay_in_the_same_tab():
    """The login link opens in the same tab; the logout form posts this session's token."""
    form = web.logout_form_html({web.COOKIE: "abc"})
    assert 'method="post" action="/auth/logout"' in form
    assert f'name="token" value="{web.logout_token({web.COOKIE: "abc"})}"' in form
    assert web.logout_token({web.COOKIE: "abc"}) != web.logout_token({web.COOKIE: "abd"})
    assert web.logout_token({}) == ""
    link = web.login_link_html('/records?a=1&b="2"')
    assert 'target="_self"' in link and '"2"' not in link
    assert link.startswith('<a href="/auth/login?next=%2Frecords%3Fa%3D1%26b%3D%222%22"')


# -- straight through the ASGI routes, on a real store ------------------------------------------
def _asgi(
    app: Starlette, method: str, path: str, *, cookie: str = "", body: str = "", client: str = ""
) -> tuple[int, dict[str, str], bytes]:
    """One request through an ASGI app from address `client`: (status, headers, body)."""
    headers = [(b"host", b"testserver"), (b"content-type", b"application/x-www-form-urlencoded")]
    if cookie:
        headers.append((b"cookie", cookie.encode()))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "root_path": "",
        "query_string": b"",
        "headers": headers,
        "client": (client or "127.0.0.1", 40000),
        "server": ("testserver", 80),
    }
    # A thread of its own: Playwright's sync API may hold an event loop on the main thread.
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, _call(app, scope, body.encode())).result()


async def _call(app: Starlette, scope: dict, body: bytes) -> tuple[int, dict[str, str], bytes]:
    """Run one ASGI request to completion and collect the response."""
    sent: list[dict] = []
    delivered = False

    async def receive() -> dict:
        nonlocal delivered
        if delivered:
            await asyncio.sleep(3600)
        delivered = True
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict) -> None:
        sent.append(message)

    await app(scope, receive, send)
    start = next(m for m in sent if m["type"] == "http.response.start")
    content = b"".join(m.get("body", b"") for m in sent if m["type"] == "http.response.body")
    headers = {k.decode().lower(): v.decode() for k, v in start["headers"]}
    return start["status"], headers, content


def _form(username: str, password: str) -> str:
    """A login form body."""
    return urlencode({"username": username, "password": password, "next": "/"})


@pytest.fixture
def login_app(store: Store, monkeypatch: pytest.MonkeyPatch) -> Starlette:
    """Our routes over a store with ann: 3 failures a minute per address, 2 checks at once."""
    monkeypatch.setenv("CLINIC_LOGIN_FAILURES", "3/minute")
    monkeypatch.setenv("CLINIC_LOGIN_CONCURRENCY", "2")
    auth.add_user(store, "ann", "admin", PW)
    return Starlette(routes=web.routes(lambda: store))


def test_failed_logins_are_limited_per_address(login_app):
    """After the allowed failures an address is refused (429) even with the right password,
    without a password check; other addresses and earlier successes are unaffected."""
    assert (
        _asgi(login_app, "POST", "/auth/login", body=_form("ann", PW), client="10.0.0.1")[0] == 303
    )
    for _ in range(3):
        status, _, page = _asgi(
            login_app, "POST", "/auth/login", body=_form("ann", "wrong password"), client="10.0.0.1"
        )
        assert status == 401
    status, headers, page = _asgi(
        login_app, "POST", "/auth/login", body=_form("ann", PW), client="10.0.0.1"
    )
    assert status == 429 and b"Too many failed logins from this address" in page
    assert 0 < int(headers["retry-after"]) <= 60
    other = _asgi(login_app, "POST", "/auth/login", body=_form("ann", PW), client="10.0.0.2")
    assert other[0] == 303


def test_a_burst_of_logins_runs_few_password_checks_at_once(login_app, monkeypatch):
    """30 wrong logins at once: at most 2 Argon2 checks run together, and once the address
    has used its failures the rest are refused without one."""
    running = peak = checks = 0
    real_verify = auth._verify

    def counted(stored: str | None, password: str) -> bool:
        nonlocal running, peak, checks
        running += 1
        checks += 1
        peak = max(peak, running)
        try:
            return real_verify(stored, password)
        finally:
            running -= 1

    monkeypatch.setattr(auth, "_verify", counted)  # a spy: the real check still runs

    async def burst() -> list[int]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/auth/login",
            "raw_path": b"/auth/login",
            "root_path": "",
            "query_string": b"",
            "client": ("10.0.0.9", 40000),
            "server": ("testserver", 80),
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/x-www-form-urlencoded"),
            ],
        }
        body = _form("ann", "wrong password").encode()
        done = await asyncio.gather(*(_call(login_app, dict(scope), body) for _ in range(30)))
        return [status for status, _h, _b in done]

    # A thread of its own: Playwright's sync API may hold an event loop on the main thread.
    with ThreadPoolExecutor(1) as pool:
        statuses = pool.submit(asyncio.run, burst()).result()
    assert peak <= 2
    assert statuses.count(401) <= 3 + 2 - 1  # the limit, plus checks already under way
    assert statuses.count(429) == 30 - statuses.count(401)
    assert checks == statuses.count(401)


def test_people_behind_one_address_log_in_at_the_same_moment(login_app):
    """Six right logins at once from one address (a clinic behind one NAT) all get in: they
    wait their turn rather than being refused."""

    async def together() -> list[int]:
        scope = {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": "/auth/login",
            "raw_path": b"/auth/login",
            "root_path": "",
            "query_string": b"",
            "client": ("10.0.0.7", 40000),
            "server": ("testserver", 80),
            "headers": [
                (b"host", b"testserver"),
                (b"content-type", b"application/x-www-form-urlencoded"),
            ],
        }
        body = _form("ann", PW).encode()
        done = await asyncio.gather(*(_call(login_app, dict(scope), body) for _ in range(6)))
        return [status for status, _h, _b in done]

    with ThreadPoolExecutor(1) as pool:
        assert pool.submit(asyncio.run, together()).result() == [303] * 6


def test_downloads_belong_to_the_session_that_was_offered_them():
    """An offer is claimed only by its own session, keeps its id per button, ends at logout."""
    table = web.Downloads(limit=3)
    url = table.offer("owner-a", "k1", "a.csv", lambda: b"a")
    found = url.removeprefix(web.DOWNLOAD_PREFIX)
    assert table.claim(found, "owner-a").file_name == "a.csv"
    assert table.claim(found, "owner-b") is None and table.claim(found, None) is None
    assert table.offer("owner-a", "k1", "a2.csv", lambda: b"a") == url  # a rerun: same link
    assert table.claim(found, "owner-a").file_name == "a2.csv"
    for key in ("k2", "k3", "k4"):
        table.offer("owner-b", key, f"{key}.csv", lambda: b"b")
    assert table.claim(found, "owner-a") is None  # the oldest went beyond the limit
    kept = table.offer("owner-b", "k4", "k4.csv", lambda: b"b").removeprefix(web.DOWNLOAD_PREFIX)
    assert table.end("owner-b") == 3 and table.claim(kept, "owner-b") is None


def test_download_route_serves_only_the_live_session_that_made_it(store: Store):
    """/download/<id> sends the file to its session, a sentence to anyone else or afterwards."""
    auth.add_user(store, "ann", "auditor", PW)
    auth.add_user(store, "bob", "auditor", PW)
    ann, bob = auth.create_session(store, "ann"), auth.create_session(store, "bob")
    app = Starlette(routes=web.routes(lambda: store))
    url = web.DOWNLOADS.offer(
        web.session_key({web.COOKIE: ann}), "k", "notes.csv", lambda: b"\xef\xbb\xbfa,b\r\n"
    )
    status, headers, content = _asgi(app, "GET", url, cookie=f"{web.COOKIE}={ann}")
    assert status == 200 and content == b"\xef\xbb\xbfa,b\r\n"
    assert headers["content-disposition"] == 'attachment; filename="notes.csv"'
    assert headers["cache-control"] == "no-store"
    for cookie in ("", f"{web.COOKIE}={bob}", f"{web.COOKIE}=made-up"):
        status, _, page = _asgi(app, "GET", url, cookie=cookie)
        assert status == 404 and b"This download has ended" in page, cookie
    auth.revoke_session(store, ann)
    assert _asgi(app, "GET", url, cookie=f"{web.COOKIE}={ann}")[0] == 404
