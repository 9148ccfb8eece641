"""A multi-service clinic's booking-system export through the Upload page in Chromium."""

from __future__ import annotations

import re

from e2e_support import ROOT, USERS, login, settle

MULTI = ROOT / "data" / "samples" / "vendors" / "zenoti_multi_service.csv"
SKIP = "not ours: leave these rows out"


def _attach(page) -> None:
    """Open Upload, choose appointments, attach the Zenoti export and wait for its preview."""
    page.goto("/upload")
    settle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="What does the file hold?").click()
    page.get_by_role("option", name="Appointments", exact=True).click()
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(MULTI))
    page.get_by_text("Looks like a Zenoti Appointments report").wait_for(timeout=120_000)
    settle(page)


def test_map_three_values_import_and_reupload_with_no_questions(page) -> None:
    """Three foreign services mapped as not ours; 4 rows left out; a re-upload asks nothing."""
    login(page, USERS["manager"], next="/upload")
    _attach(page)
    choices = page.get_by_test_id("stSelectbox").filter(
        has_text=re.compile(r"” \(\d+ rows?\) means")
    )
    assert choices.count() == 3
    assert page.get_by_role("button", name="Import", exact=True).is_disabled()
    for n in range(3):
        choices.nth(n).click()
        page.keyboard.type("not ours")  # the list is long (the price list): filter it
        page.get_by_role("option", name=SKIP, exact=True).click()
        settle(page)
    page.get_by_role("button", name="Save these choices").click()
    page.get_by_text(re.compile(r"No problems found in 3 rows")).wait_for(timeout=60_000)
    settle(page)
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported: 3 new, 0 updated, 0 unchanged.").wait_for(timeout=60_000)
    page.get_by_text("4 rows left out: mapped as not ours.").wait_for()
    page.reload()
    _attach(page)
    page.get_by_text(re.compile(r"No problems found in 3 rows")).wait_for(timeout=60_000)
    assert page.get_by_role("button", name="Save these choices").count() == 0
    page.get_by_role("button", name="Import", exact=True).click()
    page.get_by_text("Imported: 0 new, 0 updated, 3 unchanged.").wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0
