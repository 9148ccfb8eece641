"""Staff upload a booking-system export through the Upload page and see what it changed."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from e2e_support import FILES, ROOT, USERS, login, settle

# CI copies the shared folder beside the checkout (../shared), as it is on a developer machine.
SAMPLES = ROOT.parent / "shared" / "samples"


def _upload(page, path: Path) -> None:
    """On the Upload page: choose appointments, attach the file, press Import."""
    page.goto("/upload")
    settle(page)
    page.get_by_test_id("stSelectbox").filter(has_text="What does the file hold?").click()
    page.get_by_role("option", name="Appointments").click()
    settle(page)
    page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(path))
    page.get_by_text(re.compile(r"No problems found in [\d,]+ rows?")).wait_for()
    settle(page)
    page.get_by_role("button", name="Import", exact=True).click()


def _import_twice(page, path: Path, rows: int) -> None:
    """Import a file, see every row new; import it again, see every row unchanged."""
    login(page, USERS["staff"], next="/upload")
    _upload(page, path)
    page.get_by_text(f"Imported: {rows:,} new, 0 updated, 0 unchanged.").wait_for(timeout=60_000)
    page.reload()
    _upload(page, path)
    page.get_by_text(f"Imported: 0 new, 0 updated, {rows:,} unchanged.").wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0


def test_staff_upload_small_export_then_reupload(page) -> None:
    """A small export (kept in tests/e2e/files) imports 4 new rows; a re-upload adds none."""
    _import_twice(page, FILES / "appointments_small.csv", 4)


def test_staff_upload_shared_sample_export(page) -> None:
    """The shared sample export (375 rows, Windows-1252, £ amounts) imports; again adds none."""
    sample = SAMPLES / "appointments_export.csv"
    if not sample.exists():
        pytest.skip(f"{sample} is absent: the shared folder is not beside the checkout")
    _import_twice(page, sample, 375)
