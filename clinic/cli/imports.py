"""`import KIND FILE` and `undo IMPORT_ID`."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clinic import ingest
from clinic.cli.output import OK, REFUSED, REJECTED, USAGE, CliError, print_json
from clinic.store import Store
from clinic.words import count

_SHOWN = 50


def _problem(p: ingest.Problem) -> str:
    """One problem or warning as an indented line: where, the value, the reason."""
    where = f"line {p.line}" if p.line is not None else "file"
    column = f", {p.column}" if p.column else ""
    value = f" {p.value!r}" if p.value is not None else ""
    return f"  {where}{column}:{value} {p.reason}"


def check_file(args: argparse.Namespace) -> Path:
    """The file to import, refusing an unknown kind or a missing file (exit 2).

    Also checked by a CLI handing the command to the dashboard server, where the file is named.
    """
    if args.kind not in ingest.KINDS:
        raise CliError(f"unknown kind {args.kind!r}: use one of {', '.join(ingest.KINDS)}.", USAGE)
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"there is no file {path}.", USAGE)
    return path


def import_file(args: argparse.Namespace, store: Store) -> int:
    """Import one export file; exit 0 committed, 2 unreadable, 3 rejected."""
    path = check_file(args)
    result = ingest.import_file(store, args.kind, path, user=args.user, source_system=args.source)
    if args.json:
        print_json(result.to_json())
    else:
        print(
            f"{result.status}: {result.kind} from {result.file_name} (import {result.import_id}): "
            f"{count(result.rows_read, 'row')} read, {result.inserted:,} inserted, "
            f"{result.updated:,} updated, "
            f"{result.unchanged:,} unchanged, {result.rejected:,} rejected"
        )
        for p in result.errors[:_SHOWN]:
            print(_problem(p))
        if len(result.errors) > _SHOWN:
            print(f"  ... and {max(result.problem_count, len(result.errors)) - _SHOWN:,} more")
        if result.warnings:
            print(f"warnings ({len(result.warnings):,}):")
            for p in result.warnings[:_SHOWN]:
                print(_problem(p))
    if result.status == "unreadable":
        if not args.json:
            print(f"clinic: {result.errors[0].reason}", file=sys.stderr)
        return USAGE
    return REJECTED if result.status == "rejected" else OK


def undo(args: argparse.Namespace, store: Store) -> int:
    """Undo one import; exit 0 done, 2 unknown id, 4 refused."""
    try:
        result = ingest.undo(store, args.import_id, user=args.user)
    except ingest.UnknownImport as exc:
        raise CliError(str(exc), USAGE) from None
    except ingest.UndoRefused as exc:
        raise CliError(str(exc), REFUSED) from None
    if args.json:
        print_json(result.to_json())
    else:
        print(
            f"Import {result.import_id} ({result.kind}) undone: "
            f"{count(result.removed, 'row')} removed, {count(result.restored, 'row')} restored."
        )
    return OK
