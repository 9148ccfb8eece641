"""Forms and page names as a person meets them: defaults, confirmations, what a save says."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from clinic import auth, formats
from clinic.store import open_store
from clinic.ui import admin, filters, say, session, upload

ROOT = Path(__file__).resolve().parents[2]


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
    for key, _title, file, _url, _icon in session.pages_for(role):
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
    assert [e.value for e in at.error] == [admin.NO_ROLE]
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
    assert [e.value for e in at.error] == [upload.NO_EFFECT]
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
    assert json.loads(grid.columns)["reason"]["width"] == "large"
    # The value of a missing column is the one empty mark, not "None" (Streamlit's default).
    assert grid.HasField("placeholder") and grid.placeholder == formats.EMPTY


@pytest.mark.parametrize("role", auth.ROLES)
def test_empty_cells_are_blank_in_every_table(seeded: Path, open_app, role: str) -> None:
    """Every table of every page a role sees shows a missing value as the empty mark, never None."""
    for _key, _title, file, _url, _icon in session.pages_for(role):
        at = open_app(role, file)
        for frame in at.dataframe:
            shown = frame.proto.placeholder if frame.proto.HasField("placeholder") else "None"
            assert shown == formats.EMPTY, (role, file, list(frame.value.columns))


def _kinds(path: Path, item: str) -> list[tuple]:
    """(valid_from, kind, price) of every price row of an item, oldest first."""
    return [
        (str(d), k, float(p))
        for d, k, p in open_store(path).rows(
            "select valid_from, kind, price_gbp from prices where item = $i order by valid_from",
            {"i": item},
        )
    ]


def test_price_form_starts_from_the_items_kind_and_price(seeded: Path, open_app) -> None:
    """Compression Socks starts as a product at £25; saved at £30 they stay a product."""
    at = open_app("manager", "pages/prices.py")
    assert at.selectbox(key="p_item").value is None
    at.selectbox(key="p_item").set_value("Compression Socks").run()
    assert at.selectbox(key="p_kind:Compression Socks").value == "product"
    assert at.number_input(key="p_price:Compression Socks").value == 25.0
    at.number_input(key="p_price:Compression Socks").set_value(30.0).run()
    assert not at.checkbox  # no change of kind, nothing to confirm
    at.button(key="p_submit").click().run()
    assert not at.exception and not at.error, [e.value for e in at.error]
    assert _kinds(seeded, "Compression Socks") == [
        ("2025-01-01", "product", 25.0),
        ("2026-06-30", "product", 30.0),
    ]
    # Choosing another item starts from that item's own kind and price.
    at.selectbox(key="p_item").set_value("Review").run()
    assert at.selectbox(key="p_kind:Review").value == "follow-up"


def test_a_new_item_has_no_default_kind(seeded: Path, open_app) -> None:
    """A typed new item starts with no kind and no price and cannot be saved until both are
    given."""
    # AppTest cannot type into a select box, nor run again with an option the box does not
    # list: the typed item (and then its kind and price) arrive as widget state of a first run.
    at = open_app("manager", "pages/prices.py", state={"p_item": "Vein Scan"})
    assert at.selectbox(key="p_kind:Vein Scan").value is None
    assert at.number_input(key="p_price:Vein Scan").value is None
    assert at.button(key="p_submit").disabled
    assert "To save a price, give its kind and a price." in [c.value for c in at.caption]
    given = {"p_item": "Vein Scan", "p_kind:Vein Scan": "follow-up", "p_price:Vein Scan": 60.0}
    at = open_app("manager", "pages/prices.py", state=given)
    assert not at.button(key="p_submit").disabled
    assert "Saving this re-values no past appointment: revenue stays as it is." in [
        i.value for i in at.info
    ]


def test_changing_an_items_kind_is_confirmed(seeded: Path, open_app) -> None:
    """Socks as a treatment: a warning says what it means, and saving waits for a tick."""
    at = open_app("manager", "pages/prices.py")
    at.selectbox(key="p_item").set_value("Compression Socks").run()
    at.selectbox(key="p_kind:Compression Socks").set_value("treatment").run()
    assert upload.kind_change_sentence("Compression Socks", "product", "treatment") in [
        w.value for w in at.warning
    ]
    assert at.button(key="p_submit").disabled
    at.checkbox(key="p_kind_ok:Compression Socks:treatment").check().run()
    at.button(key="p_submit").click().run()
    assert "Compression Socks is now a treatment." in at.success[0].value
    assert _kinds(seeded, "Compression Socks")[-1] == ("2026-06-30", "treatment", 25.0)


REVALUED_BEFORE = (
    "Saving this re-values 1 past appointment without a charged price: revenue goes up by "
    "£15.00 (from £120.00 to £135.00)."
)
REVALUED_AFTER = (
    "Re-valued 1 past appointment without a charged price: revenue went up by £15.00 "
    "(from £120.00 to £135.00)."
)


def test_price_form_says_what_it_revalues_before_and_after(seeded: Path, open_app) -> None:
    """£135 from 01/01/2026 re-values A1 (10/01/2026, no charged price) from £120, said before
    saving and in the result; A4 has a charged price, A7 a later list price."""
    at = open_app("manager", "pages/prices.py")
    at.selectbox(key="p_item").set_value("Single Session").run()
    at.number_input(key="p_price:Single Session").set_value(135.0).run()
    at.date_input(key="p_from").set_value(date(2026, 1, 1)).run()
    assert REVALUED_BEFORE in [w.value for w in at.warning]
    at.button(key="p_submit").click().run()
    assert [s.value for s in at.success] == [
        f"Saved: Single Session at £135.00 from 01/01/2026. {REVALUED_AFTER}"
    ]
    # Saved, the same change re-values nothing more.
    assert "Saving this re-values no past appointment: revenue stays as it is." in [
        i.value for i in at.info
    ]
    rows = open_store(seeded).rows(
        "select details from audit_log where action = 'price_change' order by seq"
    )
    details = json.loads(rows[-1][0])
    assert (details["revalued_appointments"], details["revenue_change_gbp"]) == (1, 15.0)


def test_upload_of_a_price_list_says_what_it_revalues(seeded: Path, open_app) -> None:
    """The preview of a prices file says what it re-values; the import result says it again."""
    at = open_app("manager", "pages/upload.py")
    at.selectbox(key="u_kind").set_value("prices").run()
    data = b"Item,Kind,Price,Valid From\nSingle Session,treatment,135,01/01/2026\n"
    at.file_uploader(key="u_file").set_value(("prices.csv", data, "text/csv")).run()
    assert REVALUED_BEFORE in [w.value for w in at.warning]
    at.button(key="u_import").click().run()
    assert REVALUED_AFTER in [w.value for w in at.warning]
    counts = next(d.proto for d in at.dataframe if "import_id" in d.value.columns)
    # The count of updated rows is a number, not a date of 01/01/1970.
    assert json.loads(counts.columns)["updated"]["type_config"]["type"] == "number"


def test_upload_changing_a_kind_waits_for_a_tick(seeded: Path, open_app) -> None:
    """A prices file that turns socks into a treatment cannot be imported until confirmed."""
    at = open_app("manager", "pages/upload.py")
    at.selectbox(key="u_kind").set_value("prices").run()
    data = b"Item,Kind,Price,Valid From\nCompression Socks,treatment,30,2026-06-01\n"
    at.file_uploader(key="u_file").set_value(("socks.csv", data, "text/csv")).run()
    assert upload.kind_change_sentence("Compression Socks", "product", "treatment") in [
        w.value for w in at.warning
    ]
    assert at.button(key="u_import").disabled
    next(c for c in at.checkbox if c.key.startswith("u_kind_ok_")).check().run()
    assert not at.button(key="u_import").disabled


def _open_records(query: dict | None = None) -> AppTest:
    """Open Complication records straight from a link, as a browser opening /records?... does
    (open_app runs the first page first, whose own sidebar filters rewrite the URL)."""
    at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
    at.session_state["user"] = {"username": "auditor", "role": "auditor"}
    at.query_params.update(query or {})
    return at.switch_page("pages/records.py").run()


def _records(at) -> list[str]:
    """The report ids the records table shows."""
    return next(d.value for d in at.dataframe if "report_id" in d.value.columns)[
        "report_id"
    ].tolist()


def _query(at) -> dict[str, str]:
    """The page's query string as plain strings."""
    return {k: v[0] if isinstance(v, list) else v for k, v in at.query_params.items()}


def test_records_link_takes_uk_dates(seeded: Path) -> None:
    """?from=01/02/2026 is 1 February (day first): February holds R2 only."""
    at = _open_records({"from": "01/02/2026", "to": "28/02/2026"})
    assert not at.exception and not at.warning
    assert at.date_input(key="r_from").value == date(2026, 2, 1)
    assert at.date_input(key="r_to").value == date(2026, 2, 28)
    assert _records(at) == ["R2"]


@pytest.mark.parametrize(
    ("query", "said"),
    [
        ({"from": "31/02/2026"}, "The link's reported-from date 31/02/2026 is not a date"),
        ({"to": "[log in](https://evil.example)"}, "The link's reported-to date is not a date"),
        ({"clinician": "Dr Nobody"}, "The link named a clinician this store does not have"),
        ({"serious": "maybe"}, "The link named a seriousness this store does not have"),
    ],
)
def test_records_link_refuses_what_it_cannot_read(seeded: Path, query: dict, said: str) -> None:
    """An unreadable date or an unknown value in a link is refused with a sentence (the link's
    text never echoed unless it is only digits and separators), and every report is shown."""
    at = _open_records(query)
    assert not at.exception and not at.error
    warnings = [w.value for w in at.warning]
    assert len(warnings) == 1 and warnings[0].startswith(said), warnings
    assert "evil" not in warnings[0]
    assert sorted(_records(at)) == ["R1", "R2"]


def test_records_filters_go_into_the_url_and_back(seeded: Path) -> None:
    """Every filter but the notes text is written into the URL; opening that URL (a reload)
    shows the same filters and the same reports."""
    at = _open_records()
    at.selectbox(key="r_effect").set_value("deep vein thrombosis").run()
    at.selectbox(key="r_serious").set_value("Serious").run()
    at.selectbox(key="r_clinician").set_value("Dr Brook").run()
    at.date_input(key="r_from").set_value(date(2026, 2, 1)).run()
    at.text_input(key="r_text").input("HYPERLINK").run()
    query = _query(at)
    assert query == {
        "from": "2026-02-01", "effect": "deep vein thrombosis", "serious": "yes",
        "clinician": "Dr Brook",
    }  # fmt: skip
    assert _records(at) == ["R2"]
    again = _open_records(query)
    assert not again.warning
    assert again.selectbox(key="r_effect").value == "deep vein thrombosis"
    assert again.selectbox(key="r_serious").value == "Serious"
    assert again.selectbox(key="r_clinician").value == "Dr Brook"
    assert again.date_input(key="r_from").value == date(2026, 2, 1)
    assert _records(again) == ["R2"]
    at.selectbox(key="r_effect").set_value("All").run()
    assert "effect" not in _query(at)


def test_records_say_how_a_typed_date_applies(seeded: Path) -> None:
    """Streamlit applies a typed date when focus leaves the box, not on Enter: the page says so."""
    at = _open_records()
    assert filters.TYPED_DATE_HELP in [c.value for c in at.caption]


def test_sidebar_link_takes_uk_dates(seeded: Path, open_app) -> None:
    """The sidebar's ?from=&to= read UK dates day first too (01/02/2026 is 1 February)."""
    at = open_app("manager", "pages/revenue.py", {"from": "01/02/2026", "to": "31/03/2026"})
    assert at.selectbox(key="f_preset").value == "custom"
    assert at.date_input(key="f_from").value == date(2026, 2, 1)
    assert at.date_input(key="f_to").value == date(2026, 3, 31)


def test_names_in_sentences_are_shown_literally() -> None:
    """An item, account or appointment named like a markdown link is shown as that text."""
    assert say.plain("[x](https://evil.example) *Socks* <b>") == (
        r"\[x\]\(https\:\/\/evil\.example\) \*Socks\* \<b\>"
    )
    assert say.plain("Single Session 2") == "Single Session 2"
