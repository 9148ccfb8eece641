"""What every command shares: exit codes, the error that carries one, dates, JSON and tables.

Standard library only: the parser and every command module import it, and `--help` loads it.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import sys
from collections.abc import Callable, Sequence
from datetime import date, datetime
from pathlib import Path

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


def parse_month(text: str) -> str:
    """Parse a command-line month: 2026-11 (as YYYY-MM)."""
    text = text.strip()
    try:
        datetime.strptime(text, "%Y-%m")
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (use 2026-11)") from None
    if len(text) != 7:
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (use 2026-11)")
    return text


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


def login_name() -> str | None:
    """Who runs the command, for the audit trail (None where there is no login name)."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers; the action is still audited
        return None


def write_private(path: Path, data: bytes) -> None:
    """Write a file the command was asked for, never through a symbolic link (it could point
    anywhere), private to its owner (0600)."""
    if path.is_symlink():
        raise CliError(f"{path} is a symbolic link; name a new or ordinary file.", USAGE)
    try:
        # O_NOFOLLOW also refuses a link put there after the check.
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise CliError(f"Could not write {path}: {exc.strerror}.", USAGE) from None
