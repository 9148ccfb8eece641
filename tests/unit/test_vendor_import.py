"""Booking-system exports through the real importer and store: counts, money, mapping, privacy."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import pytest

from clinic import metrics
from clinic.ingest import import_file, profiles, value_maps
from clinic.ingest import plan as plan_mod
from clinic.ingest.vendor_import import import_export
from clinic.scope import Filters
from clinic.store import Store

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples" / "vendors"
PRICES = ROOT / "data" / "samples" / "price_list.csv"
# What each sample says, counted by hand from the file: rows by status, completed treatment
# sessions, revenue (charged, else the list price; docs/METRICS.md), rows left out by the profile.
EXPECTED = {
    "fresha_appointments.csv": (
        {"completed": 4, "cancelled": 2, "no-show": 1, "booked": 1}, 2, Decimal("323.00"), 0),
    "zenoti_appointments.csv": (
        {"completed": 4, "cancelled": 1, "no-show": 1, "booked": 1}, 2, Decimal("323.00"), 1),
    "phorest_appointments.csv": (
        {"completed": 4, "cancelled": 1, "no-show": 1, "booked": 2}, 2, Decimal("323.00"), 0),
    "cliniko_appointments.csv": (
        {"completed": 3, "cancelled": 2, "no-show": 1, "booked": 1}, 2, Decimal("295.00"), 1),
    "pabau_appointments.csv": (
        {"completed": 4, "cancelled": 2, "no-show": 1, "booked": 1}, 2, Decimal("323.00"), 0),
    "jane_appointments.csv": (
        {"completed": 3, "cancelled": 2, "no-show": 1, "booked": 1}, 2, Decimal("295.00"), 1),
    "semble_bookings.csv": (
        {"completed": 3, "cancelled": 1, "no-show": 1, "booked": 1}, 2, Decimal("295.00"), 0),
    "timely_appointment_schedule.csv": (
        {"completed": 3, "cancelled": 1, "no-show": 1, "booked": 1}, 2, Decimal("295.00"), 0),
    "generic_appointments.csv": (
        {"completed": 3, "cancelled": 2, "no-show": 1}, 2, Decimal("323.00"), 0),
}  # fmt: skip


@pytest.fixture
def priced(store: Store) -> Store:
    """A store with the sample price list (the services every vendor sample books)."""
    assert import_file(store, "prices", PRICES).status == "committed"
    return store


def figures(store: Store) -> tuple[dict, int, Decimal]:
    """Rows by status, completed treatment sessions and revenue, as the dashboard counts them."""
    by_status = dict(store.rows("select status, count(*) from appointments group by status"))
    sessions = store.rows(
        "select count(*) from appointments where status = 'completed' and kind = 'treatment'"
    )[0][0]
    money = metrics.revenue(store, Filters(), "site")["revenue_gbp"].sum()
    return by_status, sessions, Decimal(str(round(float(money), 2))).quantize(Decimal("0.01"))


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_sample_imports_with_no_mapping_step(priced: Store, name: str):
    """Each system's export goes in as it comes; the store's figures are what the file says."""
    statuses, sessions, revenue, left_out = EXPECTED[name]
    done = import_export(priced, "appointments", SAMPLES / name)
    assert done.status == "committed", done.to_json()
    assert done.unmapped == [] and done.left_out == left_out
    assert done.source == profiles.detect(_header(name)).profile.name
    assert figures(priced) == (statuses, sessions, revenue)
    again = import_export(priced, "appointments", SAMPLES / name)
    assert (again.result.inserted, again.result.updated) == (0, 0)
    assert again.result.unchanged == sum(statuses.values())


def _header(name: str) -> list[str]:
    """A sample's header row."""
    with (SAMPLES / name).open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


def _cells(name: str) -> list[list[str]]:
    """A sample's data rows."""
    with (SAMPLES / name).open(encoding="utf-8-sig", newline="") as fh:
        return list(csv.reader(fh))[1:]


def test_dates_times_and_zones(priced: Store):
    """Month-first Zenoti dates (settled by 01/13), Fresha's slot, Cliniko's summer offset."""
    for name in ("zenoti_appointments.csv", "fresha_appointments.csv", "cliniko_appointments.csv"):
        assert import_export(priced, "appointments", SAMPLES / name).status == "committed"
    rows = dict(
        (
            (a, (str(d), str(t)))
            for a, d, t in priced.rows(
                "select appointment_id, appointment_date, start_time from appointments"
            )
        )
    )
    assert rows["INV-502/Additional Session/14:30"] == ("2026-01-14", "14:30:00")
    assert rows["F-1002"] == ("2026-01-16", "14:30:00")
    assert rows["5006"] == ("2026-06-10", "09:00:00")  # +0100 in June is 09:00 in London


def test_dates_in_both_orders_are_refused(priced: Store, tmp_path: Path):
    """A file whose slash dates are day-first on one line and month-first on another stops."""
    text = (SAMPLES / "zenoti_appointments.csv").read_text(encoding="utf-8-sig")
    bad = tmp_path / "mixed.csv"
    bad.write_text(text.replace('"01/14/2026","01/03/2026"', '"14/01/2026","01/03/2026"'))
    done = import_export(priced, "appointments", bad)
    assert done.status == "rejected" and "day-first and month-first" in done.result.errors[0].reason
    assert priced.rows("select count(*) from appointments")[0][0] == 0


def test_multi_service_clinic_after_one_not_ours_per_service(priced: Store):
    """Foreign treatments stop the file once, listed by value; 'skip' leaves them out, counted."""
    path = SAMPLES / "zenoti_multi_service.csv"
    first = import_export(priced, "appointments", path)
    assert first.status == "rejected" and first.result.import_id is None
    assert [(u["column"], u["value"], u["rows"], u["first_line"]) for u in first.unmapped] == [
        ("service", "Anti-wrinkle Injections", 1, 3),
        ("service", "HydraFacial", 2, 4),
        ("service", "Dermal Filler", 1, 6),
    ]
    assert priced.rows("select count(*) from appointments")[0][0] == 0
    for value in ("Anti-wrinkle Injections", "HydraFacial", "Dermal Filler"):
        value_maps.save(priced, "zenoti", "service", value, "skip", user="ann")
    done = import_export(priced, "appointments", path)
    assert done.status == "committed" and done.left_out == 4 and done.result.inserted == 3
    audited = priced.rows("select count(*) from audit_log where action = 'map value'")[0][0]
    assert audited == 3


def test_a_value_mapped_to_one_of_our_words(priced: Store, tmp_path: Path):
    """A clinic's own status word, saved once for its source, reads as ours on every import."""
    path = tmp_path / "fresha.csv"
    path.write_text(
        (SAMPLES / "fresha_appointments.csv").read_text().replace("No Show", "Did Not Turn Up")
    )
    assert import_export(priced, "appointments", path).unmapped[0]["value"] == "Did Not Turn Up"
    with pytest.raises(value_maps.MappingRefused, match="not one of our words"):
        value_maps.save(priced, "fresha", "status", "Did Not Turn Up", "vanished")
    value_maps.save(priced, "fresha", "status", "did not turn up", "no-show")
    assert import_export(priced, "appointments", path).status == "committed"
    assert figures(priced)[0]["no-show"] == 1
    assert value_maps.remove(priced, "fresha", "status", "Did Not Turn Up")
    assert not value_maps.remove(priced, "fresha", "status", "Did Not Turn Up")


def _identifying_values() -> set[str]:
    """Every cell of every sample under a column its profile drops as identifying."""
    found: set[str] = set()
    for name in EXPECTED:
        headers = _header(name)
        plan = plan_mod.plan(profiles.detect(headers), headers)
        dropped = {d["header"] for d in plan.dropped if d["reason"] == plan_mod.IDENTIFYING}
        for row in _cells(name):
            for h, cell in zip(headers, row, strict=True):
                # Short cells are statuses of dropped columns ("None", "Final"), not identities.
                if h in dropped and len(cell.strip()) >= 6:
                    found.add(cell.strip())
    return found


def test_identifying_values_never_reach_the_store(priced: Store, db_path: Path):
    """Names, phones, e-mails and notes of every sample: in no table, not in the file's bytes."""
    for name in EXPECTED:
        assert import_export(priced, "appointments", SAMPLES / name).status == "committed"
    values = _identifying_values()
    assert {"Ada Sample", "07700 900123", "ada.sample@example.com"} <= values
    tables = [
        r[0]
        for r in priced.rows(
            "select table_name from information_schema.tables where table_type = 'BASE TABLE'"
        )
    ]
    for table in tables:
        text = "\n".join(
            "|".join(str(c) for c in row) for row in priced.rows(f'select * from "{table}"')
        ).lower()
        for value in values:
            assert value.lower() not in text, (table, value)
    priced.close()
    files = [db_path, db_path.with_name(db_path.name + ".wal")]
    raw = b"".join(p.read_bytes() for p in files if p.exists()).lower()
    for value in values:
        assert value.lower().encode() not in raw, value


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    """`python -m clinic` as a user runs it."""
    env = {**os.environ, "CLINIC_DB": str(db)}
    return subprocess.run(
        [sys.executable, "-m", "clinic", *args, "--db", str(db)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        env=env,
        timeout=120,
        check=False,
    )


def test_cli_flow_end_to_end(tmp_path: Path):
    """import (exit 3, unmapped), map value x3, map list, import (exit 0, left_out), map remove."""
    db = tmp_path / "cli.duckdb"
    assert run(db, "import", "prices", str(PRICES)).returncode == 0
    path = str(SAMPLES / "zenoti_multi_service.csv")
    stopped = run(db, "import", "appointments", path, "--json")
    assert stopped.returncode == 3, stopped.stderr
    doc = json.loads(stopped.stdout)
    assert doc["source"] == "zenoti" and doc["left_out"] == 0 and doc["inserted"] == 0
    assert {u["value"] for u in doc["unmapped"]} == {
        "Anti-wrinkle Injections",
        "HydraFacial",
        "Dermal Filler",
    }
    assert set(doc["unmapped"][0]) == {"column", "value", "rows", "first_line"}
    assert {"header": "Guest Name", "reason": "identifying, dropped"} in doc["dropped_columns"]
    refused = run(db, "map", "value", "zenoti", "service", "HydraFacial", "Botox")
    assert refused.returncode == 2 and "not one of our words" in refused.stderr
    for value in ("Anti-wrinkle Injections", "HydraFacial", "Dermal Filler"):
        assert run(db, "map", "value", "zenoti", "service", value, "skip").returncode == 0
    listed = json.loads(run(db, "map", "list", "--source", "zenoti", "--json").stdout)
    assert len(listed["values"]) == 3
    ok = run(db, "import", "appointments", path, "--source", "zenoti", "--json")
    assert ok.returncode == 0, ok.stdout
    doc = json.loads(ok.stdout)
    assert (doc["inserted"], doc["left_out"], doc["unmapped"]) == (3, 4, [])
    assert run(db, "map", "remove", "zenoti", "service", "HydraFacial").returncode == 0
    assert run(db, "map", "remove", "zenoti", "service", "HydraFacial").returncode == 2
    header = run(db, "map", "header", "zenoti", "Therapist Name", "clinician")
    assert header.returncode == 2 and "dropped on import" in header.stderr
    assert run(db, "map", "header", "zenoti", "Practitioner Code", "clinician").returncode == 0
    unknown = run(db, "import", "appointments", path, "--source", "nonesuch")
    assert unknown.returncode == 2 and "neither a booking system" in unknown.stderr


# Cancelled rows of each sample as (late, in time, not recorded): a cancelled-at time under 48
# hours before the start, or a "late" status, is late; a file that cannot say leaves it null.
LATE = {
    "fresha_appointments.csv": (1, 1, 0),
    "zenoti_appointments.csv": (0, 0, 1),
    "phorest_appointments.csv": (0, 0, 1),
    "cliniko_appointments.csv": (1, 1, 0),
    "pabau_appointments.csv": (1, 0, 1),
    "jane_appointments.csv": (1, 1, 0),
    "semble_bookings.csv": (0, 0, 1),
    "timely_appointment_schedule.csv": (0, 0, 1),
    "generic_appointments.csv": (2, 0, 0),
}  # fmt: skip


@pytest.mark.parametrize("name", sorted(LATE))
def test_late_cancellations(priced: Store, name: str):
    """appointments.late_cancellation: true, false, or null where the export cannot say."""
    assert import_export(priced, "appointments", SAMPLES / name).status == "committed"
    got = priced.rows(
        """
        select count(*) filter (where late_cancellation),
               count(*) filter (where not late_cancellation),
               count(*) filter (where late_cancellation is null)
        from appointments where status = 'cancelled'
        """
    )[0]
    assert got == LATE[name]
    others = "select count(*) from appointments where status <> 'cancelled' and late_cancellation"
    assert priced.rows(others)[0][0] == 0


def test_contact_details_in_side_effect_text_are_masked(priced: Store, tmp_path: Path):
    """E-mail addresses and UK phone numbers in notes, action and outcome never reach the store."""
    assert import_export(priced, "appointments", SAMPLES / "fresha_appointments.csv").status == (
        "committed"
    )
    path = tmp_path / "effects.csv"
    path.write_text(
        "Appointment ID,Reported,Side Effect,Action,Outcome,Notes\n"
        "F-1001,20/01/2026,bruising,Called 07700 900987,Settled,"
        "Patient wrote from ada.sample@example.com; ring +44 20 7946 0018\n"
    )
    done = import_export(priced, "side-effects", path)
    assert done.status == "committed", done.to_json()
    action, outcome, notes = priced.rows("select action, outcome, notes from side_effects")[0]
    assert action == "Called [phone removed]" and outcome == "Settled"
    assert notes == "Patient wrote from [e-mail removed]; ring [phone removed]"
