"""Value mappings saved per source system (table value_mappings): their words read as ours."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from functools import cache

from clinic import audit, auth, sql
from clinic.config import DATA_FILES
from clinic.ingest import header_words as hw
from clinic.ingest.profiles import STATUS_TERMS, VOCABULARY_COLUMNS

SKIP = "skip"


class MappingRefused(ValueError):
    """A mapping that cannot be saved; the message says why in one sentence."""


@cache
def vocabulary() -> dict[str, dict[str, list[str]]]:
    """Our vocabulary file: field -> term -> the other words that mean it."""
    return json.loads((DATA_FILES / "vocabulary.json").read_text(encoding="utf-8"))


def terms(store, field: str) -> list[str]:
    """The words a value of `field` may be mapped to (without 'skip')."""
    if field == "status":
        return [t for t in STATUS_TERMS if t != SKIP]
    if field == "service":
        with store.cursor() as cur:
            return [r[0] for r in sql.run(cur, "price_items").fetchall()]
    return list(vocabulary()[field])


def kind_of(field: str) -> str | None:
    """The kind of file whose vocabulary column `field` is (None for no such column)."""
    return next((k for k, fields in VOCABULARY_COLUMNS.items() if field in fields), None)


def _check(store, field: str, term: str) -> str:
    """The term as stored, or MappingRefused."""
    if kind_of(field) is None:
        shown = ", ".join(f for fields in VOCABULARY_COLUMNS.values() for f in fields)
        raise MappingRefused(f"{field!r} has no vocabulary: use one of {shown}.")
    if term.strip().lower() == SKIP:
        return SKIP
    known = terms(store, field)
    for t in known:
        if hw.value_key(t) == hw.value_key(term):
            return t
    shown = ", ".join(known) if known else "(the price list is empty: import prices first)"
    raise MappingRefused(f"{term!r} is not one of our words for {field}: use {shown}, or skip.")


def save(
    store,
    source: str,
    field: str,
    value: str,
    term: str,
    *,
    user: str | None = None,
    role: str | None = None,
) -> str:
    """Save `value` of `field` from `source` as `term` (or 'skip'); audited; returns the term."""
    if role is not None:
        auth.check_write(role, kind_of(field) or "appointments")
    if not source.strip() or not hw.value_key(value):
        raise MappingRefused("A mapping needs a source name and a value with a letter or digit.")
    stored = _check(store, field, term)
    with store.writer(wait=True, data=False) as cur:
        sql.run(
            cur,
            "value_mappings_save",
            source=source.strip(),
            field=field,
            value=hw.value_key(value),
            shown=value.strip(),
            term=stored,
            user=user,
            at=datetime.now(UTC).replace(tzinfo=None),
        )
    audit.log(
        store,
        user=user,
        role=role,
        action="map value",
        outcome="saved",
        object=f"source:{source.strip()}",
        details={"field": field, "value": value.strip(), "term": stored},
    )
    return stored


def remove(
    store, source: str, field: str, value: str, *, user: str | None = None, role: str | None = None
) -> bool:
    """Remove one saved mapping; audited; False when there was none."""
    if role is not None:
        auth.check_write(role, kind_of(field) or "appointments")
    params = {"source": source.strip(), "field": field, "value": hw.value_key(value)}
    with store.writer(wait=True, data=False) as cur:
        found = len(sql.run(cur, "value_mappings_remove", **params).fetchall())
    audit.log(
        store,
        user=user,
        role=role,
        action="map value",
        outcome="removed" if found else "not found",
        object=f"source:{source.strip()}",
        details={"field": field, "value": value.strip()},
    )
    return bool(found)


def listed(store, source: str | None = None) -> list[dict]:
    """Saved value mappings (of one source, or all), as {source, field, value, term, ...}."""
    with store.cursor() as cur:
        rows = sql.run(cur, "value_mappings_list", source=source).fetchall()
    keys = ("source", "field", "value", "term", "saved_by", "saved_at")
    return [dict(zip(keys, r, strict=True)) for r in rows]


def loaded(store, source: str) -> list[tuple[str, str, str]]:
    """(field, matched value, term) of one source, for the translation."""
    with store.cursor() as cur:
        return sql.run(cur, "value_mappings_of_source", source=source).fetchall()
