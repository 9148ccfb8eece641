"""Forms and page names as a person meets them: defaults, confirmations, what a save says."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from clinic import auth, ui
from clinic.store import open_store


@pytest.mark.parametrize("role", auth.ROLES)
def test_menu_and_page_give_each_page_one_name(seeded: Path, open_app, role: str) -> None:
    """Every page of a role has the same name in the menu and as its title ("Imports" for the
    managers' and staff's audit page, which shows only imports)."""
    at = open_app(role)
    # AppTest keeps the pages st.navigation registered, with the menu title as page_name.
    menu = {
        Path(str(info["script_path"])).name: info["page_name"]
        for info in at._registered_pages.values()
        if info.get("script_path")
    }
    for key, _title, file, _url, _icon in ui.pages_for(role):
        at.switch_page(file).run()
        assert at.title[0].value == menu[Path(file).name], (role, key)
    expected = "Audit trail" if role in ("admin", "auditor") else "Imports"
    assert menu["audit.py"] == expected


def _fill_account(at, name: str, role: str | None) -> None:
    """Fill in the Add account form (the role only when given) and submit it."""
    at.text_input(key="acc_name").input(name)
    at.text_input(key="acc_password").input("a-long-enough-passphrase")
    if role is not None:
        at.selectbox(key="acc_role").set_value(role)
    at.button(key="acc_add").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_new_account_has_no_default_role(seeded: Path, open_app) -> None:
    """Without a chosen role nothing is created and a sentence says to choose one (least
    privilege); with one the account gets exactly that role and the form empties."""
    at = open_app("admin", "pages/accounts.py")
    assert at.selectbox(key="acc_role").value is None
    _fill_account(at, "newbie", None)
    assert [e.value for e in at.error] == [ui.NO_ROLE]
    assert open_store(seeded).rows("select username from accounts where username = 'newbie'") == []
    assert at.text_input(key="acc_name").value == "newbie"  # kept, to add the role and retry
    _fill_account(at, "newbie", "staff")
    assert "Account newbie created with role staff." in [s.value for s in at.success]
    assert open_store(seeded).rows("select role from accounts where username = 'newbie'") == [
        ("staff",)
    ]
    assert at.text_input(key="acc_name").value == ""
    assert at.selectbox(key="acc_role").value is None


def _phone_report(at, appointment_id: str, effect: str | None, notes: str) -> None:
    """Fill in the Record a side effect form (the effect only when given) and submit it."""
    at.text_input(key="se_appointment").input(appointment_id)
    if effect is not None:
        at.selectbox(key="se_effect").set_value(effect)
    at.text_area(key="se_notes").input(notes)
    at.button(key="se_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]


def _reports(path: Path) -> list[tuple]:
    """(appointment, effect, severity, medical attention, notes) of every report of session A7."""
    return open_store(path).rows(
        "select appointment_id, effect, severity, medical_attention, notes from side_effects"
        " where appointment_id = 'A7'"
    )


def test_side_effect_form_has_no_clinical_default(seeded: Path, open_app) -> None:
    """Effect, severity and medical attention start empty; no effect chosen records nothing."""
    at = open_app("staff", "pages/upload.py")
    for key in ("se_effect", "se_severity", "se_attention"):
        assert at.selectbox(key=key).value is None, key
    _phone_report(at, "A7", None, "rang on Monday")
    assert [e.value for e in at.error] == [ui.NO_EFFECT]
    assert _reports(seeded) == []
    at.selectbox(key="se_effect").set_value("bruising")
    at.button(key="se_submit").click().run()
    # Not assessed and not known are stored as unknown, never as mild or "no".
    assert _reports(seeded) == [("A7", "bruising", None, None, "rang on Monday")]


def test_side_effect_sent_twice_says_what_happened(seeded: Path, open_app) -> None:
    """A second submit of the same report says it was already recorded (one row stored); new
    details say the report was updated."""
    at = open_app("staff", "pages/upload.py")
    _phone_report(at, "A7", "bruising", "rang on Monday")
    assert [s.value for s in at.success] == ["Recorded: a new report of bruising after session A7."]
    at.button(key="se_submit").click().run()
    assert not at.success
    assert [i.value for i in at.info] == [
        "Already recorded: the report of bruising after session A7 has these details; "
        "nothing changed."
    ]
    assert len(_reports(seeded)) == 1
    at.text_area(key="se_notes").input("rang again: worse")
    at.selectbox(key="se_severity").set_value("moderate")
    at.button(key="se_submit").click().run()
    assert [s.value for s in at.success] == [
        "Already recorded, now updated: the report of bruising after session A7 holds these "
        "details."
    ]
    assert _reports(seeded) == [("A7", "bruising", "moderate", None, "rang again: worse")]


def _problems_grid(at) -> object:
    """The proto of the problems table on the Upload page."""
    return next(d.proto for d in at.dataframe if list(d.value.columns) == PROBLEM_COLUMNS)


PROBLEM_COLUMNS = ["line", "column", "value", "reason"]
ONE_BAD_ROW = (
    b"Booking ID,Date,Customer ID,Therapist,Treatment,Status\n"
    b"B-1,03/04/2026,C1,Dr Ames,Single Session,Completed\n"
    b"B-2,05/04/2026,C2,Dr Ames,Mystery Peel With A Very Long Name Indeed,Completed\n"
)


def test_one_problem_is_one_problem_and_its_reason_is_readable(seeded: Path, open_app) -> None:
    """One bad row says "1 problem"; the grid wraps long reasons and leaves empty cells blank."""
    at = open_app("manager", "pages/upload.py")
    at.file_uploader(key="u_file").set_value(("one.csv", ONE_BAD_ROW, "text/csv")).run()
    assert not at.exception
    assert [e.value for e in at.error] == [
        "1 problem must be fixed before this file can be imported; nothing has been written."
    ]
    grid = _problems_grid(at)
    # Streamlit wraps cell text only in rows taller than 64 px; the reason column is wide.
    assert grid.row_height > 64
    assert json.loads(grid.columns)["reason"]["width"] >= 400
    # The value of a missing column is blank, not "None" (unset, Streamlit shows "None").
    assert grid.HasField("placeholder") and grid.placeholder == ""


@pytest.mark.parametrize("role", auth.ROLES)
def test_empty_cells_are_blank_in_every_table(seeded: Path, open_app, role: str) -> None:
    """Every table of every page a role sees shows a missing value as an empty cell."""
    for _key, _title, file, _url, _icon in ui.pages_for(role):
        at = open_app(role, file)
        for frame in at.dataframe:
            shown = frame.proto.placeholder if frame.proto.HasField("placeholder") else "None"
            assert shown == "", (role, file, list(frame.value.columns))
