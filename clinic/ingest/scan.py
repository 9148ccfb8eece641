"""One pass over a big file's bytes, on a thread beside DuckDB's parse: its SHA-256 and the
checks of the whole file (binary bytes, mixed line ends, a line over the cell limit, hidden
characters)."""

from __future__ import annotations

import hashlib
import re
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from clinic.ingest import textfile
from clinic.ingest.limits import may_hold_long_line
from clinic.ingest.textfile import Scan

# hashlib and file reads release the GIL: a big file's SHA-256 and byte checks run on a thread
# while DuckDB parses it.
HASHER = ThreadPoolExecutor(max_workers=2, thread_name_prefix="clinic-scan")

# Characters that show nothing or change the direction of what follows, as UTF-8: zero-width
# spaces and joiners, left-to-right and right-to-left marks, bidi embeddings, overrides and
# isolates, the Arabic letter mark, a byte order mark inside the text. A name holding them can
# display as another name; the importer keeps them but flags the lines (problems.warnings).
HIDDEN_CHARS = "[\u200b-\u200f\u202a-\u202e\u2060-\u2069\ufeff\u061c]"
# The same characters as UTF-8 byte sequences, to find them in a file's bytes.
_HIDDEN = re.compile(rb"\xe2\x80[\x8b-\x8f\xaa-\xae]|\xe2\x81[\xa0-\xa9]|\xef\xbb\xbf|\xd8\x9c")


def hidden_in(data: bytes | bytearray) -> bool:
    """Whether UTF-8 bytes hold a hidden character (a quick byte test first)."""
    return (
        b"\xe2\x80" in data or b"\xe2\x81" in data or b"\xef\xbb" in data or b"\xd8" in data
    ) and (_HIDDEN.search(data) is not None)


def scan_file(path: Path, cell_limit: int) -> Scan:
    """One pass over a big file: its SHA-256 and the checks open_export makes of a whole file."""
    step = max(1, cell_limit // 2)
    # Whole slices of may_hold_long_line's grid per chunk, so chunk by chunk it answers as whole.
    # The thread reads the file into one reused buffer: reading it whole into a new bytes object
    # cost more than DuckDB's own read of it (page faults).
    buf = bytearray(step * max(1, textfile.CHUNK // step))
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
                hidden = hidden or hidden_in(chunk) or hidden_in(tail + chunk[:2])
                tail = bytes(chunk[-2:])
                long_line = long_line or may_hold_long_line(chunk, cell_limit)
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
