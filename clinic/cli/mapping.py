"""`map value|header|list|remove`: how a source system's values and headers read as ours."""

from __future__ import annotations

import argparse

from clinic import audit, sql
from clinic.cli.output import OK, USAGE, CliError, emit, table
from clinic.ingest import header_words as hw
from clinic.ingest import value_maps
from clinic.ingest.headers import KINDS, columns
from clinic.ingest.saved_mappings import save_mapping
from clinic.store import Store


def map_value(args: argparse.Namespace, store: Store) -> int:
    """Save one value mapping; exit 2 when the column or the term is not ours."""
    try:
        term = value_maps.save(
            store, args.source, args.column, args.value, args.term, user=args.user
        )
    except value_maps.MappingRefused as exc:
        raise CliError(str(exc), USAGE) from None
    what = "not ours: its rows are left out" if term == value_maps.SKIP else f"read as {term!r}"
    print(f"{args.source}: {args.column} {args.value!r} is {what}.")
    return OK


def map_header(args: argparse.Namespace, store: Store) -> int:
    """Save one header mapping for every kind the column belongs to; exit 2 for no such column."""
    kinds = [k for k in KINDS if args.column in columns(k)]
    if not kinds:
        raise CliError(f"{args.column!r} is not one of our columns (see docs/IMPORT.md).", USAGE)
    reason = hw.identifying(args.header)
    if reason and args.column != "client_id":
        raise CliError(
            f"{args.header!r} names {reason}: it is dropped on import and can only be the client "
            "id (stored as a keyed hash).",
            USAGE,
        )
    for kind in kinds:
        save_mapping(store, args.source, kind, {args.header: args.column})
    audit.log(
        store,
        user=args.user,
        role=None,
        action="map header",
        outcome="saved",
        object=f"source:{args.source}",
        details={"header": args.header, "column": args.column},
    )
    print(f"{args.source}: the header {args.header!r} is read as {args.column}.")
    return OK


def _column_mappings(store: Store, source: str | None) -> list[tuple]:
    """The saved header corrections (of one source, or all)."""
    with store.cursor() as cur:
        return sql.run(cur, "column_mappings_list", source=source).fetchall()


def map_list(args: argparse.Namespace, store: Store) -> int:
    """List saved value and header mappings (of one source, or all)."""
    values = value_maps.listed(store, args.source)
    headers = [
        {"source": s, "kind": k, "header": h, "column": c}
        for s, k, h, c in _column_mappings(store, args.source)
    ]
    cells = [[v["source"], "value", v["field"], v["value"], v["term"]] for v in values]
    cells += [
        [h["source"], "header", h["kind"], h["header"], h["column"] or "(ignored)"] for h in headers
    ]
    emit(
        args,
        {"values": values, "headers": headers},
        lambda: (
            table(["source", "mapping", "column", "value", "read as"], cells)
            if cells
            else "No mappings saved."
        ),
    )
    return OK


def map_remove(args: argparse.Namespace, store: Store) -> int:
    """Remove one saved value mapping; exit 2 when there was none."""
    if not value_maps.remove(store, args.source, args.column, args.value, user=args.user):
        raise CliError(
            f"{args.source} has no saved mapping for {args.column} {args.value!r}.", USAGE
        )
    print(f"{args.source}: {args.column} {args.value!r} is no longer mapped.")
    return OK
