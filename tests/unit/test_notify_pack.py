"""The governance pack as a PDF read back with poppler, its figures, and the command handlers."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic import audit, formats, metrics
from clinic.ingest import import_file
from clinic.notify import commands, pack
from clinic.store import Store
from tests.unit import notify_support as ns

ROOT = Path(__file__).resolve().parents[2]
SCREENSHOT = ROOT / "docs" / "screenshots" / "governance-pack.png"
MONTH = "2026-10"


@pytest.fixture
def store(notify_template, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the shared synthetic store, open."""
    s = Store(ns.copy_store(notify_template[0], tmp_path))
    yield s
    s.close()


def _serious_in_october(store: Store, folder: Path) -> str:
    """Import a serious report dated in October; return its booking reference."""
    booking = store.scalar(
        "select appointment_id from appointments where kind = 'treatment' and status ="
        " 'completed' and appointment_date between '2026-10-01' and '2026-10-10'"
        " order by appointment_id limit 1"
    )
    path = folder / "serious.csv"
    path.write_text(
        "Session ID,Report Date,Complication,Severity,Needs Medical Attention,Notes\n"
        f"{booking},2026-10-14,superficial thrombophlebitis,moderate,Yes,Mr Example rang\n",
        encoding="utf-8",
    )
    assert import_file(store, "side-effects", path, user="sam").status == "committed"
    return booking


def _pages(pdf: Path) -> list[str]:
    """The text of each page (pdftotext -layout)."""
    assert shutil.which("pdftotext"), "install poppler-utils (make test does) to read the PDF"
    count = int(re.search(r"Pages:\s+(\d+)", _run("pdfinfo", str(pdf))).group(1))
    return [_run("pdftotext", "-layout", "-f", str(n), "-l", str(n), str(pdf), "-") for n in
            range(1, count + 1)]  # fmt: skip


def _run(*args: str) -> str:
    """A poppler tool's output."""
    return subprocess.run(args, check=True, capture_output=True, text=True).stdout


def test_the_pack_opens_with_its_pages_figures_and_definitions(
    store, notify_template, tmp_path, monkeypatch
) -> None:
    """Four numbered A4 pages: summary and serious events, complications, charts and
    compliance, definitions; the clinic's name, UK dates, the figures of metrics, no patient."""
    monkeypatch.setenv("CLINIC_NAME", "Harley Street Vein Clinic")
    booking = _serious_in_october(store, tmp_path)
    pdf = tmp_path / "pack.pdf"
    pdf.write_bytes(pack.build_pack(store, MONTH, ns.AS_OF))
    assert "Page size:       595.276 x 841.89 pts (A4)" in _run("pdfinfo", str(pdf))
    pages = _pages(pdf)
    assert len(pages) == 4
    for n, text in enumerate(pages, start=1):
        assert "Harley Street Vein Clinic" in text and f"Page {n} of 4" in text
        assert "Clinical governance pack, Oct 2026" in text
        assert "Figures as of 30/11/2026" in text
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), "dates are UK dates"
    f = metrics.Filters(start=pack.month_period(MONTH).start, end=pack.month_period(MONTH).end)
    first, second, third, last = pages
    assert "Clinical governance pack: Oct 2026" in first
    comp = metrics.complications(store, f).iloc[0]
    said = (
        f"{int(comp['eligible']):,}\\s+{int(comp['events']):,}\\s+{re.escape(formats.percent(comp['rate']))}"
        f"\\s+{re.escape(formats.percent(comp['ci_low']))} to "
        f"{re.escape(formats.percent(comp['ci_high']))}"
    )
    assert re.search(r"Complication rate\s+" + said, first)
    assert "Serious events reported in the month" in first
    assert re.search(
        rf"14/10/2026\s+superficial thrombophlebitis\s+moderate\s+yes\s+{booking}", first
    )
    assert "Mr Example" not in "".join(pages)
    assert "Complications" in second and "By clinician" in second
    for row in metrics.funnel(store, f, "clinician").itertuples():
        assert re.search(
            rf"{re.escape(row.clinician)}\s+{row.eligible}\s+{row.events}\s+"
            rf"{re.escape(formats.percent(row.rate))}",
            second,
        )
    assert "Month by month" in third and "Follow-up compliance" in third
    for row in metrics.compliance(store, f, ns.AS_OF).itertuples():
        assert re.search(
            rf"{re.escape(formats.label(row.measure))}\s+{row.eligible}\s+{row.met}\s+"
            rf"{re.escape(formats.percent(row.rate))}",
            third,
        )
    assert "Definitions" in last
    flat = " ".join(last.split())
    assert all(term in flat for term, _text in pack.DEFINITIONS)
    secrets = ns.identifying_values(notify_template[1], store)
    text = "".join(pages)
    assert not [s for s in secrets if s in text]
    _screenshot(pdf, tmp_path)


def _screenshot(pdf: Path, folder: Path) -> None:
    """The pack's first three pages side by side, for the README (docs/screenshots)."""
    from PIL import Image

    subprocess.run(
        ["pdftoppm", "-png", "-r", "60", "-f", "1", "-l", "3", str(pdf), str(folder / "page")],
        check=True,
    )
    shots = [Image.open(p) for p in sorted(folder.glob("page-*.png"))]
    width, height = shots[0].size
    sheet = Image.new("RGB", (width * len(shots) + 16 * (len(shots) - 1), height), "#d0d0d0")
    for i, shot in enumerate(shots):
        sheet.paste(shot, (i * (width + 16), 0))
    sheet.save(SCREENSHOT, optimize=True)


def test_pack_figures_equal_the_reports(store) -> None:
    """Each table of the pack is `clinic report ... --json` for the month, run as a user would."""
    figs = pack.pack_figures(store, MONTH, ns.AS_OF)
    db = str(store.path)
    store.close()
    span = ("--from", "2026-10-01", "--to", "2026-10-31")

    def report(*args: str) -> list[dict]:
        done = subprocess.run(
            [sys.executable, "-m", "clinic", "report", *args, *span, "--json", "--db", db],
            cwd=ROOT, capture_output=True, text=True, timeout=120,
        )  # fmt: skip
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert figs["complications"] == report("complications")
    assert figs["complications_serious"] == report("complications", "--serious")
    assert figs["complications_by_effect"] == report("complications", "--by", "effect")
    assert figs["complications_by_clinician"] == report("complications", "--by", "clinician")
    assert figs["compliance"] == report("compliance", "--as-of", ns.AS_OF.isoformat())


# -- the command-line handlers --------------------------------------------------------------------
def _cli() -> tuple[argparse.ArgumentParser, dict]:
    """A parser with the notify commands registered as the CLI will register them."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", default=argparse.SUPPRESS)
    parser = argparse.ArgumentParser(prog="clinic", parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)
    handlers = {
        "digest": commands.add_digest(sub, common),
        "alert": commands.add_alert(sub, common),
    }
    report = sub.add_parser("report", parents=[common])
    reports = report.add_subparsers(dest="report", required=True)
    handlers["report"] = commands.add_pack(reports, common)
    return parser, handlers


def _call(store: Store, *argv: str) -> int:
    """Parse and run one command against the open store."""
    parser, handlers = _cli()
    args = parser.parse_args(argv)
    return handlers[args.command](args, store)


def test_pack_command_writes_the_pdf_and_prints_its_figures(store, tmp_path, capsys) -> None:
    """`report pack --month M --out F --json`: the PDF (private, audited) and one JSON document."""
    out = tmp_path / "pack.pdf"
    argv = ("report", "pack", "--month", MONTH, "--as-of", "2026-11-30", "--json", "--out")
    assert _call(store, *argv, str(out)) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed == json.loads(json.dumps(pack.pack_figures(store, MONTH, ns.AS_OF)))
    assert out.read_bytes()[:5] == b"%PDF-" and oct(out.stat().st_mode & 0o777) == "0o600"
    trail = audit.entries(store, action="pack-write")
    assert list(trail["outcome"]) == ["ok"] and list(trail["object"]) == [MONTH]
    with pytest.raises(SystemExit):
        _call(store, "report", "pack", "--month", "2026-13")


def test_digest_command_writes_a_role_and_refuses_what_it_should(
    store, tmp_path, capsys, monkeypatch
) -> None:
    """--out writes a staff digest without revenue; no server or an unknown address is said."""
    out = tmp_path / "digest.html"
    code = _call(store, "digest", "--as-of", "2026-11-30", "--out", str(out), "--role", "staff")
    assert code == 0 and "Revenue" not in out.read_text() and "£" not in out.read_text()
    assert oct(out.stat().st_mode & 0o777) == "0o600"
    assert list(audit.entries(store, action="digest-write")["outcome"]) == ["ok"]
    monkeypatch.delenv("CLINIC_SMTP_HOST", raising=False)
    assert _call(store, "digest") == 2
    assert "No mail server is configured: set CLINIC_SMTP_HOST" in capsys.readouterr().err
    monkeypatch.setenv("CLINIC_SMTP_HOST", "127.0.0.1")
    assert _call(store, "digest", "--to", "someone@else.test") == 4
    assert "someone@else.test is not the e-mail address of an enabled account" in (
        capsys.readouterr().err
    )
    assert _call(store, "alert", "999") == 2
    assert "There is no import 999." in capsys.readouterr().err


def test_digest_command_sends_to_the_accounts_named(store, capsys, monkeypatch) -> None:
    """--to an account's address: only that person, with their role's digest."""
    for smtp in ns.serve():
        monkeypatch.setenv("CLINIC_SMTP_HOST", "127.0.0.1")
        monkeypatch.setenv("CLINIC_SMTP_PORT", str(smtp.settings.port))
        monkeypatch.setenv("CLINIC_SMTP_TLS", "none")
        assert _call(store, "digest", "--as-of", "2026-11-30", "--to", "SAM@clinic.test") == 0
        assert [m["X-RcptTo"] for m in smtp.messages] == ["sam@clinic.test"]
        assert "staff: sent to 1 of 1." in capsys.readouterr().out
