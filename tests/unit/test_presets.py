"""The sidebar's date presets cover exactly what their names say, on any as-of date."""

from __future__ import annotations

import calendar
from datetime import date, timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from clinic.ui.filters import PRESETS, preset_range

DAYS = st.dates(min_value=date(2001, 1, 1), max_value=date(2099, 12, 31))
MONTH_ENDS = st.builds(
    lambda y, m: date(y, m, calendar.monthrange(y, m)[1]),
    st.integers(2001, 2099),
    st.integers(1, 12),
)
D = date.fromisoformat


@pytest.mark.parametrize(
    ("preset", "today", "start", "end"),
    [
        ("last_12_months", "2026-12-05", "2025-12-06", "2026-12-05"),
        ("last_12_months", "2028-02-29", "2027-03-01", "2028-02-29"),
        ("last_12_months", "2029-02-28", "2028-02-29", "2029-02-28"),
        ("last_12_months", "2026-01-01", "2025-01-02", "2026-01-01"),
        ("last_12_months", "2026-12-31", "2026-01-01", "2026-12-31"),
        ("last_12_months", "2026-03-31", "2025-04-01", "2026-03-31"),
        ("this_month", "2026-12-05", "2026-12-01", "2026-12-05"),
        ("last_month", "2026-12-05", "2026-11-01", "2026-11-30"),
        ("last_month", "2026-01-15", "2025-12-01", "2025-12-31"),
        ("last_month", "2028-03-31", "2028-02-01", "2028-02-29"),
        ("quarter_to_date", "2026-12-05", "2026-10-01", "2026-12-05"),
        ("quarter_to_date", "2026-04-01", "2026-04-01", "2026-04-01"),
        ("year_to_date", "2026-12-05", "2026-01-01", "2026-12-05"),
    ],
)
def test_preset_examples(preset: str, today: str, start: str, end: str) -> None:
    """Hand-worked examples: month ends, year ends and leap days."""
    assert preset_range(preset, D(today)) == (D(start), D(end))


def test_all_dates_and_custom_have_no_preset_range() -> None:
    """All dates (and Custom, whose dates the user gives) are open at both ends."""
    assert preset_range("all", D("2026-12-05")) == (None, None)
    assert preset_range("custom", D("2026-12-05")) == (None, None)


@given(DAYS | MONTH_ENDS)
@example(D("2028-02-29"))
@example(D("2026-12-05"))
def test_last_12_months_is_one_year_ending_today(today: date) -> None:
    """Last 12 months ends today and starts the day after the same date a year earlier."""
    start, end = preset_range("last_12_months", today)
    assert end == today
    before = start - timedelta(days=1)
    assert (before.year, before.month) == (today.year - 1, today.month)
    # The same date a year earlier, or 28/02 for 29/02: never two of one calendar date.
    assert before.day == min(today.day, calendar.monthrange(before.year, before.month)[1])
    leap_day_inside = any(
        calendar.isleap(y) and start <= date(y, 2, 29) <= end for y in {start.year, end.year}
    )
    assert (end - start).days + 1 == (366 if leap_day_inside else 365)


@given(DAYS | MONTH_ENDS)
def test_month_quarter_and_year_presets(today: date) -> None:
    """This month, last month, quarter and year to date start where their names say."""
    start, end = preset_range("this_month", today)
    assert (start, end) == (today.replace(day=1), today)
    start, end = preset_range("last_month", today)
    assert start.day == 1 and end + timedelta(days=1) == today.replace(day=1)
    assert (start.year, start.month) == (end.year, end.month)
    start, end = preset_range("quarter_to_date", today)
    assert start.day == 1 and start.month in (1, 4, 7, 10) and end == today
    assert start.year == today.year and 0 <= today.month - start.month <= 2
    assert preset_range("year_to_date", today) == (date(today.year, 1, 1), today)


@given(DAYS | MONTH_ENDS, st.sampled_from([p for p in PRESETS if p not in ("all", "custom")]))
def test_every_preset_ends_by_today(today: date, preset: str) -> None:
    """Every named range is non-empty and never reaches past the as-of date."""
    start, end = preset_range(preset, today)
    assert start <= end <= today
