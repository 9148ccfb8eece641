"""The booking-system flow of the Upload page through AppTest on a real store."""

from __future__ import annotations

from pathlib import Path

from streamlit.testing.v1 import AppTest

from clinic.store import open_store

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
MULTI = SAMPLES / "vendors" / "zenoti_multi_service.csv"
FOREIGN = ("Anti-wrinkle Injections", "HydraFacial", "Dermal Filler")


def _count(path: Path, sql: str) -> int:
    """One number from the store."""
    return int(open_store(path).scalar(sql))


def _upload(open_app, kind: str, path: Path) -> AppTest:
    """Open Upload as a manager, choose the kind and upload one file."""
    at = open_app("manager", "pages/upload.py")
    at.selectbox(key="u_kind").set_value(kind).run()
    at.file_uploader(key="u_file").set_value((path.name, path.read_bytes(), "text/csv")).run()
    return at


def _choice_keys(at: AppTest) -> list[str]:
    """The keys of the value choices on the page, in order."""
    return [s.key for s in at.selectbox if s.key and "_choice_" in s.key]


def test_map_three_values_import_and_reupload_with_no_questions(empty: Path, open_app) -> None:
    """Unknown services stop the file; three 'not ours' choices, import, no questions after."""
    at = _upload(open_app, "prices", SAMPLES / "price_list.csv")
    at.button(key="u_import").click().run()
    at = _upload(open_app, "appointments", MULTI)
    assert not at.exception
    assert any("Looks like a Zenoti Appointments report" in i.value for i in at.info)
    unmapped = next(
        d.value
        for d in at.dataframe
        if list(d.value.columns) == ["column", "value", "rows", "line"]
    )
    assert list(unmapped["value"]) == list(FOREIGN)
    assert at.button(key="u_import_vendor").disabled
    assert at.button(key="u_save_values").disabled
    keys = _choice_keys(at)
    assert len(keys) == 3
    for key in keys:
        at.selectbox(key=key).set_value("skip").run()
    assert not at.button(key="u_save_values").disabled
    at.button(key="u_save_values").click().run()
    assert not at.exception
    assert _count(empty, "select count(*) from value_mappings where term = 'skip'") == 3
    assert _choice_keys(at) == []
    assert not at.button(key="u_import_vendor").disabled
    at.button(key="u_import_vendor").click().run()
    assert not at.exception
    assert "Imported: 3 new, 0 updated, 0 unchanged." in [s.value for s in at.success]
    assert "4 rows left out: mapped as not ours." in [i.value for i in at.info]
    assert _count(empty, "select count(*) from appointments") == 3
    again = _upload(open_app, "appointments", MULTI)
    assert _choice_keys(again) == [] and not again.button(key="u_import_vendor").disabled
    audited = "select count(*) from audit_log where action = 'map value' and username = 'manager'"
    assert _count(empty, audited) == 3


def test_identifying_columns_are_labelled(empty: Path, open_app) -> None:
    """The columns table says which headers are identifying and dropped."""
    at = _upload(open_app, "appointments", SAMPLES / "vendors" / "fresha_appointments.csv")
    columns = next(d.value for d in at.dataframe if list(d.value.columns) == ["header", "used as"])
    used = dict(zip(columns["header"], columns["used as"], strict=True))
    assert used["Client"] == "identifying, dropped"
    assert used["Team member"] == "clinician" and used["Appt. slot"] == "time slot (its start)"
    assert any("keyed hash of Client" in c.value for c in at.caption)
