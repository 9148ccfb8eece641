"""Import clinic exports (appointments, side effects, prices): read, map, validate, upsert, undo."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable
from datetime import date
from pathlib import Path

# `mapping`: the name the UI's upload flow imports the header matching by (clinic.ingest.headers).
from clinic.ingest import headers as mapping
from clinic.ingest.headers import KINDS, columns
from clinic.ingest.job import run_import
from clinic.ingest.results import ImportResult, Preview, PriceEffect, Problem
from clinic.ingest.saved_mappings import load_mapping, save_mapping
from clinic.ingest.undo import UndoRefused, UndoResult, UnknownImport, undo

__all__ = [
    "KINDS",
    "ImportResult",
    "PriceEffect",
    "Preview",
    "Problem",
    "UndoRefused",
    "UndoResult",
    "UnknownImport",
    "columns",
    "import_file",
    "load_mapping",
    "mapping",
    "preview",
    "record_side_effect",
    "save_mapping",
    "undo",
]


def import_file(
    store,
    kind: str,
    source: str | Path | bytes,
    *,
    file_name: str | None = None,
    user: str | None = None,
    mapping: dict[str, str | None] | None = None,
    source_system: str | None = None,
    progress: Callable[[float, str], None] | None = None,
    role: str | None = None,
) -> ImportResult:
    """Import one export (path or bytes) all-or-nothing and record the attempt.

    `role` is the role of the person the UI serves: an import of a kind the role may not change
    raises auth.NotAllowed (and is audited as refused). None is the command line.
    """
    return run_import(
        store,
        kind,
        source,
        file_name=file_name,
        user=user,
        mapping=mapping,
        source_system=source_system,
        progress=progress,
        role=role,
    )


def preview(
    store,
    kind: str,
    data: bytes,
    file_name: str,
    *,
    mapping: dict[str, str | None] | None = None,
    source_system: str | None = None,
    rows: int = 20,
) -> Preview:
    """What importing `data` would do (mapping, sample, every problem), writing nothing."""
    # Loaded here: the preview's sample table is the importer's only use of pandas, and a
    # command-line import should not pay for loading it.
    from clinic.ingest.dryrun import run_preview

    return run_preview(
        store, kind, data, file_name, mapping=mapping, source_system=source_system, rows=rows
    )


def _text(value: object) -> str:
    """A form value as the text an export would carry."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def record_side_effect(
    store, fields: dict, *, user: str | None = None, role: str | None = None
) -> ImportResult:
    """Record a side effect reported by phone: validated like an import, kept as kind 'manual'."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    names = list(fields)
    writer.writerow(names)
    writer.writerow([_text(fields[n]) for n in names])
    mapping = {n: n for n in names}
    return run_import(
        store,
        "side-effects",
        out.getvalue().encode("utf-8"),
        file_name="entered by staff",
        user=user,
        mapping=mapping,
        record_kind="manual",
        role=role,
    )
