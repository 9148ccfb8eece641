"""`clinic digest`, `clinic report pack` and `clinic alert` run as a user runs them.

Each command is the real `python -m clinic` in a child process, sending to a real SMTP server on
loopback (aiosmtpd in this process); its figures are checked against `clinic report ... --json`
for the same dates, also run as a child process.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import date
from pathlib import Path
from typing import TypeVar

import pytest

from clinic import audit, formats
from clinic.notify import digest
from clinic.store import Store
from tests.unit import notify_support as ns

ROOT = Path(__file__).resolve().parents[2]
T = TypeVar("T")
AS_OF = ns.AS_OF.isoformat()


@pytest.fixture
def db(notify_template, tmp_path: Path) -> Path:
    """A private copy of the shared synthetic store, closed (the commands open it)."""
    return ns.copy_store(notify_template[0], tmp_path)


@pytest.fixture
def smtpd() -> Iterator[ns.Smtp]:
    """A plain SMTP server on loopback that keeps what it receives."""
    yield from ns.serve()


def clinic(db: Path, *args: str, smtp: ns.Smtp | None = None) -> subprocess.CompletedProcess:
    """Run `python -m clinic ARGS --db DB`, with the mail settings of `smtp` (else none)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_SMTP_")}
    if smtp is not None:
        env |= {
            "CLINIC_SMTP_HOST": "127.0.0.1",
            "CLINIC_SMTP_PORT": str(smtp.settings.port),
            "CLINIC_SMTP_TLS": "none",
            "CLINIC_MAIL_FROM": "dashboard@clinic.test",
        }
    return subprocess.run(
        [sys.executable, "-m", "clinic", *args, "--db", str(db)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )


def report(db: Path, *args: str) -> list[dict]:
    """`clinic report ARGS --json`: stdout is one JSON document."""
    done = clinic(db, "report", *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def _read(db: Path, fn: Callable[[Store], T]) -> T:
    """What `fn` reads from the store after a command closed it."""
    store = Store(db, read_only=True)
    try:
        return fn(store)
    finally:
        store.close()


def _by_role(messages) -> dict[str, object]:
    """Received messages keyed by the role their footer names."""
    found = {}
    for msg in messages:
        said = msg.get_body(("plain",)).get_content()
        found[re.search(r"accounts with the (\w+) role", said).group(1)] = msg
    return found


def _tile(said: str, title: str) -> list[str]:
    """The cells of one tile line of a digest's plain text: now, before, change, year, change."""
    line = next(x for x in said.splitlines() if x.startswith(f"- {title}: "))
    return line.split(": ", 1)[1].split(" | ")


def _rate(row: dict, events: str) -> str:
    """A rate as the digest says it: 1.2% (3 of 250)."""
    return f"{formats.percent(row['rate'])} ({row[events]:,} of {row['eligible']:,})"


def test_digest_command_sends_each_role_its_figures(db, notify_template, smtpd) -> None:
    """Recipients by role, staff without revenue, the figures of `report --json` for the same
    dates, charts attached and referenced by cid, no patient value, every send audited."""
    done = clinic(db, "digest", "--period", "month", "--as-of", AS_OF, smtp=smtpd)
    assert done.returncode == 0, done.stderr
    assert "manager: sent to 2 of 2." in done.stdout
    got = _by_role(smtpd.messages)
    assert {role: set(m["X-RcptTo"].split(", ")) for role, m in got.items()} == {
        "manager": {"mia@clinic.test", "max@clinic.test"},
        "staff": {"sam@clinic.test"},
        "auditor": {"aud@clinic.test"},
        "admin": {"ada@clinic.test"},
    }  # the disabled manager and the one without an address get nothing
    staff = ns.text_of(got["staff"])
    assert "Revenue" not in staff and "£" not in staff and "Complication rate" not in staff
    assert "Revenue" not in ns.text_of(got["auditor"])

    said = got["manager"].get_body(("plain",)).get_content()
    p = digest.period_for("month", ns.AS_OF)
    for cell, period in ((0, p), (1, p.previous()), (3, p.last_year())):
        span = ("--from", period.start.isoformat(), "--to", period.end.isoformat())
        revenue = sum(r["revenue_gbp"] for r in report(db, "revenue", *span, "--by", "month"))
        assert _tile(said, "Revenue")[cell] == formats.money(revenue, pence=False)
        comp = report(db, "complications", *span)[0]
        assert _tile(said, "Treatment sessions")[cell] == f"{comp['eligible']:,}"
        assert _tile(said, "Complication rate")[cell] == _rate(comp, "events")
        closing = digest.reviews_closing(period)
        closed = ("--from", closing.start.isoformat(), "--to", closing.end.isoformat())
        review = next(
            r
            for r in report(db, "compliance", *closed, "--as-of", AS_OF)
            if r["measure"] == "review_6w"
        )
        title = digest.TILE_TITLES["review_6w"]
        assert _tile(said, title)[cell] == _rate(review, "met")

    for role, msg in got.items():
        body = msg.get_body(("html",)).get_content()
        pictures = [x for x in msg.walk() if x.get_content_type() == "image/png"]
        cids = {x["Content-ID"].strip("<>") for x in pictures}
        assert cids == set(re.findall(r'src="cid:([^"]+)"', body)), role
        assert all(x.get_content()[:8] == b"\x89PNG\r\n\x1a\n" for x in pictures)
    assert len([x for x in got["manager"].walk() if x.get_content_type() == "image/png"]) == 2
    secrets = _read(db, lambda store: ns.identifying_values(notify_template[1], store))
    assert len(secrets) > 1000
    for msg in got.values():
        text = ns.text_of(msg)
        assert not [s for s in secrets if s in text]
    trail = _read(db, lambda store: audit.entries(store, action="digest-send"))
    assert sorted(trail["outcome"]) == ["ok"] * 4


def test_a_week_without_imports_says_so_first(db, smtpd) -> None:
    """The store's imports ran after AS_OF: the week's digest opens by saying nothing came."""
    done = clinic(db, "digest", "--as-of", AS_OF, "--to", "mia@clinic.test", smtp=smtpd)
    assert done.returncode == 0, done.stderr
    [msg] = smtpd.messages
    assert msg["Subject"].strip().startswith("No new data: ")  # the parser keeps the space
    assert (
        msg.get_body(("plain",))
        .get_content()
        .startswith("!! No export was imported in or since the week of 23/11/2026 to 29/11/2026")
    )
    body = msg.get_body(("html",)).get_content().split("<body", 1)[1]
    first = re.search(r"<p[^>]*>([^<]+)</p>", body).group(1)
    assert first.startswith("No export was imported") and "not a quiet period" in first


def test_digest_command_writes_a_file_and_refuses_what_it_should(db, smtpd, tmp_path) -> None:
    """--out writes one role's page (private, audited); no server, an unknown address, an
    unknown import are each one sentence and the contract's exit code."""
    out = tmp_path / "digest.html"
    done = clinic(db, "digest", "--as-of", AS_OF, "--out", str(out), "--role", "staff")
    assert done.returncode == 0, done.stderr
    page = out.read_text(encoding="utf-8")
    assert "Revenue" not in page and "£" not in page and "Reviews due" in page
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    done = clinic(db, "digest")
    assert done.returncode == 2
    assert done.stderr.startswith("clinic: No mail server is configured: set CLINIC_SMTP_HOST")
    done = clinic(db, "digest", "--to", "someone@else.test", smtp=smtpd)
    assert done.returncode == 4
    assert "someone@else.test is not the e-mail address of an enabled account" in done.stderr
    done = clinic(db, "alert", "999")
    assert (done.returncode, done.stderr) == (2, "clinic: There is no import 999.\n")
    done = clinic(db, "report", "pack", "--month", "2026-13")
    assert done.returncode == 2 and "'2026-13' is not a month (use 2026-11)" in done.stderr
    trail = _read(db, lambda store: audit.entries(store, action="digest-write"))
    assert list(trail["outcome"]) == ["ok"] and not smtpd.messages


def test_pack_command_writes_the_pdf_and_its_figures_are_the_reports(db, tmp_path) -> None:
    """`report pack --month M --out F --json`: a private PDF, audited, and one JSON document
    whose tables are `report ... --json` for the month."""
    out = tmp_path / "pack.pdf"
    done = clinic(
        db, "report", "pack", "--month", "2026-10", "--as-of", AS_OF, "--json", "--out", str(out)
    )
    assert done.returncode == 0, done.stderr
    figs = json.loads(done.stdout)
    assert out.read_bytes()[:5] == b"%PDF-" and oct(out.stat().st_mode & 0o777) == "0o600"
    span = ("--from", "2026-10-01", "--to", "2026-10-31")
    assert figs["complications"] == report(db, "complications", *span)
    assert figs["complications_by_clinician"] == report(
        db, "complications", *span, "--by", "clinician"
    )
    assert figs["compliance"] == report(db, "compliance", *span, "--as-of", AS_OF)
    trail = _read(db, lambda store: audit.entries(store, action="pack-write"))
    assert list(trail["object"]) == ["2026-10"]
    assert date.fromisoformat(json.loads(trail["details"].iloc[0])["as_of"]) == ns.AS_OF


def _serious_file(db: Path, folder: Path) -> tuple[Path, str]:
    """A side-effects export with one serious report on the store's latest session."""
    booking = _read(
        db,
        lambda s: s.scalar(
            "select appointment_id from appointments where kind = 'treatment' and status ="
            " 'completed' order by appointment_date desc, appointment_id limit 1"
        ),
    )
    path = folder / "serious.csv"
    path.write_text(
        "Session ID,Report Date,Complication,Severity,Needs Medical Attention,Notes\n"
        f"{booking},2026-11-29,deep vein thrombosis,severe,Yes,Mr Example rang\n",
        encoding="utf-8",
    )
    return path, booking


def test_import_command_mails_a_serious_event_once(db, smtpd, tmp_path) -> None:
    """`clinic import side-effects FILE`: one alert to managers and auditors; the same file
    again sends nothing more."""
    path, booking = _serious_file(db, tmp_path)
    done = clinic(db, "import", "side-effects", str(path), smtp=smtpd)
    assert done.returncode == 0, done.stderr
    [msg] = smtpd.messages
    assert set(msg["X-RcptTo"].split(", ")) == {"mia@clinic.test", "max@clinic.test",
                                                "aud@clinic.test"}  # fmt: skip
    assert f"booking reference {booking}" in ns.text_of(msg)
    assert "Example" not in ns.text_of(msg)
    again = clinic(db, "import", "side-effects", str(path), smtp=smtpd)
    assert again.returncode == 0 and len(smtpd.messages) == 1


def test_a_mail_server_down_never_fails_the_import(db, tmp_path) -> None:
    """Nothing listens on the mail port: the import commits (exit 0) and says the alert was
    not sent; `clinic alert ID` sends it once a server answers."""
    path, booking = _serious_file(db, tmp_path)
    for down in ns.serve():
        port = down.settings.port
    done = clinic(db, "import", "side-effects", str(path), "--json", smtp=down)  # stopped now
    assert done.returncode == 0, done.stderr
    result = json.loads(done.stdout)
    assert result["inserted"] == 1
    assert f"The alert for import {result['import_id']} was not sent" in done.stderr
    assert f"127.0.0.1:{port}" in done.stderr or "refused the connection" in done.stderr
    for smtp in ns.serve():
        retry = clinic(db, "alert", str(result["import_id"]), smtp=smtp)
        assert retry.returncode == 0, retry.stderr
        assert f"booking reference {booking}" in ns.text_of(smtp.messages[0])
    trail = _read(db, lambda s: audit.entries(s, action="alert-send"))
    assert list(trail["outcome"])[:2] == ["ok", "failed"]
