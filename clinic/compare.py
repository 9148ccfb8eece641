"""Comparisons: the previous period of the same length and the same period last year, and the
change against them in words ("+12% on last year", "-1.5 pp on the previous period").

No Streamlit here: tiles and charts (clinic/ui/widgets.py, clinic.charts) and the e-mail digest
use the same periods and the same words.
"""

from __future__ import annotations

import dataclasses
import math
from datetime import date

from clinic.scope import Filters

PREVIOUS = "the previous period"
LAST_YEAR = "last year"


def previous(f: Filters) -> Filters | None:
    """The period of the same length just before f's dates (None when a date is open)."""
    if f.start is None or f.end is None:
        return None
    days = (f.end - f.start).days + 1
    return dataclasses.replace(
        f,
        start=date.fromordinal(f.start.toordinal() - days),
        end=date.fromordinal(f.start.toordinal() - 1),
    )


def _year_before(day: date) -> date:
    """The same day a year earlier (29/02 -> 28/02)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def last_year(f: Filters) -> Filters | None:
    """The same dates a year earlier, same other filters (None when a date is open)."""
    if f.start is None or f.end is None:
        return None
    return dataclasses.replace(f, start=_year_before(f.start), end=_year_before(f.end))


def _missing(value: float | None) -> bool:
    """No number to compare."""
    return value is None or (isinstance(value, float) and math.isnan(value))


NO_CHANGE = "no change"


def change(now: float | None, before: float | None, *, points: bool = False) -> str | None:
    """The change as text: "+12%" (relative), "+1.5 pp" (rates, in percentage points); None
    when either is missing or a relative change from zero."""
    if _missing(now) or _missing(before):
        return None
    if points:
        said = f"{(now - before) * 100:+.1f} pp"
    elif before == 0:
        return None
    else:
        said = f"{(now - before) / before:+.0%}"
    # What rounds to nothing is said as such: "+0.0 pp" drew a red arrow on an unchanged rate.
    return NO_CHANGE if said.lstrip("+-").startswith(("0 ", "0%", "0.0 ")) else said


def words(now: float | None, before: float | None, against: str, *, points: bool = False) -> str:
    """A change in words: "+12% on last year"; "no figure for last year to compare"."""
    said = change(now, before, points=points)
    return f"{said} on {against}" if said else f"no figure for {against} to compare"
