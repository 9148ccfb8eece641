"""Attendance and retention on one small store; every expected number is worked out by hand.

The store (as of 31/12/2024; 120 days before is 02/09/2024, 365 days before is 01/01/2024):
  P1  T1 10/01 completed Single (£150), F1 20/02 review, T2 01/03 completed Additional (£120),
      socks 01/05 (£25)
  P2  T3 15/01 no-show Single (Dr B, list £150), T4 01/03 no-show Single (Dr B, list £165: the
      price changes that day)                                   -> a patient with only no-shows
  P3  T5 01/02 cancelled, T6 10/02 completed Single (£150)      -> a cancelled first booking
  P4  socks 01/02 completed (£25), a no-show and a cancelled socks sale (never counted)
  P6  T7 02/09 completed Single (£165), T8 31/12 completed Additional (£120): first session
      exactly 120 days before as-of, second on day 120
  P7  T9 03/09 completed Single (£165): 119 days before as-of
  P8  T10 01/04 completed Single (£165), T11 31/07 completed Additional (£120): day 121;
      booked review 10/01/2025 (a later appointment; booked, so never counted in attendance)
  P5  booked 01/06/2024 and 01/02/2025 (never counted)
"""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest

from clinic import attendance, retention, stats
from clinic import metrics as m
from clinic.store import Store
from tests.unit.test_cli_report import as_json, run
from tests.unit.test_metrics import appt, followup, seed_prices

AS_OF = date(2024, 12, 31)
ALL = m.Filters()


def build(s: Store) -> None:
    """The store of the module docstring."""
    seed_prices(s)
    appt(s, "T1", "2024-01-10", "P1")
    followup(s, "F1", date(2024, 2, 20), "P1")
    appt(s, "T2", "2024-03-01", "P1", item="Additional Session")
    appt(s, "S1", "2024-05-01", "P1", item="Compression Socks", kind="product")
    appt(s, "T3", "2024-01-15", "P2", status="no-show", clinician="Dr B")
    appt(s, "T4", "2024-03-01", "P2", status="no-show", clinician="Dr B")
    appt(s, "T5", "2024-02-01", "P3", status="cancelled")
    appt(s, "T6", "2024-02-10", "P3")
    appt(s, "S2", "2024-02-01", "P4", item="Compression Socks", kind="product")
    appt(s, "S3", "2024-02-02", "P4", item="Compression Socks", kind="product", status="no-show")
    appt(s, "S4", "2024-02-03", "P4", item="Compression Socks", kind="product", status="cancelled")
    appt(s, "T7", "2024-09-02", "P6")
    appt(s, "T8", "2024-12-31", "P6", item="Additional Session")
    appt(s, "T9", "2024-09-03", "P7")
    appt(s, "T10", "2024-04-01", "P8")
    appt(s, "T11", "2024-07-31", "P8", item="Additional Session")
    followup(s, "F2", date(2025, 1, 10), "P8", status="booked")
    appt(s, "B1", "2024-06-01", "P5", status="booked")
    appt(s, "B2", "2025-02-01", "P5", status="booked")


@pytest.fixture
def seeded(store: Store) -> Store:
    """The module's store, open."""
    build(store)
    return store


def rows(df) -> list[tuple]:
    """A frame's rows as plain tuples of its count columns."""
    return [tuple(r) for r in df.itertuples(index=False, name=None)]


# -- attendance ----------------------------------------------------------------------------------
def test_attendance_overall(seeded: Store) -> None:
    """Counted: T1 T2 F1 T6 T7 T8 T9 T10 T11 completed, T3 T4 no-show, T5 cancelled (12)."""
    df = attendance.attendance(seeded, ALL)
    assert rows(df[["measure", "eligible", "events"]]) == [("no_show", 11, 2), ("cancelled", 12, 1)]
    no_show = df.iloc[0]
    assert no_show["rate"] == pytest.approx(2 / 11)
    low, high = stats.wilson(2, 11)
    assert (no_show["ci_low"], no_show["ci_high"]) == (low, high)


def test_attendance_wilson_by_hand(seeded: Store) -> None:
    """Dr B: 2 no-shows of 2 (Wilson 34.2%..100%); Dr A: 0 of 9 (0%..29.9%)."""
    df = attendance.attendance(seeded, ALL, "clinician")
    no_show = df[df["measure"] == "no_show"].set_index("clinician")
    assert no_show.loc["Dr B", ["eligible", "events"]].tolist() == [2, 2]
    assert no_show.loc["Dr B", "ci_low"] == pytest.approx(0.3424, abs=1e-4)
    assert no_show.loc["Dr B", "ci_high"] == 1.0
    assert no_show.loc["Dr A", ["eligible", "events"]].tolist() == [9, 0]
    assert no_show.loc["Dr A", "ci_high"] == pytest.approx(0.2991, abs=1e-4)


def test_attendance_by_month(seeded: Store) -> None:
    """Jan: T1 T3; Feb: F1 T5 T6; Mar: T2 T4; Apr T10; Jul T11; Sep T7 T9; Dec T8."""
    df = attendance.attendance(seeded, ALL, "month")
    got = {(r.month, r.measure): (r.eligible, r.events) for r in df.itertuples()}
    assert got[("2024-01", "no_show")] == (2, 1)
    assert got[("2024-02", "no_show")] == (2, 0)
    assert got[("2024-02", "cancelled")] == (3, 1)
    assert got[("2024-03", "no_show")] == (2, 1)
    assert sorted({k[0] for k in got}) == [
        "2024-01", "2024-02", "2024-03", "2024-04", "2024-07", "2024-09", "2024-12",
    ]  # fmt: skip


def test_attendance_by_service_never_counts_products(seeded: Store) -> None:
    """Socks sales (one no-show, one cancelled) are no row of their own and no count."""
    df = attendance.attendance(seeded, ALL, "service")
    assert "Compression Socks" not in set(df["service"])
    assert int(df.loc[df["measure"] == "cancelled", "eligible"].sum()) == 12


def test_attendance_empty_range_is_zero_with_no_rate(seeded: Store) -> None:
    """Nothing in scope: both measures with eligible 0 and an empty rate."""
    df = attendance.attendance(seeded, m.Filters(start=date(2030, 1, 1)))
    assert rows(df[["measure", "eligible", "events"]]) == [("no_show", 0, 0), ("cancelled", 0, 0)]
    assert df["rate"].isna().all()


def test_late_cancellations_not_recorded_then_recorded(seeded: Store) -> None:
    """No export said whether T5 was late: the share is None, never 0; once said, 1 of 1."""
    said = attendance.late_cancellations(seeded, ALL)
    assert said == {"cancelled": 1, "known": 0, "late": 0, "rate": None, "ci_low": None,
                    "ci_high": None}  # fmt: skip
    with seeded.writer() as cur:
        cur.execute("update appointments set late_cancellation = true where appointment_id = 'T5'")
    said = attendance.late_cancellations(seeded, ALL)
    assert (said["known"], said["late"], said["rate"]) == (1, 1, 1.0)


def test_lost_revenue_at_list_price(seeded: Store) -> None:
    """T3 on 15/01 at £150, T4 on 01/03 at £165 (the price changed that day): £315."""
    df = attendance.lost_revenue(seeded, ALL)
    assert rows(df) == [("2024-01", 1, 150.0, 0), ("2024-03", 1, 165.0, 0)]
    assert attendance.lost_revenue_total(seeded, ALL) == {
        "no_shows": 2, "lost_gbp": 315.0, "unpriced": 0,
    }  # fmt: skip


def test_no_show_funnel_by_clinician(seeded: Store) -> None:
    """Overall 2/11 no-shows; each clinician gets limits around it."""
    df = attendance.no_show_funnel(seeded, ALL)
    assert list(df["clinician"]) == ["Dr A", "Dr B"]
    assert df["overall_rate"].iloc[0] == pytest.approx(2 / 11)
    assert df["hi998"].notna().all()


# -- retention -----------------------------------------------------------------------------------
def test_continuation_edges(seeded: Store) -> None:
    """Eligible P1 P3 P6 P8 (P6 exactly 120 days; not P7 at 119; not P2, never treated);
    met P1 (day 51) and P6 (day 120); not P3 (no second), not P8 (day 121)."""
    df = retention.continuation(seeded, ALL, AS_OF)
    assert rows(df[["key", "eligible", "met"]]) == [("all", 4, 2)]
    assert df["rate"].iloc[0] == 0.5
    assert (df["ci_low"].iloc[0], df["ci_high"].iloc[0]) == stats.wilson(2, 4)


def test_continuation_a_day_earlier_drops_the_120_day_patient(seeded: Store) -> None:
    """As of 30/12/2024 P6's first session is 119 days back: eligible P1 P3 P8, met P1."""
    df = retention.continuation(seeded, ALL, date(2024, 12, 30))
    assert rows(df[["eligible", "met"]]) == [(3, 1)]


def test_continuation_range_filters_first_sessions(seeded: Store) -> None:
    """From 01/02/2024: first sessions of P3, P6, P8 (P3's cancelled booking 01/02 is no
    first session; its first completed one is 10/02); met P6."""
    df = retention.continuation(seeded, m.Filters(start=date(2024, 2, 1)), AS_OF)
    assert rows(df[["eligible", "met"]]) == [(3, 1)]


def test_new_and_returning_patients(seeded: Store) -> None:
    """Whole store: new P1 P3 P6 P7 P8; returning P1 P6 P8. From March: new P6 P7 P8, returning
    P1 (T2 01/03) P6 P8; P2 (only no-shows) is neither."""
    who = retention.patients(seeded, ALL)
    assert rows(who[["new_patients", "returning_patients", "patients"]]) == [(5, 3, 5)]
    who = retention.patients(seeded, m.Filters(start=date(2024, 3, 1)))
    assert rows(who[["new_patients", "returning_patients", "patients"]]) == [(3, 3, 4)]


def test_patients_by_month(seeded: Store) -> None:
    """Sep: P6 and P7 new; Dec: P6 returning."""
    df = retention.patients_by_month(seeded, ALL).set_index("month")
    assert df.loc["2024-09", ["new_patients", "returning_patients"]].tolist() == [2, 0]
    assert df.loc["2024-12", ["new_patients", "returning_patients"]].tolist() == [0, 1]


def test_cohorts(seeded: Store) -> None:
    """Jan P1 (2 sessions), Feb P3 (1), Apr P8 (2), Sep P6 (2) and P7 (1): 1.5 per patient."""
    df = retention.cohorts(seeded, ALL, AS_OF)
    assert rows(df) == [
        ("2024-01", 1, 2, 2.0), ("2024-02", 1, 1, 1.0), ("2024-04", 1, 2, 2.0),
        ("2024-09", 2, 3, 1.5),
    ]  # fmt: skip


def test_revenue_per_patient(seeded: Store) -> None:
    """£150+120+150+165+120+165+165+120 sessions + £25+25 socks = £1,205 over P1 P3 P4 P6 P7 P8."""
    df = retention.revenue_per_patient(seeded, ALL)
    assert rows(df) == [("all", 6, 1205.0, 200.83)]


def test_stopped_courses(seeded: Store) -> None:
    """P3 (last 10/02, 325 days) and P1 (01/03, 305 days; a later socks sale is no appointment);
    not P8 (a booked review later), P6, P7 (too recent), P2 (never treated)."""
    df, total = retention.stopped_courses(seeded, ALL, AS_OF)
    assert total == 2
    assert rows(df[["booking_ref", "days_since", "sessions"]]) == [("T6", 325, 1), ("T2", 305, 2)]
    assert "patient_ref" not in df.columns


def test_stopped_courses_window_ends(store: Store) -> None:
    """Last sessions exactly 120 and 365 days back are in; 119 and 366 are out."""
    seed_prices(store)
    for ref, back in (("A", 119), ("B", 120), ("C", 365), ("D", 366)):
        appt(store, ref, date.fromordinal(AS_OF.toordinal() - back), ref)
    df, _total = retention.stopped_courses(store, ALL, AS_OF)
    assert sorted(df["booking_ref"]) == ["B", "C"]


# -- the command line ----------------------------------------------------------------------------
@pytest.fixture
def seeded_file(db_path: Path) -> Path:
    """The module's store, closed, for the command line."""
    s = Store(db_path)
    build(s)
    s.close()
    return db_path


def test_report_attendance_json(seeded_file: Path) -> None:
    """Without --by one row per measure; with --by the key first; numbers as above."""
    got = as_json(seeded_file, "report", "attendance")
    assert [list(r) for r in got] == [
        ["measure", "eligible", "events", "rate", "ci_low", "ci_high"]
    ] * 2
    assert [(r["measure"], r["eligible"], r["events"]) for r in got] == [
        ("no_show", 11, 2), ("cancelled", 12, 1),
    ]  # fmt: skip
    by = as_json(seeded_file, "report", "attendance", "--by", "clinician")
    assert list(by[0]) == ["clinician", "measure", *list(got[0])[1:]]
    assert (by[-1]["clinician"], by[-1]["measure"], by[-1]["rate"]) == ("Dr B", "cancelled", 0.0)


def test_report_retention_json(seeded_file: Path) -> None:
    """The four rows of the contract, each with only its own fields."""
    got = as_json(seeded_file, "report", "retention", "--as-of", "2024-12-31")
    low, high = stats.wilson(2, 4)
    assert got == [
        {"measure": "course_continuation", "eligible": 4, "met": 2, "rate": 0.5,
         "ci_low": low, "ci_high": high},
        {"measure": "new_patients", "patients": 5},
        {"measure": "returning_patients", "patients": 3},
        {"measure": "revenue_per_patient", "patients": 6, "revenue_gbp": 1205.0,
         "per_patient_gbp": 200.83},
    ]  # fmt: skip


def test_report_retention_as_of_defaults_to_today(seeded_file: Path) -> None:
    """Without --as-of every first session of 2024 is long enough ago: eligible 5 (P7 too)."""
    got = as_json(seeded_file, "report", "retention")
    assert (got[0]["eligible"], got[0]["met"]) == (5, 2)


def test_reports_say_they_cover_the_whole_store(seeded_file: Path) -> None:
    """No --from/--to: the heading (stderr with --json) names every date in the store."""
    for name in ("attendance", "retention"):
        done = run(seeded_file, "report", name, "--json")
        assert "all dates in the store (10/01/2024 to 01/02/2025)" in done.stderr
        json.loads(done.stdout)
