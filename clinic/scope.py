"""What a figure or a list covers: the one Filters type every page, report and query shares.

The session filters (dates, site, clinician, funding) are the fields of `SESSION_FIELDS`; every
figure's query reads them as one `$scope` struct through the SQL macro `in_scope`
(queries/schema/100_sessions_in_scope.sql), so a new session filter is one line of that macro,
one field here and one widget (clinic/ui/filters.py). The complication records add their own
fields (dates there are reported dates). No Streamlit here: the CLI uses it too.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import Any


@dataclass(frozen=True)
class Filters:
    """What to include: dates inclusive (None = open); every other field None = all."""

    start: date | None = None
    end: date | None = None
    site: str | None = None
    clinician: str | None = None
    funding: str | None = None
    # The complication records' own filters (on the records page, start/end are reported dates).
    effect: str | None = None
    severity: str | None = None
    serious: bool | None = None
    sclerosant: str | None = None
    form: str | None = None
    vein_type: str | None = None
    text: str | None = None
    open_only: bool | None = None  # reports without a resolved date only


# The fields the SQL macro `in_scope` reads, in its struct's order.
SESSION_FIELDS = ("start", "end", "site", "clinician", "funding")


@dataclass(frozen=True)
class Choice:
    """A filter picked from a list: what a sentence calls it, and the options() list it takes."""

    what: str
    options: str


# Every filter chosen from a list of the store's own values (the choices a link may name).
CHOICES: dict[str, Choice] = {
    "site": Choice("site", "sites"),
    "clinician": Choice("clinician", "clinicians"),
    "funding": Choice("funding", "fundings"),
    "effect": Choice("effect", "effects"),
    "severity": Choice("severity", "severities"),
    "sclerosant": Choice("sclerosant", "sclerosants"),
    "form": Choice("form", "forms"),
    "vein_type": Choice("vein type", "vein_types"),
}
# The session filters chosen from a list, in the order captions and sidebars name them.
SESSION_CHOICES = tuple(name for name in SESSION_FIELDS if name in CHOICES)


def session_scope(f: Filters) -> dict[str, Any]:
    """The `$scope` struct of a query: the session fields of `f` (the macro's parameter)."""
    return {name: getattr(f, name) for name in SESSION_FIELDS}


def sessions_only(f: Filters) -> Filters:
    """`f` without the records' own fields (a figure reads only the session filters)."""
    return Filters(**session_scope(f))


def named_choices(f: Filters, say: Callable[[object], str] = str) -> list[str]:
    """The session choices set in `f` in words, each value as `say` puts it ("funding NHS")."""
    return [f"{CHOICES[n].what} {say(getattr(f, n))}" for n in SESSION_CHOICES if getattr(f, n)]


def audit_text(f: Filters) -> str:
    """The filters used, for the audit trail (identifiers only; the notes text is withheld)."""
    parts = [
        f"{k}={'<text>' if k == 'text' else v}"
        for k, v in sorted(dataclasses.asdict(f).items())
        if v is not None
    ]
    return ", ".join(parts) or "none"
