"""Every page a manager (and an admin) can open draws its charts; screenshots for the README."""

from __future__ import annotations

import pytest
from e2e_support import (
    USERS,
    login,
    nav_links,
    open_page,
    screenshot,
    settle,
    wait_for_charts,
    wait_for_tables,
)

# The fewest charts each page draws on the demo store (pages without charts are absent).
MIN_CHARTS = {"revenue": 4, "follow-ups": 1, "attendance": 7, "complications": 6}
MANAGER_PAGES = (
    "overview", "revenue", "follow-ups", "attendance", "complications", "upload", "prices", "audit",
)  # fmt: skip
ADMIN_PAGES = ("records", "accounts", "audit")


def _check_and_shoot(page, path: str, name: str) -> int:
    """Open a page, assert it drew without errors, save its screenshot; the chart count."""
    open_page(page, f"/{path}")
    assert page.get_by_text("Page not found").count() == 0, f"{path}: no such page"
    charts = wait_for_charts(page, MIN_CHARTS.get(path, 0))
    wait_for_tables(page)
    assert page.get_by_test_id("stException").count() == 0, f"{path}: exception shown"
    assert page.get_by_text("could not be computed").count() == 0, f"{path}: figures failed"
    assert page.get_by_text("You do not have access").count() == 0, f"{path}: refused"
    page.wait_for_timeout(400)  # let canvas grids and chart transitions settle
    screenshot(page, name)
    return charts


def test_login_page_screenshot(page) -> None:
    """The login form shows the two labelled fields and the button; screenshot it."""
    page.goto("/auth/login")
    page.get_by_label("Username").wait_for()
    assert page.get_by_label("Password").is_visible()
    assert page.get_by_role("button", name="Log in").is_visible()
    screenshot(page, "login")


def test_manager_pages_draw_charts(page) -> None:
    """A manager opens each of their pages: every chart drawn, no error; screenshots taken."""
    login(page, USERS["manager"])
    settle(page)
    assert nav_links(page) == [
        "Overview", "Revenue", "Follow-ups", "Attendance & retention", "Complications", "Upload",
        "Prices", "Imports",
    ]  # fmt: skip
    counts = {name: _check_and_shoot(page, name, name) for name in MANAGER_PAGES}
    for name in ("revenue", "follow-ups", "attendance", "complications"):
        assert counts[name] >= 1, f"{name} drew no chart: {counts}"
    open_page(page, "/")
    # sessions, revenue, review, complications; no-show rate, new patients
    assert page.get_by_test_id("stMetric").count() == 6


@pytest.mark.parametrize("name", ADMIN_PAGES)
def test_admin_pages_screenshots(page, name: str) -> None:
    """An admin's Complication records, Accounts and Audit trail pages draw; screenshots taken."""
    login(page, USERS["admin"], next=f"/{name}")
    settle(page)
    _check_and_shoot(page, name, f"admin-{name}")
