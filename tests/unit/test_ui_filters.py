"""The filters' URL codec (clinic/ui/filters.py): Filters to a query string and back, refusals."""

from __future__ import annotations

from datetime import date

import pytest
from hypothesis import given
from hypothesis import strategies as st

from clinic.scope import Filters
from clinic.ui import filters

OPTS = {
    "sites": ["Chelsea", "Ealing"],
    "clinicians": ["Dr A", "Dr Brook"],
    "fundings": ["insurance", "nhs", "self-pay"],
    "effects": ["bruising", "deep vein thrombosis"],
    "severities": ["mild", "severe"],
    "sclerosants": ["polidocanol"],
    "forms": ["foam", "liquid"],
    "vein_types": ["spider", "varicose"],
}
SIDEBAR = ("start", "end", *filters.SIDEBAR)
TODAY = date(2026, 12, 5)


def _choice(name: str) -> st.SearchStrategy:
    """None or one of the store's values for a choice field."""
    return st.none() | st.sampled_from(OPTS[name + "s" if name != "vein_type" else "vein_types"])


RECORDS = st.builds(
    Filters,
    start=st.none() | st.dates(date(2001, 1, 1), date(2099, 12, 31)),
    end=st.none() | st.dates(date(2001, 1, 1), date(2099, 12, 31)),
    effect=_choice("effect"),
    severity=st.none() | st.sampled_from(OPTS["severities"]),
    serious=st.none() | st.booleans(),
    clinician=_choice("clinician"),
    sclerosant=_choice("sclerosant"),
    form=_choice("form"),
    vein_type=_choice("vein_type"),
)


@given(RECORDS)
def test_records_filters_survive_the_url(f: Filters) -> None:
    """Every records filter written into a URL reads back as the same value, with no refusal."""
    link = filters.read_url(filters.url_of(f), OPTS, filters.RECORD_FIELDS, "reported")
    assert link.refused == []
    assert Filters(**link.values) == f


@given(
    site=st.none() | st.sampled_from(OPTS["sites"]),
    funding=st.none() | st.sampled_from(OPTS["fundings"]),
    start=st.dates(date(2020, 1, 1), date(2030, 1, 1)),
)
def test_sidebar_filters_survive_the_url(site, funding, start) -> None:
    """A custom range, a site and a funding go into the URL and come back as the same Filters."""
    f = Filters(start=start, end=date(2030, 6, 30), site=site, funding=funding)
    link = filters.read_url(filters.url_of(f, "custom"), OPTS, SIDEBAR, "session")
    assert Filters(**link.values) == f and link.preset is None


def test_url_of_writes_only_what_is_set() -> None:
    """Defaults stay out of the URL; a preset replaces the dates; the notes text never goes in."""
    assert filters.url_of(Filters(), filters.DEFAULT_PRESET) == {}
    assert filters.url_of(Filters(start=date(2026, 1, 1)), "year_to_date") == {
        "preset": "year_to_date"
    }
    f = Filters(start=date(2026, 2, 1), serious=False, text="HYPERLINK", funding="nhs")
    assert filters.url_of(f) == {"from": "2026-02-01", "funding": "nhs", "serious": "no"}


@pytest.mark.parametrize(
    ("query", "values", "said"),
    [
        (
            {"from": "01/02/2026", "to": "2026-02-28"},
            {"start": date(2026, 2, 1), "end": date(2026, 2, 28)},
            [],
        ),
        ({"from": "31/02/2026"}, {}, ["The link's reported-from date 31/02/2026 is not a date"]),
        ({"to": "[x](https://evil.example)"}, {}, ["The link's reported-to date is not a date"]),
        ({"clinician": "Dr Nobody"}, {}, [filters.link_refused("clinician")]),
        ({"funding": "crowdfunded"}, {}, [filters.link_refused("funding")]),
        ({"serious": "maybe"}, {}, [filters.link_refused("seriousness")]),
        ({"serious": "yes", "vein_type": "spider"}, {"serious": True, "vein_type": "spider"}, []),
    ],
)
def test_read_url_refuses_what_it_cannot_read(query, values, said) -> None:
    """Dates ISO or UK (day first); unknown values and unreadable dates refused, never echoed
    unless only digits and separators."""
    names = (*filters.RECORD_FIELDS, "funding")
    link = filters.read_url(query, OPTS, names, "reported")
    assert link.values == values
    assert len(link.refused) == len(said)
    for sentence, start in zip(link.refused, said, strict=True):
        assert sentence.startswith(start) and "evil" not in sentence


def test_a_field_a_page_does_not_draw_is_not_read() -> None:
    """The sidebar reads only its own fields: a records filter in the URL is ignored there."""
    link = filters.read_url({"effect": "bruising", "site": "Ealing"}, OPTS, SIDEBAR, "session")
    assert link.values == {"site": "Ealing"}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ({}, ("last_12_months", date(2025, 12, 6), TODAY)),
        ({"preset": "year_to_date"}, ("year_to_date", date(2025, 12, 6), TODAY)),
        ({"preset": "nonsense"}, ("last_12_months", date(2025, 12, 6), TODAY)),
        ({"from": "2026-02-01"}, ("custom", date(2026, 2, 1), TODAY)),
        ({"to": "31/03/2026"}, ("custom", date(2025, 12, 6), date(2026, 3, 31))),
        (
            {"from": "2026-02-01", "to": "2026-03-31"},
            ("custom", date(2026, 2, 1), date(2026, 3, 31)),
        ),
    ],
)
def test_sidebar_state_from_a_link(query, expected) -> None:
    """The sidebar opens on the link's preset, else Custom when it gives a date, else the default
    (the last 12 months); a Custom range's missing end comes from the default range."""
    state = filters.sidebar_state(filters.read_url(query, OPTS, SIDEBAR, "session"), TODAY)
    assert (state["f_preset"], state["f_from"], state["f_to"]) == expected
    assert {state[f"f_{n}"] for n in filters.SIDEBAR} == {filters.ALL}


def test_chosen_turns_widget_values_into_filters() -> None:
    """ "All", blank text and no date are None; Serious is True, Not serious False; text trimmed."""
    f = filters.chosen(start=None, effect="All", serious="Not serious", clinician="Dr A", text=" ")
    assert f == Filters(serious=False, clinician="Dr A")
    assert filters.chosen(serious="Serious", text=" drain ") == Filters(serious=True, text="drain")


def test_link_index_finds_the_linked_choice() -> None:
    """A select box starts at the linked value (Serious for serious=yes), else at All."""
    link = filters.read_url({"serious": "yes", "form": "foam"}, OPTS, filters.RECORD_FIELDS, "r")
    assert link.index("serious", filters.SERIOUS_CHOICES) == 1
    assert link.index("form", ["All", "foam", "liquid"]) == 1
    assert link.index("effect", ["All", "bruising"]) == 0
