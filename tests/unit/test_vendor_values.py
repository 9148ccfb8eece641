"""Value mappings beyond a booking system's appointments: our own format, side effects, digests."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import pytest

from clinic.ingest import import_file, value_maps
from clinic.ingest.vendor_import import import_export
from clinic.store import Store
from tests.unit.test_vendor_import import run

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples" / "vendors"
PRICES = ROOT / "data" / "samples" / "price_list.csv"
# Our own format, as the data dictionary names the columns and as its aliases write them.
OURS = {
    "names": "appointment_id,date,start_time,client_id,clinician,service,status,price,site,"
    "vein_type,sclerosant,form,compression,funding,late_cancellation",
    "aliases": "Booking ID,Date,Time,Customer ID,Therapist,Treatment,Status,Amount,Clinic,"
    "Vein Type,Sclerosant,Form,Compression,Funding,Late Cancellation",
}
ROWS = (
    "A-1,15/01/2026,10:00,C-1,Dr Amara Patel,Single Session,Completed,165.00,Fulham,spider,"
    "polidocanol,foam,own,self-pay,\n"
    "A-2,16/01/2026,11:00,C-2,Dr Amara Patel,Single Session,Vanished,,Fulham,spider,"
    "polidocanol,foam,own,self-pay,\n"
    "A-3,17/01/2026,11:00,C-3,Dr Amara Patel,Single Session,Cancelled,,Fulham,spider,"
    "polidocanol,foam,own,Voucher,yes\n"
)


@pytest.fixture
def priced(store: Store) -> Store:
    """A store with the sample price list."""
    assert import_file(store, "prices", PRICES).status == "committed"
    return store


def test_imports_record_the_digest_of_the_file_given(priced: Store):
    """A rewritten export records the uploaded file's SHA-256, in the imports and the audit."""
    path = SAMPLES / "zenoti_appointments.csv"
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    done = import_export(priced, "appointments", path)
    assert done.status == "committed" and done.result.file_sha256 == digest
    assert priced.rows("select file_sha256 from imports where kind = 'appointments'") == [(digest,)]
    details = priced.rows("select details from audit_log where action = 'import'")[-1][0]
    assert json.loads(details)["file_sha256"] == digest


@pytest.mark.parametrize("header", sorted(OURS))
def test_saved_values_apply_to_a_file_in_our_own_format(priced: Store, tmp_path: Path, header: str):
    """Our own format with a saved source: its words read as ours, and nothing else changes."""
    path = tmp_path / "ours.csv"
    path.write_text(OURS[header] + "\n" + ROWS)
    stopped = import_export(priced, "appointments", path)
    assert stopped.status == "rejected" and stopped.result.errors == []
    assert {(u["column"], u["value"]) for u in stopped.unmapped} == {
        ("status", "Vanished"),
        ("funding", "Voucher"),
    }
    value_maps.save(priced, "ourclinic", "status", "Vanished", "no-show")
    value_maps.save(priced, "ourclinic", "funding", "Voucher", "skip")
    done = import_export(priced, "appointments", path, source="ourclinic")
    assert done.status == "committed", done.to_json()
    assert (done.source, done.left_out, done.result.inserted) == ("ourclinic", 1, 2)
    got = priced.rows(
        "select appointment_id, status, price_charged_gbp::varchar, funding from appointments"
        " order by 1"
    )
    assert got == [("A-1", "completed", "165.00", "self-pay"), ("A-2", "no-show", None, "self-pay")]


def _sessions(store: Store) -> None:
    """Three completed treatment sessions the side effects below refer to."""
    path = Path(store.path).parent / "sessions.csv"
    path.write_text(
        OURS["names"].replace(",late_cancellation", "")
        + "\n"
        + "".join(
            f"S-{n},1{n}/01/2026,10:00,C-{n},Dr Amara Patel,Single Session,Completed,165.00,"
            "Fulham,spider,polidocanol,foam,own,self-pay\n"
            for n in (1, 2, 3)
        )
    )
    assert import_file(store, "appointments", path).status == "committed"


EFFECTS = (
    "Appointment ID,Date Reported,Side Effect,Severity,Notes\n"
    "S-1,20/01/2026,Bruising,mild,first\n"
    "S-2,21/01/2026,Purple patch,mild,second\n"
    "S-3,22/01/2026,Purple patch,Grade 2,third\n"
    "S-1,23/01/2026,Ingrown toenail,mild,fourth\n"
)


def test_unknown_side_effect_words_stop_the_file_once_then_map(priced: Store, tmp_path: Path):
    """A side-effects file's unknown effect and severity words: listed once, mapped, left out."""
    _sessions(priced)
    path = tmp_path / "effects.csv"
    path.write_text(EFFECTS)
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    before = priced.rows("select count(*) from imports")
    stopped = import_export(priced, "side-effects", path)
    assert stopped.status == "rejected" and stopped.result.errors == []
    assert stopped.to_json()["unmapped"] == [
        {"column": "effect", "value": "Purple patch", "rows": 2, "first_line": 3},
        {"column": "severity", "value": "Grade 2", "rows": 1, "first_line": 4},
        {"column": "effect", "value": "Ingrown toenail", "rows": 1, "first_line": 5},
    ]
    assert priced.rows("select count(*) from side_effects") == [(0,)]
    assert priced.rows("select count(*) from imports") == before
    value_maps.save(priced, "ourclinic", "effect", "purple patch", "bruising")
    value_maps.save(priced, "ourclinic", "severity", "Grade 2", "moderate")
    value_maps.save(priced, "ourclinic", "effect", "Ingrown toenail", "skip")
    saved = priced.rows("select details from audit_log where action = 'map value'")
    assert len(saved) == 3 and json.loads(saved[0][0])["field"] == "effect"
    done = import_export(priced, "side-effects", path, source="ourclinic")
    assert done.status == "committed", done.to_json()
    assert (done.left_out, done.unmapped, done.result.inserted) == (1, [], 3)
    assert priced.rows(
        "select appointment_id, effect, severity, notes from side_effects order by notes"
    ) == [
        ("S-1", "bruising", "mild", "first"),
        ("S-2", "bruising", "mild", "second"),
        ("S-3", "bruising", "moderate", "third"),
    ]
    assert priced.rows("select file_sha256, source from imports where kind = 'side-effects'") == [
        (digest, "ourclinic")
    ]


def test_a_rewritten_side_effects_file_names_its_own_lines(priced: Store, tmp_path: Path):
    """A problem after a mapping is named by the file's line and header, not the rewrite's."""
    _sessions(priced)
    path = tmp_path / "effects.csv"
    path.write_text(EFFECTS.replace("S-3,22/01/2026", "S-3,32/01/2026"))
    value_maps.save(priced, "ourclinic", "effect", "purple patch", "bruising")
    value_maps.save(priced, "ourclinic", "severity", "Grade 2", "moderate")
    value_maps.save(priced, "ourclinic", "effect", "Ingrown toenail", "skip")
    done = import_export(priced, "side-effects", path, source="ourclinic")
    assert done.status == "rejected"
    assert [(p.line, p.column, p.value) for p in done.result.errors] == [
        (4, "Date Reported", "32/01/2026")
    ]
    assert priced.rows("select count(*) from side_effects") == [(0,)]


def test_cli_maps_a_side_effect_word(tmp_path: Path):
    """`import side-effects` exits 3 with the unmapped list; `map value SOURCE effect` clears it."""
    db = tmp_path / "cli.duckdb"
    store = Store(db)
    try:
        assert import_file(store, "prices", PRICES).status == "committed"
        _sessions(store)
    finally:
        store.close()
    path = tmp_path / "effects.csv"
    path.write_text("\n".join(EFFECTS.replace("Grade 2", "mild").splitlines()[:4]) + "\n")
    stopped = run(db, "import", "side-effects", str(path), "--json")
    assert stopped.returncode == 3, stopped.stderr
    doc = json.loads(stopped.stdout)
    assert doc["inserted"] == 0 and doc["unmapped"] == [
        {"column": "effect", "value": "Purple patch", "rows": 2, "first_line": 3}
    ]
    mapped = run(db, "map", "value", "ourclinic", "effect", "Purple patch", "bruising")
    assert mapped.returncode == 0, mapped.stderr
    ok = run(db, "import", "side-effects", str(path), "--source", "ourclinic", "--json")
    assert ok.returncode == 0, ok.stdout + ok.stderr
    assert json.loads(ok.stdout)["inserted"] == 3


@pytest.mark.parametrize(
    ("kind", "text"),
    [
        ("side-effects", "Appointment ID,Date Reported,Side Effect\nS-1,20/01/2026,bruising,x\n"),
        ("appointments", "appointmentId,appointmentDate,serviceName\nph-1,2026-01-15,a,b\n"),
    ],
)
def test_a_row_with_a_cell_too_many_is_a_sentence(
    priced: Store, tmp_path: Path, kind: str, text: str
):
    """A row the header cannot split is refused with its line, not a DuckDB traceback."""
    path = tmp_path / "ragged.csv"
    path.write_text(text)
    done = import_export(priced, kind, path)
    assert done.status == "rejected"
    assert done.result.errors[0].reason.startswith("Line 2 does not split into the header's 3")
    assert priced.rows("select count(*) from imports where kind <> 'prices'") == [(0,)]
