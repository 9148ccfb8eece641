"""The importer on real DuckDB files: encodings, dates, money, vocabularies, undo."""

from __future__ import annotations

import hashlib
import io
import zipfile
from datetime import date, time
from decimal import Decimal
from pathlib import Path
from xml.sax.saxutils import escape

import pytest

from clinic.ingest import (
    KINDS,
    UndoRefused,
    import_file,
    load_mapping,
    preview,
    reader,
    record_side_effect,
    save_mapping,
    scan,
    undo,
)
from clinic.ingest.textfile import Scan
from clinic.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
CLINICAL = (
    "prices",
    "appointments",
    "side_effects",
    "prices_history",
    "appointments_history",
    "side_effects_history",
)

PRICES = (
    b"Item,Kind,Price,Valid From,Duration\n"
    b"Single Session,treatment,\xc2\xa3150.00,2023-01-01,30 min\n"
    b"Single Session,treatment,\xc2\xa3165.00,2025-04-01,30\n"
    b"6 Week Review,follow-up,0,2023-01-01,\n"
    b"Compression Socks,product,\xc2\xa325.00,2023-01-01,\n"
)
APPT_HEADER = b"Booking ID,Date,Time,Customer ID,Name,E-mail,Therapist,Treatment,Status,Amount\n"


def appts(*rows: str) -> bytes:
    """An appointments export with vendor headers and the given data rows."""
    return APPT_HEADER + "".join(r + "\n" for r in rows).encode("utf-8")


def snapshot(store: Store) -> dict[str, list]:
    """Every row of every clinical table, sorted, to prove a store unchanged."""
    return {t: sorted(map(repr, store.rows(f"select * from {t}"))) for t in CLINICAL}


@pytest.fixture
def priced(store: Store) -> Store:
    """A store holding a small price list."""
    result = import_file(store, "prices", PRICES, file_name="prices.csv")
    assert result.status == "committed", result.errors
    return store


def reasons(result) -> list[tuple]:
    """(line, column, value, reason) of every problem."""
    return [(p.line, p.column, p.value, p.reason) for p in result.errors]


def assert_rejected_unchanged(store: Store, data: bytes, kind: str = "appointments"):
    """Import data expecting a rejection that leaves every clinical table as it was."""
    before = snapshot(store)
    result = import_file(store, kind, data, file_name="bad.csv")
    assert result.status == "rejected", result
    assert snapshot(store) == before
    status = store.scalar(
        "select status from imports where import_id = $i", {"i": result.import_id}
    )
    assert status == "rejected"
    return result


# -- reading files ------------------------------------------------------------------------------
def test_kinds_are_the_contract():
    """The three import kinds of the contract."""
    assert KINDS == ("appointments", "side-effects", "prices")


def test_prices_with_durations(priced: Store):
    """A price list commits with money and durations parsed."""
    rows = priced.rows(
        "select item, kind, valid_from, price_gbp, duration_min from prices order by all"
    )
    assert rows[0] == ("6 Week Review", "follow-up", date(2023, 1, 1), Decimal("0.00"), None)
    assert ("Single Session", "treatment", date(2025, 4, 1), Decimal("165.00"), 30) in rows
    assert ("Single Session", "treatment", date(2023, 1, 1), Decimal("150.00"), 30) in rows


@pytest.mark.parametrize(
    ("text", "minutes"), [("30", 30), ("30 min", 30), ("1h 30m", 90), ("2h", 120), ("45 mins", 45)]
)
def test_duration_forms(store: Store, text: str, minutes: int):
    """Durations in minutes, `30 min` and `1h 30m` all become minutes."""
    data = f"Item,Kind,Price,Valid From,Duration\nX,treatment,10,2024-01-01,{text}\n".encode()
    assert import_file(store, "prices", data).status == "committed"
    assert store.scalar("select duration_min from prices") == minutes


def test_utf8_bom_and_semicolons(store: Store):
    """A UTF-8 file with a BOM and semicolons is read; the BOM does not spoil the first header."""
    data = (
        b"\xef\xbb\xbfItem;Kind;Price;Valid From\n"
        b"Single Session;treatment;\xc2\xa3150.00;2023-01-01\n"
    )
    result = import_file(store, "prices", data)
    assert result.status == "committed" and result.inserted == 1


def test_windows_1252_pound_sign(store: Store):
    """A Windows-1252 pound sign (0xA3) is decoded."""
    data = b"Item,Kind,Price,Valid From\nSingle Session,treatment,\xa3150.00,01/01/2023\n"
    result = import_file(store, "prices", data)
    assert result.status == "committed", result.errors
    assert store.scalar("select price_gbp from prices") == Decimal("150.00")


def _big_export(
    tmp_path: Path, last_row: bytes, newline: bytes = b"\n", header_newline: bytes | None = None
) -> Path:
    """An export over a megabyte, ASCII until its last row (raw bytes), with the given line ends."""
    rows = "".join(
        f"A{i},03/04/2025,10:00,C{i},Ann Lee,ann@example.com,Dr Amara Patel,Single Session,"
        "Completed,150\n"
        for i in range(20_000)
    )
    path = tmp_path / "late.csv"
    header = APPT_HEADER.replace(b"\n", header_newline or newline)
    path.write_bytes(header + rows.encode().replace(b"\n", newline) + last_row)
    assert path.stat().st_size > 1024 * 1024  # past the head Python checks itself
    return path


def test_windows_1252_past_the_checked_head(priced: Store, tmp_path: Path):
    """A file UTF-8 for its first megabyte but Windows-1252 further on is read as Windows-1252."""
    # DuckDB finds the byte while loading; the load is rolled back and redone, for a first load
    # (one pass) and for a re-upload (staged) alike.
    last = 'Z1,03/04/2025,10:00,C1,Zoë Lee,,Dr Zoë Ng,Single Session,Completed,"£1,234.50"\n'
    path = _big_export(tmp_path, last.encode("cp1252"))
    first = import_file(priced, "appointments", path)
    assert (first.status, first.inserted) == ("committed", 20_001), first.errors
    row = priced.rows(
        "select clinician, price_charged_gbp from appointments where appointment_id = 'Z1'"
    )
    assert row == [("Dr Zoë Ng", Decimal("1234.50"))]
    again = import_file(priced, "appointments", path)
    assert (again.status, again.unchanged, again.inserted) == ("committed", 20_001, 0), again
    ids = priced.rows("select import_id from imports order by import_id")
    assert [i for (i,) in ids][-2:] == [first.import_id, again.import_id]


def test_windows_1252_accent_as_the_last_byte(priced: Store, tmp_path: Path):
    """A small Windows-1252 file ending on an accent (no final newline) is still Windows-1252."""
    path = tmp_path / "short.csv"
    header = "Booking ID,Date,Customer ID,Treatment,Status,Therapist\n"
    path.write_bytes(
        (header + "A1,03/04/2025,C1,Single Session,Completed,Dr José").encode("cp1252")
    )
    result = import_file(priced, "appointments", path)
    assert result.status == "committed", result.errors
    assert priced.scalar("select clinician from appointments") == "Dr José"


def test_a_file_rewritten_before_the_retry_is_refused(
    priced: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A file rewritten between the first read and the Windows-1252 retry: a sentence, no rows."""
    from clinic.ingest import job

    last = "Z1,03/04/2025,10:00,C1,Zoë Lee,,Dr Zoë Ng,Single Session,Completed,150\n"
    path = _big_export(tmp_path, last.encode("cp1252"))
    real = job.open_export

    def rewritten_first(source, name=None, **options):
        if options.get("cp1252"):  # the export is written again as UTF-8 just before the retry
            path.write_bytes(path.read_bytes().replace("Zoë".encode("cp1252"), "Zoë".encode()))
        return real(source, name, **options)

    monkeypatch.setattr(job, "open_export", rewritten_first)
    before = snapshot(priced)
    result = import_file(priced, "appointments", path)
    assert result.status == "unreadable"
    assert "changed while it was being imported" in result.errors[0].reason
    assert snapshot(priced) == before


def test_neither_encoding_past_the_checked_head(priced: Store, tmp_path: Path):
    """A byte no Windows-1252 file holds, past the checked head: one sentence, store unchanged."""
    path = _big_export(tmp_path, b"Z1,03/04/2025,10:00,C1,Z\x81,,Dr B,Single Session,Done,1\n")
    before = snapshot(priced)
    result = import_file(priced, "appointments", path)
    assert result.status == "unreadable"
    assert "neither UTF-8 nor Windows-1252" in result.errors[0].reason
    assert snapshot(priced) == before


def test_western_windows_1252_text_imports_exactly(priced: Store):
    """Accents, curly quotes, dashes and currency signs of a Windows-1252 export read back."""
    name = "Dr “Ærø” Müller–Ñoño (£ € ½ °)"
    data = appts(f"A1,03/04/2025,,C1,,,{name},Single Session,Completed,").replace(
        name.encode(), name.encode("cp1252")
    )
    result = import_file(priced, "appointments", data)
    assert result.status == "committed", result.errors
    assert priced.scalar("select clinician from appointments") == name


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (
            APPT_HEADER.replace(b"Therapist", "担当者".encode("shift_jis"))
            + b"A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,\n"
            + "A2,03/04/2025,,C2,田中 花子,,タナカ,Single Session,Completed,\n".encode("shift_jis"),
            "Line 1: this file is neither UTF-8 nor Windows-1252",
        ),
        (
            b"A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,\n"
            + "A2,03/04/2025,,C2,,,タナカ,Single Session,Completed,\n".encode("shift_jis"),
            "Line 3: this file is neither UTF-8 nor Windows-1252",
        ),
        (
            "A1,03/04/2025,,C1,Zoë,,Dr Zoë Ng,Single Session,Completed,\n".encode()
            + b"A2,03/04/2025,,C2,,,Dr X,Single Session,Completed,\n"
            + b"A3,03/04/2025,,C3,Zo\xeb,,Dr X,Single Session,Completed,\n",
            "Line 4: this line holds bytes that are not UTF-8 text, though the file is UTF-8",
        ),
    ],
    ids=["shift-jis header", "shift-jis rows", "utf-8 then another encoding"],
)
def test_text_in_no_usual_encoding_is_refused_naming_the_line(
    priced: Store, data: bytes, words: str
):
    """Shift-JIS, or UTF-8 with other bytes in it, is refused at its line, not stored garbled."""
    if not data.startswith(b"Booking"):
        data = APPT_HEADER + data
    before = snapshot(priced)
    result = import_file(priced, "appointments", data)
    assert result.status == "unreadable", result
    assert result.errors[0].reason.startswith(words), result.errors[0].reason
    assert snapshot(priced) == before
    shown = preview(priced, "appointments", data, "export.csv")
    assert shown.problems[0].reason.startswith(words)


def test_utf8_damaged_past_the_checked_head_is_refused(priced: Store, tmp_path: Path):
    """A big UTF-8 file (accents in its first row) with a stray byte at row 20,002: refused."""
    path = _big_export(tmp_path, b"Z1,03/04/2025,10:00,C1,Zo\xeb,,Dr B,Single Session,Done,1\n")
    path.write_bytes(path.read_bytes().replace(b"Ann Lee", "Zoë Lee".encode(), 1))
    assert reader._open_large(path) is not None  # DuckDB, not Python, meets the stray byte
    before = snapshot(priced)
    result = import_file(priced, "appointments", path)
    assert result.status == "unreadable"
    assert result.errors[0].reason.startswith("Line 20002: this line holds bytes that are not")
    assert snapshot(priced) == before


@pytest.mark.parametrize("big", [False, True], ids=["small upload", "big file, fast path"])
def test_hidden_characters_in_names_are_flagged(priced: Store, tmp_path: Path, big: bool):
    """A right-to-left override or a zero-width space in a name is stored, and its line flagged."""
    rows = [
        "B1,03/04/2025,,C1,,,Dr Amara Patel,Single Session,Completed,",
        "B2,03/04/2025,,C2,,,Dr \u202eletaP aramA,Single Session,Completed,",
        "B\u200b3,03/04/2025,,C3,,,Dr X,Single Session,Completed,",
    ]
    data = appts(*rows)
    source: bytes | Path = data
    line = 3
    if big:  # the rows after 20,000 plain ones: the scan beside the parse finds them
        source = _big_export(tmp_path, data.split(b"\n", 1)[1])
        line += 20_000
    assert preview(priced, "appointments", data, "x.csv").warnings[0].line == 3
    result = import_file(priced, "appointments", source)
    assert result.status == "committed" and result.errors == [], result.errors
    assert [(w.line, w.column, w.value) for w in result.warnings] == [
        (line, "Therapist", "Dr <U+202E>letaP aramA"),
        (line + 1, "Booking ID", "B<U+200B>3"),
    ]
    assert "U+202E RIGHT-TO-LEFT OVERRIDE" in result.warnings[0].reason
    assert priced.scalar("select count(*) from appointments where clinician like '%\u202e%'") == 1
    message = priced.scalar(
        "select message from imports where import_id = $i", {"i": result.import_id}
    )
    assert message.startswith("2 value(s) hold invisible or direction-changing characters")


_LAST = b"Z1,03/04/2025,10:00,C1,,,Dr B,Single Session,Completed,1"


@pytest.mark.parametrize(
    ("newlines", "last", "words"),
    [
        ((b"\r\n", b"\r\n"), _LAST + b"\r\n", None),
        ((b"\r\n", b"\n"), _LAST + b"\n", None),  # DuckDB's reader fails on this one
        ((b"\n", b"\n"), _LAST.replace(b",,,", b",A\x00B,,") + b"\n", "binary"),
        (
            (b"\n", b"\n"),
            _LAST.replace(b",,,", b",," + b"x" * 40_000 + b",") + b"\n",
            "Line 20002, column E-mail: a cell holds 39 KB",
        ),
    ],
    ids=["crlf", "crlf header over lf rows", "nul byte", "long cell"],
)
@pytest.mark.parametrize("first_load", [True, False], ids=["one pass", "staged"])
def test_big_file_checks_beside_the_parse(
    priced: Store,
    tmp_path: Path,
    newlines: tuple[bytes, bytes],
    last: bytes,
    words: str | None,
    first_load: bool,
):
    """A big file goes to DuckDB unread; what the checks beside it find decides the import."""
    if not first_load:  # rows in the store: the staged path (temp table, upsert) reads the file
        earlier = appts("S1,03/04/2025,10:00,C9,,,Dr B,Single Session,Completed,1")
        assert import_file(priced, "appointments", earlier).status == "committed"
    header_newline, newline = newlines
    path = _big_export(tmp_path, last, newline, header_newline)
    assert reader._open_large(path) is not None  # the fast path, not the whole read
    before = snapshot(priced)
    result = import_file(priced, "appointments", path)
    if words is None:
        assert (result.status, result.inserted) == ("committed", 20_001), result.errors
        recorded = priced.scalar(
            "select file_sha256 from imports where import_id = $i", {"i": result.import_id}
        )
        assert recorded == hashlib.sha256(path.read_bytes()).hexdigest()
    else:
        assert result.status == "unreadable" and words in result.errors[0].reason, result.errors
        assert snapshot(priced) == before


@pytest.mark.parametrize(
    ("newlines", "start", "outcome"),
    [
        ((b"\r", b"\n"), b"", (20_001, None)),  # a CR-only header: the careful path rewrites it
        ((b"\n", b"\n"), b"\r\n", (20_001, None)),  # a blank line first: the careful path
        ((b"\n", b"\n"), b",".join(b"h%d" % i for i in range(501)) + b"\n", (0, "501 columns")),
    ],
    ids=["cr header over lf rows", "blank first line", "501 columns"],
)
def test_big_files_the_fast_path_leaves_alone(
    priced: Store, tmp_path: Path, newlines: tuple[bytes, bytes], start: bytes, outcome: tuple
):
    """Big files whose head the fast path does not take as it is import as a small one would."""
    header_newline, newline = newlines
    path = _big_export(tmp_path, _LAST + b"\n", newline, header_newline)
    path.write_bytes(start + path.read_bytes())
    inserted, words = outcome
    before = snapshot(priced)
    result = import_file(priced, "appointments", path)
    if words is None:
        assert (result.status, result.inserted) == ("committed", inserted), result.errors
    else:
        assert result.status == "unreadable" and words in result.errors[0].reason, result.errors
        assert snapshot(priced) == before


def test_big_file_deleted_during_the_import(
    priced: Store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """A big file deleted before the checks beside the parse read it: a sentence, no rows."""
    path = _big_export(tmp_path, _LAST + b"\n")
    real = scan.scan_file

    def deleted_first(file: Path, limit: int) -> Scan:
        file.unlink()
        return real(file, limit)

    monkeypatch.setattr(reader, "scan_file", deleted_first)
    before = snapshot(priced)
    result = import_file(priced, "appointments", path)
    assert result.status == "unreadable", result
    assert "could not be read again while importing" in result.errors[0].reason
    assert snapshot(priced) == before


def test_utf16_and_tabs(store: Store):
    """A UTF-16 file with a BOM and tab delimiters is read."""
    text = "Item\tKind\tPrice\tValid From\r\nSingle Session\ttreatment\t£150.00\t2023-01-01\r\n"
    result = import_file(store, "prices", text.encode("utf-16"))
    assert result.status == "committed", result.errors
    assert store.scalar("select item from prices") == "Single Session"


def test_mixed_line_endings(store: Store):
    """A CRLF header over LF rows (as in the sample export) is read."""
    data = b"Item,Kind,Price,Valid From\r\nA,treatment,1,2023-01-01\nB,product,2,2023-01-01\n"
    result = import_file(store, "prices", data)
    assert (result.status, result.inserted) == ("committed", 2)


@pytest.mark.parametrize(
    ("data", "words"),
    [
        (b"", "empty"),
        (b"\n\n  \n", "empty"),
        (bytes(range(256)) * 8, "binary"),
        (b"PK\x03\x04not really a zip", "Excel"),
    ],
)
def test_unreadable_files(store: Store, data: bytes, words: str):
    """Empty files, binary garbage and broken workbooks are unreadable with one sentence."""
    before = snapshot(store)
    result = import_file(store, "appointments", data, file_name="x.csv")
    assert result.status == "unreadable" and result.import_id is None
    assert len(result.errors) == 1 and words in result.errors[0].reason
    assert snapshot(store) == before


def test_too_big(store: Store, monkeypatch: pytest.MonkeyPatch):
    """A file over the upload limit is refused as unreadable."""
    monkeypatch.setenv("CLINIC_MAX_UPLOAD_MB", "1")
    result = import_file(store, "prices", b"Item,Kind,Price,Valid From\n" + b"x" * (2 << 20))
    assert result.status == "unreadable" and "MB" in result.errors[0].reason


def test_xlsx(store: Store):
    """An XLSX workbook (first sheet, header row 1, Excel dates) imports like a CSV."""
    data = xlsx_bytes(
        [
            ["Item", "Kind", "Price (£)", "Valid From", "Duration"],
            ["Single Session", "treatment", 150, ("date", 45658), "30 min"],
            ["Compression Socks", "product", "£25.00", "01/01/2025", None],
        ]
    )
    result = import_file(store, "prices", data, file_name="prices.xlsx")
    assert result.status == "committed", result.errors
    rows = store.rows("select item, valid_from, price_gbp, duration_min from prices order by item")
    assert rows == [
        ("Compression Socks", date(2025, 1, 1), Decimal("25.00"), None),
        ("Single Session", date(2025, 1, 1), Decimal("150.00"), 30),
    ]


def test_xlsx_line_numbers_skip_nothing(store: Store):
    """A problem in an XLSX file is reported on the sheet's row, even after an empty row."""
    data = xlsx_bytes(
        [
            ["Item", "Kind", "Price", "Valid From"],
            ["A", "treatment", 1, "2025-01-01"],
            [None, None, None, None],
            ["B", "treatment", "ten", "2025-01-01"],
        ]
    )
    result = assert_rejected_unchanged(store, data, "prices")
    assert [(p.line, p.column, p.value) for p in result.errors] == [(4, "Price", "ten")]


def test_blank_lines_keep_line_numbers(store: Store):
    """A blank line in a CSV (which the reader skips) still counts as a spreadsheet row."""
    data = b"Item,Kind,Price,Valid From\nA,treatment,1,2025-01-01\n\n\nB,treatment,ten,2025-01-01\n"
    result = assert_rejected_unchanged(store, data, "prices")
    assert [(p.line, p.column, p.value) for p in result.errors] == [(5, "Price", "ten")]
    assert result.rows_read == 2


def test_store_busy_is_raised(priced: Store):
    """An import while another write holds the lock raises StoreBusy (CLI exit 4)."""
    from clinic.store import StoreBusy

    with priced.writer(), pytest.raises(StoreBusy):
        import_file(priced, "prices", PRICES)


# -- values -------------------------------------------------------------------------------------
def test_dates_iso_uk_and_utc(priced: Store):
    """ISO, UK day-first and UTC timestamps become UK local dates (BST evening -> next day)."""
    data = appts(
        "A1,2025-04-03,14:45,C1,,,Dr X,Single Session,Completed,",
        "A2,03/04/2025,,C1,,,Dr X,Single Session,Completed,",
        "A3,2025-07-10T23:30:00Z,,C1,,,Dr X,Single Session,Completed,",
        "A4,2025-01-10T23:30:00Z,,C1,,,Dr X,Single Session,Completed,",
        "A5,03/04/2025 14:45,,C1,,,Dr X,Single Session,Completed,",
        "A6,2025-04-03 14:45:00,,C1,,,Dr X,Single Session,Completed,",
        "A7,2025-07-10T22:30:00+01:00,,C1,,,Dr X,Single Session,Completed,",
    )
    result = import_file(priced, "appointments", data)
    assert result.status == "committed", result.errors
    got = dict(priced.rows("select appointment_id, appointment_date from appointments"))
    assert got == {
        "A1": date(2025, 4, 3),
        "A2": date(2025, 4, 3),
        "A3": date(2025, 7, 11),
        "A4": date(2025, 1, 10),
        "A5": date(2025, 4, 3),
        "A6": date(2025, 4, 3),
        "A7": date(2025, 7, 10),
    }
    assert priced.scalar("select start_time from appointments where appointment_id = 'A1'") == time(
        14, 45
    )


@pytest.mark.parametrize("bad", ["01/13/2025", "31/02/2025", "2025-13-01", "tomorrow"])
def test_bad_dates_rejected(priced: Store, bad: str):
    """US-order and impossible dates are rejected with a reason, nothing written."""
    data = appts(
        "A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,",
        f"A2,{bad},,C1,,,Dr X,Single Session,Completed,",
    )
    result = assert_rejected_unchanged(priced, data)
    assert reasons(result) == [
        (3, "Date", bad, "not a date: use 2025-04-03 or 03/04/2025 (day first, UK order)")
    ]
    assert result.rejected == 1 and result.rows_read == 2


def test_money_forms(priced: Store):
    """120, 120.00, £120.00, £1,234.50 and ' £ 1,234.50 ' are amounts; empty is the list price."""
    data = appts(
        "A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,120",
        "A2,03/04/2025,,C1,,,Dr X,Single Session,Completed,120.00",
        "A3,03/04/2025,,C1,,,Dr X,Single Session,Completed,£120.00",
        'A4,03/04/2025,,C1,,,Dr X,Single Session,Completed,"£1,234.50"',
        'A5,03/04/2025,,C1,,,Dr X,Single Session,Completed," £ 1,234.50 "',
        "A6,03/04/2025,,C1,,,Dr X,Single Session,Completed,",
    )
    result = import_file(priced, "appointments", data)
    assert result.status == "committed", result.errors
    got = dict(priced.rows("select appointment_id, price_charged_gbp from appointments"))
    assert got == {
        "A1": Decimal("120.00"),
        "A2": Decimal("120.00"),
        "A3": Decimal("120.00"),
        "A4": Decimal("1234.50"),
        "A5": Decimal("1234.50"),
        "A6": None,
    }


@pytest.mark.parametrize("bad", ["12,34", "£12.345", "ten", "1.2.3"])
def test_bad_money_rejected(priced: Store, bad: str):
    """Anything that is not an amount of money is rejected."""
    data = appts(f'A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,"{bad}"')
    result = assert_rejected_unchanged(priced, data)
    assert [(p.line, p.column, p.value) for p in result.errors] == [(2, "Amount", bad)]


def test_status_synonyms_and_service_spelling(priced: Store):
    """Status synonyms map to the four statuses; the service takes the price list's spelling."""
    data = appts(
        "A1,03/04/2025,,C1,,,Dr X,single  session,Arrived,",
        "A2,03/04/2025,,C1,,,Dr X,SINGLE SESSION,Canceled,",
        "A3,03/04/2025,,C1,,,Dr X,6 week review,DNA,",
        "A4,03/04/2025,,C1,,,Dr X,6-Week-Review,Confirmed,",
        "A5,03/04/2025,,C1,,,Dr X,Compression Socks,Late Cancellation,",
        "A6,03/04/2025,,C1,,,Dr X,Compression Socks,did not attend,",
    )
    result = import_file(priced, "appointments", data)
    assert result.status == "committed", result.errors
    got = priced.rows("select appointment_id, item, kind, status from appointments order by 1")
    assert got == [
        ("A1", "Single Session", "treatment", "completed"),
        ("A2", "Single Session", "treatment", "cancelled"),
        ("A3", "6 Week Review", "follow-up", "no-show"),
        ("A4", "6 Week Review", "follow-up", "booked"),
        ("A5", "Compression Socks", "product", "cancelled"),
        ("A6", "Compression Socks", "product", "no-show"),
    ]


def test_clinical_vocabularies(priced: Store):
    """Vein type, sclerosant, form, compression and funding synonyms; empty compression is null."""
    data = (
        b"Ref,Date,Client ID,Staff,Service,Status,Vein Type,Sclerosant,Form,"
        b"Compression Stockings,Payment Type,Vein Diameter (mm),Concentration (%),Volume\n"
        b"A1,03/04/2025,C1,Dr X,Single Session,Completed,Telangiectasia,Asclera,Foam,Purchased,"
        b"Self Pay,3.5,0.5,2\n"
        b"A2,03/04/2025,C1,Dr X,Single Session,Completed,varicose,STS,liquid,,NHS,,,\n"
    )
    result = import_file(priced, "appointments", data)
    assert result.status == "committed", result.errors
    got = priced.rows(
        "select vein_type, sclerosant, form, compression, funding, vein_diameter_mm, "
        "concentration_pct, volume_ml, site from appointments order by appointment_id"
    )
    assert got == [
        ("spider", "polidocanol", "foam", "bought", "self-pay", 3.5, 0.5, 2.0, "main"),
        ("varicose", "sodium tetradecyl sulfate", "liquid", None, "nhs", None, None, None, "main"),
    ]


def test_unknown_values_say_what_is_allowed(priced: Store):
    """An unknown status or service is rejected with the fix in the reason."""
    data = appts(
        "A1,03/04/2025,,C1,,,Dr X,Laser Facial,Completed,",
        "A2,03/04/2025,,C1,,,Dr X,Single Session,Maybe,",
    )
    result = assert_rejected_unchanged(priced, data)
    assert reasons(result) == [
        (
            2,
            "Treatment",
            "Laser Facial",
            "unknown service 'Laser Facial': add it to the price list (import prices) first",
        ),
        (
            3,
            "Status",
            "Maybe",
            "unknown status 'Maybe': use one of booked, cancelled, completed, no-show",
        ),
    ]


def test_missing_required_column(priced: Store):
    """A file without a required column is rejected naming the column and accepted headers."""
    data = (
        b"Booking ID,Date,Therapist,Treatment,Status\nA1,03/04/2025,Dr X,Single Session,Completed\n"
    )
    result = assert_rejected_unchanged(priced, data)
    assert [(p.line, p.column, p.value) for p in result.errors] == [(1, "client_id", None)]
    assert result.errors[0].reason.startswith("required column client_id not found; expected one")
    assert "Customer ID" in result.errors[0].reason
    stored = priced.rows('select line, "column" from import_rejects')
    assert stored == [(1, "client_id")]


def test_duplicate_keys_name_both_lines(priced: Store):
    """The same appointment id twice in one file is a rejection naming both lines."""
    data = appts(
        "APT-1,03/04/2025,,C1,,,Dr X,Single Session,Completed,",
        "APT-2,03/04/2025,,C1,,,Dr X,Single Session,Completed,",
        "APT-1,04/04/2025,,C1,,,Dr X,Single Session,Completed,",
    )
    result = assert_rejected_unchanged(priced, data)
    assert reasons(result) == [(2, "Booking ID", "APT-1", "appointment id APT-1 also on line 4")]
    assert result.rejected == 2


def test_a_key_repeated_on_many_lines_is_one_problem(priced: Store):
    """10,000 copies of a row: one problem naming the first lines and the count, nothing more."""
    row = "A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,"
    result = assert_rejected_unchanged(priced, appts(*[row] * 10_000))
    assert reasons(result) == [
        (
            2,
            "Booking ID",
            "A1",
            "appointment id A1 also on lines 3, 4, 5, 6, 7 and 9,994 more",
        )
    ]
    assert (result.rejected, result.problem_count) == (10_000, 1)


def test_problems_listed_are_bounded_and_the_rest_counted(
    priced: Store, monkeypatch: pytest.MonkeyPatch
):
    """Thousands of bad rows: the first N problems by line are listed and stored, all counted."""
    monkeypatch.setenv("CLINIC_MAX_PROBLEMS", "5")
    rows = [f"A{i},31/02/2025,,C1,,,Dr X,Nothing,Completed," for i in range(3_000)]
    rows += ["A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,"] * 2  # A1 three times
    rows += [f"B{i},03/04/2025,,C1,,,Dr X,Single Session,Completed,,extra" for i in range(50)]
    result = assert_rejected_unchanged(priced, appts(*rows))
    listed = [(p.line, p.column) for p in result.errors]
    assert listed == [
        (2, "Date"),
        (2, "Treatment"),
        (3, "Booking ID"),
        (3, "Date"),
        (3, "Treatment"),
        (None, None),
    ]
    assert result.errors[-1].reason.startswith("6,051 problems in all; the first 5 by line")
    assert (result.problem_count, result.rejected, result.rows_read) == (6_051, 3_052, 3_052)
    stored = priced.scalar(
        "select count(*) from import_rejects where import_id = $i", {"i": result.import_id}
    )
    assert stored == 6
    p = preview(priced, "appointments", appts(*rows), "bad.csv")
    assert len(p.problems) == 6 and p.problem_count == 6_051


def test_line_numbers_as_a_spreadsheet_shows_them(priced: Store):
    """Lines count records (a quoted cell spanning lines is one row); broken rows do not shift."""
    data = appts(
        'A1,03/04/2025,,C1,"Ann\nSmith",,Dr X,Single Session,Completed,',
        "A2,31/02/2025,,C1,,,Dr X,Single Session,Completed,",
        "A3,03/04/2025,,C1,,,Dr X,Single Session,Completed,,extra,cells",
        "A4,03/04/2025,,C1,,,Dr X,Single Session,Nope,",
    )
    result = assert_rejected_unchanged(priced, data)
    assert [(p.line, p.column) for p in result.errors] == [(3, "Date"), (4, None), (5, "Status")]
    assert "more cells" in result.errors[1].reason
    assert result.rows_read == 4 and result.rejected == 3


# -- upserts and undo ---------------------------------------------------------------------------
def test_reupload_and_overlapping_export(priced: Store):
    """Re-upload changes nothing; an overlapping export is counted exactly; undo restores."""
    first = appts(
        "A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,",
        "A2,04/04/2025,,C2,,,Dr X,Single Session,Booked,",
        "A3,05/04/2025,,C3,,,Dr X,Single Session,Booked,",
    )
    one = import_file(priced, "appointments", first)
    assert (one.inserted, one.updated, one.unchanged) == (3, 0, 0)
    again = import_file(priced, "appointments", first)
    assert (again.inserted, again.updated, again.unchanged, again.status) == (0, 0, 3, "committed")
    second = appts(
        "A2,04/04/2025,,C2,,,Dr X,Single Session,Booked,",
        "A3,05/04/2025,,C3,,,Dr X,Single Session,Completed,£150",
        "A4,06/04/2025,,C4,,,Dr X,Single Session,Booked,",
    )
    two = import_file(priced, "appointments", second)
    assert (two.rows_read, two.inserted, two.updated, two.unchanged) == (3, 1, 1, 1)
    assert priced.scalar("select count(*) from appointments") == 4
    assert priced.rows(
        "select status, import_id, first_import_id from appointments where appointment_id = 'A3'"
    ) == [("completed", two.import_id, one.import_id)]
    assert priced.rows("select appointment_id, status, replaced_by from appointments_history") == [
        ("A3", "booked", two.import_id)
    ]
    counts = priced.rows(
        "select status, rows_read, inserted, updated, unchanged from imports where import_id = $i",
        {"i": two.import_id},
    )
    assert counts == [("committed", 3, 1, 1, 1)]

    done = undo(priced, two.import_id, user="ann")
    assert (done.removed, done.restored, done.status) == (1, 1, "undone")
    assert priced.rows("select appointment_id, status from appointments order by 1") == [
        ("A1", "completed"),
        ("A2", "booked"),
        ("A3", "booked"),
    ]
    assert priced.scalar("select count(*) from appointments_history") == 0
    with pytest.raises(UndoRefused, match="undone, not committed"):
        undo(priced, two.import_id)


def test_first_load_and_staged_upsert_store_the_same_rows(tmp_path: Path, priced: Store):
    """An empty table takes the one-pass path, a non-empty one the staged path: same rows."""
    rows = [
        'A1,03/04/2025,09:30,C1,Ann,a@x.uk,Dr X,single session,Completed,"£1,150.50"',
        "A2,2025-04-04T23:30:00Z,,c1 ,,,Dr X,Single Session,Booked,",
        "A3,05/04/2025,14.45,C3,,,Dr Y,Compression Socks,completed,25",
    ]
    direct = import_file(priced, "appointments", appts(*rows))
    staged_store = Store(tmp_path / "staged.duckdb")
    try:
        assert import_file(staged_store, "prices", PRICES).status == "committed"
        # One unrelated row first, so the same file meets a non-empty table.
        assert import_file(staged_store, "appointments", appts(rows[0])).inserted == 1
        staged = import_file(staged_store, "appointments", appts(*rows))
        assert (staged.inserted, staged.updated, staged.unchanged) == (2, 0, 1)
        assert (direct.status, direct.rows_read, direct.inserted) == ("committed", 3, 3)
        query = "select * exclude (import_id, first_import_id) from appointments order by 1"
        assert priced.rows(query) == staged_store.rows(query)
        facts = "select * from session_facts order by appointment_id"
        assert priced.rows(facts) == staged_store.rows(facts)
    finally:
        staged_store.close()


def test_refused_first_load_keeps_import_ids_consecutive(priced: Store):
    """A bad file meeting an empty table is retried on the staged path under the same id."""
    bad = assert_rejected_unchanged(priced, appts("A1,31/02/2025,,C1,,,Dr X,Single Session,Done,"))
    assert [(p.line, p.column) for p in bad.errors] == [(2, "Date"), (2, "Status")]
    good = import_file(priced, "appointments", appts("A1,03/04/2025,,C1,,,Dr X,Single Session,,"))
    assert good.status == "rejected"  # the status is required
    ids = [r[0] for r in priced.rows("select import_id from imports order by 1")]
    assert ids == list(range(1, len(ids) + 1))


def test_undo_refused_after_a_later_change(priced: Store):
    """An import whose rows a later import changed cannot be undone."""
    one = import_file(
        priced, "appointments", appts("A1,03/04/2025,,C1,,,Dr X,Single Session,Booked,")
    )
    two = import_file(
        priced, "appointments", appts("A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,")
    )
    assert two.updated == 1
    before = snapshot(priced)
    with pytest.raises(UndoRefused, match=f"changed later by import {two.import_id}"):
        undo(priced, one.import_id)
    assert snapshot(priced) == before
    rejected = import_file(
        priced, "appointments", appts("A9,bad,,C1,,,Dr X,Single Session,Booked,")
    )
    with pytest.raises(UndoRefused, match="rejected"):
        undo(priced, rejected.import_id)


# -- side effects -------------------------------------------------------------------------------
SE_HEADER = b"Appointment ID,Date Reported,Side Effect,Severity,Needs Medical Attention,Notes\n"


@pytest.fixture
def sessions(priced: Store) -> Store:
    """A store with one treatment session (T1) and one follow-up visit (F1)."""
    data = appts(
        "T1,03/04/2025,,C1,,,Dr X,Single Session,Completed,",
        "F1,15/05/2025,,C1,,,Dr X,6 Week Review,Completed,",
    )
    assert import_file(priced, "appointments", data).status == "committed"
    return priced


def test_side_effect_synonyms_and_free_text(sessions: Store):
    """Synonyms map to the clinic's terms; notes stay verbatim; re-upload duplicates nothing."""
    data = SE_HEADER + (
        b'T1,10/04/2025,DVT,severe,Yes,"=HYPERLINK(""http://x"",""see"")"\n'
        b"T1,11/04/2025,dark spots,mild,n,<b>urgent</b>\n"
        b"T1,12/04/2025,Hives,moderate,TRUE,\n"
        b"T1,13/04/2025,fainting,,,\n"
        b"T1,14/04/2025,matting,,,\n"
        b"T1,15/04/2025,Skin Death,,,\n"
    )
    result = import_file(sessions, "side-effects", data)
    assert result.status == "committed", result.errors
    got = sessions.rows(
        "select effect, severity, medical_attention, notes from side_effects order by reported_date"
    )
    assert got == [
        ("deep vein thrombosis", "severe", True, '=HYPERLINK("http://x","see")'),
        ("hyperpigmentation", "mild", False, "<b>urgent</b>"),
        ("localized hives", "moderate", True, None),
        ("vasovagal reflex", None, None, None),
        ("telangiectatic matting", None, None, None),
        ("cutaneous necrosis", None, None, None),
    ]
    again = import_file(sessions, "side-effects", data)
    assert (again.inserted, again.unchanged) == (0, 6)


def test_side_effect_problems(sessions: Store):
    """Unknown terms and reports for unknown or non-treatment appointments are rejected."""
    data = SE_HEADER + (
        b"T1,10/04/2025,sore elbow,,,\nAPT-404,10/04/2025,bruising,,,\nF1,10/04/2025,bruising,,,\n"
    )
    result = assert_rejected_unchanged(sessions, data, "side-effects")
    assert [(p.line, p.column, p.value) for p in result.errors] == [
        (2, "Side Effect", "sore elbow"),
        (3, "Appointment ID", "APT-404"),
        (4, "Appointment ID", "F1"),
    ]
    assert result.errors[0].reason.startswith("unknown side effect 'sore elbow': use one of ")
    assert result.errors[0].reason.endswith("or add a synonym to clinic/data/vocabulary.json")
    assert result.errors[1].reason == (
        "no treatment session APT-404 in the store: import the appointments export first"
    )


def test_record_side_effect_by_phone(sessions: Store):
    """A side effect entered in a form is validated, recorded as a manual import, and undoable."""
    result = record_side_effect(
        sessions,
        {
            "appointment_id": "T1",
            "reported_date": date(2025, 4, 20),
            "effect": "PE",
            "medical_attention": True,
            "notes": "called 111",
        },
        user="reception",
    )
    assert result.status == "committed" and result.inserted == 1
    assert (
        sessions.scalar("select kind from imports where import_id = $i", {"i": result.import_id})
        == "manual"
    )
    assert sessions.rows("select effect, medical_attention, notes from side_effects") == [
        ("pulmonary embolism", True, "called 111")
    ]
    bad = record_side_effect(
        sessions, {"appointment_id": "T1", "reported_date": "x", "effect": "PE"}
    )
    assert bad.status == "rejected" and bad.errors[0].column == "reported_date"
    undo(sessions, result.import_id)
    assert sessions.scalar("select count(*) from side_effects") == 0


# -- privacy, preview, mappings -----------------------------------------------------------------
def test_identifying_data_never_stored(priced: Store):
    """Names, e-mails, phones, DOB, notes and the raw client id appear in no table at all."""
    header = (
        b"Booking ID,Date,Client ID,First Name,Surname,Email,Mobile,DOB,Address,Notes,"
        b"Staff,Service,Status\n"
    )
    good = header + (
        b"A1,03/04/2025,CX-98765,Zebedee,Quixote,zq@example.org,07700 900123,12/05/1980,"
        b"1 Secret Lane,Zebedee is nervous,Dr X,Single Session,Completed\n"
    )
    bad = header + (
        b"A2,03/04/2025,CX-55555,Zebedee,Quixote,zq@example.org,07700 900123,12/05/1980,"
        b"1 Secret Lane,Zebedee is nervous,Dr X,Nope,Completed\n"
    )
    assert import_file(priced, "appointments", good).status == "committed"
    assert import_file(priced, "appointments", bad).status == "rejected"
    secrets = [
        "Zebedee",
        "Quixote",
        "zq@example",
        "07700",
        "1980",
        "Secret",
        "nervous",
        "98765",
        "55555",
    ]
    columns = priced.rows(
        "select table_name, column_name from information_schema.columns "
        "where data_type = 'VARCHAR' and table_schema = 'main'"
    )
    assert columns
    for table, column in columns:
        for secret in secrets:
            hits = priced.scalar(
                f'select count(*) from "{table}" where contains(lower("{column}"), lower($s))',
                {"s": secret},
            )
            assert hits == 0, (table, column, secret)
    ref = priced.scalar("select patient_ref from appointments")
    assert ref.startswith("P") and len(ref) == 17


def test_preview_writes_nothing(priced: Store):
    """A preview shows mapping, dropped and ignored columns, a clean sample and every problem."""
    data = (
        APPT_HEADER.replace(b"Amount\n", b"Amount,Colour\n")
        + (
            "A1,03/04/2025,14:45,C1,Ann,ann@x.org,Dr X,Single Session,Completed,£150,red\n"
            "A2,31/02/2025,,C2,Bob,bob@x.org,Dr X,Single Session,Completed,,\n"
        ).encode()
    )
    before = snapshot(priced)
    imports_before = priced.scalar("select count(*) from imports")
    p = preview(priced, "appointments", data, "export.csv", rows=5)
    assert snapshot(priced) == before
    assert priced.scalar("select count(*) from imports") == imports_before
    assert p.mapping["Booking ID"] == "appointment_id" and p.mapping["Name"] is None
    assert p.dropped == ["Name", "E-mail"] and p.ignored == ["Colour"]
    assert p.missing_required == [] and p.rows_read == 2
    assert [(q.line, q.column) for q in p.problems] == [(3, "Date")]
    assert list(p.sample["appointment_id"]) == ["A1", "A2"]
    assert "Name" not in p.sample.columns and p.sample["patient_ref"][0].startswith("P")


def test_saved_mapping_for_a_source(priced: Store):
    """A correction saved for a source system maps an unknown header on the next import."""
    data = (
        b"Visit No,When,Who,Client ID,Procedure,Outcome\n"
        b"V1,03/04/2025,Dr X,C1,Single Session,Attended\n"
    )
    assert import_file(priced, "appointments", data).status == "rejected"
    save_mapping(
        priced,
        "VeinSoft",
        "appointments",
        {
            "Visit No": "appointment_id",
            "When": "date",
            "Who": "clinician",
            "Procedure": "service",
            "Outcome": "status",
        },
    )
    assert load_mapping(priced, "VeinSoft", "appointments")["visit no"] == "appointment_id"
    result = import_file(priced, "appointments", data, source_system="VeinSoft")
    assert result.status == "committed", result.errors
    override = import_file(
        priced,
        "appointments",
        data,
        mapping={
            "Visit No": "appointment_id",
            "When": "date",
            "Who": "clinician",
            "Procedure": "service",
            "Outcome": "status",
        },
    )
    assert override.unchanged == 1


def test_samples_commit_in_order(store: Store):
    """The three sample exports of data/samples commit; rows read equal their data lines."""
    expected = {"price_list.csv": 8, "appointments_export.csv": 375, "side_effects_export.csv": 22}
    for kind, name in (
        ("prices", "price_list.csv"),
        ("appointments", "appointments_export.csv"),
        ("side-effects", "side_effects_export.csv"),
    ):
        lines = (SAMPLES / name).read_bytes().count(b"\n") - 1
        result = import_file(store, kind, SAMPLES / name)
        assert result.status == "committed", result.errors[:3]
        assert result.rows_read == lines == expected[name] == result.inserted
    assert store.scalar("select count(*) from appointments where kind = 'treatment'") > 100
    assert store.scalar("select count(distinct effect) from side_effects") >= 6


def test_progress_is_reported(priced: Store):
    """The progress callback goes from 0 to 1."""
    seen: list[float] = []
    import_file(
        priced,
        "appointments",
        appts("A1,03/04/2025,,C1,,,Dr X,Single Session,Completed,"),
        progress=lambda f, _m: seen.append(f),
    )
    assert seen[0] == 0.0 and seen[-1] == 1.0 and seen == sorted(seen)


# -- an XLSX written by hand (calamine only reads) -----------------------------------------------
_CONTENT_TYPES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">
<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>
<Default Extension="xml" ContentType="application/xml"/>
<Override PartName="/xl/workbook.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/>
<Override PartName="/xl/worksheets/sheet1.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"/>
<Override PartName="/xl/styles.xml"
 ContentType="application/vnd.openxmlformats-officedocument.spreadsheetml.styles+xml"/>
</Types>"""
_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/officeDocument"
 Target="xl/workbook.xml"/>
</Relationships>"""
_WORKBOOK = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main"
 xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">
<sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets>
</workbook>"""
_WORKBOOK_RELS = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">
<Relationship Id="rId1"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/worksheet"
 Target="worksheets/sheet1.xml"/>
<Relationship Id="rId2"
 Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/styles"
 Target="styles.xml"/>
</Relationships>"""
# Style 1 is the built-in date format 14, so a number in a cell with s="1" reads as a date.
_STYLES = """<?xml version="1.0" encoding="UTF-8" standalone="yes"?>
<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">
<fonts count="1"><font/></fonts><fills count="1"><fill/></fills>
<borders count="1"><border/></borders>
<cellStyleXfs count="1"><xf/></cellStyleXfs>
<cellXfs count="2"><xf numFmtId="0"/><xf numFmtId="14" applyNumberFormat="1"/></cellXfs>
</styleSheet>"""


def _col(i: int) -> str:
    """Spreadsheet column letters for a 0-based index."""
    name = ""
    i += 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    """A one-sheet workbook: str cells inline, numbers as numbers, ('date', serial) as a date."""
    xml_rows = []
    for r, row in enumerate(rows, start=1):
        cells = []
        for c, value in enumerate(row):
            ref = f"{_col(c)}{r}"
            if value is None:
                continue
            if isinstance(value, tuple):
                cells.append(f'<c r="{ref}" s="1"><v>{value[1]}</v></c>')
            elif isinstance(value, int | float):
                cells.append(f'<c r="{ref}"><v>{value}</v></c>')
            else:
                text = escape(str(value))
                cells.append(f'<c r="{ref}" t="inlineStr"><is><t>{text}</t></is></c>')
        xml_rows.append(f'<row r="{r}">{"".join(cells)}</row>')
    sheet = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
        f"<sheetData>{''.join(xml_rows)}</sheetData></worksheet>"
    )
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as z:
        z.writestr("[Content_Types].xml", _CONTENT_TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _WORKBOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        z.writestr("xl/styles.xml", _STYLES)
        z.writestr("xl/worksheets/sheet1.xml", sheet)
    return out.getvalue()
