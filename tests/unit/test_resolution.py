"""Open complications, time to resolution and the records' "open only" filter, by hand."""

from __future__ import annotations

from datetime import date

import pytest

from clinic import metrics as m
from clinic import resolution
from clinic.store import Store
from clinic.ui import filters
from tests.unit.test_metrics import appt, seed_prices

AS_OF = date(2024, 6, 30)


def report(
    s: Store,
    rid: str,
    aid: str,
    effect: str,
    reported: str,
    resolved: str | None,
    attention: bool = False,
) -> None:
    """One report with its resolved date."""
    with s.writer() as cur:
        cur.execute(
            """insert into side_effects (report_id, appointment_id, reported_date, effect,
                medical_attention, resolved_date, import_id, first_import_id)
            values ($r, $a, $d, $e, $m, $res, 0, 0)""",
            {"r": rid, "a": aid, "d": reported, "e": effect, "m": attention, "res": resolved},
        )


@pytest.fixture
def seeded(store: Store) -> Store:
    """Sessions S1 (Jan, Dr A), S2 (Mar, Dr B); reports:
    R1 bruising S1 reported 15/01 resolved 25/01 (10 days)
    R2 bruising S1 reported 20/01 resolved 20/02 (31 days)
    R3 bruising S2 reported 10/03 resolved 14/03 (4 days)  -> bruising median 10, longest 31
    R4 hyperpigmentation S2 reported 01/03, open (121 days on 30/06)
    R5 DVT S1 reported 01/06, open (29 days; serious: listed first)
    R6 matting S2 reported 01/07, open but reported after the as-of date (not listed)"""
    seed_prices(store)
    appt(store, "S1", "2024-01-10", "P1")
    appt(store, "S2", "2024-03-01", "P2", clinician="Dr B")
    report(store, "R1", "S1", "bruising", "2024-01-15", "2024-01-25")
    report(store, "R2", "S1", "bruising", "2024-01-20", "2024-02-20")
    report(store, "R3", "S2", "bruising", "2024-03-10", "2024-03-14")
    report(store, "R4", "S2", "hyperpigmentation", "2024-03-01", None)
    report(store, "R5", "S1", "deep vein thrombosis", "2024-06-01", None)
    report(store, "R6", "S2", "telangiectatic matting", "2024-07-01", None)
    return store


def test_open_reports_serious_first_then_longest_open(seeded: Store) -> None:
    """R5 (serious, 29 days) before R4 (121 days); R6 was reported after the as-of date."""
    df, total = resolution.open_reports(seeded, m.Filters(), AS_OF)
    assert total == 2
    assert [(r.report_id, r.days_open, r.serious) for r in df.itertuples()] == [
        ("R5", 29, True), ("R4", 121, False),
    ]  # fmt: skip
    assert list(df["session_ref"]) == ["S1", "S2"]


def test_open_reports_ignore_the_date_range_but_not_the_clinician(seeded: Store) -> None:
    """A range that holds no session still lists what is open; Dr B's filter keeps only R4."""
    _df, total = resolution.open_reports(seeded, m.Filters(start=date(2030, 1, 1)), AS_OF)
    assert total == 2
    df, total = resolution.open_reports(seeded, m.Filters(clinician="Dr B"), AS_OF)
    assert (total, list(df["report_id"])) == (1, ["R4"])


def test_resolution_by_effect(seeded: Store) -> None:
    """Bruising: 3 resolved in 10, 31, 4 days (median 10, longest 31); the rest only open."""
    df = resolution.resolution_by_effect(seeded, m.Filters()).set_index("effect")
    columns = ["resolved", "still_open", "median_days", "longest_days"]
    assert df.loc["bruising", columns].tolist() == [3, 0, 10.0, 31.0]
    assert df.loc["hyperpigmentation", ["resolved", "still_open"]].tolist() == [0, 1]
    assert df.index[0] == "bruising"  # the slowest median first; effects never resolved last


def test_resolution_takes_the_session_range(seeded: Store) -> None:
    """Sessions of March only: S2's reports (bruising R3: 4 days; R4 and R6 open)."""
    df = resolution.resolution_by_effect(
        seeded, m.Filters(start=date(2024, 3, 1), end=date(2024, 3, 31))
    ).set_index("effect")
    assert df.loc["bruising", ["resolved", "median_days"]].tolist() == [1, 4.0]


def test_records_open_only(seeded: Store) -> None:
    """The records filter "open only" keeps the three reports without a resolved date."""
    df, total = m.complication_records(seeded, m.Filters(open_only=True))
    assert (total, sorted(df["report_id"])) == (3, ["R4", "R5", "R6"])
    assert m.complication_records(seeded, m.Filters())[1] == 6


def test_open_only_round_trips_through_the_url() -> None:
    """open=yes in the link, nothing when off; an unreadable value is refused with a sentence."""
    assert filters.url_of(m.Filters(open_only=True)) == {"open": "yes"}
    assert filters.url_of(m.Filters(open_only=None)) == {}
    link = filters.read_url({"open": "yes"}, {}, filters.RECORD_FIELDS, "reported")
    assert link.values == {"open_only": True} and not link.refused
    link = filters.read_url({"open": "maybe"}, {}, filters.RECORD_FIELDS, "reported")
    assert link.values == {} and len(link.refused) == 1
    assert filters.chosen(open_only=False) == m.Filters()
