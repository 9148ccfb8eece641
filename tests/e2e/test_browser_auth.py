"""Login, roles, deep links, lockout, logout and the headers of the web login."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest
from e2e_support import (
    LOCKOUT_ATTEMPTS,
    LOCKOUT_USER,
    PASSWORD,
    TYPO_USER,
    USERS,
    login,
    menu_titles,
    nav_links,
    settle,
)

from clinic.auth import REFUSED

ACCESS_MESSAGE = "You do not have access to this page."
LOGIN_PROMPT = "Please log in to continue"
SECURITY_HEADERS = {
    "content-security-policy": "frame-ancestors 'none'",  # and more (test_browser_gate.py)
    "x-frame-options": "DENY",
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
}


def _session_cookies(context) -> list[dict]:
    """The clinic_session cookies the browser holds."""
    return [c for c in context.cookies() if c["name"] == "clinic_session"]


def test_wrong_password_is_refused(page, context) -> None:
    """A wrong password keeps the form up with a message and sets no session cookie."""
    login(page, TYPO_USER, "not-the-password-1", next="/follow-ups")
    assert urlsplit(page.url).path == "/auth/login"
    assert page.get_by_role("alert").inner_text() == REFUSED
    assert page.get_by_label("Username").input_value() == TYPO_USER
    assert _session_cookies(context) == []


@pytest.mark.parametrize("role", sorted(USERS))
def test_each_role_sees_exactly_its_pages(page, role: str) -> None:
    """The sidebar navigation lists exactly the role's pages of the role matrix, in order."""
    login(page, USERS[role])
    settle(page)
    assert nav_links(page) == menu_titles(role)
    assert page.get_by_text(f"Logged in as {USERS[role]} ({role})").is_visible()


def test_staff_opening_revenue_by_url_see_no_revenue(page) -> None:
    """Staff who type /revenue are refused it: no revenue page, no money, no chart."""
    login(page, USERS["staff"], next="/revenue")
    settle(page)
    # Pages outside the role are registered but hidden, so the page's own check answers.
    page.get_by_text(ACCESS_MESSAGE).wait_for()
    main = page.get_by_test_id("stMain")
    assert main.get_by_role("heading", name="Revenue", exact=True).count() == 0
    assert "£" not in main.inner_text()
    assert page.get_by_test_id("stPlotlyChart").count() == 0
    assert page.get_by_test_id("stMetric").count() == 0
    assert "Revenue" not in nav_links(page)


def test_deep_link_survives_login(page) -> None:
    """A link to /complications?preset=last_month opened logged out lands there after login."""
    page.goto("/complications?preset=last_month")
    assert urlsplit(page.url).path == "/auth/login"
    assert parse_qs(urlsplit(page.url).query)["next"] == ["/complications?preset=last_month"]
    page.get_by_label("Username").fill(USERS["manager"])
    page.get_by_label("Password").fill(PASSWORD)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()
    settle(page)
    parts = urlsplit(page.url)
    assert parts.path == "/complications"
    assert parse_qs(parts.query).get("preset") == ["last_month"]
    page.get_by_role("heading", name="Complications").wait_for()
    # CLINIC_AS_OF is 25/11/2026, so last month is October 2026.
    page.get_by_text("01/10/2026 to 31/10/2026").first.wait_for()
    dates = page.get_by_test_id("stSidebar").get_by_test_id("stSelectbox").first
    shown = dates.evaluate(
        "e => e.innerText + ' ' + [...e.querySelectorAll('input')].map(i => i.value).join(' ')"
    )
    assert "Last month" in shown


def test_reload_keeps_the_session(page) -> None:
    """Reloading a page keeps the user logged in."""
    login(page, USERS["manager"], next="/revenue")
    settle(page)
    page.reload()
    settle(page)
    assert urlsplit(page.url).path == "/revenue"
    page.get_by_role("heading", name="Revenue", exact=True).wait_for()
    assert page.get_by_text(LOGIN_PROMPT).count() == 0


def test_lockout_after_repeated_failures(page, context) -> None:
    """After the configured failures the right password is refused, with the sentence a name
    that does not exist gets (the lockout gives no account away)."""
    for _ in range(LOCKOUT_ATTEMPTS):
        login(page, LOCKOUT_USER, "wrong-password-123")
    login(page, LOCKOUT_USER, PASSWORD)
    assert urlsplit(page.url).path == "/auth/login"
    assert page.get_by_role("alert").inner_text() == REFUSED
    assert _session_cookies(context) == []


def test_logout_ends_access_in_every_tab(page, context) -> None:
    """Logging out in one tab ends access in another tab of the same browser at once."""
    login(page, USERS["manager"], next="/revenue")
    settle(page)
    other = context.new_page()
    other.goto("/complications")
    settle(other)
    other.get_by_test_id("stPlotlyChart").first.wait_for()
    page.get_by_role("button", name="Log out").click()
    page.get_by_label("Username").wait_for()  # back at the login form
    assert urlsplit(page.url).path == "/auth/login"
    assert _session_cookies(context) == []
    # The other tab's next interaction (here: a page switch) runs without a live session.
    other.get_by_test_id("stSidebarNav").get_by_role("link", name="Revenue").click()
    other.get_by_text(LOGIN_PROMPT).wait_for()
    settle(other)
    assert other.get_by_test_id("stPlotlyChart").count() == 0
    assert "£" not in other.get_by_test_id("stMain").inner_text()
    # And a fresh navigation is sent to the login form.
    other.goto("/revenue")
    assert urlsplit(other.url).path == "/auth/login"


def test_session_cookie_is_httponly_and_strict(page, context) -> None:
    """The session cookie cannot be read by scripts and is not sent cross-site."""
    login(page, USERS["auditor"])
    settle(page)
    [cookie] = _session_cookies(context)
    assert cookie["httpOnly"] is True
    assert cookie["sameSite"] == "Strict"
    assert cookie["path"] == "/"
    assert "clinic_session" not in page.evaluate("document.cookie")


@pytest.mark.parametrize("path", ["/auth/login", "/", "/revenue"])
def test_security_headers(page, path: str) -> None:
    """The login form and the app's pages carry the security headers."""
    login(page, USERS["manager"])
    settle(page)
    response = page.goto(path)
    assert response is not None and response.ok
    headers = response.all_headers()
    for name, value in SECURITY_HEADERS.items():
        assert name in headers, f"{name} missing on {path}"
        assert value in headers[name]
