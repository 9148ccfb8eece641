"""Turn an uploaded export (CSV in any usual encoding, or XLSX) into one UTF-8 CSV file.

open_export chooses the way: a big plain UTF-8 CSV goes to DuckDB unread (scan.py checks it
beside the parse), anything else is surveyed and rewritten as UTF-8 when it needs to be
(decode.py), a workbook is read in a child process (xlsx.py); limits.py refuses what is too
wide or too long first.
"""

from __future__ import annotations

import codecs
import csv
import hashlib
import os
import tempfile
from pathlib import Path

from clinic import config
from clinic.ingest import decode
from clinic.ingest.limits import check_limits, check_width
from clinic.ingest.scan import HASHER, hidden_in, scan_file
from clinic.ingest.textfile import BINARY, CHUNK, Scan, TextFile, Unreadable, done

_XLSX_MAGIC = b"PK\x03\x04"
_DELIMITERS = (",", ";", "\t")
# A Windows-1252 export shows a non-UTF-8 byte (a pound sign, an accent) early, so Python checks
# only this head; DuckDB checks the rest while parsing.
_UTF8_HEAD = 1024 * 1024


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
        while chunk := fh.read(CHUNK):
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
            raise Unreadable(BINARY)
        fh.seek(0)
        line = fh.readline(cap)
        if len(line) == cap and not line.endswith(b"\n"):  # far wider than any real header
            delimiter = _sniff_delimiter(head)
            columns = line.count(delimiter.encode()) + 1
            while (more := fh.read(CHUNK)) and b"\n" not in more:
                columns += more.count(delimiter.encode())
            columns += more.split(b"\n", 1)[0].count(delimiter.encode()) if more else 0
            check_width(columns)
    first = line.decode("utf-8", errors="replace").rstrip("\r\n")
    delimiter, headers = _header(first)
    check_limits(path, delimiter, headers)
    hidden = False
    tail = b""
    with path.open("rb") as fh:
        while not hidden and (chunk := fh.read(CHUNK)):
            hidden = hidden_in(chunk) or hidden_in(tail + chunk[:2])
            tail = chunk[-2:]
    scan = done(Scan(sha, hidden=hidden))
    return TextFile(path, delimiter, headers, scan, cleanup)


def _careful(path: Path, cleanup: list[Path]) -> TextFile:
    """Survey a file, then read it as it is or rewrite it as clean UTF-8 (line ends one kind)."""
    survey = decode.survey(path)
    if survey.blank:
        raise Unreadable("The file is empty: export again with a header row and data rows.")
    if survey.nul and not survey.utf16:
        raise Unreadable(BINARY)
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
        decode.rewrite(fh, out, encoding, survey.mixed)
    return _finish(target, cleanup, survey.sha256)


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
    check_width(len(headers))
    scan = HASHER.submit(scan_file, path, config.max_cell_kb() * 1024)
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
