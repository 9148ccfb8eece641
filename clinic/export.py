"""Safe CSV for spreadsheets: UTF-8 with BOM, RFC 4180 quoting, no formula injection."""

from __future__ import annotations

import csv
import hashlib
import io
import math
from datetime import date, datetime

import pandas as pd

from clinic import audit, metrics
from clinic.store import Store

# Excel, LibreOffice and Sheets treat a cell starting with these as a formula (OWASP advice).
_FORMULA_START = ("=", "+", "-", "@")
_CONTROL_START = ("\t", "\r", "\n")


def _defuse(text: str) -> str:
    """Prefix an apostrophe to text a spreadsheet would run as a formula, after each ';' too.

    A spreadsheet whose list separator is ';' (most of continental Europe) reads this
    comma-separated file by splitting lines at ';', quotes or not: `note;=1+1` becomes the two
    cells `note` and `=1+1`, a formula. So every part after a ';' is guarded like a cell.
    """
    return ";".join(_guard(part) for part in text.split(";"))


def _guard(text: str) -> str:
    """An apostrophe before text that starts like a formula (or with a tab or line end)."""
    if text.startswith(_CONTROL_START) or text.lstrip().startswith(_FORMULA_START):
        return "'" + text
    return text


def _cell(value: object) -> str:
    """One cell as text: dates ISO (for machines), numbers plain, empty for missing."""
    if value is None or value is pd.NaT:
        return ""
    if isinstance(value, float) and math.isnan(value):
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, datetime | pd.Timestamp):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, int | float):
        return str(value)
    return _defuse(str(value))


def safe_csv(df: pd.DataFrame) -> bytes:
    """The frame as CSV bytes: BOM, header row, CRLF, minimal quoting, formula-safe text cells."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n", quoting=csv.QUOTE_MINIMAL)
    writer.writerow([_defuse(str(c)) for c in df.columns])
    for row in df.itertuples(index=False, name=None):
        writer.writerow([_cell(v) for v in row])
    return "\ufeff".encode() + buf.getvalue().encode("utf-8")


def complications_csv(store: Store, r: metrics.Filters, *, user: str | None = None) -> bytes:
    """Every complication record matching r as safe CSV; the export goes in the audit trail."""
    df, total = metrics.complication_records(store, r, limit=None)
    data = safe_csv(df)
    audit.log(
        store,
        user=user,
        role=None,
        action="export",
        outcome="ok",
        object="complications",
        details={"rows": int(total), "sha256": hashlib.sha256(data).hexdigest()},
    )
    return data
