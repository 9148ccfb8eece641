"""Commands of the command line: import and undo (registered by clinic.cli.build_parser)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from pathlib import Path

from clinic.store import Store
from clinic.words import count

Handler = Callable[[argparse.Namespace, Store], int]
_SHOWN = 50


def _print_json(document: dict) -> None:
    """Print exactly one JSON document on stdout."""
    json.dump(document, sys.stdout, default=str, ensure_ascii=False)
    sys.stdout.write("\n")


def _problem(p) -> str:
    """One problem or warning as an indented line: where, the value, the reason."""
    where = f"line {p.line}" if p.line is not None else "file"
    column = f", {p.column}" if p.column else ""
    value = f" {p.value!r}" if p.value is not None else ""
    return f"  {where}{column}:{value} {p.reason}"


def cmd_import(args: argparse.Namespace, store: Store) -> int:
    """Import one export file; exit 0 committed, 2 unreadable, 3 rejected."""
    from clinic.cli import REJECTED, USAGE, CliError
    from clinic.ingest import KINDS, import_file

    if args.kind not in KINDS:
        raise CliError(f"unknown kind {args.kind!r}: use one of {', '.join(KINDS)}.", USAGE)
    path = Path(args.file)
    if not path.is_file():
        raise CliError(f"there is no file {path}.", USAGE)
    result = import_file(store, args.kind, path, user=args.user, source_system=args.source)
    if args.json:
        _print_json(result.to_json())
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
    return REJECTED if result.status == "rejected" else 0


def cmd_undo(args: argparse.Namespace, store: Store) -> int:
    """Undo one import; exit 0 done, 2 unknown id, 4 refused."""
    from clinic.cli import REFUSED, USAGE, CliError
    from clinic.ingest import UndoRefused, UnknownImport, undo

    try:
        result = undo(store, args.import_id, user=args.user)
    except UnknownImport as exc:
        raise CliError(str(exc), USAGE) from None
    except UndoRefused as exc:
        raise CliError(str(exc), REFUSED) from None
    if args.json:
        _print_json(result.to_json())
    else:
        print(
            f"Import {result.import_id} ({result.kind}) undone: "
            f"{count(result.removed, 'row')} removed, {count(result.restored, 'row')} restored."
        )
    return 0


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> dict[str, Handler]:
    """Add this area's subcommands; return their handlers by command name."""
    p = sub.add_parser("import", parents=[common], help="import an export file")
    p.add_argument("kind", help="appointments | side-effects | prices")
    p.add_argument("file", help="the CSV or XLSX export")
    p.add_argument("--user", help="who is importing (recorded in the import history)")
    p.add_argument("--source", help="the source system whose saved column mapping applies")
    p.add_argument("--json", action="store_true", help="print one JSON document")
    u = sub.add_parser("undo", parents=[common], help="revert one import")
    u.add_argument("import_id", type=int)
    u.add_argument("--user", help="who is undoing (recorded in the audit trail)")
    u.add_argument("--json", action="store_true", help="print one JSON document")
    return {"import": cmd_import, "undo": cmd_undo}
