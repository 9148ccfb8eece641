"""Refuse a file too wide or with a cell too long, quickly, before DuckDB reads it."""

from __future__ import annotations

import csv
import io
from pathlib import Path

from clinic import config
from clinic.ingest.textfile import CHUNK, Unreadable


def may_hold_long_line(data: bytes, limit: int) -> bool:
    """False when no line can be longer than `limit` bytes: every half-limit slice has a newline.

    A line longer than `limit` bytes covers one whole slice of limit // 2 bytes, so that slice
    has no newline. A normal export answers this with one short memchr per slice.
    """
    step = max(1, limit // 2)
    return any(data.find(b"\n", i, i + step) < 0 for i in range(0, len(data) - step + 1, step))


def check_width(columns: int) -> None:
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
    check_width(len(headers))
    limit = config.max_cell_kb() * 1024
    step = max(1, limit // 2)
    size = step * max(1, CHUNK // step)  # whole slices of may_hold_long_line's grid
    with io.BytesIO(content) if isinstance(content, bytes) else content.open("rb") as fh:
        while chunk := fh.read(size):
            if may_hold_long_line(chunk, limit):
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
