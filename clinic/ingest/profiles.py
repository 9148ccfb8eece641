"""Booking-system profiles (clinic/data/vendors/*.json): loading, checking, detecting."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from functools import cache

from clinic.config import DATA_FILES
from clinic.ingest import header_words as hw

VENDORS = DATA_FILES / "vendors"

# What a profile's header can say, beyond the canonical appointment columns: a date and time in
# one cell, a slot "10:00:00-11:00:00", attendance flags and timestamps, and who the client is.
EXTRA_FIELDS = ("datetime", "slot", "arrived", "no_show", "cancelled", "cancelled_at", "late")
# The fields a value of which is a word of a vocabulary (mapped, or left out with "skip").
VALUE_FIELDS = ("status", "service", "vein_type", "sclerosant", "form", "compression", "funding")
# The vocabulary columns of each kind of file: a value no mapping knows stops the file once.
# Prices have none (an item is any name; its kind is refused row by row, as before).
VOCABULARY_COLUMNS = {"appointments": VALUE_FIELDS, "side-effects": ("effect", "severity")}
STATUS_TERMS = ("completed", "cancelled", "late cancellation", "no-show", "booked", "skip")
ORDERS = ("day-first", "month-first", "iso", "detect")
_KEYS = {
    "name",
    "title",
    "kind",
    "documented",
    "signature",
    "columns",
    "identity",
    "drop",
    "dates",
    "attendance",
    "values",
    "id_parts",
    "unused",
    "price",
}


class ProfileError(ValueError):
    """A profile file that does not follow the format; the message names the file and the key."""


@dataclass(frozen=True)
class Profile:
    """One booking system's export: how its headers, values, dates and attendance read."""

    name: str
    title: str
    kind: str
    documented: str
    signature: tuple[str, ...]
    columns: dict[str, tuple[str, ...]]  # field -> headers, most preferred first
    identity: tuple[str, ...] = ()  # headers naming the client (dropped, hashed when no id)
    drop: tuple[str, ...] = ()  # further headers dropped as identifying (free text, staff names)
    unused: tuple[str, ...] = ()  # headers the system writes that we do not need
    formats: tuple[str, ...] = ()  # strptime formats of dates and date-times
    order: str = "day-first"
    attendance: str = "status"  # or "flags"
    values: dict[str, dict[str, str]] = field(default_factory=dict)  # field -> key(value) -> term
    id_parts: tuple[str, ...] = ()  # fields appended to the id when one id covers several rows
    # "charged": the money column is what was charged; "booked": it is the appointment's price,
    # which only a completed appointment earned (a cancelled one keeps its price in the file).
    price: str = "charged"

    def field_of(self) -> dict[str, tuple[str, int]]:
        """Header key -> (field, preference; 0 is the most preferred alias)."""
        out: dict[str, tuple[str, int]] = {}
        for name, headers in self.columns.items():
            for rank, header in enumerate((name, *headers) if name in _CANONICAL else headers):
                out.setdefault(hw.key(header), (name, rank))
        return out


def _alias_columns() -> dict[str, list[str]]:
    """The appointment columns of the alias table and their aliases."""
    from clinic.ingest.headers import aliases

    return aliases()["appointments"]["columns"]


_CANONICAL = frozenset(_alias_columns())


def _strings(value: object, where: str) -> tuple[str, ...]:
    """A list of strings from a profile, or ProfileError."""
    if not isinstance(value, list) or not all(isinstance(v, str) and v for v in value):
        raise ProfileError(f"{where} must be a list of non-empty strings")
    return tuple(value)


def _optional(data: dict, key: str, where: str) -> tuple[str, ...]:
    """An optional list of strings (empty when absent)."""
    return _strings(data[key], f"{where}: {key}") if key in data else ()


def _price(data: dict, where: str) -> str:
    """What the money column means ("charged" unless the profile says "booked")."""
    price = data.get("price", "charged")
    if price not in ("charged", "booked"):
        raise ProfileError(f"{where}: price must be 'charged' or 'booked'")
    return price


def parse(data: dict, where: str) -> Profile:
    """Check one profile document and return it; ProfileError names what is wrong."""
    if not isinstance(data, dict):
        raise ProfileError(f"{where}: a profile is a JSON object")
    unknown = set(data) - _KEYS
    if unknown:
        raise ProfileError(f"{where}: unknown key(s) {', '.join(sorted(unknown))}")
    for required in ("name", "title", "kind", "documented", "columns"):
        if not isinstance(data.get(required), str | dict) or not data.get(required):
            raise ProfileError(f"{where}: {required!r} is required")
    if data["kind"] != "appointments":
        raise ProfileError(f"{where}: kind must be 'appointments'")
    allowed = _CANONICAL | set(EXTRA_FIELDS)
    columns: dict[str, tuple[str, ...]] = {}
    for name, headers in data["columns"].items():
        if name not in allowed:
            raise ProfileError(f"{where}: columns.{name} is not a field we know")
        columns[name] = _strings(headers, f"{where}: columns.{name}")
    # Columns the profile does not name read as the alias table says (a clinic's own extras).
    for name, headers in _alias_columns().items():
        columns.setdefault(name, tuple(headers))
    dates = data.get("dates", {})
    order = dates.get("order", "day-first")
    if order not in ORDERS:
        raise ProfileError(f"{where}: dates.order must be one of {', '.join(ORDERS)}")
    attendance = data.get("attendance", "status")
    if attendance not in ("status", "flags"):
        raise ProfileError(f"{where}: attendance must be 'status' or 'flags'")
    values: dict[str, dict[str, str]] = {}
    for name, table in data.get("values", {}).items():
        if name not in VALUE_FIELDS:
            raise ProfileError(f"{where}: values.{name} is not a field with a vocabulary")
        if name == "status":
            bad = sorted(t for t in table.values() if t not in STATUS_TERMS)
            if bad:
                raise ProfileError(f"{where}: values.status maps to {bad[0]!r}, not a status")
        values[name] = {hw.value_key(v): t for v, t in table.items()}
    parts = _optional(data, "id_parts", where)
    if set(parts) - {"service", "start_time", "clinician", "date"}:
        raise ProfileError(f"{where}: id_parts may name service, start_time, clinician or date")
    return Profile(
        name=data["name"],
        title=data["title"],
        kind=data["kind"],
        documented=data["documented"],
        signature=_optional(data, "signature", where),
        columns=columns,
        identity=_optional(data, "identity", where),
        drop=_optional(data, "drop", where),
        unused=_optional(data, "unused", where),
        formats=_optional(dates, "formats", f"{where}: dates"),
        order=order,
        attendance=attendance,
        values=values,
        id_parts=parts,
        price=_price(data, where),
    )


@cache
def profiles() -> dict[str, Profile]:
    """Every profile of the data folder, by name (the generic profile included)."""
    found: dict[str, Profile] = {}
    for path in sorted(VENDORS.glob("*.json")):
        profile = parse(json.loads(path.read_text(encoding="utf-8")), path.name)
        if profile.name != path.stem:
            raise ProfileError(f"{path.name}: name must be {path.stem!r}")
        found[profile.name] = profile
    if "generic" not in found:
        raise ProfileError("the generic profile (generic.json) is missing")
    return found


@dataclass(frozen=True)
class Detection:
    """The profile chosen for a header, with the count behind the choice."""

    profile: Profile
    recognised: int
    total: int
    forced: bool = False

    def explain(self) -> str:
        """One sentence: which profile and why."""
        verb = "Read as" if self.forced else "Looks like"
        return (
            f"{verb} {'an' if self.profile.title[0] in 'AEIOU' else 'a'} {self.profile.title}: "
            f"{self.recognised} of {self.total} columns recognised."
        )


def recognised(profile: Profile, headers: list[str]) -> int:
    """How many headers the profile knows: a field, the client, or a column it drops."""
    known = set(profile.field_of())
    known |= {hw.key(h) for h in (*profile.identity, *profile.drop, *profile.unused)}
    return sum(1 for h in headers if hw.key(h) in known or hw.identifying(h))


def _as_written(header: str) -> str:
    """A header as written, without case and with single spaces."""
    return " ".join(header.split()).casefold()


def detect(headers: list[str], forced: str | None = None) -> Detection:
    """The profile a header reads best with; a vendor needs one of its signature headers."""
    table = profiles()
    if forced is not None:
        if forced not in table:
            raise KeyError(forced)
        return Detection(table[forced], recognised(table[forced], headers), len(headers), True)
    # A signature header is matched as written (case and spacing aside), not by its words: our
    # own `appointment_id` has the words of Phorest's `appointmentId`, and is not a Phorest file.
    written = {_as_written(h) for h in headers}
    best = Detection(table["generic"], recognised(table["generic"], headers), len(headers))
    for profile in table.values():
        if profile.name == "generic":
            continue
        if not any(_as_written(s) in written for s in profile.signature):
            continue
        score = recognised(profile, headers)
        if score >= best.recognised and (best.profile.name == "generic" or score > best.recognised):
            best = Detection(profile, score, len(headers))
    return best
