"""Which header of an export fills which of our fields under a profile, and which are dropped."""

from __future__ import annotations

from dataclasses import dataclass, field

from clinic.ingest import header_words as hw
from clinic.ingest.profiles import Detection, Profile

IDENTIFYING = "identifying, dropped"
# The reasons whose columns name the client: their values make the patient reference when the
# file has no client id. Addresses and notes change too often to identify anyone stably.
_IDENTITY_REASONS = {"a name", "a telephone number", "an e-mail address", "a date of birth"}
# Words of a header about staff, not the client ("staff_first_name" names a clinician).
_STAFF_WORDS = {
    "staff",
    "team",
    "practitioner",
    "provider",
    "employee",
    "doctor",
    "therapist",
    "stylist",
    "by",
    "created",
    "cancelled",
    "modified",
    "booked",
}


@dataclass
class Plan:
    """How each header of one file is used under one profile."""

    detection: Detection
    headers: list[str]
    used: dict[str, int] = field(default_factory=dict)  # field -> column position
    dropped: list[dict] = field(default_factory=list)  # {header, reason}
    identity: list[int] = field(default_factory=list)  # columns hashed into the patient reference

    @property
    def profile(self) -> Profile:
        """The profile the file is read with."""
        return self.detection.profile

    def header(self, name: str) -> str | None:
        """The header as written of a field (None when the file has none)."""
        return self.headers[self.used[name]] if name in self.used else None

    def patient_ref_from(self) -> list[str]:
        """The headers whose values make the patient reference (none when there is a client id)."""
        return [] if "client_id" in self.used else [self.headers[i] for i in self.identity]

    def mapping(self) -> dict[str, str | None]:
        """Header as written -> the field it fills, or None (dropped or not used)."""
        by_pos = {i: f for f, i in self.used.items()}
        return {h: by_pos.get(i) for i, h in enumerate(self.headers)}


def plan(
    detection: Detection, headers: list[str], saved: dict[str, str | None] | None = None
) -> Plan:
    """Which header fills which field: saved corrections, then the profile, then identifying words.

    Two headers for one field are not an error: the profile's more preferred one is used and the
    other is listed as not used, naming the one that was.
    """
    profile = detection.profile
    out = Plan(detection, list(headers))
    fields = profile.field_of()
    saved_keys = {hw.key(k): v for k, v in (saved or {}).items()}
    identity = {hw.key(h) for h in profile.identity}
    drop = {hw.key(h) for h in profile.drop}
    unused = {hw.key(h) for h in profile.unused}
    ranked: dict[str, tuple[int, int]] = {}  # field -> (rank, position)
    for i, header in enumerate(headers):
        k = hw.key(header)
        why = hw.identifying(header)
        if k in saved_keys and (
            saved_keys[k] is None or why is None or saved_keys[k] == "client_id"
        ):
            target, rank = saved_keys[k], -1
        elif k in fields:
            target, rank = fields[k]
        else:
            target, rank = None, 0
        if target is None:
            if k in identity or why in _IDENTITY_REASONS:
                staff = _STAFF_WORDS & set(hw.words(header))
                if k in identity or not staff:
                    out.identity.append(i)
            if k in identity or k in drop or why:
                out.dropped.append({"header": header, "reason": IDENTIFYING})
            elif k in unused:
                out.dropped.append({"header": header, "reason": "not needed"})
            else:
                out.dropped.append({"header": header, "reason": "not used"})
            continue
        if target in ranked and ranked[target][0] <= rank:
            kept = headers[ranked[target][1]]
            out.dropped.append(
                {"header": header, "reason": f"not used: {kept} is used for {target}"}
            )
            continue
        if target in ranked:
            loser = ranked[target][1]
            out.dropped.append(
                {"header": headers[loser], "reason": f"not used: {header} is used for {target}"}
            )
        ranked[target] = (rank, i)
    out.used = {f: pos for f, (_rank, pos) in ranked.items()}
    order = {h["header"]: n for n, h in enumerate(out.dropped)}
    out.dropped.sort(key=lambda d: (headers.index(d["header"]), order[d["header"]]))
    return out


def needed(plan_: Plan, saved_values: bool) -> bool:
    """Whether a file must be rewritten before the plain importer can take it."""
    if plan_.profile.name != "generic" or saved_values:
        return True
    extras = {"datetime", "slot", "arrived", "no_show", "cancelled", "cancelled_at", "late"}
    if extras & set(plan_.used) or "client_id" not in plan_.used:
        return True
    from clinic.ingest.headers import detect

    plain = detect("appointments", plan_.headers)
    return plain.duplicates != [] or set(plain.canonical.values()) != set(plan_.used)


def describe(plan_: Plan) -> dict:
    """The plan as the preview and the JSON report show it."""
    return {
        "source": plan_.profile.name,
        "detected": plan_.detection.explain(),
        "mapping": plan_.mapping(),
        "dropped_columns": plan_.dropped,
        "patient_ref_from": plan_.patient_ref_from(),
    }
