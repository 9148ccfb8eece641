"""Complication records: an auditor filters and exports; hostile notes stay inert text."""

from __future__ import annotations

import csv
import io
import re

import pytest
from e2e_support import HOSTILE_NOTES, USERS, login, settle, wait_for_tables

SPREADSHEET_FORMULAS = HOSTILE_NOTES[:4]  # =..., +..., @..., -...
MARKUP = HOSTILE_NOTES[4:]  # <script>, <img onerror>


def _open_records(page, role: str) -> None:
    """Log in as `role` straight onto Complication records."""
    login(page, USERS[role], next="/records")
    settle(page)
    page.get_by_role("heading", name="Complication records").wait_for()


def _matches(page) -> int:
    """The number of matching reports the page states."""
    caption = page.get_by_text(re.compile(r"^[\d,]+ matching reports? ·")).inner_text()
    return int(re.search(r"([\d,]+) matching", caption).group(1).replace(",", ""))


def _narrowed_from(page, before: int) -> None:
    """Wait for the rerun a narrowing filter starts: until the page no longer states `before`.

    The script state alone races: right after the input the page can still report the last
    run as finished, and the old count would be read.
    """
    page.wait_for_function(
        "n => { const m = document.body.innerText.match(/([\\d,]+) matching reports?/);"
        " return m !== null && m[1] !== n; }",
        arg=f"{before:,}",
    )
    settle(page)


def _notes_contain(page, text: str) -> None:
    """Type into the "Notes contain" filter and wait for the narrower count."""
    before = _matches(page)
    box = page.get_by_label("Notes contain")
    box.fill(text)
    box.press("Enter")
    _narrowed_from(page, before)


def test_auditor_filters_and_exports_escaped_csv(page) -> None:
    """An auditor filters by effect and downloads a BOM-prefixed CSV with formulas neutralised."""
    _open_records(page, "auditor")
    everything = _matches(page)
    page.get_by_test_id("stSelectbox").filter(has_text="Effect").first.click()
    page.get_by_role("option", name="bruising", exact=True).click()
    _narrowed_from(page, everything)
    bruising = _matches(page)
    assert 0 < bruising < everything
    with page.expect_download() as download:
        page.get_by_test_id("clinic-download").click()
    assert download.value.suggested_filename == "complication-records.csv"
    raw = download.value.path().read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf"), "no UTF-8 byte order mark"
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert len(rows) == bruising
    assert {r["effect"] for r in rows} == {"bruising"}
    notes = {r["notes"] for r in rows}
    for note in SPREADSHEET_FORMULAS:
        assert "'" + note in notes, f"{note!r} not escaped in the export"
        assert note not in notes
    # Any cell that a spreadsheet would evaluate has been defused.
    for r in rows:
        for value in r.values():
            assert not value.startswith(("=", "+", "@")), value


def test_auditor_free_text_filter(page) -> None:
    """The notes filter narrows the records to the one report with that text."""
    _open_records(page, "auditor")
    _notes_contain(page, "call back")
    assert _matches(page) == 1


@pytest.mark.parametrize("note", MARKUP)
def test_markup_in_notes_is_shown_as_text(page, note: str) -> None:
    """A note holding <script> or an <img onerror> shows as text and runs nothing."""
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    _open_records(page, "admin")
    _notes_contain(page, note)
    assert _matches(page) == 1
    wait_for_tables(page)
    # st.dataframe draws on a canvas; Glide keeps an accessible copy of the visible cells in the
    # DOM. Notes is a right-hand column: scroll the grid sideways until it is drawn.
    cells = page.get_by_test_id("stDataFrameResizable").first.locator("[role=gridcell]")
    page.get_by_test_id("stDataFrameResizable").first.hover()
    for _ in range(10):
        if note in cells.all_text_contents():
            break
        page.mouse.wheel(250, 0)
        page.wait_for_timeout(200)
    assert note in cells.all_text_contents(), "the note is not shown in the grid"
    page.wait_for_timeout(500)  # a payload would fire as soon as it is parsed
    assert dialogs == []
    assert page.locator("img[src='x']").count() == 0


def test_typed_date_applies_on_leaving_the_box_and_survives_a_reload(page) -> None:
    """A date typed into "Reported from" applies when focus leaves the box (as the page says),
    lands in the URL, and a reload shows the same records."""
    _open_records(page, "auditor")
    everything = _matches(page)
    page.get_by_text("A typed date applies when you leave its box").wait_for()
    page.get_by_test_id("stDateInputField").first.click()
    page.keyboard.type("01/10/2026")
    page.get_by_role("heading", name="Complication records").click()  # leave the box
    _narrowed_from(page, everything)
    october_on = _matches(page)
    assert 0 < october_on < everything
    assert "from=2026-10-01" in page.url
    page.reload()
    settle(page)
    page.get_by_role("heading", name="Complication records").wait_for()
    assert _matches(page) == october_on
