"""`clinic report` and `clinic export` by subprocess: exact JSON shapes, numbers = metrics."""

from __future__ import annotations

import csv
import io
import json
import math
import subprocess
import sys
from datetime import date
from pathlib import Path

import pytest

from clinic import metrics as m
from clinic.store import Store
from tests.unit.test_metrics import appt, followup, report, seed_prices

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def seeded(db_path: Path) -> Path:
    """A closed store file with a few sessions, follow-ups and reports."""
    s = Store(db_path)
    seed_prices(s)
    appt(s, "S1", "2024-01-10", "P1", compression="bought")
    appt(s, "S2", "2024-03-01", "P2", charged=140, clinician="Dr B", vein_type="varicose")
    appt(s, "S3", "2024-03-02", "P1", item="Compression Socks", kind="product")
    followup(s, "F1", date(2024, 2, 20), "P1")
    report(s, "E1", "S1", "bruising", notes='=HYPERLINK("x")')
    report(s, "E2", "S2", "deep vein thrombosis", reported="2024-03-10")
    s.close()
    return db_path


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m clinic ARGS --db DB` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "clinic", *args, "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )


def as_json(db: Path, *args: str) -> list[dict]:
    """Run a --json report; stdout must be exactly one JSON document."""
    done = run(db, *args, "--json")
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def same(a: object, b: object) -> bool:
    """JSON null equals a NaN rate; numbers compare exactly."""
    if a is None:
        return b is None or (isinstance(b, float) and math.isnan(b))
    return a == b


@pytest.mark.parametrize("by", ["session_type", "month", "clinician", "site", "funding"])
def test_report_revenue_json(seeded: Path, by: str) -> None:
    """Revenue rows have exactly [by, sessions, revenue_gbp] and equal metrics.revenue."""
    rows = as_json(seeded, "report", "revenue", "--by", by)
    assert rows and all(list(r) == [by, "sessions", "revenue_gbp"] for r in rows)
    s = Store(seeded, read_only=True)
    expected = m.revenue(s, m.Filters(), by).to_dict("records")
    s.close()
    assert rows == expected
    if by == "session_type":
        # S1 150 (list), S2 140 (charged); socks 25.
        assert {r[by]: r["revenue_gbp"] for r in rows} == {
            "Compression Socks": 25.0,
            "Single Session": 290.0,
        }


def test_report_compliance_json(seeded: Path) -> None:
    """Four rows, keys measure/eligible/met/rate/ci_low/ci_high; UK --as-of accepted."""
    rows = as_json(seeded, "report", "compliance", "--as-of", "30/06/2024")
    assert [list(r) for r in rows] == [
        ["measure", "eligible", "met", "rate", "ci_low", "ci_high"]
    ] * 4
    got = {r["measure"]: (r["eligible"], r["met"]) for r in rows}
    # S1 reviewed on day 41 (met); S2 not; S2 varicose not checked; no repeats; S1 bought.
    assert got == {
        "review_6w": (2, 1),
        "check_2w": (1, 0),
        "spacing": (0, 0),
        "compression": (2, 2),
    }
    spacing = rows[2]
    assert spacing["rate"] is None and spacing["ci_low"] is None


@pytest.mark.parametrize(
    "by", [None, "effect", "clinician", "sclerosant", "form", "vein_type", "month"]
)
def test_report_complications_json(seeded: Path, by: str | None) -> None:
    """Complication rows: [by,] eligible, events, rate, ci_low, ci_high; equal to metrics."""
    args = ["report", "complications", "--from", "2024-01-01", "--to", "31/12/2024"]
    rows = as_json(seeded, *args, *(["--by", by] if by else []))
    keys = ([by] if by else []) + ["eligible", "events", "rate", "ci_low", "ci_high"]
    assert rows and all(list(r) == keys for r in rows)
    s = Store(seeded, read_only=True)
    expected = m.complications(s, m.Filters(date(2024, 1, 1), date(2024, 12, 31)), by)
    s.close()
    for got, want in zip(rows, expected.to_dict("records"), strict=True):
        assert all(same(got[k], want[k]) for k in keys)


def test_report_complications_serious(seeded: Path) -> None:
    """Serious: only S2's DVT counts -> 1 of 2."""
    rows = as_json(seeded, "report", "complications", "--serious")
    assert rows == [
        {
            "eligible": 2,
            "events": 1,
            "rate": 0.5,
            "ci_low": rows[0]["ci_low"],
            "ci_high": rows[0]["ci_high"],
        }
    ]
    assert rows[0]["ci_low"] == pytest.approx(m.stats.wilson(1, 2)[0])


def test_report_table_without_json(seeded: Path) -> None:
    """Without --json a readable table with pounds: Dr A 150 + 25 socks."""
    done = run(seeded, "report", "revenue", "--by", "clinician")
    assert done.returncode == 0 and "£175.00" in done.stdout and "Dr B" in done.stdout


@pytest.mark.parametrize(
    ("args", "heading"),
    [
        (
            ["report", "revenue", "--by", "month"],
            "Revenue by month, all dates in the store (10/01/2024 to 02/03/2024), as of 05/12/2026",
        ),
        (
            ["report", "revenue", "--from", "01/01/2024", "--to", "2024-01-31"],
            "Revenue by session type, 01/01/2024 to 31/01/2024, as of 05/12/2026",
        ),
        (
            ["report", "compliance", "--as-of", "30/06/2024", "--clinician", "Dr B"],
            "Follow-up compliance, all dates in the store (10/01/2024 to 02/03/2024), "
            "clinician Dr B, as of 30/06/2024",
        ),
        (
            ["report", "complications", "--by", "vein_type", "--serious", "--from", "2024-02-01"],
            "Complication rate by vein type, serious events only, 01/02/2024 to the last date "
            "in the store (02/03/2024), as of 05/12/2026",
        ),
    ],
)
def test_report_states_its_range_and_as_of_date(
    seeded: Path, monkeypatch: pytest.MonkeyPatch, args: list[str], heading: str
) -> None:
    """The table starts with what it shows, its dates and as-of date; --json says it on stderr."""
    monkeypatch.setenv("CLINIC_AS_OF", "2026-12-05")
    done = run(seeded, *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[0] == heading
    done = run(seeded, *args, "--json")
    assert isinstance(json.loads(done.stdout), list)  # the contract's rows, not wrapped
    assert done.stderr.strip() == heading


@pytest.mark.parametrize(
    ("f", "bounds", "what", "said"),
    [
        (
            m.Filters(),
            (date(2025, 1, 3), date(2026, 12, 4)),
            "dates",
            "all dates in the store (03/01/2025 to 04/12/2026)",
        ),
        (m.Filters(), (None, None), "dates", "all dates (the store holds none)"),
        (
            m.Filters(date(2026, 1, 1), date(2026, 12, 5), site="Ealing", clinician="Dr A"),
            (None, None),
            "dates",
            "01/01/2026 to 05/12/2026, site Ealing, clinician Dr A",
        ),
        (
            m.Filters(end=date(2025, 3, 31)),
            (date(2025, 1, 3), date(2026, 12, 4)),
            "dates",
            "the first date in the store (03/01/2025) to 31/03/2025",
        ),
        (m.Filters(), None, "reported dates", "all reported dates"),
        (
            m.Filters(start=date(2026, 2, 1)),
            None,
            "reported dates",
            "reported dates from 01/02/2026",
        ),
        (
            m.Filters(end=date(2026, 2, 28)),
            None,
            "reported dates",
            "reported dates up to 28/02/2026",
        ),
    ],
)
def test_describe_period(f: m.Filters, bounds, what: str, said: str) -> None:
    """Ranges in words with UK dates; an open end names the store's own first or last date."""
    assert m.describe_period(f, date(2026, 12, 5), bounds, what=what) == (
        f"{said}, as of 05/12/2026"
    )


@pytest.mark.parametrize(
    "args",
    [
        ["report", "revenue", "--by", "price"],
        ["report", "revenue", "--from", "31/02/2024"],
        ["report", "compliance", "--from", "2024-05-01", "--to", "2024-04-01"],
        ["report"],
    ],
)
def test_bad_usage_exits_2(seeded: Path, args: list[str]) -> None:
    """Bad usage is exit 2 with a sentence, no traceback."""
    done = run(seeded, *args)
    assert done.returncode == 2
    assert "Traceback" not in done.stderr and done.stderr.strip()


def test_export_complications_csv(seeded: Path, tmp_path: Path) -> None:
    """Export writes every matching record as safe CSV to --out or stdout."""
    out = tmp_path / "c.csv"
    done = run(seeded, "export", "complications", "--out", str(out))
    assert done.returncode == 0, done.stderr
    data = out.read_bytes()
    assert data.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(data[3:].decode("utf-8"), newline="")))
    assert [r["report_id"] for r in rows] == ["E2", "E1"]
    assert rows[1]["notes"] == '\'=HYPERLINK("x")'
    done = run(seeded, "export", "complications", "--effect", "bruising")
    assert done.returncode == 0
    lines = done.stdout.lstrip("\ufeff").splitlines()
    assert len(lines) == 2 and lines[0].startswith("report_id,")


def test_export_out_refuses_a_symbolic_link(seeded: Path, tmp_path: Path) -> None:
    """--out naming a symlink is refused (exit 2); the file it points to is left as it was."""
    victim = tmp_path / "victim.txt"
    victim.write_text("keep me\n")
    link = tmp_path / "export.csv"
    link.symlink_to(victim)
    done = run(seeded, "export", "complications", "--out", str(link))
    assert done.returncode == 2 and "symbolic link" in done.stderr, done.stderr
    assert victim.read_text() == "keep me\n"
    plain = tmp_path / "plain.csv"
    assert run(seeded, "export", "complications", "--out", str(plain)).returncode == 0
    assert plain.stat().st_mode & 0o777 == 0o600
