"""Column-mapping corrections saved per source system (table column_mappings)."""

from __future__ import annotations

from clinic import sql
from clinic.ingest.headers import KINDS, columns, normalise


def save_mapping(store, source_system: str, kind: str, mapping: dict[str, str | None]) -> None:
    """Save header -> canonical column (None = ignore) corrections for one source system."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    valid = set(columns(kind))
    bad = [c for c in mapping.values() if c is not None and c not in valid]
    if bad:
        raise ValueError(f"not a column of {kind}: {', '.join(bad)}")
    with store.writer(wait=True, data=False) as cur:
        for header, canonical in mapping.items():
            sql.run(
                cur,
                "column_mappings_save",
                source=source_system,
                kind=kind,
                header=normalise(header),
                canonical=canonical,
            )


def load_mapping(store, source_system: str, kind: str) -> dict[str, str | None]:
    """The saved corrections of one source system: normalised header -> canonical or None."""
    rows = store.rows(
        "select header, canonical from column_mappings where source = $source and kind = $kind",
        {"source": source_system, "kind": kind},
    )
    return {header: canonical for header, canonical in rows}
