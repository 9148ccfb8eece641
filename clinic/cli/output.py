"""What every command shares: exit codes, the error that carries one, dates, JSON and tables.

Standard library only: the parser and every command module import it, and `--help` loads it.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime

OK, USAGE, REJECTED, REFUSED = 0, 2, 3, 4


class CliError(Exception):
    """A failure with a sentence for the user and an exit code from the contract."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


def parse_date(text: str) -> date:
    """Parse a command-line date: ISO 2025-04-03 or UK 03/04/2025."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{text!r} is not a date (use 2025-04-03 or 03/04/2025)")


def print_json(document: object) -> None:
    """Print exactly one JSON document on stdout."""
    json.dump(document, sys.stdout, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def emit(args: argparse.Namespace, payload: object, table: Callable[[], str]) -> None:
    """Print one JSON document with --json, else a readable table."""
    if getattr(args, "json", False):
        print_json(payload)
    else:
        print(table())


def table(columns: Sequence[str], cells: Sequence[Sequence[str]], *, right: bool = False) -> str:
    """Plain text columns under their names, two spaces apart (`right`: cells right-aligned)."""
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += [
        "  ".join((v.rjust(w) if right else v.ljust(w)) for v, w in zip(row, widths, strict=True))
        for row in cells
    ]
    return "\n".join(line.rstrip() for line in lines)
