"""Metrics on small seeded stores; every expected number is worked out by hand in comments."""

from __future__ import annotations

import math
from datetime import date, timedelta

import pandas as pd
import pytest

from clinic import metrics as m
from clinic.store import Store

D0 = date(2024, 1, 1)


def seed_prices(store: Store) -> None:
    """Price list: Single Session 150 -> 165 on 2024-03-01, Additional 120, socks 25, free FU."""
    rows = [
        ("Single Session", "treatment", "2024-01-01", 150),
        ("Single Session", "treatment", "2024-03-01", 165),
        ("Additional Session", "treatment", "2024-01-01", 120),
        ("Compression Socks", "product", "2024-01-01", 25),
        ("6 Week Review", "follow-up", "2024-01-01", 0),
        ("2 Week Check", "follow-up", "2024-01-01", 0),
    ]
    with store.writer() as cur:
        for item, kind, valid_from, price in rows:
            cur.execute(
                "insert into prices values ($i, $k, $v, $p, 30, 0, 0)",
                {"i": item, "k": kind, "v": valid_from, "p": price},
            )


def appt(
    store: Store,
    aid: str,
    day: date | str,
    patient: str,
    *,
    item: str = "Single Session",
    kind: str = "treatment",
    status: str = "completed",
    charged: float | None = None,
    clinician: str = "Dr A",
    site: str = "north",
    vein_type: str | None = "spider",
    sclerosant: str | None = "polidocanol",
    form: str | None = "foam",
    compression: str | None = "bought",
    funding: str | None = "self-pay",
) -> None:
    """Insert one appointment row straight into the real table."""
    with store.writer() as cur:
        cur.execute(
            """insert into appointments (appointment_id, appointment_date, patient_ref, clinician,
                item, kind, status, price_charged_gbp, site, vein_type, sclerosant, form,
                compression, funding, import_id, first_import_id)
            values ($a, $d, $p, $c, $i, $k, $s, $ch, $site, $v, $scl, $f, $comp, $fund, 0, 0)""",
            {
                "a": aid,
                "d": day,
                "p": patient,
                "c": clinician,
                "i": item,
                "k": kind,
                "s": status,
                "ch": charged,
                "site": site,
                "v": vein_type,
                "scl": sclerosant,
                "f": form,
                "comp": compression,
                "fund": funding,
            },
        )


def followup(store: Store, aid: str, day: date, patient: str, status: str = "completed") -> None:
    """Insert a follow-up visit of a patient."""
    appt(store, aid, day, patient, item="6 Week Review", kind="follow-up", status=status)


def report(
    store: Store,
    rid: str,
    aid: str,
    effect: str,
    *,
    reported: str = "2024-02-01",
    attention: bool | None = False,
    severity: str = "mild",
    notes: str | None = None,
) -> None:
    """Insert one side-effect report linked to a session."""
    with store.writer() as cur:
        cur.execute(
            """insert into side_effects (report_id, appointment_id, reported_date, effect,
                severity, medical_attention, notes, import_id, first_import_id)
            values ($r, $a, $d, $e, $s, $m, $n, 0, 0)""",
            {
                "r": rid,
                "a": aid,
                "d": reported,
                "e": effect,
                "s": severity,
                "m": attention,
                "n": notes,
            },
        )


def nan(x: float) -> bool:
    """True for NaN."""
    return x is not None and math.isnan(x)


# -- revenue -------------------------------------------------------------------------------------
@pytest.fixture
def revenue_store(store: Store) -> Store:
    """Revenue cases: price change on the session date, a charge, cancelled, no-show, socks."""
    seed_prices(store)
    # A1 2024-02-29, no charge -> list 150 (old price, day before the change).
    appt(store, "A1", "2024-02-29", "P1", compression="none")
    # A2 2024-03-01, no charge -> list 165 (the new price applies ON its first day).
    appt(store, "A2", "2024-03-01", "P2", compression="bought")
    # A3 charged 140 -> 140 (charged beats list); Dr B.
    appt(store, "A3", "2024-03-01", "P3", charged=140, clinician="Dr B", compression="own")
    # A4 cancelled without charge -> earns nothing, not a session.
    appt(store, "A4", "2024-03-05", "P4", status="cancelled", clinician="Dr B")
    # A5 no-show charged a 50 fee -> 50, at the south site, NHS funded.
    appt(
        store,
        "A5",
        "2024-03-06",
        "P5",
        status="no-show",
        charged=50,
        clinician="Dr B",
        site="south",
        funding="nhs",
    )
    # A6 socks bought by P1 the same day as A1 -> 25 under its own item.
    appt(store, "A6", "2024-02-29", "P1", item="Compression Socks", kind="product")
    # A7 a free completed follow-up earns nothing and is not a revenue session.
    followup(store, "A7", date(2024, 4, 10), "P1")
    # A8 booked in the future, no charge -> nothing.
    appt(store, "A8", "2024-05-01", "P6", status="booked")
    return store


def test_revenue_by_session_type(revenue_store: Store) -> None:
    """Single Session 150 + 165 + 140 + 50 = 505 over 4; socks 25 over 1."""
    df = m.revenue(revenue_store, m.Filters(), "session_type")
    assert list(df.columns) == ["session_type", "sessions", "revenue_gbp"]
    got = {r.session_type: (r.sessions, r.revenue_gbp) for r in df.itertuples()}
    assert got == {"Compression Socks": (1, 25.0), "Single Session": (4, 505.0)}


def test_revenue_by_clinician_month_site_funding(revenue_store: Store) -> None:
    """Dr A 150+165+25 = 340 (3), Dr B 140+50 = 190 (2); Feb 175, Mar 355; south 50; nhs 50."""
    f = m.Filters()
    by_c = m.revenue(revenue_store, f, "clinician").set_index("clinician")
    assert by_c.loc["Dr A"].tolist() == [3, 340.0]
    assert by_c.loc["Dr B"].tolist() == [2, 190.0]
    by_m = m.revenue(revenue_store, f, "month").set_index("month")
    assert by_m.to_dict("index") == {
        "2024-02": {"sessions": 2, "revenue_gbp": 175.0},
        "2024-03": {"sessions": 3, "revenue_gbp": 355.0},
    }
    by_s = m.revenue(revenue_store, f, "site").set_index("site")["revenue_gbp"].to_dict()
    assert by_s == {"north": 480.0, "south": 50.0}
    by_f = m.revenue(revenue_store, f, "funding").set_index("funding")["revenue_gbp"].to_dict()
    assert by_f == {"nhs": 50.0, "self-pay": 480.0}


def test_revenue_filters(revenue_store: Store) -> None:
    """From 2024-03-01: 165 + 140 + 50 = 355; to 02-29: 175; Dr B: 190; south: 50."""
    total = lambda f: m.revenue(revenue_store, f, "site")["revenue_gbp"].sum()  # noqa: E731
    assert total(m.Filters(start=date(2024, 3, 1))) == 355.0
    assert total(m.Filters(end=date(2024, 2, 29))) == 175.0
    assert total(m.Filters(clinician="Dr B")) == 190.0
    assert total(m.Filters(site="south")) == 50.0
    assert m.revenue(revenue_store, m.Filters(site="nowhere"), "site").empty


def test_revenue_monthly_by_kind(revenue_store: Store) -> None:
    """Feb: product 25 (1), treatment 150 (1); Mar: treatment 355 (3)."""
    df = m.revenue_monthly(revenue_store, m.Filters(), "kind")
    assert list(df.columns) == ["month", "kind", "sessions", "revenue_gbp"]
    assert [tuple(r) for r in df.itertuples(index=False)] == [
        ("2024-02", "product", 1, 25.0),
        ("2024-02", "treatment", 1, 150.0),
        ("2024-03", "treatment", 3, 355.0),
    ]


def test_price_realisation(revenue_store: Store) -> None:
    """Completed only: Single Session charged 150+165+140 = 455 vs list 150+165+165 = 480."""
    df = m.price_realisation(revenue_store, m.Filters()).set_index("item")
    assert df.loc["Single Session", "sessions"] == 3
    assert df.loc["Single Session", "charged_gbp"] == 455.0
    assert df.loc["Single Session", "list_gbp"] == 480.0
    assert df.loc["Single Session", "realisation"] == pytest.approx(455 / 480)
    assert df.loc["Compression Socks"].tolist() == [1, 25.0, 25.0, 1.0]


def test_socks_attach_rate(revenue_store: Store) -> None:
    """Eligible A1, A2, A3 = 3; met A1 (same-day sale) and A2 (bought) = 2; A3 (own) not."""
    row = m.socks_attach_rate(revenue_store, m.Filters()).iloc[0]
    assert (row.eligible, row.met) == (3, 2)
    assert row.rate == pytest.approx(2 / 3)


def test_bad_grouping_is_refused(store: Store) -> None:
    """A grouping outside the allow-list is a ValueError, never SQL."""
    with pytest.raises(ValueError, match="by must be one of"):
        m.revenue(store, m.Filters(), "price_charged_gbp; drop table prices")


# -- compliance ----------------------------------------------------------------------------------
AS_OF = date(2024, 6, 30)


@pytest.fixture
def compliance_store(store: Store) -> Store:
    """Review on day 34/35/56/57, an open window, varicose checks on day 14/15, spacing 27/28."""
    seed_prices(store)
    # Reviews: P1 day 35 (met), P2 day 56 (met), P3 day 34 (not), P4 day 57 (not).
    for patient, day, comp in (("P1", 35, "bought"), ("P2", 56, "own"), ("P3", 34, "none")):
        appt(store, f"S-{patient}", D0, patient, compression=comp)
        followup(store, f"F-{patient}", D0 + timedelta(days=day), patient)
    appt(store, "S-P4", D0, "P4", compression=None)
    followup(store, "F-P4", D0 + timedelta(days=57), "P4")
    # P5 on 2024-06-01: its window closes 2024-07-27, after as_of -> not eligible for review.
    appt(store, "S-P5", date(2024, 6, 1), "P5", compression="bought")
    # Varicose, Dr B, 2024-03-01: P6 visited day 14 (met), P7 day 15 (not met).
    appt(
        store,
        "S-P6",
        date(2024, 3, 1),
        "P6",
        vein_type="varicose",
        clinician="Dr B",
        compression="own",
    )
    followup(store, "F-P6", date(2024, 3, 15), "P6")
    appt(
        store,
        "S-P7",
        date(2024, 3, 1),
        "P7",
        vein_type="varicose",
        clinician="Dr B",
        compression="none",
    )
    followup(store, "F-P7", date(2024, 3, 16), "P7")
    # Spacing: P8 on 01-01, 01-28 (27 days: not met), 02-25 (28 days: met).
    appt(store, "S-P8a", D0, "P8", compression="bought")
    appt(store, "S-P8b", date(2024, 1, 28), "P8", compression="none")
    appt(store, "S-P8c", date(2024, 2, 25), "P8", compression="own")
    # A cancelled treatment is no session at all.
    appt(store, "S-P9", D0, "P9", status="cancelled")
    return store


def test_compliance_hand_computed(compliance_store: Store) -> None:
    """review 2/9, check 1/2, spacing 1/2, compression 6/10 (see the fixture's comments)."""
    df = m.compliance(compliance_store, m.Filters(), AS_OF)
    assert list(df.columns) == ["measure", "eligible", "met", "rate", "ci_low", "ci_high"]
    assert df["measure"].tolist() == list(m.MEASURES)
    got = {r.measure: (r.eligible, r.met) for r in df.itertuples()}
    # Review eligible: 10 sessions minus P5 = 9; met P1, P2.
    # Compression: P1 bought, P2 own, P5 bought, P6 own, P8a bought, P8c own = 6 of 10.
    assert got == {
        "review_6w": (9, 2),
        "check_2w": (2, 1),
        "spacing": (2, 1),
        "compression": (10, 6),
    }
    review = df.iloc[0]
    assert review.rate == pytest.approx(2 / 9)
    assert 0 < review.ci_low < 2 / 9 < review.ci_high < 1


def test_compliance_window_not_closed(compliance_store: Store) -> None:
    """As of 2024-02-25 (day 55) no review window of 01-01 has closed: eligible 0, rate NaN."""
    df = m.compliance(compliance_store, m.Filters(), date(2024, 2, 25)).set_index("measure")
    assert df.loc["review_6w", "eligible"] == 0
    assert nan(df.loc["review_6w", "rate"]) and nan(df.loc["review_6w", "ci_low"])
    # On 2024-02-26 (day 56, the last day of the window) they count: P1..P4, P8a -> met 2.
    df = m.compliance(compliance_store, m.Filters(), date(2024, 2, 26)).set_index("measure")
    assert df.loc["review_6w", ["eligible", "met"]].tolist() == [5, 2]


def test_compliance_by_clinician(compliance_store: Store) -> None:
    """Dr B: review 2/0, check 2/1, spacing 0/0 (NaN), compression 2/1; Dr A: review 7/2."""
    df = m.compliance_by(compliance_store, m.Filters(), AS_OF, "clinician")
    assert list(df.columns) == [
        "clinician",
        "measure",
        "eligible",
        "met",
        "rate",
        "ci_low",
        "ci_high",
    ]
    b = df[df.clinician == "Dr B"].set_index("measure")
    assert b.index.tolist() == list(m.MEASURES)
    assert b[["eligible", "met"]].values.tolist() == [[2, 0], [2, 1], [0, 0], [2, 1]]
    assert nan(b.loc["spacing", "rate"])
    a = df[df.clinician == "Dr A"].set_index("measure")
    assert a[["eligible", "met"]].values.tolist() == [[7, 2], [0, 0], [2, 1], [8, 5]]


def test_compliance_filters_by_clinician(compliance_store: Store) -> None:
    """Filters(clinician='Dr B') equals the Dr B slice."""
    df = m.compliance(compliance_store, m.Filters(clinician="Dr B"), AS_OF)
    assert df[["eligible", "met"]].values.tolist() == [[2, 0], [2, 1], [0, 0], [2, 1]]


def test_zero_eligible_is_nan_not_error(store: Store) -> None:
    """An empty store gives 4 compliance rows and one complication row of NaN rates."""
    df = m.compliance(store, m.Filters(), AS_OF)
    assert df["eligible"].tolist() == [0, 0, 0, 0]
    assert df[["rate", "ci_low", "ci_high"]].isna().all().all()
    c = m.complications(store, m.Filters())
    assert len(c) == 1 and c.iloc[0].eligible == 0 and nan(c.iloc[0].rate)
    k = m.kpis(store, m.Filters(), AS_OF)
    assert k["review_6w"]["rate"] is None and k["complication_rate"]["rate"] is None


@pytest.fixture
def call_store(store: Store) -> Store:
    """Call-list cases as of 2024-06-30."""
    seed_prices(store)
    # Q1 05-15: review window 06-19..07-10 open -> due, 0 days overdue.
    appt(store, "Q1", date(2024, 5, 15), "P1")
    # Q2 05-01: window 06-05..06-26 closed 4 days ago, no visit -> overdue by 4.
    appt(store, "Q2", date(2024, 5, 1), "P2")
    # Q3 05-10: window 06-14..07-05 open but a visit is booked 07-01 -> not listed.
    appt(store, "Q3", date(2024, 5, 10), "P3")
    followup(store, "F3", date(2024, 7, 1), "P3", status="booked")
    # Q4 06-20 varicose: check window 06-21..07-04 open -> check_2w due; review not open yet.
    appt(store, "Q4", date(2024, 6, 20), "P4", vein_type="varicose")
    # Q5 03-01: window closed 04-26, 65 days ago (> 28) -> not listed.
    appt(store, "Q5", date(2024, 3, 1), "P5")
    # Q6 05-01 with an attended review 06-10 -> not listed.
    appt(store, "Q6", date(2024, 5, 1), "P6")
    followup(store, "F6", date(2024, 6, 10), "P6")
    return store


def test_call_list_due_overdue_booked(call_store: Store) -> None:
    """Q2 overdue 4 days, then Q1 review due and Q4 check due; Q3, Q5, Q6 absent."""
    df, total = m.call_list(call_store, m.Filters(), AS_OF)
    assert total == 3
    assert list(df.columns) == [
        "patient_ref",
        "appointment_id",
        "session_date",
        "clinician",
        "site",
        "check",
        "window_opens",
        "window_closes",
        "status",
        "days_overdue",
    ]
    got = [(r.appointment_id, r.check, r.status, r.days_overdue) for r in df.itertuples()]
    assert got == [
        ("Q2", "review_6w", "overdue", 4),
        ("Q4", "check_2w", "due", 0),
        ("Q1", "review_6w", "due", 0),
    ]
    q1 = df[df.appointment_id == "Q1"].iloc[0]
    assert (q1.window_opens, q1.window_closes) == (date(2024, 6, 19), date(2024, 7, 10))
    first, total = m.call_list(call_store, m.Filters(), AS_OF, limit=1)
    assert (first.appointment_id.tolist(), total) == (["Q2"], 3)


def test_call_list_window_edges(store: Store) -> None:
    """Sessions 84 days back (overdue 28) and 1 day back (check due) are listed; 85 is not."""
    seed_prices(store)
    appt(store, "D84", AS_OF - timedelta(days=84), "P1")
    appt(store, "D85", AS_OF - timedelta(days=85), "P2")
    appt(store, "D1", AS_OF - timedelta(days=1), "P3", vein_type="varicose")
    appt(store, "D0", AS_OF, "P4", vein_type="varicose")
    df, total = m.call_list(store, m.Filters(), AS_OF)
    got = [(r.appointment_id, r.check, r.days_overdue) for r in df.itertuples()]
    assert got == [("D84", "review_6w", 28), ("D1", "check_2w", 0)] and total == 2


def test_call_list_pages_are_the_head_of_the_whole_list(store: Store) -> None:
    """Every limit gives the first rows of the full list and the same total (windows sharing a
    closing day straddle the page end)."""
    seed_prices(store)
    for i in range(40):
        day = AS_OF - timedelta(days=1 + (i * 7) % 84)
        vein = "varicose" if i % 3 == 0 else "spider"
        appt(store, f"K{i:02d}", day, f"P{i % 13}", vein_type=vein)
    whole, total = m.call_list(store, m.Filters(), AS_OF)
    assert total == len(whole) > 20
    assert whole["window_closes"].is_monotonic_increasing
    for limit in range(1, total + 2):
        page, page_total = m.call_list(store, m.Filters(), AS_OF, limit=limit)
        assert page_total == total
        pd.testing.assert_frame_equal(page, whole.head(limit))


# -- complications -------------------------------------------------------------------------------
@pytest.fixture
def comp_store(store: Store) -> Store:
    """R1 two minor reports, R2 a serious term, R3 minor with medical attention, R4 none."""
    seed_prices(store)
    appt(store, "R1", "2024-01-10", "P1")
    appt(store, "R2", "2024-01-11", "P2")
    appt(store, "R3", "2024-02-12", "P3", sclerosant="sodium tetradecyl sulfate", form="liquid")
    appt(store, "R4", "2024-02-13", "P4", clinician="Dr B", vein_type="varicose")
    report(store, "E1", "R1", "bruising", notes="Bruise 100% better by day 10")
    report(store, "E2", "R1", "hyperpigmentation", notes="dark spot, 100 percent fine")
    report(store, "E3", "R2", "allergic reaction", reported="2024-01-20", severity="moderate")
    report(store, "E4", "R3", "bruising", attention=True, reported="2024-02-20", notes="GP_seen")
    # A report of an appointment that is not in the store: in records, never in rates.
    report(store, "E5", "ZZ", "recurrence", reported="2024-03-01")
    return store


def test_complication_rate_overall_and_serious(comp_store: Store) -> None:
    """Any report: R1, R2, R3 = 3 of 4; serious: R2 (term) and R3 (attention flag) = 2 of 4."""
    row = m.complications(comp_store, m.Filters()).iloc[0]
    assert (row.eligible, row.events, row.rate) == (4, 3, 0.75)
    row = m.complications(comp_store, m.Filters(), serious=True).iloc[0]
    assert (row.eligible, row.events, row.rate) == (4, 2, 0.5)


def test_complications_by_effect(comp_store: Store) -> None:
    """Reports per effect over all 4 sessions: bruising 2, allergic 1, hyperpigmentation 1."""
    df = m.complications(comp_store, m.Filters(), by="effect")
    assert list(df.columns) == ["effect", "eligible", "events", "rate", "ci_low", "ci_high"]
    got = {r.effect: (r.eligible, r.events) for r in df.itertuples()}
    assert got == {"bruising": (4, 2), "allergic reaction": (4, 1), "hyperpigmentation": (4, 1)}
    serious = m.complications(comp_store, m.Filters(), by="effect", serious=True)
    assert {r.effect: r.events for r in serious.itertuples()} == {
        "allergic reaction": 1,
        "bruising": 1,
    }


def test_complications_by_dimensions(comp_store: Store) -> None:
    """Dr A 3/3, Dr B 0/1; STS 1/1, polidocanol 2/3; Jan 2/2, Feb 1/2."""
    f = m.Filters()
    get = lambda by: {  # noqa: E731
        getattr(r, by): (r.eligible, r.events)
        for r in m.complications(comp_store, f, by).itertuples()
    }
    assert get("clinician") == {"Dr A": (3, 3), "Dr B": (0 + 1, 0)}
    assert get("sclerosant") == {"polidocanol": (3, 2), "sodium tetradecyl sulfate": (1, 1)}
    assert get("month") == {"2024-01": (2, 2), "2024-02": (2, 1)}
    assert get("vein_type") == {"spider": (3, 3), "varicose": (1, 0)}
    assert get("form") == {"foam": (3, 2), "liquid": (1, 1)}


def test_one_event_in_one_session(store: Store) -> None:
    """1 of 1: rate 1, Wilson 95% interval 0.2065 to 1.0."""
    appt(store, "X1", "2024-01-10", "P1")
    report(store, "E1", "X1", "bruising")
    row = m.complications(store, m.Filters()).iloc[0]
    assert (row.eligible, row.events, row.rate) == (1, 1, 1.0)
    assert row.ci_low == pytest.approx(0.2065, abs=1e-4)
    assert row.ci_high == 1.0


def test_serious_events(comp_store: Store) -> None:
    """Serious reports E4 (attention, 02-20) then E3 (term, 01-20), newest first."""
    df, total = m.serious_events(comp_store, m.Filters())
    assert df["report_id"].tolist() == ["E4", "E3"] and total == 2
    newest, total = m.serious_events(comp_store, m.Filters(), limit=1)
    assert newest["report_id"].tolist() == ["E4"] and total == 2
    assert list(df.columns) == [
        "report_id",
        "reported_date",
        "effect",
        "severity",
        "medical_attention",
        "clinician",
        "site",
        "session_date",
        "sclerosant",
        "form",
        "vein_type",
        "outcome",
    ]
    assert df.iloc[0].session_date == date(2024, 2, 12)


def test_complication_records_filters(comp_store: Store) -> None:
    """Records: all 5; paging; serious 2; effect; clinician; reported date range."""
    df, total = m.complication_records(comp_store, m.Filters())
    assert total == 5 and df["report_id"].tolist() == ["E5", "E4", "E1", "E2", "E3"]
    page, total = m.complication_records(comp_store, m.Filters(), limit=2, offset=2)
    past, past_total = m.complication_records(comp_store, m.Filters(), limit=2, offset=50)
    assert past.empty and past_total == total  # a page past the end still knows the total
    none, none_total = m.complication_records(comp_store, m.Filters(effect="nerve damage"))
    assert none.empty and none_total == 0
    assert total == 5 and page["report_id"].tolist() == ["E1", "E2"]
    assert m.complication_records(comp_store, m.Filters(serious=True))[1] == 2
    assert m.complication_records(comp_store, m.Filters(effect="bruising"))[1] == 2
    assert m.complication_records(comp_store, m.Filters(clinician="Dr A"))[1] == 4
    r = m.Filters(start=date(2024, 2, 1), end=date(2024, 2, 20))
    assert sorted(m.complication_records(comp_store, r)[0]["report_id"]) == ["E1", "E2", "E4"]


# The definition of a record: every report joined to its appointment, then filtered (what the
# paged query must equal, however it is planned).
_RECORDS_BY_DEFINITION = """
    select e.report_id, s.appointment_date as session_date, s.clinician
    from side_effects e
    left join effect_terms t on t.effect = e.effect
    left join appointments s on s.appointment_id = e.appointment_id
    where ($serious::boolean is null
            or (coalesce(t.serious, false) or coalesce(e.medical_attention, false)) = $serious)
        and ($clinician::varchar is null or s.clinician = $clinician)
        and ($site::varchar is null or s.site = $site)
        and ($vein_type::varchar is null or s.vein_type = $vein_type)
        and ($form::varchar is null or s.form = $form)
        and ($effect::varchar is null or e.effect = $effect)
    order by e.reported_date desc, e.report_id
"""


@pytest.mark.parametrize(
    "chosen",
    [
        {},
        {"serious": True},
        {"serious": False},
        {"clinician": "Dr A"},
        {"clinician": "Dr A", "serious": True},
        {"clinician": "Dr B"},
        {"site": "north", "effect": "bruising"},
        {"vein_type": "spider", "serious": False},
        {"form": "liquid"},
        {"clinician": "nobody"},
    ],
)
def test_complication_records_equal_their_definition(comp_store: Store, chosen: dict) -> None:
    """Records, their sessions and the total match a join of every report, whatever the filters.

    Session filters drop the report of an appointment not in the store (E5); without them it
    stays, with no session. E6 follows a review visit (not a treatment session): its details
    come from that appointment.
    """
    followup(comp_store, "V1", date(2024, 3, 2), "P2")
    report(comp_store, "E6", "V1", "bruising", reported="2024-03-03")
    keys = ("serious", "clinician", "site", "vein_type", "form", "effect")
    expected = comp_store.rows(_RECORDS_BY_DEFINITION, {k: chosen.get(k) for k in keys})
    df, total = m.complication_records(comp_store, m.Filters(**chosen), limit=None)
    got = [
        (r.report_id, None if pd.isna(r.session_date) else r.session_date,
         None if pd.isna(r.clinician) else r.clinician)
        for r in df.itertuples()
    ]  # fmt: skip
    assert got == expected and total == len(expected)
    page, page_total = m.complication_records(comp_store, m.Filters(**chosen), 2, 1)
    assert page["report_id"].tolist() == [r[0] for r in expected[1:3]]
    assert page_total == len(expected)


def _cells(df: pd.DataFrame) -> list[tuple]:
    """A frame's rows as tuples, every missing value as None (dtypes aside)."""
    return [tuple(None if pd.isna(v) else v for v in row) for row in df.itertuples(index=False)]


def test_record_pages_are_slices_of_the_whole_list(comp_store: Store) -> None:
    """Every (limit, offset) page is that slice of the full list, reports sharing a day included."""
    for i in range(17):
        report(comp_store, f"F{i:02d}", "R1", "bruising", reported=f"2024-04-{1 + i % 4:02d}")
    whole, total = m.complication_records(comp_store, m.Filters(), limit=None)
    assert total == len(whole) == 22
    for limit in (1, 3, 5, 8):
        for offset in range(0, total + 1):
            page, page_total = m.complication_records(comp_store, m.Filters(), limit, offset)
            assert page_total == total
            expected = whole.iloc[offset : offset + limit]
            assert _cells(page) == _cells(expected), (limit, offset)


def test_record_text_search_treats_wildcards_literally(comp_store: Store) -> None:
    """'100%' matches only E1 (a LIKE would match E2 too); 'd_y' nothing; other text any case."""
    find = lambda t: m.complication_records(comp_store, m.Filters(text=t))[0]  # noqa: E731
    assert find("100%")["report_id"].tolist() == ["E1"]
    assert find("d_y")["report_id"].tolist() == []  # a LIKE would match "day" in E1
    assert find("gp_SEEN")["report_id"].tolist() == ["E4"]
    assert len(find("")) == 5
    # Without % or _ the text takes the ILIKE path: any case, anywhere in the notes.
    assert find("BRUISE 1")["report_id"].tolist() == ["E1"]
    assert find("Spot, 100 P")["report_id"].tolist() == ["E2"]
    assert find("day 1")["report_id"].tolist() == ["E1"]
    assert find("gpseen")["report_id"].tolist() == []


def test_kpis_and_monthly_series(comp_store: Store) -> None:
    """4 sessions, revenue 4 x 150 = 600; Jan 2 sessions 300 rate 1.0, Feb 2 sessions 300 0.5."""
    k = m.kpis(comp_store, m.Filters(), date(2024, 6, 30))
    assert k["sessions"] == 4 and k["revenue_gbp"] == 600.0
    assert k["complication_rate"] == {"eligible": 4, "events": 3, "rate": 0.75}
    assert k["review_6w"] == {"eligible": 4, "met": 0, "rate": 0.0}
    s = m.monthly_series(comp_store, m.Filters())
    assert [tuple(r) for r in s.itertuples(index=False)] == [
        ("2024-01", 2, 300.0, 1.0),
        ("2024-02", 2, 300.0, 0.5),
    ]


def test_previous_period() -> None:
    """1..31 March (31 days) -> 31 days before: 30 Jan .. 29 Feb 2024."""
    f = m.Filters(start=date(2024, 3, 1), end=date(2024, 3, 31), site="north")
    assert m.previous_period(f) == m.Filters(date(2024, 1, 30), date(2024, 2, 29), "north")
    with pytest.raises(ValueError):
        m.previous_period(m.Filters())


def test_options_list_the_values_of_figures(comp_store: Store) -> None:
    """A clinician with only a cancelled booking filters no figure: not offered."""
    appt(comp_store, "C1", "2024-03-01", "P9", clinician="Dr Cancelled", status="cancelled")
    assert "Dr Cancelled" not in m.options(comp_store)["clinicians"]
    appt(comp_store, "C2", "2024-03-02", "P9", clinician="Dr Cancelled")
    assert "Dr Cancelled" in m.options(comp_store)["clinicians"]


def test_options_and_bounds(comp_store: Store) -> None:
    """Options list distinct values; effects are all 23 terms; bounds are first/last dates."""
    o = m.options(comp_store)
    assert o["clinicians"] == ["Dr A", "Dr B"]
    assert o["sclerosants"] == ["polidocanol", "sodium tetradecyl sulfate"]
    assert len(o["effects"]) == 23
    assert o["items"][0] == "2 Week Check"
    assert m.date_bounds(comp_store) == (date(2024, 1, 10), date(2024, 2, 13))


# -- funnel and SPC ------------------------------------------------------------------------------
def bulk(store: Store, prefix: str, n: int, events: int, clinician: str, start: date) -> None:
    """n completed sessions for one clinician, the first `events` of them with a bruising report."""
    with store.writer() as cur:
        cur.execute(
            """insert into appointments (appointment_id, appointment_date, patient_ref, clinician,
                item, kind, status, site, import_id, first_import_id)
            select $p || i, $d::date + (i % 28)::int, $p || i, $c, 'Single Session', 'treatment',
                'completed', 'north', 0, 0
            from range($n) t(i)""",
            {"p": prefix, "d": start, "c": clinician, "n": n},
        )
        cur.execute(
            """insert into side_effects (report_id, appointment_id, reported_date, effect,
                import_id, first_import_id)
            select 'E' || $p || i, $p || i, $d, 'bruising', 0, 0 from range($k) t(i)""",
            {"p": prefix, "d": start, "k": events},
        )


def test_funnel_flags_outlier_clinician(store: Store) -> None:
    """Dr A 2/100, Dr B 2/100, Dr C 10/20: overall 14/220; Dr C lies above the 99.8% limit."""
    bulk(store, "A", 100, 2, "Dr A", D0)
    bulk(store, "B", 100, 2, "Dr B", D0)
    bulk(store, "C", 20, 10, "Dr C", D0)
    df = m.funnel(store, m.Filters()).set_index("clinician")
    assert df["overall_rate"].iloc[0] == pytest.approx(14 / 220)
    assert df.loc["Dr C", "signal"] == "above 99.8%"
    assert df.loc["Dr C", "rate"] == 0.5
    # A missing signal is NaN once pandas stores the column as text.
    assert pd.isna(df.loc["Dr A", "signal"]) or df.loc["Dr A", "signal"] == "below 95%"
    assert df.loc["Dr C", "lo998"] <= df.loc["Dr C", "lo95"] < df.loc["Dr C", "hi95"]


def test_spc_chart_from_store(store: Store) -> None:
    """Monthly p-chart: centre = all events / all sessions, limits p +- 3 sigma clipped at 0."""
    for i in range(6):
        bulk(store, f"M{i}", 50, 2, "Dr A", date(2024, 1 + i, 1))
    bulk(store, "M6", 50, 20, "Dr A", date(2024, 7, 1))
    df = m.spc(store, m.Filters())
    assert list(df.columns) == [
        "month",
        "eligible",
        "events",
        "rate",
        "centre",
        "lcl",
        "ucl",
        "signal",
    ]
    p = 32 / 350
    assert df["centre"].iloc[0] == pytest.approx(p)
    assert df["ucl"].iloc[0] == pytest.approx(p + 3 * math.sqrt(p * (1 - p) / 50))
    assert df["lcl"].iloc[0] == 0.0
    assert df["signal"].iloc[-1] == "outside limits"
