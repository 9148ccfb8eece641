"""Turn an uploaded export (CSV in any usual encoding, or XLSX) into one UTF-8 CSV file."""

from __future__ import annotations

import codecs
import csv
import hashlib
import io
import os
import re
import tempfile
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
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
    # The text holds invisible or direction-changing characters (see _HIDDEN).
    hidden: bool = False


@dataclass
class TextFile:
    """A UTF-8 CSV ready for DuckDB: its path, delimiter and header names as written."""

    path: Path
    delimiter: str
    headers: list[str]
    scan: Future[Scan]
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

    @property
    def hidden(self) -> bool:
        """Whether the text holds invisible or direction-changing characters (waits for it)."""
        return self._found().hidden

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
        """Delete the temporary copies made of the file, if any."""
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


# Characters that show nothing or change the direction of what follows, as UTF-8: zero-width
# spaces and joiners, left-to-right and right-to-left marks, bidi embeddings, overrides and
# isolates, the Arabic letter mark, a byte order mark inside the text. A name holding them can
# display as another name; the importer keeps them but flags the lines (load._collect_warnings).
HIDDEN_CHARS = "[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]"
# The same characters as UTF-8 byte sequences, to find them in a file's bytes.
_HIDDEN = re.compile(rb"\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0-\xa9]|\xef\xbb\xbf|\xd8\x9c")


def _hidden_in(data: bytes | bytearray) -> bool:
    """Whether UTF-8 bytes hold a hidden character (a quick byte test first)."""
    return (
        b"\xe2\x80" in data or b"\xe2\x81" in data or b"\xef\xbb" in data or b"\xd8" in data
    ) and (_HIDDEN.search(data) is not None)


def _private_copy(data: bytes) -> Path:
    """Bytes written to a temporary file only this user can read (mkstemp makes it 0600)."""
    fd, name = tempfile.mkstemp(prefix="clinic-upload-", suffix=".bin")
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)
    return Path(name)


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


def _done(scan: Scan) -> Future[Scan]:
    """A scan already made, as the future TextFile waits on."""
    future: Future[Scan] = Future()
    future.set_result(scan)
    return future


def _scan(path: Path, cell_limit: int) -> Scan:
    """One pass over a big file: its SHA-256 and the checks open_export makes of a whole file."""
    step = max(1, cell_limit // 2)
    # Whole slices of _may_hold_long_line's grid per chunk, so chunk by chunk it answers as whole.
    buf = bytearray(step * max(1, _CHUNK // step))
    sha = hashlib.sha256()
    binary = long_line = hidden = False
    cr = lf = crlf = 0
    after_cr = False
    tail = b""
    try:
        with path.open("rb") as fh:
            while n := fh.readinto(buf):
                chunk = buf if n == len(buf) else buf[:n]
                sha.update(chunk)
                binary = binary or b"\x00" in chunk
                hidden = hidden or _hidden_in(chunk) or _hidden_in(tail + chunk[:2])
                tail = bytes(chunk[-2:])
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
    return Scan(sha.hexdigest(), binary, mixed or long_line, hidden=hidden)


def _too_big() -> Unreadable:
    """The sentence for a file over the upload limit."""
    return Unreadable(
        f"The file is larger than the {config.max_upload_mb()} MB limit; "
        "split the export into smaller date ranges."
    )


def open_export(
    source: str | Path | bytes,
    file_name: str | None = None,
    *,
    cp1252: bool = False,
    whole: bool = False,
) -> TextFile:
    """Read an export from a path or bytes; return a UTF-8 CSV view of it or raise Unreadable.

    Memory stays bounded whatever the file holds: bytes are written to a private temporary file
    and every pass over a file reads it in chunks. A big plain UTF-8 CSV goes to DuckDB unread
    (its checks run beside the parse); anything else is surveyed, and rewritten as UTF-8 with
    one kind of line end when it needs to be (_careful); a workbook is read in a child process.
    """
    # cp1252 / whole: the importer's second attempt after DuckDB met bytes that are not UTF-8,
    # or after the checks beside the parse found something: read the file carefully now.
    limit = config.max_upload_mb() << 20
    cleanup: list[Path] = []
    if isinstance(source, bytes):
        if len(source) > limit:
            raise _too_big()
        path = _private_copy(source)
        cleanup.append(path)
    else:
        path = Path(source)
        if not path.is_file():
            raise Unreadable(f"There is no file {path}.")
        if path.stat().st_size > limit:
            raise _too_big()
    try:
        with path.open("rb") as fh:
            head = fh.read(len(_XLSX_MAGIC))
        if head == _XLSX_MAGIC:
            return _open_workbook(path, cleanup)
        if not (cp1252 or whole) and (large := _open_large(path)) is not None:
            large.cleanup = cleanup
            return large
        return _careful(path, cleanup)
    except BaseException:
        for p in cleanup:
            p.unlink(missing_ok=True)
        raise


def _open_workbook(path: Path, cleanup: list[Path]) -> TextFile:
    """The first sheet of a workbook as a CSV file (read within xlsx's bounds)."""
    from clinic.ingest import xlsx

    fd, name = tempfile.mkstemp(prefix="clinic-sheet-", suffix=".csv")
    os.close(fd)
    target = Path(name)
    cleanup.append(target)
    try:
        xlsx.to_csv(path, target)
    except xlsx.WorkbookRefused as exc:
        raise Unreadable(str(exc)) from None
    text = _finish(target, cleanup, file_sha256(path))
    return text


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes, read in chunks."""
    sha = hashlib.sha256()
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            sha.update(chunk)
    return sha.hexdigest()


def _finish(path: Path, cleanup: list[Path], sha: str) -> TextFile:
    """A checked UTF-8 CSV (LF or CRLF line ends throughout) as a TextFile."""
    # A header of max_columns cells each within the cell limit is at most this long.
    cap = config.max_columns() * (config.max_cell_kb() * 1024 + 3)
    with path.open("rb") as fh:
        head = fh.read(1 << 16).decode("utf-8", errors="ignore")
        if not head.strip():
            raise Unreadable("The file is empty: export again with a header row and data rows.")
        if _looks_binary(head):
            raise Unreadable(_BINARY)
        fh.seek(0)
        line = fh.readline(cap)
        if len(line) == cap and not line.endswith(b"\n"):  # far wider than any real header
            delimiter = _sniff_delimiter(head)
            columns = line.count(delimiter.encode()) + 1
            while (more := fh.read(_CHUNK)) and b"\n" not in more:
                columns += more.count(delimiter.encode())
            columns += more.split(b"\n", 1)[0].count(delimiter.encode()) if more else 0
            _check_width(columns)
    first = line.decode("utf-8", errors="replace").rstrip("\r\n")
    delimiter, headers = _header(first)
    check_limits(path, delimiter, headers)
    hidden = False
    tail = b""
    with path.open("rb") as fh:
        while not hidden and (chunk := fh.read(_CHUNK)):
            hidden = _hidden_in(chunk) or _hidden_in(tail + chunk[:2])
            tail = chunk[-2:]
    scan = _done(Scan(sha, hidden=hidden))
    return TextFile(path, delimiter, headers, scan, cleanup)


@dataclass
class _Survey:
    """What one pass over a file's bytes found, to choose how to read it."""

    sha256: str
    nul: bool
    blank: bool  # empty, or white space only
    mixed: bool  # line ends of more than one kind
    utf16: bool  # starts with a UTF-16 byte order mark
    plain: bool  # UTF-8 without a BOM, not starting with a line end: DuckDB reads it as it is
    # The first line holding bytes that are not UTF-8, and whether UTF-8 text comes before it.
    bad_line: int | None
    utf8_before: bool


def _survey(path: Path) -> _Survey:
    """Read a file once in chunks: SHA-256, NUL bytes, line ends, and where UTF-8 stops."""
    sha = hashlib.sha256()
    nul = False
    blank = True
    cr = lf = crlf = 0
    after_cr = False
    carry = b""
    newlines = 0
    seen = False  # UTF-8 text beyond ASCII so far
    bad: int | None = None
    first = b""
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            first = first or chunk[:4]
            sha.update(chunk)
            nul = nul or b"\x00" in chunk
            blank = blank and chunk.isspace()
            lf += chunk.count(b"\n")
            if b"\r" in chunk:
                cr += chunk.count(b"\r")
                crlf += chunk.count(b"\r\n")
            crlf += after_cr and chunk.startswith(b"\n")  # a CRLF split by the chunk's edge
            after_cr = chunk.endswith(b"\r")
            if bad is not None:
                continue
            data = carry + chunk if carry else chunk
            if data.isascii():
                carry = b""
                newlines += data.count(b"\n")
                continue
            try:
                text, used = codecs.utf_8_decode(data, "strict", False)
            except UnicodeDecodeError as exc:
                bad = newlines + data.count(b"\n", 0, exc.start) + 1
                seen = seen or not data[: exc.start].isascii()
                continue
            seen = seen or len(text) != used  # fewer characters than bytes: multi-byte ones
            newlines += data.count(b"\n", 0, used)
            carry = data[used:]
    if bad is None and carry:  # the file ends inside a character
        bad = newlines + 1
    utf16 = first.startswith((b"\xff\xfe", b"\xfe\xff"))
    return _Survey(
        sha256=sha.hexdigest(),
        nul=nul,
        blank=blank,
        mixed=cr > 0 and not crlf == cr == lf,
        utf16=utf16,
        plain=not utf16 and bad is None and not first.startswith((b"\xef\xbb\xbf", b"\r", b"\n")),
        bad_line=bad,
        utf8_before=seen,
    )


_NEITHER = (
    "this file is neither UTF-8 nor Windows-1252 text, nor an Excel workbook{why}. "
    "Save it again as CSV UTF-8 and import that."
)
# What a Windows-1252 export of Western European text holds beyond ASCII: letters and the
# usual symbols. Japanese Shift-JIS (or other text) read as Windows-1252 shows others (ƒ, „, †,
# ‰, ‹, ˜) or long runs of accented letters; a real export rarely has four in a row.
_WESTERN = frozenset(
    "ÀÁÂÃÄÅÆÇÈÉÊËÌÍÎÏÐÑÒÓÔÕÖØÙÚÛÜÝÞßàáâãäåæçèéêëìíîïðñòóôõöøùúûüýþÿŠšŒœŽžŸ"
    "£€¢¥°±²³¹µ·¼½¾×÷‘’“”–—•…«»¿¡©®™§¶¨´¸¯ªº¬¦\xa0\xad"
)
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def _check_western(text: str, lines_before: int) -> None:
    """Refuse Windows-1252 text that is not Western European text (naming its line)."""
    for run in _NON_ASCII.finditer(text):
        chars = run.group(0)
        garbled = len(chars) >= 4 or any(ch not in _WESTERN for ch in chars)
        if not garbled and len(chars) > 1:
            try:  # bytes that read as UTF-8: a UTF-8 file with other bytes mixed in
                chars.encode("cp1252").decode("utf-8")
                garbled = True
            except UnicodeError:
                pass
        if garbled:
            line = lines_before + text.count("\n", 0, run.start()) + 1
            why = f" (the bytes there read as {chars!r} in Windows-1252: Shift-JIS, perhaps)"
            raise Unreadable(f"Line {line}: " + _NEITHER.format(why=why))


def _careful(path: Path, cleanup: list[Path]) -> TextFile:
    """Survey a file, then read it as it is or rewrite it as clean UTF-8 (line ends one kind)."""
    survey = _survey(path)
    if survey.blank:
        raise Unreadable("The file is empty: export again with a header row and data rows.")
    if survey.nul and not survey.utf16:
        raise Unreadable(_BINARY)
    if survey.plain and not survey.mixed:
        return _finish(path, cleanup, survey.sha256)
    if survey.utf16:
        encoding = "utf-16"
    elif survey.bad_line is None:
        encoding = "utf-8-sig"
    elif survey.utf8_before:
        raise Unreadable(
            f"Line {survey.bad_line}: this line holds bytes that are not UTF-8 text, though the "
            "file is UTF-8 before it (a damaged export, or one that mixes encodings). Save it "
            "again as CSV UTF-8 and import that."
        )
    else:
        encoding = "cp1252"
    fd, name = tempfile.mkstemp(prefix="clinic-import-", suffix=".csv")
    target = Path(name)
    cleanup.append(target)
    with path.open("rb") as fh, os.fdopen(fd, "wb") as out:
        _rewrite(fh, out, encoding, survey.mixed)
    return _finish(target, cleanup, survey.sha256)


def _rewrite(fh: io.BufferedReader, out: io.BufferedWriter, encoding: str, mixed: bool) -> None:
    """Decode chunk by chunk and write UTF-8: line ends made LF when mixed, leading ones dropped."""
    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""  # a CR that may start a CRLF, or a run of accents checked with what follows
    lines = 0  # line ends written so far
    started = False
    final = False
    while not final:
        chunk = fh.read(_CHUNK)
        final = not chunk
        try:
            text = pending + decoder.decode(chunk, final=final)
        except UnicodeDecodeError as exc:  # Windows-1252 has five bytes it does not define
            line = lines + pending.count("\n") + chunk.count(b"\n", 0, exc.start) + 1
            why = f" (byte 0x{chunk[exc.start]:02X} there is undefined in Windows-1252)"
            raise Unreadable(f"Line {line}: " + _NEITHER.format(why=why)) from None
        pending = ""
        if mixed:
            if text.endswith("\r") and not final:
                text, pending = text[:-1], "\r"
            text = text.replace("\r\n", "\n").replace("\r", "\n")
        if encoding == "cp1252":
            tail = _NON_ASCII.search(text, max(0, len(text) - 8))
            if tail and tail.end() == len(text) and not final:
                text, pending = text[: tail.start()], text[tail.start() :] + pending
            _check_western(text, lines)
        if not started:
            text = text.lstrip("\r\n")
            started = bool(text)
        lines += text.count("\n")
        out.write(text.encode("utf-8"))


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
    _check_width(len(headers))
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


def _line_count(path: Path) -> int:
    """Lines up to the last one with content (blank lines at the end shift nothing), in chunks."""
    count = through_content = 0
    with path.open("rb") as fh:
        while chunk := fh.read(_CHUNK):
            last = len(chunk.rstrip(b"\r\n"))
            if last:  # this chunk has content: lines up to its last visible byte
                through_content = count + chunk.count(b"\n", 0, last)
            count += chunk.count(b"\n")
    return through_content + 1


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


def _check_width(columns: int) -> None:
    """Refuse a header wider than max_columns."""
    if columns > config.max_columns():
        raise Unreadable(
            f"The file has {columns:,} columns; at most {config.max_columns()} are read. "
            "Export only the columns the clinic needs."
        )


def check_limits(content: bytes | Path, delimiter: str, headers: list[str]) -> None:
    """Refuse a header wider than max_columns or a cell longer than max_cell_kb, quickly.

    Runs before DuckDB sees the file: a million-column header would make it work for minutes.
    The file is read in chunks; only a file that may have a line longer than the cell limit is
    read again line by line, each line at most as long as 500 full cells. A quoted cell
    spanning several lines is measured line by line.
    """
    _check_width(len(headers))
    limit = config.max_cell_kb() * 1024
    step = max(1, limit // 2)
    size = step * max(1, _CHUNK // step)  # whole slices of _may_hold_long_line's grid
    with io.BytesIO(content) if isinstance(content, bytes) else content.open("rb") as fh:
        while chunk := fh.read(size):
            if _may_hold_long_line(chunk, limit):
                break
        else:
            return
        fh.seek(0)
        # A line of max_columns cells each within the limit is at most this long.
        cap = config.max_columns() * (limit + 3) + limit + 2
        number = 0
        while piece := fh.readline(cap):
            number += 1
            whole = piece.endswith(b"\n")
            while not whole and (rest := fh.readline(cap)):  # skip the rest of a longer line
                whole = rest.endswith(b"\n")
            if len(piece.rstrip(b"\r\n")) > limit:
                _check_line(number, piece.rstrip(b"\r\n"), len(piece) == cap, delimiter, headers)


def _check_line(number: int, data: bytes, cut: bool, delimiter: str, headers: list[str]) -> None:
    """Refuse one long line (cut: only its first part was read) if a cell is over the limit."""
    limit = config.max_cell_kb() * 1024
    line = data.decode("utf-8", errors="replace")
    try:
        cells = next(csv.reader([line], delimiter=delimiter), [])
    except csv.Error:  # the csv module's own 128 KB field cap: longer than ours anyway
        cells = [line]
    for index, cell in enumerate(cells):
        size = len(cell.encode("utf-8"))
        if size > limit:
            name = headers[index] if len(cells) > 1 and index < len(headers) else None
            raise Unreadable(
                f"Line {number}{f', column {name}' if name else ''}: a cell holds "
                f"{size // 1024:,} KB of text; at most {config.max_cell_kb()} KB is accepted. "
                "Shorten it in the source system."
            )
    if cut:
        raise Unreadable(
            f"Line {number}: the row holds more than {len(data) // 1024:,} KB of text, more "
            f"than {len(headers)} cells of at most {config.max_cell_kb()} KB each. Check the "
            "export's columns."
        )
