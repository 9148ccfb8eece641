"""A file with a header but no data row is refused like an empty file: import, preview, CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
from test_ingest import CLINICAL, PRICES, snapshot, xlsx_bytes

from clinic.ingest import KINDS, import_file, preview
from clinic.ingest.stage import NO_ROWS
from clinic.store import Store

ROOT = Path(__file__).resolve().parents[2]
HEADERS = {
    "appointments": ["Booking ID", "Date", "Time", "Customer ID", "Therapist", "Treatment",
                     "Status", "Amount"],
    "side-effects": ["Report ID", "Session ID", "Report Date", "Complication", "Severity"],
    "prices": ["Item", "Kind", "Price", "Valid From"],
}  # fmt: skip


def files(kind: str) -> dict[str, bytes]:
    """Header-only exports of a kind, as the systems write them."""
    header = ",".join(HEADERS[kind])
    blank = "," * (len(HEADERS[kind]) - 1)
    return {
        "header only": f"{header}\n".encode(),
        "no final line end": header.encode(),
        "CRLF": f"{header}\r\n".encode(),
        "UTF-8 BOM": b"\xef\xbb\xbf" + f"{header}\n".encode(),
        "semicolons": f"{header.replace(',', ';')}\n".encode(),
        "blank lines after": f"{header}\n\n\n".encode(),
        "rows of empty cells": f"{header}\n{blank}\n{blank}\n".encode(),
        "XLSX header row": xlsx_bytes([HEADERS[kind]]),
        "XLSX header and empty rows": xlsx_bytes([HEADERS[kind], [""] * 3, [""] * 3]),
    }


CASES = [(kind, name) for kind in KINDS for name in files(kind)]


@pytest.fixture
def priced(store: Store) -> Store:
    """A store with a price list (so the clinical tables are not all empty)."""
    assert import_file(store, "prices", PRICES, file_name="prices.csv").status == "committed"
    return store


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_import_refuses_a_file_without_data_rows(priced, kind, name):
    """Status unreadable with one sentence; no import recorded, nothing written.

    Failed before the fix: "committed" with 0 rows (an empty import in the history).
    """
    before = snapshot(priced)
    imports = priced.scalar("select count(*) from imports")
    ext = "xlsx" if name.startswith("XLSX") else "csv"
    result = import_file(priced, kind, files(kind)[name], file_name=f"export.{ext}")
    assert result.status == "unreadable"
    assert [(p.line, p.reason) for p in result.errors] == [(None, NO_ROWS)]
    assert result.import_id is None
    assert priced.scalar("select count(*) from imports") == imports
    assert snapshot(priced) == before


@pytest.mark.parametrize(("kind", "name"), CASES)
def test_preview_names_the_missing_rows(priced, kind, name):
    """The preview lists the same sentence as its one problem, so Import stays disabled.

    Failed before the fix: no problem ("No problems found").
    """
    ext = "xlsx" if name.startswith("XLSX") else "csv"
    found = preview(priced, kind, files(kind)[name], f"export.{ext}")
    assert [p.reason for p in found.problems] == [NO_ROWS]
    assert found.rows_read == 0


def test_an_empty_table_refuses_it_too(store):
    """Into empty tables (the one-pass path) a header-only file is refused the same way."""
    result = import_file(store, "prices", files("prices")["header only"])
    assert (result.status, result.errors[0].reason) == ("unreadable", NO_ROWS)
    assert all(store.scalar(f"select count(*) from {t}") == 0 for t in CLINICAL)
    assert store.scalar("select count(*) from imports") == 0


@pytest.mark.parametrize("kind", KINDS)
def test_cli_exits_2_with_the_sentence(tmp_path, kind):
    """`clinic import` of a header-only file: exit 2 (as an empty file), the sentence on stderr.

    Failed before the fix: exit 0 ("committed ... 0 rows read").
    """
    file = tmp_path / "export.csv"
    file.write_bytes(files(kind)["header only"])
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinic",
            "import",
            kind,
            str(file),
            "--db",
            str(tmp_path / "s.duckdb"),
        ],
        cwd=ROOT,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 2, done.stdout + done.stderr
    assert NO_ROWS in done.stderr
    assert "Traceback" not in done.stderr
