"""Decode an export in any usual encoding (UTF-8 with or without BOM, UTF-16, Windows-1252) into
UTF-8 with one kind of line end, refusing text that is neither, naming its line."""

from __future__ import annotations

import codecs
import hashlib
import io
import re
from dataclasses import dataclass
from pathlib import Path

from clinic.ingest.textfile import CHUNK, Unreadable


@dataclass
class Survey:
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


def survey(path: Path) -> Survey:
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
        while chunk := fh.read(CHUNK):
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
    return Survey(
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


def rewrite(fh: io.BufferedReader, out: io.BufferedWriter, encoding: str, mixed: bool) -> None:
    """Decode chunk by chunk and write UTF-8: line ends made LF when mixed, leading ones dropped."""
    decoder = codecs.getincrementaldecoder(encoding)()
    pending = ""  # a CR that may start a CRLF, or a run of accents checked with what follows
    lines = 0  # line ends written so far
    started = False
    final = False
    while not final:
        chunk = fh.read(CHUNK)
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
