"""Turn an uploaded export (CSV in any usual encoding, or XLSX) into one UTF-8 CSV file."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from functools import cached_property
from pathlib import Path

from clinic import config

_XLSX_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", ";", "\t")
_BINARY = "This is not a CSV or Excel file (it contains binary data)."
# A Windows-1252 export shows a non-UTF-8 byte (a pound sign, an accent) early, so Python checks
# only this head; DuckDB checks the rest while parsing.
_UTF8_HEAD = 1024 * 1024
# hashlib and file reads release the GIL: a big file's SHA-256 and byte checks run on a thread
# while DuckDB parses it.
_HASHER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="clinic-scan")
# The thread reads a big file in chunks of about this size into one reused buffer: reading it
# whole into a new bytes object cost more than DuckDB's own read of it (page faults).
_CHUNK = 1024 * 1024


class Unreadable(ValueError):
    """The file cannot be read as a table; the message says why in one sentence."""


class Reread(Exception):
    """A big file the fast path handed to DuckDB needs the careful path after all."""


@dataclass(frozen=True)
class Scan:
    """What one pass over a file's bytes found: its SHA-256 and, for a big file, its problems."""

    sha256: str
    binary: bool = False
    # Mixed line ends, or a line that may hold a cell over the limit: read the file whole.
    reread: bool = False
    # The file could not be read to its end (deleted or unreadable meanwhile): why, in a sentence.
    error: str | None = None


@dataclass
class TextFile:
    """A UTF-8 CSV ready for DuckDB: its path, delimiter and header names as written."""

    path: Path
    delimiter: str
    headers: list[str]
    scan: Future[Scan]
    temporary: bool = False
    cleanup: list[Path] = field(default_factory=list)
    # False: only the head was checked as UTF-8 in Python; DuckDB's reader checks the rest.
    verified: bool = True

    @cached_property
    def lines(self) -> int:
        """Physical lines, to tell whether a record spans lines or is blank (read on demand)."""
        return _line_count(self.path)

    @property
    def sha256(self) -> str:
        """The SHA-256 of the uploaded bytes as hex (waits for the background hash)."""
        return self._found().sha256

    def check(self) -> None:
        """Raise what the whole-file checks found; call it after DuckDB has read the file."""
        found = self._found()
        if found.binary:
            raise Unreadable(_BINARY)
        if found.reread:
            raise Reread

    def _found(self) -> Scan:
        """The scan's result (waits for it); Unreadable when the file could not be read."""
        found = self.scan.result()
        if found.error:
            raise Unreadable(found.error)
        return found

    def close(self) -> None:
        """Delete the temporary copy, if one was written."""
        for p in self.cleanup:
            p.unlink(missing_ok=True)


# Why Python's record-by-record read left a record out.
MORE_CELLS = "this row has more cells than there are headers"
FEWER_CELLS = "this row has fewer cells than there are headers"
BAD_QUOTE = "a quote in this row is not closed or is misplaced"


@dataclass
class Renumbered:
    """A copy of a CSV for DuckDB: each well-formed record, its line first (header = 1)."""

    path: Path
    # (line, reason) of the first records left out, and how many were left out in all.
    problems: list[tuple[int, str]]
    broken: int


def renumber(text: TextFile, limit: int) -> Renumbered:
    """Read a CSV record by record as a spreadsheet shows it; write the readable records.

    A record is one line, or several when a quoted cell spans lines; a blank line is a record
    too (DuckDB skips it). Records with the wrong number of cells or a misplaced quote are left
    out and counted, the first `limit` of them listed. Streams: memory holds one record.
    Raises UnicodeDecodeError for bytes that are not UTF-8.
    """
    n = len(text.headers)
    fd, name = tempfile.mkstemp(prefix="clinic-lines-", suffix=".csv")
    copy = Path(name)
    text.cleanup.append(copy)
    problems: list[tuple[int, str]] = []
    broken = 0
    with (
        text.path.open(encoding="utf-8", newline="") as fh,
        os.fdopen(fd, "w", encoding="utf-8", newline="") as out,
    ):
        rows = csv.reader(fh, delimiter=text.delimiter, strict=True)
        writer = csv.writer(out, lineterminator="\n")
        writer.writerow(["line", *(f"c{i}" for i in range(n))])
        line = 0
        while True:
            line += 1
            try:
                row = next(rows)
            except StopIteration:
                break
            except csv.Error:  # a stray quote, or one never closed (Python then stops a field)
                reason = BAD_QUOTE
            else:
                if line == 1 or not row:  # the header; a blank line keeps its number only
                    continue
                if len(row) == n:
                    writer.writerow([line, *row])
                    continue
                reason = MORE_CELLS if len(row) > n else FEWER_CELLS
            broken += 1
            if len(problems) < limit:
                problems.append((line, reason))
    return Renumbered(copy, problems, broken)


def _temp_csv(text_or_bytes: str | bytes) -> Path:
    """Write a UTF-8 temporary CSV file and return its path."""
    fd, name = tempfile.mkstemp(prefix="clinic-import-", suffix=".csv")
    data = text_or_bytes.encode("utf-8") if isinstance(text_or_bytes, str) else text_or_bytes
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


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
    return str(value)


def _xlsx_to_csv(data: bytes) -> str:
    """The first sheet of an XLSX workbook as CSV text (header in row 1)."""
    try:
        from python_calamine import CalamineWorkbook

        book = CalamineWorkbook.from_filelike(io.BytesIO(data))
        rows = book.get_sheet_by_index(0).to_python(skip_empty_area=False)
    except Exception as exc:  # calamine raises its own error types for broken workbooks
        raise Unreadable(
            f"This file looks like an Excel workbook but could not be read ({exc})."
        ) from None
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    started = False
    for row in rows:
        cells = [_cell(v) for v in row]
        # Empty rows inside the sheet stay (as empty cells) so line numbers match the sheet's rows.
        if started or any(cells):
            started = True
            writer.writerow(cells)
    return out.getvalue()


def _sniff_delimiter(header_line: str) -> str:
    """The delimiter used most on the header line (comma when none is found)."""
    counts = {d: header_line.count(d) for d in _DELIMITERS}
    best = max(_DELIMITERS, key=lambda d: counts[d])
    return best if counts[best] else ","


def _looks_binary(text: str) -> bool:
    """True when a decoded sample is mostly control characters (not a table)."""
    sample = text[:4096]
    controls = sum(1 for ch in sample if ord(ch) < 32 and ch not in "\t\r\n")
    return controls > max(2, len(sample) // 100)


def _digest(data: bytes) -> Scan:
    """The SHA-256 of bytes already checked."""
    return Scan(hashlib.sha256(data).hexdigest())


def _scan(path: Path, cell_limit: int) -> Scan:
    """One pass over a big file: its SHA-256 and the checks open_export makes of a whole file."""
    step = max(1, cell_limit // 2)
    # Whole slices of _may_hold_long_line's grid per chunk, so chunk by chunk it answers as whole.
    buf = bytearray(step * max(1, _CHUNK // step))
    sha = hashlib.sha256()
    binary = long_line = False
    cr = lf = crlf = 0
    after_cr = False
    try:
        with path.open("rb") as fh:
            while n := fh.readinto(buf):
                chunk = buf if n == len(buf) else buf[:n]
                sha.update(chunk)
                binary = binary or b"\x00" in chunk
                long_line = long_line or _may_hold_long_line(chunk, cell_limit)
                lf += chunk.count(b"\n")
                if b"\r" in chunk:
                    cr += chunk.count(b"\r")
                    crlf += chunk.count(b"\r\n")
                crlf += after_cr and chunk.startswith(b"\n")  # a CRLF split by the chunk's edge
                after_cr = chunk.endswith(b"\r")
    except OSError as exc:  # deleted or unreadable since it was opened: a sentence, no traceback
        return Scan(
            "", error=f"The file could not be read again while importing ({exc.strerror or exc})."
        )
    mixed = cr > 0 and not crlf == cr == lf
    return Scan(sha.hexdigest(), binary, mixed or long_line)


def open_export(
    source: str | Path | bytes,
    file_name: str | None = None,
    *,
    cp1252: bool = False,
    whole: bool = False,
) -> TextFile:
    """Read an export from a path or bytes; return a UTF-8 CSV view of it or raise Unreadable."""
    # cp1252: decode as Windows-1252 even where the head reads as UTF-8 (the importer's second
    # attempt after DuckDB found a byte sequence that is not UTF-8 further on). whole: read and
    # check a big file in Python before DuckDB sees it (after TextFile.check() raised Reread).
    limit = config.max_upload_mb() * 1024 * 1024
    original: Path | None = None
    if isinstance(source, bytes):
        data = source
    else:
        original = Path(source)
        if not original.is_file():
            raise Unreadable(f"There is no file {original}.")
        if original.stat().st_size > limit:
            raise Unreadable(
                f"The file is larger than the {config.max_upload_mb()} MB limit; "
                "split the export into smaller date ranges."
            )
        if not (cp1252 or whole) and (large := _open_large(original)) is not None:
            return large
        data = original.read_bytes()
    if len(data) > limit:
        raise Unreadable(
            f"The file is larger than the {config.max_upload_mb()} MB limit; "
            "split the export into smaller date ranges."
        )
    sha = _HASHER.submit(_digest, data)
    if not data or data.isspace():
        raise Unreadable("The file is empty: export again with a header row and data rows.")

    text: str | None = None
    reuse = False
    verified = True
    if data.startswith(_XLSX_MAGIC):
        text = _xlsx_to_csv(data)
    elif data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            text = data.decode("utf-16")
        except UnicodeDecodeError:
            raise Unreadable("The file starts like UTF-16 text but could not be decoded.") from None
    else:
        if b"\x00" in data:
            raise Unreadable(_BINARY)
        body = data[3:] if data.startswith(b"\xef\xbb\xbf") else data
        if _looks_binary(body[:4096].decode("latin-1")):
            raise Unreadable(_BINARY)
        # Byte-level checks first, so a big clean UTF-8 export is handed to DuckDB as it is.
        reusable = (
            original is not None
            and body is data
            and not _mixed_line_endings(body)
            and not data.startswith((b"\n", b"\r"))
        )
        ascii_only = body.isascii()
        if reusable and not cp1252 and (ascii_only or _utf8_head(body, len(body) <= _UTF8_HEAD)):
            reuse = True
            # Beyond the head, DuckDB's reader checks the UTF-8 as it parses (INVALID ENCODING
            # rejects; the importer then decodes the file as Windows-1252 and starts again).
            verified = ascii_only or len(body) <= _UTF8_HEAD
            end = data.find(b"\n")
            head = data[: end if end >= 0 else len(data)]
            first = head.decode("utf-8", errors="replace").rstrip("\r")
        else:
            text = _decode(body, cp1252)
    if not reuse:
        assert text is not None
        if _mixed_line_endings(text):
            # Mixed line endings (a CRLF header over LF rows, say) confuse CSV readers: use LF.
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if _looks_binary(text):
            raise Unreadable(_BINARY)
        text = text.lstrip("\r\n")
        if not text.strip():
            raise Unreadable("The file is empty: export again with a header row and data rows.")
        first = text.split("\n", 1)[0].rstrip("\r")
    delimiter, headers = _header(first)
    check_limits(data if reuse else text, delimiter, headers)
    if reuse and original is not None:
        return TextFile(original, delimiter, headers, sha, verified=verified)
    path = _temp_csv(text)
    return TextFile(path, delimiter, headers, sha, True, [path])


def _open_large(path: Path) -> TextFile | None:
    """A big plain UTF-8 CSV handed to DuckDB unread; None when it needs the careful path."""
    # Python reads only the head here. The checks of the whole file run on a thread in the same
    # pass as its SHA-256, while DuckDB parses it; the importer calls TextFile.check() after.
    with path.open("rb") as fh:
        head = fh.read(_UTF8_HEAD + 1)
    if len(head) <= _UTF8_HEAD:
        return None
    head = head[:_UTF8_HEAD]
    end = head.find(b"\n")
    if (
        end <= 0  # no header line in the head, or a blank first line
        or b"\r" in head[:end].rstrip(b"\r")  # a CR-only export: its line ends need rewriting
        or head.startswith((_XLSX_MAGIC, b"\xff\xfe", b"\xfe\xff", b"\xef\xbb\xbf", b"\r"))
        or b"\x00" in head
        or _looks_binary(head[:4096].decode("latin-1"))
        or not _utf8_head(head, final=False)
    ):
        return None
    delimiter, headers = _header(head[:end].decode("utf-8").rstrip("\r"))
    _check_width(headers)
    scan = _HASHER.submit(_scan, path, config.max_cell_kb() * 1024)
    return TextFile(path, delimiter, headers, scan, verified=False)


def _header(first: str) -> tuple[str, list[str]]:
    """The delimiter and the column names of a header line, or Unreadable."""
    delimiter = _sniff_delimiter(first)
    try:
        headers = next(csv.reader([first], delimiter=delimiter))
    except csv.Error as exc:  # a stray CR in a header cell, a header cell over 128 KB
        raise Unreadable(f"The header line could not be read ({exc}).") from None
    if not any(h.strip() for h in headers):
        raise Unreadable("The first line of the file is empty: it must hold the column headers.")
    return delimiter, headers


def _utf8_head(data: bytes, final: bool) -> bool:
    """True when the first _UTF8_HEAD bytes are UTF-8 (`final`: they end the file)."""
    # A character cut by the head's end is fine; at the end of the file it is not (a Windows-1252
    # accent as the last byte looks like the start of one).
    try:
        codecs.getincrementaldecoder("utf-8")().decode(data[:_UTF8_HEAD], final=final)
    except UnicodeDecodeError:
        return False
    return True


def _decode(body: bytes, cp1252: bool) -> str:
    """The text of a CSV: UTF-8 when it is (and not told otherwise), else Windows-1252."""
    if not cp1252:
        try:
            return body.decode("utf-8")
        except UnicodeDecodeError:
            pass
    try:
        return body.decode("cp1252")
    except UnicodeDecodeError:
        raise Unreadable(
            "This file is neither UTF-8 nor Windows-1252 text, nor an Excel workbook."
        ) from None


def _line_count(path: Path) -> int:
    """How many lines a file has (a last line without a line end counts too), read in chunks."""
    count = 0
    last = b"\n"
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            count += chunk.count(b"\n")
            last = chunk[-1:]
    return count + (0 if last == b"\n" else 1)


def _mixed_line_endings(data: bytes | str) -> bool:
    """True when a file mixes CRLF, LF or CR line ends (only LF-only or CRLF-only are safe)."""
    cr, crlf, lf = ("\r", "\r\n", "\n") if isinstance(data, str) else (b"\r", b"\r\n", b"\n")
    if cr not in data:  # most exports have no CR at all: one memchr-speed scan and done
        return False
    n = data.count(cr)
    return not (data.count(crlf) == n == data.count(lf))


def _may_hold_long_line(data: bytes, limit: int) -> bool:
    """False when no line can be longer than `limit` bytes: every half-limit slice has a newline.

    A line longer than `limit` bytes covers one whole slice of limit // 2 bytes, so that slice
    has no newline. A normal export answers this with one short memchr per slice.
    """
    step = max(1, limit // 2)
    return any(data.find(b"\n", i, i + step) < 0 for i in range(0, len(data) - step + 1, step))


def _check_width(headers: list[str]) -> None:
    """Refuse a header wider than max_columns."""
    if len(headers) > config.max_columns():
        raise Unreadable(
            f"The file has {len(headers):,} columns; at most {config.max_columns()} are read. "
            "Export only the columns the clinic needs."
        )


def check_limits(content: bytes | str, delimiter: str, headers: list[str]) -> None:
    """Refuse a header wider than max_columns or a cell longer than max_cell_kb, quickly.

    Runs before DuckDB sees the file: a million-column header would make it work for minutes.
    Only physical lines longer than the cell limit are parsed, and only a file that may have one
    is scanned line by line. A quoted cell spanning several lines is measured line by line.
    """
    import numpy as np

    _check_width(headers)
    limit = config.max_cell_kb() * 1024
    data = content.encode("utf-8") if isinstance(content, str) else content
    if not _may_hold_long_line(data, limit):
        return
    ends = np.flatnonzero(np.frombuffer(data, dtype=np.uint8) == 10)
    bounds = np.concatenate(([-1], ends, [len(data)]))
    for index in np.flatnonzero(np.diff(bounds) - 1 > limit):
        start, stop = int(bounds[index]) + 1, int(bounds[index + 1])
        line = data[start:stop].decode("utf-8", errors="replace").rstrip("\r")
        try:
            cells = next(csv.reader([line], delimiter=delimiter), [])
        except csv.Error:  # the csv module's own 128 KB field cap: longer than ours anyway
            cells = [line]
        for number, cell in enumerate(cells):
            if len(cell.encode("utf-8")) > limit:
                name = headers[number] if len(cells) > 1 and number < len(headers) else None
                raise Unreadable(
                    f"Line {int(index) + 1}{f', column {name}' if name else ''}: a cell holds "
                    f"{len(cell.encode('utf-8')) // 1024:,} KB of text; at most "
                    f"{config.max_cell_kb()} KB is accepted. Shorten it in the source system."
                )
