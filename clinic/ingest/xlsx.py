"""The first sheet of an XLSX workbook as a UTF-8 CSV file, read within stated bounds.

A workbook is a zip of XML: 1 MB of it can unpack to gigabytes, and one cell far from the
others (XFD1048576) makes the reader allocate the whole grid between them. So the zip's entry
sizes and the sheet's declared dimension are checked first, and the sheet is read by
python-calamine in a child process (`python -m clinic.ingest.xlsx`) whose address space, CPU
time and output are capped: whatever the workbook holds, the server's own memory does not grow
with it, and a workbook over a cap gets a sentence, never a crash.
"""

from __future__ import annotations

import csv
import os
import re
import subprocess
import sys
import zipfile
from datetime import date, datetime, time, timedelta
from pathlib import Path

from clinic import config

# Exit code of a child that refused the sheet with a sentence (printed on stdout).
_REFUSED = 3
_SHEET_TYPE = "http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
_CSV_ADVICE = "save the sheet as CSV (UTF-8) in Excel and upload that instead"


class WorkbookRefused(ValueError):
    """A workbook that cannot be read within the bounds; the message is a sentence."""


def _column_number(letters: str) -> int:
    """1 for A, 27 for AA, 16384 for XFD."""
    number = 0
    for ch in letters:
        number = number * 26 + ord(ch) - 64
    return number


def _first_sheet(z: zipfile.ZipFile) -> str | None:
    """The zip path of the workbook's first sheet, as calamine picks it (workbook order)."""
    try:
        book = z.read("xl/workbook.xml").decode("utf-8", "replace")
        rels = z.read("xl/_rels/workbook.xml.rels").decode("utf-8", "replace")
    except KeyError:
        return None
    first = re.search(r"<(?:\w+:)?sheet\b[^>]*\br:id=\"([^\"]+)\"", book)
    if not first:
        return None
    for rel in re.finditer(r"<Relationship\b[^>]*>", rels):
        tag = rel.group(0)
        if f'Id="{first.group(1)}"' in tag and _SHEET_TYPE in tag:
            target = re.search(r'Target="([^"]+)"', tag)
            if target:
                path = target.group(1).lstrip("/")
                return path if path.startswith("xl/") else f"xl/{path}"
    return None


def check_workbook(path: Path) -> None:
    """Refuse a workbook whose entries unpack past the limit or whose sheet is too large."""
    limit = config.max_xlsx_unpacked_mb() << 20
    try:
        with zipfile.ZipFile(path) as z:
            entries = z.infolist()
            unpacked = sum(e.file_size for e in entries)
            if unpacked > limit:
                raise WorkbookRefused(
                    f"This workbook unpacks to {unpacked / 2**20:,.0f} MB; at most "
                    f"{config.max_xlsx_unpacked_mb():,} MB is read: {_CSV_ADVICE}."
                )
            sheet = _first_sheet(z)
            if sheet is None or sheet not in z.namelist():
                return  # calamine says what is wrong with it
            # The declared dimension comes first in the sheet XML; 64 KB is far more than enough.
            with z.open(sheet) as fh:
                head = fh.read(1 << 16).decode("utf-8", "replace")
    except zipfile.BadZipFile:
        return  # calamine says what is wrong with it
    found = re.search(r'<(?:\w+:)?dimension\s+ref="(([A-Z]+)(\d+)(?::([A-Z]+)(\d+))?)"', head)
    if not found:
        return
    ref, first_col, first_row, last_col, last_row = found.groups()
    columns = _column_number(last_col or first_col) - _column_number(first_col) + 1
    rows = int(last_row or first_row) - int(first_row) + 1
    if columns > config.max_columns():
        raise WorkbookRefused(
            f"The sheet spans {columns:,} columns ({ref}); at most "
            f"{config.max_columns()} are read: delete the columns the clinic does not need, or "
            f"{_CSV_ADVICE}."
        )
    if rows * columns > config.max_xlsx_cells():
        raise WorkbookRefused(
            f"The sheet spans {rows:,} rows by {columns:,} columns; at most "
            f"{config.max_xlsx_cells():,} cells are read from a workbook: {_CSV_ADVICE}."
        )


def to_csv(source: Path, target: Path) -> None:
    """Write the first sheet of the workbook at `source` as CSV to `target` (child process)."""
    check_workbook(source)
    env = {**os.environ, "PYTHONPATH": str(config.ROOT)}
    try:
        done = subprocess.run(
            [sys.executable, "-m", "clinic.ingest.xlsx", str(source), str(target)],
            capture_output=True,
            env=env,
            timeout=config.xlsx_seconds() + 10,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise WorkbookRefused(
            f"This workbook took more than {config.xlsx_seconds()} s to read: {_CSV_ADVICE}."
        ) from None
    message = done.stdout.decode("utf-8", "replace").strip()
    if done.returncode == 0:
        return
    if done.returncode == _REFUSED and message:
        raise WorkbookRefused(message)
    if done.returncode < 0 or b"memory" in done.stderr.lower():  # killed, or out of memory
        raise WorkbookRefused(
            f"This workbook needs more than {config.xlsx_memory_mb():,} MB of memory or "
            f"{config.xlsx_seconds()} s to read (a very large sheet, or cells far apart): "
            f"{_CSV_ADVICE}."
        )
    raise WorkbookRefused(
        f"This file looks like an Excel workbook but could not be read ({message})."
    )


def _cell(value: object) -> str:
    """One spreadsheet cell as text: dates ISO, whole numbers without '.0'."""
    if value is None:
        return ""
    if isinstance(value, datetime):
        if value.time() == time(0, 0):
            return value.date().isoformat()
        return value.isoformat(sep=" ")
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, time):
        return value.strftime("%H:%M") if value.second == 0 else value.isoformat()
    if isinstance(value, timedelta):
        total = int(value.total_seconds())
        return f"{total // 3600:02d}:{total % 3600 // 60:02d}"
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    # One line end, as a CSV file read on its own would have: CR and CRLF inside a cell are LF.
    return str(value).replace("\r\n", "\n").replace("\r", "\n")


def _convert(source: Path, target: Path) -> str | None:
    """The child's work: the sheet as CSV, row by row; a sentence when a bound is passed."""
    from python_calamine import CalamineWorkbook

    try:
        sheet = CalamineWorkbook.from_path(str(source)).get_sheet_by_index(0)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        return f"This file looks like an Excel workbook but could not be read ({first})."
    if sheet.width > config.max_columns():
        return (
            f"The sheet has cells in {sheet.width:,} columns; at most {config.max_columns()} are "
            "read. Delete the columns the clinic does not need, or save the sheet as CSV."
        )
    cell_limit = config.max_cell_kb() * 1024
    out_limit = config.max_upload_mb() << 20
    written = lines = 0
    headers: list[str] = []
    with target.open("w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, lineterminator="\n")
        for row in sheet.iter_rows():
            cells = [_cell(v) for v in row]
            # Empty rows inside the sheet stay (as empty cells) so lines match the sheet's rows.
            if not (lines or any(cells)):
                continue
            lines += 1
            headers = headers or cells
            for col, cell in enumerate(cells):
                size = len(cell.encode("utf-8"))
                written += size + 1
                if size > cell_limit:
                    name = headers[col] if col < len(headers) else f"number {col + 1}"
                    return (
                        f"Line {lines}, column {name}: a cell holds {size // 1024:,} KB of text; "
                        f"at most {config.max_cell_kb()} KB is accepted. Shorten it in the "
                        "source system."
                    )
            if written > out_limit:
                return (
                    f"The sheet holds more than the {config.max_upload_mb()} MB of text an "
                    "import reads; split the export into smaller date ranges."
                )
            writer.writerow(cells)
    return None


def main(argv: list[str]) -> int:
    """Child entry point: cap this process, convert argv[0] to argv[1]; exit 0 or a sentence."""
    import resource

    memory = config.xlsx_memory_mb() << 20
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    seconds = config.xlsx_seconds()
    resource.setrlimit(resource.RLIMIT_CPU, (seconds, seconds + 5))
    try:
        refused = _convert(Path(argv[0]), Path(argv[1]))
    except MemoryError:
        print(f"memory limit of {config.xlsx_memory_mb()} MB reached", file=sys.stderr)
        return 1
    if refused:
        print(refused)
        return _REFUSED
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
