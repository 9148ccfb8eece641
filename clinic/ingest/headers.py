"""Match the headers of an export to our canonical columns (aliases, saved corrections)."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from functools import cache

from clinic.config import DATA_FILES

KINDS = ("appointments", "side-effects", "prices")
_UNIT = re.compile(r"\s*[\(\[][^\)\]]*[\)\]]\s*$")
_SEPARATORS = re.compile(r"[\s_\-]+")


def normalise(header: str) -> str:
    """A header as matched: lower case, no trailing unit in brackets, separators as one space."""
    text = _UNIT.sub("", header.strip().lstrip("\ufeff"))
    return _SEPARATORS.sub(" ", text.lower()).strip()


@cache
def aliases() -> dict:
    """The alias table of clinic/data/aliases.json (per kind: columns, required, identifying)."""
    return json.loads((DATA_FILES / "aliases.json").read_text(encoding="utf-8"))


def columns(kind: str) -> list[str]:
    """The canonical columns of one kind, in the alias table's order."""
    return list(aliases()[kind]["columns"])


def required(kind: str) -> list[str]:
    """The canonical columns a file of this kind must have."""
    return list(aliases()[kind]["required"])


@dataclass
class Mapping:
    """How each header of a file is used."""

    headers: list[str]
    canonical: dict[int, str] = field(default_factory=dict)  # column position -> canonical
    ignored: list[str] = field(default_factory=list)
    dropped: list[str] = field(default_factory=list)
    duplicates: list[tuple[str, str]] = field(default_factory=list)  # (header, canonical)

    def as_dict(self) -> dict[str, str | None]:
        """Header as written -> canonical column or None (ignored or dropped)."""
        out: dict[str, str | None] = {}
        for i, h in enumerate(self.headers):
            out.setdefault(h, self.canonical.get(i))
        return out

    def header_of(self, canonical: str) -> str | None:
        """The header as written in the file for a canonical column."""
        for i, c in self.canonical.items():
            if c == canonical:
                return self.headers[i]
        return None

    def missing(self, kind: str) -> list[str]:
        """Required canonical columns no header maps to."""
        present = set(self.canonical.values())
        return [c for c in required(kind) if c not in present]


def detect(
    kind: str,
    headers: list[str],
    override: dict[str, str | None] | None = None,
    saved: dict[str, str | None] | None = None,
) -> Mapping:
    """Map headers to canonical columns: explicit override, then saved corrections, then aliases."""
    table = aliases()[kind]
    lookup: dict[str, str] = {}
    for canonical, names in table["columns"].items():
        for name in [canonical, *names]:
            lookup.setdefault(normalise(name), canonical)
    identifying = {normalise(n) for n in table["identifying"]}
    override_n = {normalise(k): v for k, v in (override or {}).items()}
    saved_n = {normalise(k): v for k, v in (saved or {}).items()}
    valid = set(table["columns"])
    m = Mapping(headers=list(headers))
    for i, header in enumerate(headers):
        key = normalise(header)
        if key in override_n or key in saved_n:
            target = override_n[key] if key in override_n else saved_n[key]
            if target not in valid:
                target = None
        elif key in identifying:
            m.dropped.append(header)
            continue
        else:
            target = lookup.get(key)
        if target is None:
            (m.dropped if key in identifying else m.ignored).append(header)
        elif target in m.canonical.values():
            m.duplicates.append((header, target))
            m.ignored.append(header)
        else:
            m.canonical[i] = target
    return m


def expected_headers(kind: str, canonical: str) -> list[str]:
    """The headers recognised for a canonical column (for the 'not found' message)."""
    return list(aliases()[kind]["columns"][canonical]) or [canonical]
