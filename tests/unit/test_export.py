"""Safe CSV: BOM, RFC 4180 quoting, formula-injection defence."""

from __future__ import annotations

import csv
import io
from datetime import date

import pandas as pd

from clinic.export import safe_csv


def parse(data: bytes) -> list[list[str]]:
    """Read safe_csv output back the way a spreadsheet would."""
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data[3:].decode("utf-8"), newline="")))


def test_hostile_cells_are_defused() -> None:
    """Cells starting with = + - @ (after spaces), tab, CR or LF get a leading apostrophe."""
    hostile = [
        '=HYPERLINK("http://x","see")',
        "+1+1",
        "-2",
        "@SUM(A1)",
        "  =1+1",
        "\tx",
        "\rx",
        "\nx",
        "fine",
        "a=b",
        "note;=1+1",
        "a; -cmd|' /C calc'!A0;b",
        "a;b=c",
    ]
    df = pd.DataFrame({"notes": hostile})
    rows = parse(safe_csv(df))
    assert rows[0] == ["notes"]
    assert [r[0] for r in rows[1:]] == [
        '\'=HYPERLINK("http://x","see")',
        "'+1+1",
        "'-2",
        "'@SUM(A1)",
        "'  =1+1",
        "'\tx",
        "'\rx",
        "'\nx",
        "fine",
        "a=b",
        "note;'=1+1",
        "a;' -cmd|' /C calc'!A0;b",
        "a;b=c",
    ]


def test_semicolon_spreadsheets_see_no_formula() -> None:
    """Split at ';' as a semicolon-locale spreadsheet does, no part of a cell starts a formula."""
    df = pd.DataFrame({"notes": ["note;=1+1", "x; @SUM(A1)", ";+1"]})
    for line in safe_csv(df)[3:].decode("utf-8").splitlines()[1:]:
        for part in line.split(";"):
            assert not part.strip().strip('"').lstrip().startswith(("=", "+", "-", "@")), part


def test_rfc4180_quoting_and_crlf() -> None:
    """CRLF line ends; commas, quotes and newlines quoted; quotes doubled."""
    df = pd.DataFrame({"a": ["x,y", 'say "hi"', "two\nlines"], "b": [1, 2, 3]})
    data = safe_csv(df)
    text = data[3:].decode("utf-8")
    assert text == 'a,b\r\n"x,y",1\r\n"say ""hi""",2\r\n"two\nlines",3\r\n'


def test_numbers_dates_and_missing() -> None:
    """Numbers stay numbers (a negative number is not text), dates ISO, missing empty."""
    df = pd.DataFrame({"d": [date(2024, 4, 3), None], "n": [-1.5, float("nan")], "t": [None, "ok"]})
    rows = parse(safe_csv(df))
    assert rows[1:] == [["2024-04-03", "-1.5", ""], ["", "", "ok"]]
    assert parse(safe_csv(pd.DataFrame({"£ name": ["Siân"]})))[1] == ["Siân"]
