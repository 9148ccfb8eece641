"""The closed doors: Streamlit's protocol, downloads, links, the CSP and logout, as an outsider
(a script speaking Streamlit's websocket protocol, a page on another site) and as each role."""

from __future__ import annotations

import csv
import http.server
import io
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import quote, urlsplit

import pytest
from e2e_support import PAGE_TITLES, PASSWORD, USERS, login, settle, wait_for_charts
from protocol import request, session_cookie, stream
from websockets.exceptions import InvalidStatus

from clinic import web
from clinic.auth import PAGES_BY_ROLE


def _put_file(url: str, session_id: str, file_id: str, cookies: str, size: int) -> int:
    """PUT a file of `size` bytes into a Streamlit session's upload memory; the status."""
    token = re.search(r"_streamlit_xsrf=([^;]+)", cookies).group(1)
    head = (
        b'--b\r\nContent-Disposition: form-data; name="file"; filename="x.csv"\r\n'
        b"Content-Type: text/csv\r\n\r\n"
    )
    body = head + b"x" * size + b"\r\n--b--\r\n"
    status, _, _ = request(
        url,
        "PUT",
        f"/_stcore/upload_file/{session_id}/{file_id}",
        {
            "Cookie": cookies,
            "X-Xsrftoken": token,
            "Content-Type": "multipart/form-data; boundary=b",
        },
        body,
    )
    return status


def test_websocket_without_a_session_is_refused(app) -> None:
    """An unauthenticated websocket gets 403 at the handshake: no script run, no uploads."""
    with pytest.raises(InvalidStatus) as refused, stream(app.url):
        pass
    assert refused.value.response.status_code == 403
    for cookie in (f"{web.COOKIE}=made-up", "_streamlit_user=forged"):
        with pytest.raises(InvalidStatus), stream(app.url, cookie):
            pass
    # The same client with a live session is a Streamlit session: the refusal is the gate's.
    staff = session_cookie(app.url, USERS["staff"], PASSWORD)
    with stream(app.url, staff) as (_ws, session_id, _cookies):
        assert session_id
    # A session that has ended opens no websocket either.
    token = web.logout_token({web.COOKIE: staff.split("=", 1)[1]})
    status, _, _ = request(
        app.url,
        "POST",
        "/auth/logout",
        {"Cookie": staff, "Origin": app.url, "Content-Type": "application/x-www-form-urlencoded"},
        f"token={token}".encode(),
    )
    assert status == 303
    with pytest.raises(InvalidStatus), stream(app.url, staff):
        pass


def test_uploads_go_only_into_the_own_session_and_are_bounded(app) -> None:
    """A staff session uploads into its own Streamlit session, at most 4 files at a time; an
    auditor's session cannot upload into it, and no cookie uploads nothing."""
    staff = session_cookie(app.url, USERS["staff"], PASSWORD)
    auditor = session_cookie(app.url, USERS["auditor"], PASSWORD)
    with stream(app.url, staff) as (_ws, session_id, cookies):
        statuses = [_put_file(app.url, session_id, f"f{i}", cookies, 1000) for i in range(6)]
        assert statuses == [204, 204, 204, 204, 413, 413]
        xsrf = cookies.split(";")[0]
        assert _put_file(app.url, session_id, "g", f"{xsrf}; {auditor}", 10) == 403
        assert _put_file(app.url, session_id, "h", xsrf, 10) == 401


# -- downloads ---------------------------------------------------------------------------------
def _records_download(page) -> str:
    """As the logged-in auditor: the URL of the records page's download link."""
    page.goto("/records")
    settle(page)
    link = page.get_by_test_id("clinic-download")
    link.wait_for()
    return link.get_attribute("href")


def test_a_download_needs_the_session_that_made_it(browser, app) -> None:
    """A download link works for its own session only, while that session lasts."""
    auditor = browser.new_context(base_url=app.url, accept_downloads=True)
    stranger = browser.new_context(base_url=app.url)
    other = browser.new_context(base_url=app.url)
    try:
        page = auditor.new_page()
        login(page, USERS["auditor"], next="/records")
        href = _records_download(page)
        assert href.startswith(web.DOWNLOAD_PREFIX)
        # Without the session: the login page, then a sentence, never the file.
        response = stranger.new_page().goto(href)
        assert urlsplit(response.url).path == "/auth/login"
        assert stranger.request.get(href, max_redirects=0).status == 401
        # Another logged-in user, the admin even, cannot fetch it.
        admin = other.new_page()
        login(admin, USERS["admin"])
        refused = other.request.get(href)
        assert refused.status == 404 and "This download has ended" in refused.text()
        # Its own session gets it.
        with page.expect_download() as got:
            page.get_by_test_id("clinic-download").click()
        raw = got.value.path().read_bytes()
        assert got.value.suggested_filename == "complication-records.csv"
        assert raw.startswith(b"\xef\xbb\xbfreport_id,")
        # After logout the link is dead, even with the old cookie replayed.
        old = auditor.cookies()
        page.get_by_role("button", name="Log out").click()
        page.get_by_label("Username").wait_for()
        replay = browser.new_context(base_url=app.url)
        replay.add_cookies(old)
        assert replay.request.get(href, max_redirects=0).status in (401, 404)
        replay.close()
    finally:
        for ctx in (auditor, stranger, other):
            ctx.close()


def test_every_download_is_audited(browser, app) -> None:
    """The records export and a table download appear in the audit trail with rows and hash."""
    ctx = browser.new_context(base_url=app.url, accept_downloads=True)
    try:
        page = ctx.new_page()
        login(page, USERS["admin"], next="/records")
        with page.expect_download():
            page.get_by_test_id("clinic-download").click()
        page.goto("/audit")
        settle(page)
        with page.expect_download() as trail:
            page.get_by_test_id("clinic-download").click()
        rows = list(csv.DictReader(io.StringIO(trail.value.path().read_text("utf-8-sig"))))
        exports = [r for r in rows if r["action"] == "export_complication_records"]
        assert exports and exports[0]["username"] == USERS["admin"]
        assert '"sha256"' in exports[0]["details"] and '"rows"' in exports[0]["details"]
    finally:
        ctx.close()


def test_tables_offer_no_csv_download_of_their_own(page) -> None:
    """The tables' toolbar has no "Download as CSV": data leaves only by the audited links."""
    login(page, USERS["auditor"], next="/records")
    settle(page)
    grid = page.get_by_test_id("stDataFrame").first
    grid.hover()
    toolbar = grid.get_by_test_id("stElementToolbar")
    toolbar.wait_for()
    toolbar.get_by_role("button").first.wait_for()
    labels = [
        b.get_attribute("aria-label") or b.inner_text() for b in toolbar.get_by_role("button").all()
    ]
    assert labels and not [t for t in labels if "download" in t.lower() or "csv" in t.lower()], (
        labels
    )
    assert page.get_by_test_id("stDownloadButton").count() == 0


# -- links and markup --------------------------------------------------------------------------
@contextmanager
def _site(page_html: str = "") -> Iterator[tuple[str, list[str]]]:
    """An HTTP server on another port of 127.0.0.1 (another origin): its URL and the paths hit."""
    hits: list[str] = []

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 - the standard library's name
            hits.append(self.path)
            body = page_html.encode()
            self.send_response(200)
            self.send_header("Content-Type", "text/html" if body else "image/png")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *_args: Any) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}", hits
    finally:
        server.shutdown()
        server.server_close()


def test_a_link_carrying_markdown_stays_text(page) -> None:
    """The issue's link survives the login as a refused filter: no live link, no image fetched."""
    with _site() as (tracker, hits):
        payload = (
            "[Session expired - log in again](https://evil.example/login) "
            f"![t]({tracker}/track.png)"
        )
        login(page, USERS["manager"], next=f"/overview?site={quote(payload)}")
        settle(page)
        page.get_by_role("heading", name="Overview").wait_for()
        page.wait_for_timeout(1500)  # an image would have been fetched by now
        assert page.locator("a[href*='evil.example']").count() == 0
        assert page.locator(f"img[src^='{tracker}']").count() == 0
        assert hits == []
        page.get_by_text("The link named a site this store does not have").wait_for()
        assert "site=" not in page.url


def test_no_page_breaks_the_content_security_policy(page) -> None:
    """The login and logout pages and every page of the admin draw under the CSP without a
    single violation."""
    page.add_init_script(
        "window.__csp = []; document.addEventListener('securitypolicyviolation',"
        " e => window.__csp.push(e.violatedDirective + ' ' + e.blockedURI));"
    )
    page.goto("/auth/login")
    page.get_by_label("Username").wait_for()
    assert page.evaluate("window.__csp") == []
    login(page, USERS["admin"])
    settle(page)
    for key, title in PAGE_TITLES.items():
        assert key in PAGES_BY_ROLE["admin"]
        page.goto(f"/{key}")
        settle(page)
        wait_for_charts(page)
        assert page.get_by_test_id("stException").count() == 0, title
        assert page.evaluate("window.__csp") == [], title
    page.goto("/auth/logout")
    page.get_by_role("button", name="Log out").wait_for()
    assert page.evaluate("window.__csp") == []


def test_a_page_on_another_site_cannot_log_anyone_out(page, context, app) -> None:
    """A link to /auth/logout or a form posting there from another site ends no session."""
    login(page, USERS["manager"])
    settle(page)
    evil = (
        f'<a id="get" href="{app.url}/auth/logout">logout</a>'
        f'<form id="post" method="post" action="{app.url}/auth/logout">'
        '<input name="token" value=""><button>go</button></form>'
    )
    with _site(evil) as (site, _hits):
        attacker = context.new_page()
        attacker.goto(site)
        with attacker.expect_navigation():
            attacker.locator("#get").click()
        attacker.goto(site)
        with attacker.expect_navigation():
            attacker.locator("#post button").click()
        assert "another site" in attacker.content()
    assert context.request.get("/auth/whoami").status == 200
    page.reload()
    settle(page)
    page.get_by_test_id("stSidebarNav").wait_for()
