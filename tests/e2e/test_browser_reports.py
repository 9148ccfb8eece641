"""The digest (HTML) and the governance pack (PDF) downloaded from the dashboard, per role.

A real server on the demo store, Debian's Chromium: each role clicks its links, the files are
read back (the PDF through poppler), and the digest is opened in the browser as a file.
"""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from e2e_support import USERS, login, open_page, settle

ARTIFACTS = Path(__file__).resolve().parent / "artifacts"


def _download(page, name: str) -> bytes:
    """Click the download link whose text starts with `name`; the file's bytes."""
    link = page.get_by_test_id("clinic-download").filter(has_text=name)
    link.wait_for(timeout=30_000)
    with page.expect_download(timeout=120_000) as download:
        link.click()
    return download.value.path().read_bytes()


def _pdf_text(data: bytes, folder: Path) -> str:
    """The text of a PDF, as poppler's pdftotext reads it."""
    pdf = folder / "pack.pdf"
    pdf.write_bytes(data)
    done = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    return done.stdout


def _shot(page, name: str) -> None:
    """A picture of the page as it is, kept with the run's artifacts (not in docs/)."""
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _look_at(page, html: bytes, name: str) -> None:
    """Open a downloaded digest in the browser as a file and keep a picture of it."""
    path = ARTIFACTS / f"{name}.html"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    path.write_bytes(html)
    page.goto(path.as_uri())
    page.wait_for_load_state("load")
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_digest_and_pack_for_a_role(page, role: str, tmp_path: Path) -> None:
    """Overview offers the role's digest (revenue for managers only), Complications the pack
    (follow-up compliance for managers only); both open and hold what the role may read."""
    login(page, USERS[role])
    open_page(page, "/overview")
    page.get_by_role("heading", name="Digest").wait_for()
    digest = _download(page, "Monthly digest, Oct 2026")
    text = digest.decode("utf-8")
    assert text.startswith("<!doctype html>") and "data:image/png;base64," in text
    assert ("Revenue" in text) is (role == "manager") and ("£" in text) is (role == "manager")
    assert "Complication rate" in text
    _shot(page, f"digest-links-{role}")
    _look_at(page, digest, f"digest-{role}")

    open_page(page, "/complications")
    page.get_by_role("heading", name="Governance pack").wait_for()
    settle(page)
    pdf = _download(page, "Governance pack, Oct 2026")
    assert pdf.startswith(b"%PDF-")
    said = _pdf_text(pdf, tmp_path)
    assert "Clinical governance pack: Oct 2026" in said and "Definitions" in said
    assert ("Follow-up compliance" in said) is (role == "manager")
    assert "£" not in said


def test_staff_take_a_digest_without_revenue_and_no_pack(page) -> None:
    """Staff find their digest on Follow-ups (reviews due, freshness; no money, no rates) and
    are offered no governance pack."""
    login(page, USERS["staff"])
    open_page(page, "/follow-ups")
    digest = _download(page, "Weekly digest, 16/11/2026 to 22/11/2026")
    text = digest.decode("utf-8")
    assert "Revenue" not in text and "£" not in text and "Complication rate" not in text
    assert "Reviews due" in text and "Data freshness" in text
    _shot(page, "digest-links-staff")
    _look_at(page, digest, "digest-staff")
    open_page(page, "/complications")
    assert page.get_by_test_id("clinic-download").count() == 0
