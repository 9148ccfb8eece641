"""The funding filter through every figure and report, on a small store with two fundings.

Every expected number is worked out by hand from the store below.
S1 10/01/2024 P1 self-pay, no charge: list 150, socks bought, a review on day 40 (met)
   A5 the same day: P1 buys socks (self-pay), 25
S2 20/01/2024 P2 nhs, charged 100, varicose, no socks, Dr B; a check on day 10 (met)
   E1 bruising with medical attention (serious), reported 25/01/2024
S3 05/02/2024 P3 nhs, no charge: list 150, own socks; E2 bruising, minor, reported 10/02/2024
S4 10/03/2024 P1 self-pay, no charge: list 165 (the new price), 60 days after S1
"""

from __future__ import annotations

import contextlib
import io
import json
from datetime import date
from pathlib import Path

import pytest

from clinic import cli
from clinic import metrics as m
from clinic.store import Store
from tests.unit.test_metrics import appt, followup, report, seed_prices

NHS = m.Filters(funding="nhs")
SELF = m.Filters(funding="self-pay")
AS_OF = date(2024, 6, 30)


def fill(store: Store) -> Store:
    """The store of the module docstring."""
    seed_prices(store)
    appt(store, "S1", "2024-01-10", "P1", compression="bought")
    appt(store, "A5", "2024-01-10", "P1", item="Compression Socks", kind="product")
    followup(store, "F1", date(2024, 2, 19), "P1")
    appt(
        store,
        "S2",
        "2024-01-20",
        "P2",
        charged=100,
        vein_type="varicose",
        compression="none",
        clinician="Dr B",
        funding="nhs",
    )
    followup(store, "C2", date(2024, 1, 30), "P2")
    appt(store, "S3", "2024-02-05", "P3", compression="own", funding="nhs")
    appt(store, "S4", "2024-03-10", "P1", compression=None)
    report(store, "E1", "S2", "bruising", attention=True, reported="2024-01-25")
    report(store, "E2", "S3", "bruising", reported="2024-02-10")
    return store


@pytest.fixture
def funded(store: Store) -> Store:
    """The two-funding store."""
    return fill(store)


def test_revenue_by_funding_and_filtered(funded: Store) -> None:
    """All 590; self-pay 150 + 25 + 165 = 340 over 3; nhs 100 + 150 = 250 over 2."""
    assert m.revenue(funded, m.Filters(), "session_type")["revenue_gbp"].sum() == 590.0
    assert m.revenue(funded, NHS, "session_type").to_dict("records") == [
        {"session_type": "Single Session", "sessions": 2, "revenue_gbp": 250.0}
    ]
    by = m.revenue(funded, SELF, "funding").to_dict("records")
    assert by == [{"funding": "self-pay", "sessions": 3, "revenue_gbp": 340.0}]
    months = m.revenue_monthly(funded, NHS, "funding")
    assert [tuple(r) for r in months.itertuples(index=False)] == [
        ("2024-01", "nhs", 1, 100.0),
        ("2024-02", "nhs", 1, 150.0),
    ]


def test_price_realisation_and_socks_by_funding(funded: Store) -> None:
    """nhs: charged 250 of list 300 (5/6); self-pay at list. Socks: self-pay 1/2, nhs 0/2."""
    nhs = m.price_realisation(funded, NHS).set_index("item")
    assert nhs.loc["Single Session", ["charged_gbp", "list_gbp"]].tolist() == [250.0, 300.0]
    assert nhs.loc["Single Session", "realisation"] == pytest.approx(250 / 300)
    assert set(m.price_realisation(funded, SELF)["realisation"]) == {1.0}
    assert m.socks_attach_rate(funded, SELF).iloc[0][["eligible", "met"]].tolist() == [2, 1]
    assert m.socks_attach_rate(funded, NHS).iloc[0][["eligible", "met"]].tolist() == [2, 0]


def test_compliance_by_funding(funded: Store) -> None:
    """self-pay: review 1/2, no check, spacing 1/1, compression 1/2;
    nhs: review 0/2, check 1/1, no repeat, compression 1/2."""
    got = lambda f: {  # noqa: E731
        r.measure: (r.eligible, r.met) for r in m.compliance(funded, f, AS_OF).itertuples()
    }
    assert got(SELF) == {"review_6w": (2, 1), "check_2w": (0, 0), "spacing": (1, 1),
                         "compression": (2, 1)}  # fmt: skip
    assert got(NHS) == {"review_6w": (2, 0), "check_2w": (1, 1), "spacing": (0, 0),
                        "compression": (2, 1)}  # fmt: skip
    by = m.compliance_by(funded, NHS, AS_OF, "clinician")
    assert set(by["clinician"]) == {"Dr A", "Dr B"}


def test_call_list_by_funding(funded: Store) -> None:
    """On 15/03/2024 the reviews of S2 (day 55) and S3 (day 39) are due, both nhs; S1's is
    covered and S4's window has not opened: nhs 2, self-pay 0."""
    as_of = date(2024, 3, 15)
    nhs, total = m.call_list(funded, NHS, as_of)
    assert total == 2 and sorted(nhs["appointment_id"]) == ["S2", "S3"]
    assert m.call_list(funded, SELF, as_of)[1] == 0
    assert m.call_list(funded, m.Filters(), as_of)[1] == 2


def test_complications_by_funding(funded: Store) -> None:
    """Any report: nhs 2/2, self-pay 0/2; serious: nhs 1/2; by effect: nhs bruising 2 of 2."""
    row = lambda f, **k: m.complications(funded, f, **k).iloc[0]  # noqa: E731
    assert (row(NHS).eligible, row(NHS).events) == (2, 2)
    assert (row(SELF).eligible, row(SELF).events) == (2, 0)
    assert (row(NHS, serious=True).eligible, row(NHS, serious=True).events) == (2, 1)
    effect = m.complications(funded, NHS, by="effect")
    assert effect[["effect", "eligible", "events"]].to_dict("records") == [
        {"effect": "bruising", "eligible": 2, "events": 2}
    ]
    assert m.complications(funded, SELF, by="effect").empty
    funnel = m.funnel(funded, NHS).set_index("clinician")
    assert funnel[["eligible", "events"]].to_dict("index") == {
        "Dr A": {"eligible": 1, "events": 1},
        "Dr B": {"eligible": 1, "events": 1},
    }
    spc = m.spc(funded, NHS)
    assert spc[["month", "eligible", "events"]].values.tolist() == [["2024-01", 1, 1],
                                                                   ["2024-02", 1, 1]]  # fmt: skip


def test_serious_events_by_funding(funded: Store) -> None:
    """E1 (medical attention) follows S2, an nhs session: one for nhs, none for self-pay."""
    events, total = m.serious_events(funded, NHS)
    assert total == 1 and events["report_id"].tolist() == ["E1"]
    assert m.serious_events(funded, SELF)[1] == 0


def test_overview_by_funding(funded: Store) -> None:
    """nhs: 2 sessions, £250, review 0 of 2, complications 2 of 2; monthly 1 and 1."""
    k = m.kpis(funded, NHS, AS_OF)
    assert (k["sessions"], k["revenue_gbp"]) == (2, 250.0)
    assert (k["review_6w"]["eligible"], k["review_6w"]["met"]) == (2, 0)
    assert (k["complication_rate"]["eligible"], k["complication_rate"]["events"]) == (2, 2)
    series = m.monthly_series(funded, NHS)
    assert series[["month", "sessions", "revenue_gbp"]].values.tolist() == [
        ["2024-01", 1, 100.0],
        ["2024-02", 1, 150.0],
    ]


def test_funding_choices_caption_and_previous_period(funded: Store) -> None:
    """The fundings of the figures are offered; a caption names the funding; the previous
    period keeps it."""
    assert m.options(funded)["fundings"] == ["nhs", "self-pay"]
    f = m.Filters(start=date(2024, 1, 1), end=date(2024, 1, 31), funding="nhs")
    assert (
        m.describe_period(f, AS_OF, None) == "01/01/2024 to 31/01/2024, funding NHS, as of "
        "30/06/2024"
    )
    assert m.previous_period(f) == m.Filters(date(2023, 12, 1), date(2023, 12, 31), funding="nhs")


def test_a_later_import_keeps_the_funding_facts_in_step(funded: Store) -> None:
    """A session added after the facts were built (a scoped refresh) counts under its funding."""
    assert m.kpis(funded, NHS, AS_OF)["sessions"] == 2
    appt(funded, "S5", "2024-04-01", "P5", funding="nhs")
    assert m.kpis(funded, NHS, AS_OF)["sessions"] == 3
    assert m.kpis(funded, SELF, AS_OF)["sessions"] == 2


def _report(db: Path, *args: str) -> list[dict]:
    """`clinic report ... --json` in this process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(io.StringIO()):
        assert cli.main(["report", *args, "--db", str(db), "--json"]) == 0
    return json.loads(out.getvalue())


def test_reports_take_funding(db_path: Path) -> None:
    """Every report takes --funding; the rows keep their shape and give the figures above."""
    fill(Store(db_path)).close()
    assert _report(db_path, "revenue", "--by", "funding", "--funding", "nhs") == [
        {"funding": "nhs", "sessions": 2, "revenue_gbp": 250.0}
    ]
    everyone = _report(db_path, "revenue", "--by", "funding")
    assert [r["funding"] for r in everyone] == ["nhs", "self-pay"]
    review = next(
        r
        for r in _report(db_path, "compliance", "--as-of", "2024-06-30", "--funding", "self-pay")
        if r["measure"] == "review_6w"
    )
    assert set(review) == {"measure", "eligible", "met", "rate", "ci_low", "ci_high"}
    assert (review["eligible"], review["met"], review["rate"]) == (2, 1, 0.5)
    rates = _report(db_path, "complications", "--funding", "nhs", "--serious")
    assert set(rates[0]) == {"eligible", "events", "rate", "ci_low", "ci_high"}
    assert (rates[0]["eligible"], rates[0]["events"]) == (2, 1)
