"""Vendor profiles, header words, identifying columns and detection: pure functions, no store."""

from __future__ import annotations

import csv
import json
import re
from pathlib import Path

import duckdb
import pytest

from clinic import sql
from clinic.ingest import header_words as hw
from clinic.ingest import plan as plan_mod
from clinic.ingest import profiles

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples" / "vendors"
EXPECTED_PROFILE = {
    "cliniko_appointments.csv": "cliniko",
    "fresha_appointments.csv": "fresha",
    "generic_appointments.csv": "generic",
    "jane_appointments.csv": "jane",
    "pabau_appointments.csv": "pabau",
    "phorest_appointments.csv": "phorest",
    "semble_bookings.csv": "semble",
    "timely_appointment_schedule.csv": "timely",
    "zenoti_appointments.csv": "zenoti",
    "zenoti_multi_service.csv": "zenoti",
}


def header(name: str) -> list[str]:
    """The header row of a sample export."""
    with (SAMPLES / name).open(encoding="utf-8-sig", newline="") as fh:
        return next(csv.reader(fh))


@pytest.mark.parametrize(
    ("written", "key"),
    [
        ("appointmentDate", "appointment date"),
        ("appointment_date", "appointment date"),
        ("Appointment-Date", "appointment date"),
        ("  APPOINTMENT DATE ", "appointment date"),
        ("Ref #", "ref number"),
        ("Date & Time", "date and time"),
        ("Price (£)", "price"),
        ("Service £", "service gbp"),
        ("Appt. ref.", "appt ref"),
        ("\ufeffInvoice No", "invoice no"),
        ("Patient ID(s)", "patient id"),
        ("NHSNumber", "nhs number"),
        ("net_total_amount", "net total amount"),
    ],
)
def test_header_keys(written: str, key: str):
    """camelCase, snake_case, kebab-case, case, units and punctuation all read as the same words."""
    assert hw.key(written) == key


@pytest.mark.parametrize(
    "written",
    [
        "Client Name",
        "Guest Name",
        "firstName",
        "client_last_name",
        "Mobile Number",
        "Phone Number",
        "Telephone",
        "tel",
        "Client Mobile",
        "Email",
        "E-mail",
        "client_email",
        "Birthday",
        "Date of Birth",
        "DOB",
        "birthDate",
        "Address",
        "street_address_1",
        "Post Code",
        "Postcode",
        "postal_code",
        "Zip",
        "NHS number",
        "nhsNumber",
        "Notes",
        "Appointment Notes",
        "comments",
        "Cancellation Note",
        "land_line",
    ],
)
def test_identifying_headers_by_pattern(written: str):
    """Any header whose words name a person, a contact, a birth date, an address or notes."""
    assert hw.identifying(written) is not None


@pytest.mark.parametrize(
    "written",
    [
        "Telangiectasia",
        "Status",
        "Service",
        "Location",
        "Treated Area",
        "Stylist",
        "Date",
        "Appointment Type",
        "Price (£)",
        "Notebook size",
        "Zipper",
    ],
)
def test_clinical_headers_are_not_identifying(written: str):
    """Whole words only: 'Telangiectasia' is not 'tel', 'Zipper' is not 'zip'."""
    assert hw.identifying(written) is None


def test_mask_emails_and_uk_phones():
    """Kept free text loses e-mail addresses and UK telephone numbers, keeps the rest."""
    text = "Rang 07700 900123 and +44 7700 900456, wrote to a.b@example.co.uk; 2 ml at 10:30"
    masked = hw.mask(text)
    assert "07700" not in masked and "7700 900456" not in masked and "example" not in masked
    assert masked.count("[phone removed]") == 2 and "[e-mail removed]" in masked
    assert "2 ml at 10:30" in masked


def test_mask_matches_its_sql_twin():
    """header_words.mask and the ingest_mask macro mask the same text the same way."""
    texts = [
        "Rang 07700 900123 and +44 7700 900456, wrote to a.b@example.co.uk; 2 ml at 10:30",
        "Seen 03/04/2025, 0.5% foam, ref 12345, call 020 7946 0018",
        "no contact details here",
    ]
    con = duckdb.connect()
    con.execute(sql.load("ingest_macros")[0])
    got = [con.execute("select ingest_mask($t)", {"t": t}).fetchone()[0] for t in texts]
    assert got == [hw.mask(t) for t in texts]
    assert "020 7946" not in got[1] and "03/04/2025" in got[1] and "12345" in got[1]


def test_value_key_matches_its_sql_twin():
    """header_words.value_key and the vendor_key macro read every value the same way."""
    values = [
        "No-show",
        "NO_SHOW",
        " no  show ",
        "Closed (Cancelled)",
        "Pencilled-in",
        "CHECKED_IN",
        "Anti-wrinkle Injections",
        "6 Week Review",
        "Crème",
        "",
    ]
    con = duckdb.connect()
    con.execute(sql.load("vendor_key")[0])
    got = [con.execute("select vendor_key($v)", {"v": v}).fetchone()[0] for v in values]
    assert got == [hw.value_key(v) for v in values]


def test_every_profile_loads_and_every_file_is_one():
    """Each JSON file of the data folder is a valid profile named after its file."""
    table = profiles.profiles()
    files = {p.stem for p in profiles.VENDORS.glob("*.json")}
    assert (
        set(table)
        == files
        >= {
            "fresha",
            "zenoti",
            "phorest",
            "cliniko",
            "pabau",
            "jane",
            "semble",
            "timely",
            "generic",
        }
    )
    for p in table.values():
        assert p.documented and p.title and p.kind == "appointments"


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"colour": "red"}, "unknown key"),
        ({"columns": {"shoe_size": ["Shoe"]}}, "not a field we know"),
        ({"values": {"status": {"Closed": "done"}}}, "not a status"),
        ({"values": {"colour": {"Red": "red"}}}, "not a field with a vocabulary"),
        ({"dates": {"order": "sideways"}}, "dates.order"),
        ({"attendance": "vibes"}, "attendance"),
        ({"kind": "invoices"}, "kind"),
        ({"id_parts": ["colour"]}, "id_parts"),
        ({"price": "free"}, "price"),
    ],
)
def test_profile_validation_names_the_problem(change: dict, message: str):
    """A profile with a wrong key or value is refused with a sentence naming it."""
    data = json.loads((profiles.VENDORS / "zenoti.json").read_text(encoding="utf-8"))
    data.update(change)
    with pytest.raises(profiles.ProfileError, match=message):
        profiles.parse(data, "zenoti.json")


@pytest.mark.parametrize(("name", "expected"), sorted(EXPECTED_PROFILE.items()))
def test_detection_from_the_header(name: str, expected: str):
    """Each sample's header picks its own system, and the sentence says how many columns."""
    headers = header(name)
    found = profiles.detect(headers)
    assert found.profile.name == expected
    sentence = found.explain()
    assert re.fullmatch(r"Looks like an? .+: \d+ of \d+ columns recognised\.", sentence)
    assert f"of {len(headers)} columns" in sentence


def test_our_own_format_stays_generic():
    """The importer's own sample (our format) is detected as generic and needs no rewrite."""
    path = SAMPLES.parent / "appointments_export.csv"
    with path.open(encoding="cp1252", newline="") as fh:
        headers = next(csv.reader(fh))
    found = profiles.detect(headers)
    assert found.profile.name == "generic"
    assert not plan_mod.needed(plan_mod.plan(found, headers), saved_values=False)


def test_forced_profile_and_unknown_name():
    """--source names a profile: it is used whatever the header says."""
    found = profiles.detect(["Date", "Status"], "zenoti")
    assert found.profile.name == "zenoti" and found.explain().startswith("Read as a Zenoti")
    with pytest.raises(KeyError):
        profiles.detect(["Date"], "nonesuch")


def test_plan_prefers_location_over_branch_and_drops_identifying():
    """Two columns for one field: the preferred one is used, the other listed as not used."""
    headers = header("generic_appointments.csv")
    plan = plan_mod.plan(profiles.detect(headers), headers)
    assert plan.header("site") == "Location"
    reasons = {d["header"]: d["reason"] for d in plan.dropped}
    assert reasons["Branch"] == "not used: Location is used for site"
    for h in ("Client Name", "Phone", "Notes"):
        assert reasons[h] == plan_mod.IDENTIFYING
    assert plan.header("datetime") == "Date & Time" and plan.header("appointment_id") == "Ref #"
    assert plan.header("price") == "Price (£)" and plan.header("client_id") == "clientId"
    assert plan.patient_ref_from() == []  # a client id: nothing identifying is hashed


def test_plan_hashes_identity_when_there_is_no_client_id():
    """Without a client id the client's columns (not staff names) make the patient reference."""
    headers = ["Date", "Customer", "Customer Mobile", "Staff", "staff_first_name", "Service"]
    plan = plan_mod.plan(profiles.detect(headers, "timely"), headers)
    assert plan.patient_ref_from() == ["Customer", "Customer Mobile"]


def test_saved_header_mapping_cannot_store_identifying_text():
    """A saved mapping may make a name column the client id (hashed), never a stored text."""
    headers = ["Date", "Client Name", "Status"]
    det = profiles.detect(headers, "generic")
    assert plan_mod.plan(det, headers, {"Client Name": "site"}).header("site") is None
    assert plan_mod.plan(det, headers, {"Client Name": "client_id"}).header("client_id")
