"""The import and undo commands through a real subprocess: exit codes, JSON, no tracebacks."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
CONTRACT_KEYS = {
    "import_id",
    "kind",
    "file_sha256",
    "rows_read",
    "inserted",
    "updated",
    "unchanged",
    "rejected",
    "errors",
    # Issue 18: the profile used, values no mapping knows, rows left out, columns dropped.
    "source",
    "detected",
    "unmapped",
    "left_out",
    "dropped_columns",
    "patient_ref_from",
}
PRICES = b"Item,Kind,Price,Valid From\nSingle Session,treatment,\xa3150.00,2023-01-01\n"
APPTS = (
    b"Booking ID,Date,Customer ID,Name,Therapist,Treatment,Status\n"
    b"A1,03/04/2025,C1,Ann Smith,Dr X,Single Session,Completed\n"
)


def run(db: Path, *args: str) -> subprocess.CompletedProcess:
    """Run `python -m clinic ARGS --db DB` and capture its output."""
    return subprocess.run(
        [sys.executable, "-m", "clinic", *args, "--db", str(db)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env={**os.environ},
        timeout=120,
    )


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    """Export files on disk: good prices and appointments, a rejected file, garbage."""
    out = {
        "prices": PRICES,
        "appts": APPTS,
        "bad": APPTS.replace(b"03/04/2025", b"01/13/2025"),
        "garbage": bytes(range(256)) * 4,
        "empty": b"",
    }
    paths = {}
    for name, data in out.items():
        paths[name] = tmp_path / f"{name}.csv"
        paths[name].write_bytes(data)
    return paths


def test_import_json_and_exit_codes(tmp_path: Path, files: dict[str, Path]):
    """0 committed, 3 rejected, 2 unreadable or missing; --json is exactly the contract document."""
    db = tmp_path / "cli.duckdb"
    ok = run(db, "import", "prices", str(files["prices"]), "--json", "--user", "ann")
    assert ok.returncode == 0, ok.stderr
    doc = json.loads(ok.stdout)
    assert set(doc) == CONTRACT_KEYS
    assert (doc["kind"], doc["rows_read"], doc["inserted"], doc["errors"]) == ("prices", 1, 1, [])

    assert run(db, "import", "appointments", str(files["appts"])).returncode == 0
    bad = run(db, "import", "appointments", str(files["bad"]), "--json")
    assert bad.returncode == 3
    doc = json.loads(bad.stdout)
    assert set(doc) == CONTRACT_KEYS and doc["rejected"] == 1
    assert set(doc["errors"][0]) == {"line", "column", "value", "reason"}
    assert doc["errors"][0]["line"] == 2 and doc["errors"][0]["column"] == "Date"

    for name in ("garbage", "empty"):
        res = run(db, "import", "appointments", str(files[name]), "--json")
        assert res.returncode == 2 and json.loads(res.stdout)["errors"], name
        assert "Traceback" not in res.stderr
    missing = run(db, "import", "appointments", str(tmp_path / "nope.csv"))
    assert missing.returncode == 2 and "no file" in missing.stderr
    kind = run(db, "import", "invoices", str(files["prices"]))
    assert kind.returncode == 2 and "unknown kind" in kind.stderr
    for res in (missing, kind):
        assert "Traceback" not in res.stderr


def test_readable_summary(tmp_path: Path, files: dict[str, Path]):
    """Without --json the command prints a summary and the problems."""
    db = tmp_path / "cli.duckdb"
    run(db, "import", "prices", str(files["prices"]))
    res = run(db, "import", "appointments", str(files["bad"]))
    assert res.returncode == 3
    assert res.stdout.startswith("rejected: appointments") and "line 2, Date" in res.stdout


def test_undo_exit_codes(tmp_path: Path, files: dict[str, Path]):
    """undo: 0 done (JSON), 4 refused, 2 unknown id."""
    db = tmp_path / "cli.duckdb"
    run(db, "import", "prices", str(files["prices"]))
    run(db, "import", "appointments", str(files["appts"]))
    res = run(db, "undo", "2", "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {
        "import_id": 2,
        "kind": "appointments",
        "status": "undone",
        "removed": 1,
        "restored": 0,
    }
    again = run(db, "undo", "2")
    assert again.returncode == 4 and "not committed" in again.stderr
    unknown = run(db, "undo", "99")
    assert unknown.returncode == 2 and "no import 99" in unknown.stderr
    assert "Traceback" not in again.stderr + unknown.stderr


def test_import_prints_hidden_character_warnings(tmp_path: Path, files: dict[str, Path]):
    """A name with a right-to-left override imports; the CLI says which line to check."""
    db = tmp_path / "w.duckdb"
    assert run(db, "import", "prices", str(files["prices"])).returncode == 0
    path = tmp_path / "rtl.csv"
    path.write_bytes(APPTS.replace(b"Dr X", "Dr \u202eX".encode()))
    done = run(db, "import", "appointments", str(path))
    assert done.returncode == 0, done.stderr
    assert "warnings (1):" in done.stdout
    assert "line 2, Therapist: 'Dr <U+202E>X' holds invisible" in done.stdout
