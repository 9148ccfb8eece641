"""The filters and their URL state: date presets, the sidebar, the records' filter widgets, one
codec between clinic.scope.Filters and the query string (both ways), and the caption.

Every page's filters live in the URL, so a link or a reload reproduces the view: url_of writes
them, read_url reads them back and refuses, with one sentence each, a date it cannot read or a
value the store does not hold (never echoing the link's text into markdown). A session filter
is one field of Filters, one entry of SIDEBAR here and one condition of the SQL macro in_scope.
"""

from __future__ import annotations

import calendar
import dataclasses
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import streamlit as st

from clinic import charts, compare, formats, metrics
from clinic.scope import CHOICES, SESSION_CHOICES, Filters
from clinic.ui import cached
from clinic.ui.say import plain

PRESETS = {
    "this_month": "This month",
    "last_month": "Last month",
    "quarter_to_date": "Quarter to date",
    "year_to_date": "Year to date",
    "last_12_months": "Last 12 months",
    "all": "All dates",
    "custom": "Custom",
}
DEFAULT_PRESET = "last_12_months"
ALL = "All"
# The sidebar's pickers, in order: every session filter chosen from a list.
SIDEBAR = SESSION_CHOICES
SERIOUS_CHOICES = [ALL, "Serious", "Not serious"]
# Streamlit 1.67's date box applies a typed date when focus leaves it, never on Enter (its
# field buffers the typing until blur; measured in Chromium): say so where dates are typed.
TYPED_DATE_HELP = (
    "A typed date applies when you leave its box (Tab, or a click elsewhere); Enter does not "
    "apply it."
)
# The query-string names of the date fields; every other field is named as it is.
_URL_NAMES = {"start": "from", "end": "to"}
_SERIOUS_IN_URL = {"yes": True, "no": False}
# Yes/no filters other than seriousness: in the URL only when on ("open=yes").
_FLAGS_IN_URL = {"open_only": "open"}
_SHOWN_AS_TYPED = re.compile(r"[\d/.\- ]{1,20}")  # echoed only if no markdown can hide in it


# -- dates ---------------------------------------------------------------------------------------
def _add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def preset_range(preset: str, today: date) -> tuple[date | None, date | None]:
    """The inclusive (start, end) of a named date preset; (None, None) for all dates."""
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        start = _add_months(today, -1)
        return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if preset == "quarter_to_date":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "year_to_date":
        return date(today.year, 1, 1), today
    if preset == "last_12_months":
        # Twelve whole months ending today: from the day after the same date a year earlier
        # (a year before 29/02 is 28/02), so 05/12/2026 gives 06/12/2025 to 05/12/2026.
        last_day = calendar.monthrange(today.year - 1, today.month)[1]
        year_ago = today.replace(year=today.year - 1, day=min(today.day, last_day))
        return year_ago + timedelta(days=1), today
    return None, None


# -- the URL codec -------------------------------------------------------------------------------
def link_refused(what: str) -> str:
    """Why a filter value from a link was not applied (the value itself is never echoed)."""
    return f"The link named a {what} this store does not have: showing every {what}."


@dataclass(frozen=True)
class Link:
    """What a link (the page's query string) asks for, and what it asked for in vain."""

    values: dict[str, Any]
    preset: str | None
    refused: list[str]

    def index(self, name: str, choices: list[str]) -> int:
        """Where the linked value of `name` is among `choices` (0, "All", if none)."""
        value = self.values.get(name)
        if name == "serious" and value is not None:
            value = SERIOUS_CHOICES[1 if value else 2]
        return choices.index(value) if value in choices else 0


def url_of(f: Filters, preset: str | None = None) -> dict[str, str]:
    """The query string of filters: a preset other than the default (its dates implied), else
    the dates ISO; every choice set; serious yes/no. The notes text stays out of URLs, as it
    stays out of the audit trail."""
    url: dict[str, str] = {}
    if preset not in (None, "custom"):
        if preset != DEFAULT_PRESET:
            url["preset"] = str(preset)
    else:
        url |= {_URL_NAMES[n]: getattr(f, n).isoformat() for n in _URL_NAMES if getattr(f, n)}
    url |= {name: getattr(f, name) for name in CHOICES if getattr(f, name) is not None}
    if f.serious is not None:
        url["serious"] = "yes" if f.serious else "no"
    url |= {flag: "yes" for name, flag in _FLAGS_IN_URL.items() if getattr(f, name)}
    return url


def _date_refused(what: str, text: str) -> str:
    """Why a date in a link was not applied (echoed only when nothing but digits)."""
    shown = f" {text}" if _SHOWN_AS_TYPED.fullmatch(text) else ""
    return (
        f"The link's {what}{shown} is not a date, so it is not applied: write dates as "
        "dd/mm/yyyy (03/04/2025 is 3 April 2025) or 2025-04-03."
    )


def read_url(
    params: Mapping[str, Any], opts: Mapping[str, list[str]], names: Iterable[str], dates: str
) -> Link:
    """The filters `names` of a query string: dates ISO or UK (03/04/2025 = 3 April), choices
    among the store's own values (`opts`), serious yes/no, a preset by name; anything
    unreadable or unknown is refused with a sentence. `dates` says what the dates are of."""
    values: dict[str, Any] = {}
    refused: list[str] = []
    for name in names:
        text = params.get(_URL_NAMES.get(name) or _FLAGS_IN_URL.get(name) or name)
        if not text:
            continue
        text = str(text)
        if name in _URL_NAMES:
            try:
                values[name] = formats.read_day(text)
            except ValueError:
                refused.append(_date_refused(f"{dates}-{_URL_NAMES[name]} date", text))
        elif name == "serious":
            if text in _SERIOUS_IN_URL:
                values[name] = _SERIOUS_IN_URL[text]
            else:
                refused.append(link_refused("seriousness"))
        elif name in _FLAGS_IN_URL:
            if text in _SERIOUS_IN_URL:
                values[name] = _SERIOUS_IN_URL[text] or None
            else:
                refused.append(f"The link's {_FLAGS_IN_URL[name]}= is not yes or no: not applied.")
        elif text in opts.get(CHOICES[name].options, []):
            values[name] = text
        else:
            # Never echoed: link text must not reach a markdown renderer.
            refused.append(link_refused(CHOICES[name].what))
    preset = params.get("preset")
    return Link(values, preset if preset in PRESETS else None, refused)


def _keep_in_url(wanted: dict[str, str]) -> None:
    """Make the address bar say `wanted` (so a reload or a copied link keeps the view)."""
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


# -- the sidebar ---------------------------------------------------------------------------------
def sidebar_state(link: Link, today: date) -> dict[str, Any]:
    """The sidebar's widget values for a link: its preset, else Custom when it gives a date,
    else the default; a Custom range's missing end taken from the default range."""
    start, end = link.values.get("start"), link.values.get("end")
    preset = link.preset or ("custom" if (start or end) else DEFAULT_PRESET)
    first, last = preset_range(DEFAULT_PRESET, today)
    if preset == "custom":
        start, end = start or first, end or last
    return {
        "f_preset": preset,
        "f_from": start or first,
        "f_to": end or today,
        **{f"f_{name}": link.values.get(name, ALL) for name in SIDEBAR},
    }


def sidebar() -> Filters:
    """The sidebar filters (dates, site, clinician, funding) as Filters, mirrored in the URL."""
    state = st.session_state
    opts = cached.options()
    side = st.sidebar
    side.subheader("Filters")
    # Widgets lose their state on pages that do not draw them; a shadow copy survives, and the
    # URL seeds it on the first run so that a shared link reproduces the view.
    if "_filters" not in state:
        link = read_url(st.query_params, opts, ("start", "end", *SIDEBAR), "session")
        state["_filters"] = sidebar_state(link, cached.as_of())
        for sentence in link.refused:
            side.warning(sentence)
    for key, value in state["_filters"].items():
        # Re-assigning turns a widget value into session state, which survives page switches.
        state[key] = state.get(key, value)
    side.selectbox("Dates", list(PRESETS), format_func=PRESETS.__getitem__, key="f_preset")
    if state["f_preset"] == "custom":
        side.date_input("From", key="f_from", format=formats.TABLE_DAY)
        side.date_input("To", key="f_to", format=formats.TABLE_DAY)
        start, end = state["f_from"], state["f_to"]
    else:
        start, end = preset_range(state["f_preset"], cached.as_of())
    for name in SIDEBAR:
        choices = [ALL, *opts.get(CHOICES[name].options, [])]
        if state[f"f_{name}"] not in choices:
            # A value the store does not hold (any more) is refused, not shown.
            state[f"f_{name}"] = state["_filters"][f"f_{name}"] = ALL
            side.warning(link_refused(CHOICES[name].what))
        title = CHOICES[name].what.capitalize()
        side.selectbox(title, choices, key=f"f_{name}", format_func=formats.word)
    values = {k: state.get(k, v) for k, v in state["_filters"].items()}
    state["_filters"] = values
    picked = {n: None if values[f"f_{n}"] == ALL else values[f"f_{n}"] for n in SIDEBAR}
    custom = values["f_preset"] == "custom"
    shown = Filters(start=values["f_from"], end=values["f_to"], **picked) if custom else None
    _keep_in_url(url_of(shown or Filters(**picked), values["f_preset"]))
    if start and end and start > end:
        st.sidebar.warning("The start date is after the end date: swap them.")
        start, end = end, start
    return Filters(start=start, end=end, **picked)


# -- the complication records' filters -----------------------------------------------------------
RECORD_FIELDS = ("start", "end", "effect", "severity", "serious", "clinician", "sclerosant")
RECORD_FIELDS += ("form", "vein_type", "open_only")


def records_link(opts: Mapping[str, list[str]]) -> Link:
    """The records filters the page's URL asks for (dates are reported dates)."""
    return read_url(st.query_params, opts, RECORD_FIELDS, "reported")


def record_select(
    container: Any, title: str, name: str, link: Link, opts: dict[str, list[str]], key: str
) -> str:
    """A records filter's select box ("All" and the records' own values), as the link set it."""
    listed = opts.get(CHOICES[name].options, []) if name in CHOICES else []
    choices = SERIOUS_CHOICES if name == "serious" else [ALL, *listed]
    return container.selectbox(title, choices, link.index(name, choices), key=key)


def chosen(**widgets: Any) -> Filters:
    """Filters from widget values: "All", blank text and no date are None; "Serious" is True."""
    values = {k: (None if v in (ALL, "", None) else v) for k, v in widgets.items()}
    if values.get("serious") is not None:
        values["serious"] = values["serious"] == "Serious"
    if values.get("text"):
        values["text"] = values["text"].strip() or None
    if "open_only" in values:
        values["open_only"] = bool(values["open_only"]) or None
    return Filters(**values)


def keep_records_in_url(f: Filters) -> None:
    """Write the records filters into the URL (dates ISO), so a reload or a link keeps them."""
    _keep_in_url(url_of(f))


# -- what the figures cover ----------------------------------------------------------------------
def describe(f: Filters, *, reported: bool = False) -> str:
    """The range, filters and as-of date of a page's figures (its caption; names escaped).

    `reported`: the records page, whose dates are reported dates picked on the page itself.
    """
    if reported:
        period = Filters(start=f.start, end=f.end)
        return metrics.describe_period(period, cached.as_of(), None, what="reported dates")
    # Names come from files or the URL: shown literally, never as markdown.
    named = dataclasses.replace(
        f, **{n: plain(getattr(f, n)) for n in SESSION_CHOICES if getattr(f, n)}
    )
    return metrics.describe_period(named, cached.as_of(), cached.date_bounds())


def previous(f: Filters) -> Filters | None:
    """The period of the same length just before the filters' dates (None for all dates)."""
    return compare.previous(f)


def last_year(f: Filters) -> Filters | None:
    """The same dates a year earlier (None for all dates)."""
    return compare.last_year(f)


def partial(f: Filters) -> dict[date, tuple[date, date]]:
    """Months the filters' dates cover only in part (figures stop at the as-of date)."""
    today = cached.as_of()
    return charts.partial_months(f.start, min(f.end, today) if f.end else today)
