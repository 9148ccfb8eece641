"""Upload, undo, side-effect and price forms through AppTest on a real store."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from clinic.store import open_store

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
PRICES_CSV = b"Item,Kind,Price,Valid From\nSingle Session,treatment,\xa3150.00,2023-01-01\n"
GOOD = (
    b"Booking ID,Date,Customer ID,Name,Therapist,Treatment,Status,Amount,Clinic\n"
    b"B-1,03/04/2026,C1,Ann Smith,Dr Ames,Single Session,Completed,,Ealing\n"
    b"B-2,04/04/2026,C2,Bob Jones,Dr Ames,Single Session,Completed,\xa3140.00,Ealing\n"
)
BAD = (
    b"Booking ID,Date,Customer ID,Therapist,Treatment,Status\n"
    b"B-9,31/02/2026,C1,Dr Ames,Single Session,Completed\n"
    b"B-10,05/04/2026,C2,Dr Ames,Mystery Peel,Completed\n"
)


def _count(path: Path, table: str) -> int:
    """Rows in one table of the store."""
    return int(open_store(path).scalar(f"select count(*) from {table}"))


def _upload(open_app, kind: str, name: str, content: bytes) -> AppTest:
    """Open Upload as a manager, choose the kind and upload one file."""
    at = open_app("manager", "pages/upload.py")
    at.selectbox(key="u_kind").set_value(kind).run()
    at.file_uploader(key="u_file").set_value((name, content, "text/csv")).run()
    return at


def _prices_loaded(open_app) -> AppTest:
    """Upload the price list first so appointments can be priced."""
    at = _upload(open_app, "prices", "prices.csv", PRICES_CSV)
    at.button(key="u_import").click().run()
    assert "Imported: 1 new" in at.success[-1].value
    return at


def test_good_file_imports(empty: Path, open_app) -> None:
    """A clean export previews without problems and imports both rows."""
    _prices_loaded(open_app)
    at = _upload(open_app, "appointments", "export.csv", GOOD)
    assert not at.exception
    assert not at.button(key="u_import").disabled
    at.button(key="u_import").click().run()
    assert not at.exception
    assert "Imported: 2 new, 0 updated, 0 unchanged." in [s.value for s in at.success]
    assert _count(empty, "appointments") == 2


def test_bad_file_imports_nothing_and_lists_problems(empty: Path, open_app) -> None:
    """A file with an impossible date and an unknown service lists both and cannot import."""
    _prices_loaded(open_app)
    at = _upload(open_app, "appointments", "bad.csv", BAD)
    assert not at.exception
    assert at.button(key="u_import").disabled
    problems = next(
        d.value for d in at.dataframe if list(d.value.columns)[:2] == ["line", "column"]
    )
    assert {2, 3} <= set(problems["line"])
    assert _count(empty, "appointments") == 0


def test_sample_export_imports(empty: Path, open_app) -> None:
    """The sample price list and appointments export import through the page."""
    at = _upload(open_app, "prices", "price_list.csv", (SAMPLES / "price_list.csv").read_bytes())
    at.button(key="u_import").click().run()
    at = _upload(
        open_app,
        "appointments",
        "appointments.csv",
        (SAMPLES / "appointments_export.csv").read_bytes(),
    )
    assert not at.exception
    at.button(key="u_import").click().run()
    assert not at.exception
    assert _count(empty, "appointments") == 375


def test_undo_import(empty: Path, open_app) -> None:
    """An import can be undone from the history tab after confirming."""
    _prices_loaded(open_app)
    at = _upload(open_app, "appointments", "export.csv", GOOD)
    at.button(key="u_import").click().run()
    assert _count(empty, "appointments") == 2
    at = open_app("manager", "pages/upload.py")
    at.selectbox(key="u_undo_id").set_value(2).run()
    at.checkbox(key="u_undo_confirm").check().run()
    at.button(key="u_undo").click().run()
    assert not at.exception
    assert "Import 2 has been undone." in [s.value for s in at.success]
    assert _count(empty, "appointments") == 0


def _report_side_effect(open_app, appointment_id: str) -> AppTest:
    """Fill in and submit the phone form as staff: a bruise after `appointment_id`."""
    at = open_app("staff", "pages/upload.py")
    at.text_input(key="se_appointment").input(appointment_id)
    at.selectbox(key="se_effect").set_value("bruising")
    at.text_area(key="se_notes").input("rang on Monday")
    at.button(key="se_submit").click().run()
    assert not at.exception
    return at


def test_record_side_effect(seeded: Path, open_app) -> None:
    """The phone form records a side effect on an existing session."""
    at = _report_side_effect(open_app, "A7")
    assert "Recorded: a new report of bruising after session A7." in [s.value for s in at.success]
    assert _count(seeded, "side_effects") == 3


def test_record_side_effect_unknown_session(seeded: Path, open_app) -> None:
    """An unknown appointment id is refused with a sentence, nothing written."""
    at = _report_side_effect(open_app, "NOPE")
    assert at.error
    assert _count(seeded, "side_effects") == 2


def test_add_price(seeded: Path, open_app) -> None:
    """A manager's new price is stored through the importer and marked current."""
    at = open_app("manager", "pages/prices.py")
    at.selectbox(key="p_item").set_value("Single Session").run()
    at.number_input(key="p_price:Single Session").set_value(140.0).run()
    at.button(key="p_submit").click().run()
    assert not at.exception, [e.value for e in at.exception]
    assert not at.error, [e.value for e in at.error]
    price = open_store(seeded).scalar(
        "select price_gbp from prices where item = 'Single Session' and valid_from = $d",
        {"d": "2026-06-30"},
    )
    assert float(price) == 140.0


def test_staff_are_not_offered_the_price_list(empty: Path, open_app) -> None:
    """Staff choose among appointments and side effects only; managers may import prices too."""
    staff = open_app("staff", "pages/upload.py")
    assert staff.selectbox(key="u_kind").options == ["Appointments", "Side-effects"]
    manager = open_app("manager", "pages/upload.py")
    assert "Prices" in manager.selectbox(key="u_kind").options


def test_staff_import_passes_their_role_to_the_importer(empty: Path, open_app) -> None:
    """What staff may import they can, recorded in their name with their role checked."""
    _prices_loaded(open_app)
    at = open_app("staff", "pages/upload.py")
    at.selectbox(key="u_kind").set_value("appointments").run()
    at.file_uploader(key="u_file").set_value(("export.csv", GOOD, "text/csv")).run()
    at.button(key="u_import").click().run()
    assert "Imported: 2 new, 0 updated, 0 unchanged." in [s.value for s in at.success]
    store = open_store(empty)
    assert store.scalar("select user_name from imports order by import_id desc limit 1") == "staff"


def test_hidden_characters_are_shown_before_the_import(empty: Path, open_app) -> None:
    """The preview warns of a name holding a right-to-left override, and names its line."""
    _prices_loaded(open_app)
    utf8 = GOOD.replace(b"\xa3", "£".encode())  # one encoding: UTF-8 throughout
    tricky = utf8.replace(b"Bob Jones,Dr Ames", "Bob Jones,Dr \u202eAmes".encode())
    at = _upload(open_app, "appointments", "export.csv", tricky)
    assert any("direction-changing" in w.value for w in at.warning)
    frame = next(d.value for d in at.dataframe if "reason" in d.value.columns)
    assert list(frame["line"]) == [3] and "U+202E" in frame["value"][0]
