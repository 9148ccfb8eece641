"""The governance pack as a PDF read back with poppler and its figures."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic import formats, metrics
from clinic.ingest import import_file
from clinic.notify import pack
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
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    assert figs["complications"] == report("complications")
    assert figs["complications_serious"] == report("complications", "--serious")
    assert figs["complications_by_effect"] == report("complications", "--by", "effect")
    assert figs["complications_by_clinician"] == report("complications", "--by", "clinician")
    assert figs["compliance"] == report("compliance", "--as-of", ns.AS_OF.isoformat())


def test_an_auditors_pack_leaves_out_what_auditors_may_not_read(store) -> None:
    """The dashboard's pack is cut to the viewer: auditors may not read follow-up compliance,
    so theirs has no compliance table or chart; a manager's (and the CLI's) has both."""
    auditor = pack.pack_html(store, MONTH, ns.AS_OF, role="auditor")
    manager = pack.pack_html(store, MONTH, ns.AS_OF, role="manager")
    assert "Follow-up compliance" not in auditor and "Six-week review attended</td>" not in auditor
    assert "Complication rate" in auditor and "Serious events reported in the month" in auditor
    assert "Follow-up compliance" in manager and "Six-week review attended</td>" in manager
