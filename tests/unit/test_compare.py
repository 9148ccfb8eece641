"""Comparisons: the previous period of the same length, the same dates last year, the words."""

from __future__ import annotations

from datetime import date

import pandas as pd
import pytest

from clinic import charts, compare
from clinic.scope import Filters
from tests.chartspec import band_problems, spec_of, values
from tests.unit.test_charts import compliance_frame


@pytest.mark.parametrize(
    ("start", "end", "previous", "last_year"),
    [
        # A quarter: the 91 days before it; last year's same quarter.
        (
            date(2026, 4, 1),
            date(2026, 6, 30),
            (date(2025, 12, 31), date(2026, 3, 31)),
            (date(2025, 4, 1), date(2025, 6, 30)),
        ),
        # A leap day ends a range: a year earlier it is 28/02.
        (
            date(2024, 2, 1),
            date(2024, 2, 29),
            (date(2024, 1, 3), date(2024, 1, 31)),
            (date(2023, 2, 1), date(2023, 2, 28)),
        ),
    ],
)
def test_periods(start, end, previous, last_year) -> None:
    """Previous = same number of days just before; last year = same dates a year earlier."""
    f = Filters(start=start, end=end, site="north")
    p, y = compare.previous(f), compare.last_year(f)
    assert (p.start, p.end, p.site) == (*previous, "north")
    assert (y.start, y.end, y.site) == (*last_year, "north")


def test_open_dates_have_nothing_to_compare() -> None:
    """All dates (or an open end) has no previous period and no last year."""
    assert compare.previous(Filters(start=date(2026, 1, 1))) is None
    assert compare.last_year(Filters()) is None


@pytest.mark.parametrize(
    ("now", "before", "points", "said"),
    [
        (112, 100, False, "+12% on last year"),
        (0.05, 0.065, True, "-1.5 pp on last year"),
        (5, 0, False, "no figure for last year to compare"),  # no relative change from zero
        (0.0301, 0.0300, True, "no change on last year"),  # not "+0.0 pp"
        (100.4, 100, False, "no change on last year"),  # not "+0%"
        (99.6, 100, False, "no change on last year"),  # not "-0%"
        (5, None, False, "no figure for last year to compare"),
        (None, 3, True, "no figure for last year to compare"),
    ],
)
def test_words(now, before, points, said) -> None:
    """The change in the words a tile uses."""
    assert compare.words(now, before, compare.LAST_YEAR, points=points) == said


def test_last_year_is_a_faint_line_on_this_years_months() -> None:
    """Last year's Jan and Feb rates are drawn on this year's Jan and Feb, dotted and faint,
    in the measure's colour, named once; the bands still contain their own lines."""
    now = compliance_frame([("2026-01", "review_6w", 10, 8), ("2026-02", "review_6w", 10, 9)])
    then = compliance_frame([("2025-01", "review_6w", 10, 5), ("2025-02", "review_6w", 10, 6)])
    spec = spec_of(charts.compliance_over_time(now, None, last_year=then))
    faint = [t for t in spec["data"] if t.get("legendgroup") == "last year"]
    assert len(faint) == 1
    line = faint[0]
    assert line["name"] == charts.LAST_YEAR_NAME and line["line"]["dash"] == "dot"
    assert line["opacity"] < 1 and line["line"]["color"] == charts.SERIES_COLOURS["review_6w"]
    assert [pd.Timestamp(x).strftime("%Y-%m") for x in line["x"]] == ["2026-01", "2026-02"]
    assert values(line["y"]) == [0.5, 0.6]
    assert band_problems(spec) == []


def test_last_year_on_bars_is_a_dark_dash_over_each_series_bar() -> None:
    """On grouped bars, last year is a dark dash per month over its own series' bar (same
    offset group, grouped scatter), never a line in the bar's colour that vanishes into it."""
    from clinic import charts_retention

    now = pd.DataFrame(
        {"month": ["2026-01", "2026-02"], "new_patients": [5, 6], "returning_patients": [7, 8]}
    )
    then = pd.DataFrame(
        {"month": ["2025-01", "2025-02"], "new_patients": [3, 4], "returning_patients": [9, 2]}
    )
    columns = ["new_patients", "returning_patients"]
    spec = spec_of(charts_retention.monthly_bars(now, columns, last_year=then))
    bars = {t["offsetgroup"]: t for t in spec["data"] if t["type"] == "bar"}
    dashes = [t for t in spec["data"] if t.get("legendgroup") == "last year"]
    assert [t["offsetgroup"] for t in dashes] == columns
    assert spec["layout"]["scattermode"] == "group"
    for dash, column, expected in zip(dashes, columns, ([3, 4], [9, 2]), strict=True):
        assert dash["mode"] == "markers" and "line" not in dash
        ink = dash["marker"]["line"]["color"]
        assert ink != bars[column]["marker"]["color"] and ink == "#333333"
        assert values(dash["y"]) == expected
    assert sum(t.get("showlegend", True) for t in dashes) == 1
