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


def _explain(done) -> None:
    """What the profile did: which system, the columns dropped, values no mapping knows."""
    if done.detected:
        print(done.detected)
    for note in done.notes:
        print(f"  {note}")
    for d in done.dropped_columns:
        if d["reason"].startswith("identifying"):
            print(f"  {d['header']}: {d['reason']}")
    if done.patient_ref_from:
        print(f"  patient reference: a keyed hash of {', '.join(done.patient_ref_from)}")
    if done.left_out:
        print(f"  {count(done.left_out, 'row')} left out (mapped as not ours)")
    if done.unmapped:
        print(f"values to map before anything is imported ({len(done.unmapped):,}):")
        for u in done.unmapped:
            print(
                f"  {u['column']} {u['value']!r}: {count(u['rows'], 'row')}, first on line "
                f"{u['first_line']}"
            )
        source = done.source or "SOURCE"
        print(f"  map each with: python -m clinic map value {source} COLUMN VALUE TERM (or skip)")


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
    from clinic.ingest.vendor_import import UnknownSource, import_export

    try:
        done = import_export(store, args.kind, path, source=args.source, user=args.user)
    except UnknownSource as exc:
        raise CliError(str(exc), USAGE) from None
    result = done.result
    if args.json:
        print_json(done.to_json())
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
        _explain(done)
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
