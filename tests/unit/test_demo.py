"""The demo clinic: vendor-style exports, imported through the real importer, realistic shape."""

from __future__ import annotations

import csv
import os
import pty
import re
import select
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from clinic import auth, demo, metrics
from clinic.cli import main
from clinic.ingest import import_file
from clinic.store import Store

AS_OF = date(2025, 11, 25)
ROOT = Path(__file__).resolve().parents[2]


def _filled(store: Store, seed: int = 7) -> str:
    """Fill a store with the demo clinic as of a fixed day (the tests must not depend on today)."""
    return demo.fill(store, seed=seed, as_of=AS_OF)


def _one(store: Store, text: str) -> object:
    """The single value of a literal statement."""
    return store.scalar(text)


def test_fill_imports_prices_then_appointments_then_side_effects(store):
    """All three exports go through import_file and are committed, in dependency order."""
    summary = _filled(store)
    imports = store.rows("select kind, status, user_name, rejected from imports order by import_id")
    assert imports == [
        ("prices", "committed", "demo", 0),
        ("appointments", "committed", "demo", 0),
        ("side-effects", "committed", "demo", 0),
    ]
    assert summary.startswith("Demo data: 3,000 treatment sessions")
    assert "\n" not in summary


def test_same_seed_same_files_other_seed_other_files(store, tmp_path):
    """Reproducible: the same seed gives byte-identical exports (same SHA-256 in `imports`)."""
    _filled(store)
    again = Store(tmp_path / "again.duckdb")
    other = Store(tmp_path / "other.duckdb")
    try:
        _filled(again)
        _filled(other, seed=8)
        sql = "select kind, file_sha256 from imports order by import_id"
        assert store.rows(sql) == again.rows(sql)
        assert dict(store.rows(sql))["appointments"] != dict(other.rows(sql))["appointments"]
    finally:
        again.close()
        other.close()


def test_demo_store_has_the_shape_of_a_two_site_clinic(store):
    """Sessions, sites, clinicians, mixes and rates fall in the ranges the brief asks for."""
    _filled(store)
    treatments = "from appointments where kind = 'treatment'"
    assert 2000 <= _one(store, f"select count(*) {treatments}") <= 4000
    assert {r[0] for r in store.rows(f"select distinct site {treatments}")} == {
        "Ealing",
        "Chiswick",
    }
    assert 4 <= _one(store, f"select count(distinct clinician) {treatments}") <= 5
    share = store.rows(
        f"""select
            avg((status = 'cancelled')::int), avg((status = 'no-show')::int),
            avg((vein_type = 'varicose')::int), avg((vein_type = 'spider')::int),
            avg((sclerosant = 'polidocanol')::int), avg((compression = 'none')::int),
            avg((funding = 'self-pay')::int)
        {treatments}"""
    )[0]
    cancelled, no_show, varicose, spider, polidocanol, no_compression, self_pay = share
    assert 0.03 < cancelled < 0.07
    assert 0.015 < no_show < 0.045
    assert 0.12 < varicose < 0.28
    assert spider > 0.4
    assert polidocanol > 0.5
    assert 0.06 < no_compression < 0.14
    assert self_pay > 0.75
    # Repeat patients, mostly spaced at least 28 days apart.
    per_patient = store.rows(
        f"select count(*) as n {treatments} group by patient_ref order by n desc limit 1"
    )
    assert per_patient[0][0] == 4
    # Booked appointments after the export day feed the review call list.
    booked = _one(
        store,
        "select count(*) from appointments where status = 'booked' and kind = 'follow-up' "
        f"and appointment_date > DATE '{AS_OF}'",
    )
    assert booked > 20


def test_price_rise_on_the_first_of_april_and_discounts(store):
    """List prices rise on 1 April 2025; some charged prices differ from the list (discounts)."""
    _filled(store)
    rows = store.rows(
        "select item, valid_from, price_gbp from prices where item = 'Single Session' "
        "order by valid_from"
    )
    assert [(r[1], float(r[2])) for r in rows] == [
        (date(2023, 1, 1), 150.0),
        (date(2025, 4, 1), 165.0),
    ]
    discounted = _one(
        store,
        """select avg((a.price_charged_gbp is not null
                       and a.price_charged_gbp <> p.price_gbp)::int)
           from appointments as a
           asof join prices as p on a.item = p.item and a.appointment_date >= p.valid_from
           where a.kind = 'treatment' and a.status = 'completed'""",
    )
    assert 0.10 < discounted < 0.20


def _rates(store: Store, column: str) -> dict[str, float]:
    """Completed sessions with at least one report / completed sessions, per group."""
    found = store.rows(
        f"""select a.{column},
                   count(distinct s.appointment_id) / count(distinct a.appointment_id)
            from appointments as a
            left join side_effects as s on s.appointment_id = a.appointment_id
            where a.kind = 'treatment' and a.status = 'completed'
            group by all"""
    )
    return dict(found)


def test_outlier_clinician_and_sclerosant_stand_out(store):
    """One clinician reports most, STS more than polidocanol: the funnel plot has a story."""
    _filled(store)
    by_clinician = _rates(store, "clinician")
    assert max(by_clinician, key=by_clinician.get) == demo.OUTLIER_CLINICIAN
    others = [r for c, r in by_clinician.items() if c != demo.OUTLIER_CLINICIAN]
    assert by_clinician[demo.OUTLIER_CLINICIAN] > 1.5 * max(others)
    # Hypertonic saline has too few sessions for its rate to mean much; the two main ones do.
    by_sclerosant = _rates(store, "sclerosant")
    assert by_sclerosant[demo.OUTLIER_SCLEROSANT] > by_sclerosant["polidocanol"]


@pytest.mark.parametrize("seed", [7, 8])
def test_demo_side_effects_read_like_a_real_clinics_reports(store, seed):
    """A manager's first look does not alarm: rates in the band of a real clinic's reports.

    Guex et al. (Dermatol Surg 2005) recorded 49 incidents in 12,173 sessions (0.4%) within a
    month; minor effects are common but seldom reported, serious ones rare. So: a few percent of
    sessions report anything, serious events are a handful a year, and no minor effect is
    severe or sent to a doctor.
    """
    _filled(store, seed)
    everything = metrics.complications(store, metrics.Filters()).iloc[0]
    assert everything["eligible"] > 2000
    assert 0.004 <= everything["rate"] <= 0.04
    serious = metrics.complications(store, metrics.Filters(), serious=True).iloc[0]
    per_year = serious["events"] / 2
    assert 1 <= per_year <= 8
    per_effect = metrics.complications(store, metrics.Filters(), by="effect").set_index("effect")
    assert 0.001 <= per_effect.loc["bruising", "rate"] <= 0.01
    assert per_effect["rate"].max() == per_effect.loc["bruising", "rate"]
    minor = "from side_effects join effect_terms using (effect) where not serious"
    assert _one(store, f"select count(*) {minor} and medical_attention") == 0
    assert _one(store, f"select count(*) {minor} and severity = 'severe'") == 0
    assert _one(store, f"select count(*) {minor}") > 0


def test_no_identifying_data_reaches_the_store(store):
    """Client names, e-mails and client ids of the exports are dropped or pseudonymised."""
    _filled(store)
    assert _one(store, "select count(*) from appointments where patient_ref like 'C00%'") == 0
    for table in ("appointments", "side_effects"):
        columns = [
            r[0]
            for r in store.rows(
                "select column_name from information_schema.columns "
                "where table_name = $t and data_type = 'VARCHAR'",
                {"t": table},
            )
        ]
        for column in columns:
            leaked = _one(
                store,
                f"select count(*) from {table} where {column} like '%@%' "
                f"or {column} like '%Olivia%' or {column} like '%O''Brien%'",
            )
            assert leaked == 0, f"{table}.{column} holds identifying text"


def test_is_demo_only_after_fill(store, tmp_path):
    """is_demo is false on a fresh store and on one without the table, true after fill."""
    assert demo.is_demo(store) is False
    _filled(store)
    assert demo.is_demo(store) is True
    bare = Store(tmp_path / "bare.duckdb")
    try:
        bare.rows("drop table store_meta")
        assert demo.is_demo(bare) is False
    finally:
        bare.close()


def test_fill_refuses_a_store_with_real_data(store, tmp_path):
    """Demo data never mixes with a clinic's own imports."""
    paths = demo.generate_exports(tmp_path / "real", 50, seed=3, end=AS_OF)
    for kind in ("prices", "appointments"):
        assert import_file(store, kind, paths[kind], file_name="x.csv", user="t").status == (
            "committed"
        )
    with pytest.raises(demo.DemoError, match="already holds clinic data"):
        _filled(store)
    assert demo.is_demo(store) is False


def test_generate_exports_writes_vendor_style_csv(tmp_path):
    """Headers are vendor aliases, dates UK, money in pounds, vocabularies use synonyms."""
    paths = demo.generate_exports(tmp_path, 2000, seed=7, end=AS_OF)
    assert set(paths) == {"prices", "appointments", "side-effects"}
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(demo.EXPORT_FILES.values())
    with paths["appointments"].open(encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:4] == ["Booking ID", "Date", "Time", "Customer ID"]
    sessions = [r for r in rows if r["Treatment"] in ("Single Session", "Additional Session")]
    assert len(sessions) == 2000
    assert all(re.fullmatch(r"\d\d/\d\d/\d{4}", r["Date"]) for r in rows)
    assert len({r["Booking ID"] for r in rows}) == len(rows)
    assert any(r["Amount"].startswith("£") for r in rows)
    assert {r["Sclerosant"] for r in sessions} >= {"Polidocanol", "Asclera", "STS"}
    assert {r["Status"] for r in rows} >= {"Completed", "Cancelled", "No Show", "Booked"}
    prices = paths["prices"].read_text(encoding="utf-8").splitlines()
    assert prices[0] == "Service,Category,Price,Effective From,Duration"
    assert "Single Session,treatment,£165.00,01/04/2025,30 min" in prices
    effects = paths["side-effects"].read_text(encoding="utf-8").splitlines()
    assert effects[0].startswith("Session ID,Report Date,Complication")
    session_ids = {r["Booking ID"] for r in sessions}
    assert all(line.split(",")[0] in session_ids for line in effects[1:])


def test_generate_exports_at_10k_sessions_imports_cleanly(store, tmp_path):
    """The benchmark generator's files pass the importer with nothing rejected."""
    paths = demo.generate_exports(tmp_path / "bench", 10_000, seed=11, end=AS_OF)
    for kind in ("prices", "appointments", "side-effects"):
        result = import_file(store, kind, paths[kind], file_name=paths[kind].name, user="bench")
        assert result.status == "committed", result.errors[:3]
    assert _one(store, "select count(*) from appointments where kind = 'treatment'") == 10_000


@pytest.mark.parametrize(
    ("end", "first_day", "rise_day"),
    [
        (date(2025, 11, 25), date(2023, 11, 26), date(2025, 4, 1)),
        (date(2026, 2, 1), date(2024, 2, 2), date(2025, 4, 1)),
        (date(2026, 6, 30), date(2024, 7, 1), date(2026, 4, 1)),
        (date(2024, 2, 29), date(2022, 3, 1), date(2023, 4, 1)),
    ],
)
def test_window_and_price_rise_day(end, first_day, rise_day):
    """Two years end on the export day; the rise is the last 1 April at least 90 days before."""
    assert demo._window(end, 2)[0] == first_day
    assert demo._window(end, 2)[2] == rise_day


RULE = "=" * 78


def test_cli_init_demo_ends_with_the_one_time_passwords(db_path, capsys):
    """`clinic init --demo`: the summary first, the passwords last and framed; each one works."""
    assert main(["init", "--demo", "--db", str(db_path), "--seed", "5"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("Demo data: ")
    lines = out.rstrip("\n").splitlines()
    assert lines[-1] == RULE, "the passwords are not the last thing printed"
    block = lines[lines.index(RULE) :]
    assert "one-time passwords" in block[1]
    assert not any("Store ready" in line for line in block)
    shown = [re.fullmatch(r" {4}(\w+) +(\S+)", line) for line in block]
    passwords = dict(m.groups() for m in shown if m)
    assert sorted(passwords) == sorted(auth.ROLES)
    assert f"users reset-password NAME --db {db_path}" in "\n".join(block)
    check = Store(db_path)
    try:
        assert demo.is_demo(check)
        for name, password in passwords.items():
            assert auth.authenticate(check, name, password), name
    finally:
        check.close()


def test_init_demo_without_mail_says_nothing_of_alerts(db_path):
    """A clinic without a mail server chose that: `init --demo` (serious events among its
    reports) prints no alert warning, and `clinic alert` still says why it cannot send."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_SMTP")}
    run = [sys.executable, "-m", "clinic", "--db", str(db_path)]
    done = subprocess.run([*run, "init", "--demo", "--seed", "5"], env=env, capture_output=True,
                          text=True, timeout=300)  # fmt: skip
    assert done.returncode == 0 and "alert" not in done.stderr.lower(), done.stderr
    again = subprocess.run([*run, "alert", "3"], env=env, capture_output=True, text=True,
                           timeout=300)  # fmt: skip
    assert again.returncode == 2 and "no mail server is configured" in again.stderr


def _read_pty(fd: int, until: bytes | None, timeout: float = 60.0) -> bytes:
    """Bytes from a pseudo-terminal until `until` is seen, or until the other side closes."""
    out = b""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and (until is None or until not in out):
        ready, _, _ = select.select([fd], [], [], 0.5)
        if not ready:
            continue
        try:
            chunk = os.read(fd, 4096)
        except OSError:  # EIO: the child closed the terminal
            break
        if not chunk:
            break
        out += chunk
    return out


def test_a_lost_password_is_reset_at_a_terminal_without_echo(db_path):
    """The README's recovery: `users reset-password NAME` typed at a terminal hides the password."""
    s = Store(db_path)
    auth.add_user(s, "admin", "admin", "first-password-1")
    s.close()
    leader, follower = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "clinic", "users", "reset-password", "admin", "--db", str(db_path)],
        stdin=follower,
        stdout=follower,
        stderr=follower,
        cwd=ROOT,
        start_new_session=True,  # no controlling terminal but this one
    )
    os.close(follower)
    try:
        out = _read_pty(leader, b"not shown): ")
        assert b"not shown): " in out, out
        os.write(leader, b"second-password-2\n")
        out += _read_pty(leader, None)
        assert proc.wait(timeout=60) == 0, out
    finally:
        os.close(leader)
        if proc.poll() is None:
            proc.kill()
    assert b"second-password-2" not in out, "the password was echoed on the terminal"
    assert b"Password of admin reset" in out
    check = Store(db_path)
    try:
        assert auth.authenticate(check, "admin", "second-password-2")
        assert not auth.authenticate(check, "admin", "first-password-1")
    finally:
        check.close()
