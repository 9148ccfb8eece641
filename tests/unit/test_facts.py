"""Derived facts (clinic/facts.py): kept equal to the old view definitions by every write path."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from clinic import facts, retention, sql
from clinic import metrics as m
from clinic.config import QUERIES
from clinic.ingest import import_file, record_side_effect, undo
from clinic.store import Store

SAMPLES = Path(__file__).resolve().parents[2] / "data" / "samples"
SESSION_KEY = ["appointment_id"]


def _old_view(name: str) -> str:
    """The text of a view as migration 010 defined it (the reference definition)."""
    text = (QUERIES / "schema" / "010_metric_views.sql").read_text(encoding="utf-8")
    body = text.split(f"create view {name} as", 1)[1]
    return body.split("select * from final;", 1)[0] + "select * from final"


def _frame(store: Store, text: str) -> pd.DataFrame:
    """All rows of a relation, sorted by appointment id, index reset."""
    with store.cursor() as cur:
        df = cur.execute(f"select * from ({text})").df()
    return df.sort_values(SESSION_KEY).reset_index(drop=True)


def assert_facts_match_views(store: Store) -> None:
    """The fact tables hold exactly what the 010 views compute from the current data."""
    assert facts.is_fresh(store)
    added = (
        "socks_met, review_covered, check_covered, concentration_pct, volume_ml, treated_area, "
        "funding"
    )
    sessions = _frame(store, f"select * exclude ({added}) from session_facts")
    pd.testing.assert_frame_equal(sessions, _frame(store, _old_view("treatment_sessions")))
    details = "appointment_id, concentration_pct, volume_ml, treated_area"
    pd.testing.assert_frame_equal(
        _frame(store, f"select {details} from session_facts"),
        _frame(
            store,
            f"select {details} from appointments where appointment_id in "
            "(select appointment_id from session_facts)",
        ),
    )
    assert_days_match(store)
    reports = _frame(store, "select * from report_facts").sort_values("report_id")
    expected = _frame(
        store,
        f"""
        select e.report_id, e.reported_date, e.effect, e.severity, e.medical_attention,
            e.outcome, coalesce(t.serious, false) or coalesce(e.medical_attention, false)
                as is_serious,
            s.appointment_id, s.patient_ref, s.appointment_date, s.clinician, s.site,
            s.sclerosant, s.form, s.vein_type, a.concentration_pct, a.volume_ml, a.treated_area,
            coalesce(a.funding, 'not recorded') as funding
        from side_effects as e
        join ({_old_view("treatment_sessions")}) as s using (appointment_id)
        join appointments as a using (appointment_id)
        left join effect_terms as t using (effect)
        """,
    ).sort_values("report_id")
    pd.testing.assert_frame_equal(
        reports.reset_index(drop=True), expected.reset_index(drop=True), check_dtype=False
    )
    others = _frame(store, "select * from other_report_facts").sort_values("report_id")
    expected_others = _frame(
        store,
        """
        select e.report_id, a.appointment_id, a.patient_ref, a.appointment_date, a.clinician,
            a.site, a.sclerosant, a.form, a.vein_type, a.concentration_pct, a.volume_ml,
            a.treated_area
        from side_effects as e
        join appointments as a using (appointment_id)
        where a.appointment_id not in (select appointment_id from session_facts)
        """,
    ).sort_values("report_id")
    pd.testing.assert_frame_equal(
        others.reset_index(drop=True), expected_others.reset_index(drop=True), check_dtype=False
    )


def _sorted(store: Store, text: str) -> pd.DataFrame:
    """All rows of a relation sorted by every column (for tables without a key)."""
    with store.cursor() as cur:
        return cur.execute(f"select * from ({text}) order by all").df()


def assert_days_match(store: Store) -> None:
    """session_days and revenue_days hold the daily sums of the row-level facts, recomputed."""
    sessions = """
        select appointment_date, month, site, clinician, sclerosant, form, vein_type,
            count(*) as sessions,
            count(*) filter (where review_met) as review_met,
            count(*) filter (where is_varicose) as varicose,
            count(*) filter (where is_varicose and check_met) as check_met,
            count(*) filter (where is_repeat) as repeats,
            count(*) filter (where is_repeat and spacing_met) as spacing_met,
            count(*) filter (where compression_met) as compression_met,
            count(*) filter (where has_event) as events,
            count(*) filter (where has_serious_event) as serious_events,
            count(*) filter (where socks_met) as socks_met,
            funding,
        from session_facts
        group by all
    """
    pd.testing.assert_frame_equal(
        _sorted(store, "select * from session_days"), _sorted(store, sessions), check_dtype=False
    )
    revenue = f"""
        select appointment_date, month, site, clinician, item, kind, status, funding,
            count(*) as lines,
            sum(revenue_gbp) as revenue_gbp,
            count(list_price_gbp) as listed_lines,
            coalesce(sum(revenue_gbp) filter (where list_price_gbp is not null), 0)
                as listed_revenue_gbp,
            coalesce(sum(list_price_gbp), 0) as list_gbp,
        from ({_old_view("revenue_lines")})
        group by all
    """
    pd.testing.assert_frame_equal(
        _sorted(store, "select * from revenue_days"), _sorted(store, revenue), check_dtype=False
    )
    # Attendance days and patient rows, as kept by the refreshes, equal a whole recomputation.
    for table, query in (
        ("attendance_days", "facts_attendance_days"),
        ("patient_facts", "facts_patient_rows"),
        ("patient_days", "facts_patient_days"),
    ):
        text, params = sql.bind(query, {"everything": True})
        with store.cursor() as cur:
            facts._scope_tables(cur)  # the queries name the scope tables even when unused
            whole = cur.execute(text, params).df()
        with store.cursor() as cur:
            kept = cur.execute(f"select * from {table}").df()
        by = list(kept.columns)
        pd.testing.assert_frame_equal(
            kept.sort_values(by).reset_index(drop=True),
            whole[by].sort_values(by).reset_index(drop=True),
            check_dtype=False,
        )
    # The counts, as merged by the refreshes, equal a whole count of those (checked) patient days.
    counts = """
        select appointment_date, date_trunc('month', appointment_date)::date as month, prev_date,
            sum(visits)::bigint as visits, sum(treated)::bigint as treated,
            sum(repeats)::bigint as repeats,
        from (
            select appointment_date, prev_visit as prev_date, 1 as visits, 0 as treated,
                0 as repeats,
            from patient_days
            union all
            select appointment_date, prev_treated, 0, 1, 0, from patient_days where treated
            union all
            select appointment_date, prev_repeat, 0, 0, 1, from patient_days where repeat
        )
        group by appointment_date, prev_date
    """
    pd.testing.assert_frame_equal(
        _sorted(store, "select * from patient_day_counts"),
        _sorted(store, counts),
        check_dtype=False,
    )


def imported(store: Store, kind: str, data: bytes | Path, name: str = "x.csv") -> int:
    """Import a file expecting it committed; return its import id."""
    result = import_file(store, kind, data, file_name=name)
    assert result.status == "committed", result.errors[:3]
    return result.import_id


@pytest.fixture
def sampled(store: Store) -> Store:
    """A store holding the sample exports (data/samples), imported the normal way."""
    imported(store, "prices", SAMPLES / "price_list.csv")
    imported(store, "appointments", SAMPLES / "appointments_export.csv")
    imported(store, "side-effects", SAMPLES / "side_effects_export.csv")
    return store


def test_imports_keep_facts_equal_to_the_views(sampled: Store):
    """After importing the samples the facts are fresh and equal to the 010 views."""
    assert sampled.scalar("select count(*) from session_facts") > 100
    assert sampled.scalar("select count(*) from report_facts") > 5
    assert_facts_match_views(sampled)


def _edited_export() -> bytes:
    """The sample export with a few rows changed, one session moved and one follow-up added."""
    lines = (SAMPLES / "appointments_export.csv").read_bytes().decode("cp1252")
    rows = lines.splitlines()
    header, body = rows[0], rows[1:]
    changed = [body[0].replace("Completed", "Cancelled"), body[1].replace("/01/2024", "/02/2024")]
    first_patient = body[2].split(",")[3]
    day = body[2].split(",")[1]
    d, mth, y = (int(x) for x in day.split("/"))
    review = date(y, mth, d).toordinal() + 40
    review_day = date.fromordinal(review).strftime("%d/%m/%Y")
    extra = (
        f"APT-NEW-1,{review_day},10:00,{first_patient},A B,a@b.c,Dr Amara Patel,6 Week Review,"
        "Completed,,Ealing,,,,"
    )
    return "\n".join([header, *changed, *body[2:20], extra, ""]).encode("cp1252")


def test_overlapping_import_and_undo_refresh_only_what_changed(
    sampled: Store, monkeypatch: pytest.MonkeyPatch
):
    """An update import, then its undo, refresh per patient and match the views each time."""
    before = _frame(sampled, "select * from session_facts")

    def no_rebuild(cur) -> None:
        """A whole rebuild here would mean the per-patient path was skipped."""
        raise AssertionError("whole rebuild")

    monkeypatch.setattr(facts, "_rebuild_rows", no_rebuild)
    import_id = imported(sampled, "appointments", _edited_export(), "edited.csv")
    assert_facts_match_views(sampled)
    assert not _frame(sampled, "select * from session_facts").equals(before)
    undo(sampled, import_id)
    assert_facts_match_views(sampled)
    pd.testing.assert_frame_equal(_frame(sampled, "select * from session_facts"), before)


def test_price_change_reprices_revenue(sampled: Store):
    """A new list price (and its undo) reprices the item's revenue lines."""
    data = b"Item,Kind,Price,Valid From\nSingle Session,treatment,\xc2\xa3999.00,2024-06-01\n"
    import_id = imported(sampled, "prices", data, "p.csv")
    assert_facts_match_views(sampled)
    at_999 = (
        "select count(*) from revenue_days "
        "where item = 'Single Session' and listed_lines > 0 and list_gbp = 999 * listed_lines"
    )
    assert sampled.scalar(at_999) > 0
    undo(sampled, import_id)
    assert_facts_match_views(sampled)
    assert sampled.scalar(at_999) == 0


def test_recorded_side_effect_sets_the_event_flags(sampled: Store):
    """A side effect entered by staff marks its session at once, seriousness included."""
    aid = sampled.scalar(
        "select appointment_id from session_facts where not has_event order by appointment_id"
    )
    result = record_side_effect(
        sampled,
        {
            "appointment_id": aid,
            "reported_date": "2025-06-01",
            "effect": "deep vein thrombosis",
            "severity": "severe",
        },
    )
    assert result.status == "committed", result.errors
    flags = sampled.rows(
        "select has_event, has_serious_event from session_facts where appointment_id = $a",
        {"a": aid},
    )
    assert flags == [(True, True)]
    assert_facts_match_views(sampled)


def test_reports_of_other_appointments_follow_every_write(sampled: Store):
    """A report of a session not (yet) completed keeps its dimensions through re-upload and undo."""
    header = b"Booking ID,Date,Customer ID,Therapist,Treatment,Status\n"
    booked = b"V1,02/01/2025,NEWP,Dr N,Single Session,Booked\n"
    imported(sampled, "appointments", header + booked)
    fields = {"appointment_id": "V1", "reported_date": "2025-01-03", "effect": "bruising"}
    assert record_side_effect(sampled, fields).status == "committed"
    others = "select report_id, appointment_id, clinician from other_report_facts"
    [(report_id, appointment, clinician)] = sampled.rows(others)
    assert (appointment, clinician) == ("V1", "Dr N")
    assert_facts_match_views(sampled)
    # The booking moves to another clinician: the report's dimensions follow, and back on undo.
    moved = imported(sampled, "appointments", header + booked.replace(b"Dr N", b"Dr M"))
    assert sampled.rows(others) == [(report_id, "V1", "Dr M")]
    assert_facts_match_views(sampled)
    undo(sampled, moved)
    assert sampled.rows(others) == [(report_id, "V1", "Dr N")]
    # The session is completed: its report moves to report_facts.
    imported(sampled, "appointments", header + booked.replace(b"Booked", b"Completed"))
    assert sampled.rows(others) == []
    assert sampled.scalar("select count(*) from report_facts where appointment_id = 'V1'") == 1
    assert_facts_match_views(sampled)


def test_sessions_without_clinical_details_are_summed_once(sampled: Store):
    """A session with no vein type, sclerosant or form keeps one daily row as its facts change."""
    header = b"Booking ID,Date,Customer ID,Therapist,Treatment,Status\n"
    imported(
        sampled, "appointments", header + b"N1,02/01/2025,NEWP,Dr N,Single Session,Completed\n"
    )
    day = "select sessions, review_met from session_days where clinician = 'Dr N'"
    assert sampled.rows(day) == [(1, 0)]
    # The six-week review, in its own later file, changes the session's facts (review_met).
    review = b"N2,10/02/2025,NEWP,Dr N,6 Week Review,Completed\n"
    imported(sampled, "appointments", header + review)
    assert sampled.rows(day) == [(1, 1)]
    assert_facts_match_views(sampled)


def test_rejected_import_leaves_facts_fresh(sampled: Store):
    """A rejected file writes nothing and the facts stay fresh (no rebuild on the next read)."""
    bad = b"Booking ID,Date,Customer ID,Therapist,Treatment,Status\nX1,31/02/2025,C1,A,Nope,Done\n"
    assert import_file(sampled, "appointments", bad).status == "rejected"
    assert facts.is_fresh(sampled)


def _seed_direct(store: Store) -> None:
    """Hand-made data written by direct SQL, bypassing the importer."""
    with store.writer() as cur:
        cur.execute(
            """insert into prices values
            ('Single Session', 'treatment', '2024-01-01', 150, 30, 0, 0),
            ('6 Week Review', 'follow-up', '2024-01-01', 0, 15, 0, 0),
            ('Compression Socks', 'product', '2024-01-01', 25, null, 0, 0)"""
        )
        cur.execute(
            """insert into appointments (appointment_id, appointment_date, patient_ref, clinician,
                item, kind, status, site, vein_type, compression, import_id, first_import_id)
            values
            ('T1', '2024-01-10', 'P1', 'Dr A', 'Single Session', 'treatment', 'completed',
             'north', 'varicose', 'none', 0, 0),
            ('T2', '2024-02-01', 'P1', 'Dr A', 'Single Session', 'treatment', 'completed',
             'north', 'spider', 'own', 0, 0),
            ('R1', '2024-02-19', 'P1', 'Dr A', '6 Week Review', 'follow-up', 'completed',
             'north', null, null, 0, 0),
            ('S1', '2024-02-01', 'P1', 'Dr A', 'Compression Socks', 'product', 'completed',
             'north', null, null, 0, 0)"""
        )


def test_direct_sql_is_caught_by_ensure(store: Store):
    """Rows written by direct SQL through store.writer() are picked up by the next metric read.

    By hand: T1 (10 Jan) has the review R1 on day 40 -> review met; T2 (1 Feb) is a repeat only
    22 days later -> spacing not met; T2 has a same-day socks sale -> socks met; T1 does not.
    """
    _seed_direct(store)
    assert not facts.is_fresh(store)
    assert m.kpis(store, m.Filters(), date(2024, 6, 1))["sessions"] == 2
    assert facts.is_fresh(store)
    rows = store.rows(
        "select appointment_id, review_met, is_repeat, spacing_met, socks_met, is_varicose "
        "from session_facts order by appointment_id"
    )
    assert rows == [
        ("T1", True, False, False, False, True),
        ("T2", False, True, False, True, False),
    ]
    assert_facts_match_views(store)


def test_ensure_is_a_no_op_when_fresh(sampled: Store):
    """A read on fresh facts rebuilds nothing and does not move data_version."""
    version = sampled.data_version()
    assert facts.ensure(sampled) is False
    assert sampled.data_version() == version


def test_keep_marks_a_write_that_changed_no_input(sampled: Store):
    """keep() inside a write that touched no facts input keeps them fresh."""
    with sampled.writer() as cur:
        cur.execute("insert into store_meta values ('k', 'v')")
        facts.keep(cur)
    assert facts.is_fresh(sampled)


def test_a_refresh_after_a_skipped_write_rebuilds_everything(sampled: Store):
    """An import after a direct write that skipped the facts still leaves them all correct."""
    with sampled.writer() as cur:
        cur.execute(
            "update appointments set status = 'cancelled' where appointment_id = 'APT-100080'"
        )
    imported(sampled, "side-effects", SAMPLES / "side_effects_export.csv")
    assert_facts_match_views(sampled)


def test_rebuild_matches_the_views_on_an_empty_store(store: Store):
    """A rebuild of an empty store leaves empty tables and fresh facts."""
    with store.writer() as cur:
        facts.rebuild(cur)
    assert store.scalar("select count(*) from session_facts") == 0
    assert_facts_match_views(store)


def test_note_import_refuses_an_unknown_kind(store: Store):
    """An unknown import kind is a ValueError, not a silent no-op."""
    with store.writer() as cur, pytest.raises(ValueError, match="unknown import kind"):
        facts.note_import(cur, "invoices", 1)


def _distinct_patients(store: Store, f: m.Filters, by: str) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Treated (new, returning, all) and paying patients per period, counted distinct."""
    period = "strftime(appointment_date, '%Y-%m')" if by == "month" else "'all'"
    where = "appointment_date between $start and $end"
    with store.cursor() as cur:
        treated = cur.execute(
            f"""
            select {period} as key,
                count(distinct patient_ref) filter (where prev_session_date is null)
                    as new_patients,
                count(distinct patient_ref) filter (where prev_session_date is not null)
                    as returning_patients,
                count(distinct patient_ref) as patients,
            from session_facts where {where} group by key order by key
            """,
            {"start": f.start, "end": f.end},
        ).df()
        paying = cur.execute(
            f"""
            select {period} as key, count(distinct patient_ref) as patients,
            from appointments
            where kind in ('treatment', 'product') and status = 'completed' and {where}
            group by key order by key
            """,
            {"start": f.start, "end": f.end},
        ).df()
    return treated, paying


@pytest.mark.parametrize(
    ("start", "end"),
    [
        (date(2000, 1, 1), date(2100, 1, 1)),
        (date(2024, 1, 17), date(2024, 9, 3)),
        (date(2024, 3, 1), date(2024, 3, 31)),
        (date(2024, 1, 23), date(2024, 1, 23)),
    ],
)
def test_day_counts_give_distinct_patients_for_any_dates(
    sampled: Store, start: date, end: date
) -> None:
    """Unfiltered retention counts (from patient_day_counts) equal distinct counts, any dates."""
    f = m.Filters(start=start, end=end)
    for by in ("all", "month"):
        treated, paying = _distinct_patients(sampled, f, by)
        assert len(treated) and len(paying)
        got = retention.patients(sampled, f, by)
        pd.testing.assert_frame_equal(got, treated, check_dtype=False)
        money = retention.revenue_per_patient(sampled, f, by).reset_index(drop=True)
        kept = money[money["patients"] > 0][["key", "patients"]].reset_index(drop=True)
        pd.testing.assert_frame_equal(kept, paying, check_dtype=False)
