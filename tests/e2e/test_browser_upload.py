"""Staff upload a booking-system export through the Upload page and see what it changed."""

from __future__ import annotations

from pathlib import Path

from e2e_support import FILES, ROOT, USERS, login, upload

SAMPLES = ROOT / "data" / "samples"


def _import_twice(page, path: Path, rows: int) -> None:
    """Import a file, see every row new; import it again, see every row unchanged."""
    login(page, USERS["staff"], next="/upload")
    upload(page, path)
    page.get_by_text(f"Imported: {rows:,} new, 0 updated, 0 unchanged.").wait_for(timeout=60_000)
    page.reload()
    upload(page, path)
    page.get_by_text(f"Imported: 0 new, 0 updated, {rows:,} unchanged.").wait_for(timeout=60_000)
    assert page.get_by_test_id("stException").count() == 0


def test_staff_upload_small_export_then_reupload(page) -> None:
    """A small export (kept in tests/e2e/files) imports 4 new rows; a re-upload adds none."""
    _import_twice(page, FILES / "appointments_small.csv", 4)


def test_staff_upload_sample_export(page) -> None:
    """The sample export (375 rows, Windows-1252, £ amounts) imports; again adds none."""
    _import_twice(page, SAMPLES / "appointments_export.csv", 375)
