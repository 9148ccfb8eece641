"""Number a CSV's records as a spreadsheet shows its lines, leaving out those DuckDB cannot read."""

from __future__ import annotations

import csv
import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from clinic.ingest.textfile import TextFile

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
