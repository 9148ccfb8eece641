"""Helpers of the browser tests: accounts, constants and page actions (imported by the tests)."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path
from typing import Any
from urllib.parse import quote

from clinic.auth import PAGES_BY_ROLE

ROOT = Path(__file__).resolve().parents[2]

AS_OF = date(2026, 11, 25)
PASSWORD = "e2e-correct-horse-42"
USERS = {role: f"{role}1" for role in ("admin", "manager", "staff", "auditor")}
LOCKOUT_USER = "lockme"  # only the lockout test fails logins, so the others never get locked
TYPO_USER = "typo1"  # only the wrong-password test mistypes this account's password
LOCKOUT_ATTEMPTS = 3
VIEWPORT = {"width": 1400, "height": 900}
SCREENSHOTS = ROOT / "docs" / "screenshots"
FILES = Path(__file__).resolve().parent / "files"
# Side-effect notes a spreadsheet or a browser would execute if they were not escaped.
HOSTILE_NOTES = (
    '=HYPERLINK("http://x","see")',
    "+44 call back",
    "@SUM(A1)",
    "-2+3",
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
)
# Navigation link texts, in menu order, of every page (clinic.ui.PAGES).
PAGE_TITLES = {
    "overview": "Overview",
    "revenue": "Revenue",
    "follow-ups": "Follow-ups",
    "attendance": "Attendance & retention",
    "complications": "Complications",
    "records": "Complication records",
    "upload": "Upload",
    "prices": "Prices",
    "audit": "Audit trail",
    "accounts": "Accounts",
}
# Managers and staff see only imports on the audit page: its name to them, menu and title alike.
IMPORTS_ONLY_ROLES = ("manager", "staff")


def menu_titles(role: str) -> list[str]:
    """The navigation link texts a role should see, in menu order."""
    return [
        "Imports" if key == "audit" and role in IMPORTS_ONLY_ROLES else title
        for key, title in PAGE_TITLES.items()
        if key in PAGES_BY_ROLE[role]
    ]


def wait_for_app(page: object, timeout: float = 30_000) -> None:
    """Wait until the script run has finished and the app is connected."""
    page.wait_for_selector(
        "[data-testid='stApp'][data-test-script-state='notRunning']"
        "[data-test-connection-state='CONNECTED']",
        timeout=timeout,
    )


def login(page: Any, user: str, password: str = PASSWORD, next: str | None = None) -> None:
    """Fill the login form (for `next`, or the home page) and submit it."""
    url = "/auth/login" + (f"?next={quote(next, safe='')}" if next else "")
    page.goto(url)
    page.get_by_label("Username").fill(user)
    page.get_by_label("Password").fill(password)
    with page.expect_navigation():
        page.get_by_role("button", name="Log in").click()


def open_page(page: Any, path: str) -> None:
    """Navigate to a page of the app and wait until its script run has drawn and finished."""
    page.goto(path)
    settle(page)


def settle(page: Any, timeout: float = 30_000) -> None:
    """Wait for the page's first element (its title or a message), then for the run to end.

    Right after a navigation the app reports "notRunning" before its first run starts, so the
    script state alone would let a test look at an empty page.
    """
    wait_for_app(page, timeout)
    page.locator(
        "[data-testid='stMain'] :is(h1, [data-testid='stAlert'], [data-testid='stException'])"
    ).first.wait_for(timeout=timeout)
    wait_for_app(page, timeout)


def wait_for_charts(page: Any, at_least: int = 0, timeout: float = 30_000) -> int:
    """Wait for at least `at_least` Plotly charts, each with its SVG drawn; the chart count."""
    charts = page.locator("[data-testid='stPlotlyChart']")
    if at_least:
        charts.nth(at_least - 1).wait_for(timeout=timeout)
    count = charts.count()
    for i in range(count):
        charts.nth(i).locator(".js-plotly-plot .main-svg").first.wait_for(timeout=timeout)
    return count


def wait_for_tables(page: Any, timeout: float = 30_000) -> None:
    """Wait until every st.dataframe on the page has drawn its canvas."""
    grids = page.locator("[data-testid='stDataFrameResizable']")
    for i in range(grids.count()):
        grid = grids.nth(i)
        # Grids in a closed tab or expander draw nothing until they are shown.
        if grid.is_visible():
            grid.locator("canvas").first.wait_for(state="attached", timeout=timeout)


def nav_links(page: Any) -> list[str]:
    """The link texts of the sidebar navigation."""
    nav = page.get_by_test_id("stSidebarNav")
    nav.wait_for()
    # A link's text starts with its Material icon's ligature name ("dashboard\n\nOverview").
    return [text.strip().splitlines()[-1] for text in nav.get_by_role("link").all_inner_texts()]


def screenshot(page: Any, name: str, max_height: int = 4000) -> Path:
    """A PNG of the whole page in docs/screenshots/<name>.png.

    Streamlit scrolls inside its main block, not the document, so a "full page" shot would
    stop at the window: grow the window to the content's height for the shot instead.
    """
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    size = page.viewport_size or VIEWPORT
    height = page.evaluate(
        "() => Math.max(...[...document.querySelectorAll("
        "'[data-testid=stMain], [data-testid=stSidebarContent]')].map(e => e.scrollHeight), 0)"
    )
    page.set_viewport_size(
        {"width": size["width"], "height": min(max(height, size["height"]), max_height)}
    )
    page.wait_for_timeout(500)  # charts and grids redraw for the new size
    page.screenshot(path=str(path), full_page=True)
    page.set_viewport_size(size)
    return path


def e2e_conftest(request: Any) -> Any:
    """The tests/e2e/conftest.py module (for Server and free_port), found among the plugins."""
    wanted = Path(__file__).with_name("conftest.py").resolve()
    for plugin in request.config.pluginmanager.get_plugins():
        if Path(getattr(plugin, "__file__", "") or "").resolve() == wanted:
            return plugin
    raise RuntimeError("tests/e2e/conftest.py is not loaded")


def upload(page: Any, path: Path, kind: str = "Appointments") -> None:
    """On the Upload page: choose the kind, attach the file, wait for a clean preview, Import."""
    page.goto("/upload")
    settle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="What does the file hold?").click()
    page.get_by_role("option", name=kind, exact=True).click()
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    page.get_by_text(re.compile(r"No problems found in [\d,]+ rows?")).wait_for(timeout=120_000)
    settle(page)
    page.get_by_role("button", name="Import", exact=True).click()
