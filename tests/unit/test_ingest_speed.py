"""The one-pass importer on a file big enough for DuckDB to parse it in parallel."""

from __future__ import annotations

from pathlib import Path

from clinic.ingest import import_file
from clinic.store import Store

PRICES = b"Item,Kind,Price,Valid From\nSingle Session,treatment,150.00,2023-01-01\n"
ROWS = 300_000  # several row groups and CSV buffers, so the parse runs on more than one thread


def big_export(path: Path, bad: dict[int, str], blank: int) -> None:
    """A clean appointments export with bad prices at some data rows and one blank record."""
    lines = ["Booking ID,Date,Time,Customer ID,Therapist,Treatment,Status,Amount"]
    for i in range(ROWS):
        if i == blank:
            lines.append(",,,,,,,")
        lines.append(
            f"B{i},03/04/2025,10:00,C{i % 997},Dr A,Single Session,Completed,{bad.get(i, '150')}"
        )
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")


def test_problems_name_the_spreadsheet_line_in_a_big_file(store: Store, tmp_path: Path):
    """Line numbers stay exact across the whole file (header = 1, a blank record counts)."""
    assert import_file(store, "prices", PRICES).status == "committed"
    export = tmp_path / "big.csv"
    # Data row i is on line i + 2, or i + 3 once past the blank record before row 150,000.
    big_export(export, {7: "12x", 149_999: "abc", 150_000: "£1.234", ROWS - 1: "zz"}, 150_000)
    result = import_file(store, "appointments", export)
    assert result.status == "rejected"
    assert result.rows_read == ROWS
    assert [(p.line, p.value) for p in result.errors] == [
        (9, "12x"),
        (150_001, "abc"),
        (150_003, "£1.234"),
        (ROWS + 2, "zz"),
    ]
    assert store.scalar("select count(*) from appointments") == 0


def test_big_file_commits_every_row(store: Store, tmp_path: Path):
    """A clean big file is inserted whole, then re-imported as all unchanged."""
    assert import_file(store, "prices", PRICES).status == "committed"
    export = tmp_path / "big.csv"
    big_export(export, {}, -1)
    first = import_file(store, "appointments", export)
    assert (first.status, first.inserted, first.errors) == ("committed", ROWS, [])
    assert len(first.file_sha256) == 64
    again = import_file(store, "appointments", export)
    assert (again.inserted, again.updated, again.unchanged) == (0, 0, ROWS)
