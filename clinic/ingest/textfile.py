"""A CSV ready for DuckDB (TextFile), what a pass over its bytes found (Scan), and why a file
cannot be read (Unreadable)."""

from __future__ import annotations

from concurrent.futures import Future
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path

BINARY = "This is not a CSV or Excel file (it contains binary data)."
# Files are read in chunks of about this size (memory stays bounded whatever a file holds).
CHUNK = 1024 * 1024


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
        return line_count(self.path)

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
            raise Unreadable(BINARY)
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


def done(scan: Scan) -> Future[Scan]:
    """A scan already made, as the future TextFile waits on."""
    future: Future[Scan] = Future()
    future.set_result(scan)
    return future


def line_count(path: Path) -> int:
    """Lines up to the last one with content (blank lines at the end shift nothing), in chunks."""
    count = through_content = 0
    with path.open("rb") as fh:
        while chunk := fh.read(CHUNK):
            last = len(chunk.rstrip(b"\r\n"))
            if last:  # this chunk has content: lines up to its last visible byte
                through_content = count + chunk.count(b"\n", 0, last)
            count += chunk.count(b"\n")
    return through_content + 1
