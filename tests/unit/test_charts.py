"""What the charts draw, read from their plotly spec: bands, gaps, partial months, colours."""

from __future__ import annotations

from datetime import date, timedelta

import numpy as np
import pandas as pd
import pytest
from chartspec import (
    band_problems,
    error_bar_problems,
    gap_problems,
    legend_colours,
    limit_problems,
    reader_problems,
    spec_of,
    traces,
    values,
    when,
)
from hypothesis import given, settings
from hypothesis import strategies as st

from clinic import charts, charts_retention, stats

MEASURES = ("review_6w", "check_2w", "spacing", "compression")


def _rates(frame: pd.DataFrame, events: str) -> pd.DataFrame:
    """Rate and 95% Wilson interval columns, as clinic.metrics adds them."""
    frame = frame.copy()
    frame["rate"] = stats.rate(frame[events], frame["eligible"])
    low, high = stats.wilson(frame[events].to_numpy(), frame["eligible"].to_numpy())
    frame["ci_low"], frame["ci_high"] = low, high
    return frame


def compliance_frame(rows: list[tuple[str, str, int, int]]) -> pd.DataFrame:
    """A compliance_by(month) frame from (month, measure, eligible, met) rows."""
    frame = pd.DataFrame(rows, columns=["month", "measure", "eligible", "met"])
    return _rates(frame, "met")[
        ["month", "measure", "eligible", "met", "rate", "ci_low", "ci_high"]
    ]


def spc_frame(rows: list[tuple[str, int, int]]) -> pd.DataFrame:
    """A metrics.spc frame from (month, eligible, events) rows."""
    frame = pd.DataFrame(rows, columns=["month", "eligible", "events"])
    chart = stats.p_chart(frame["events"].to_numpy(), frame["eligible"].to_numpy())
    frame["rate"], frame["centre"] = chart["rate"], chart["centre"]
    frame["lcl"], frame["ucl"] = chart["lcl"], chart["ucl"]
    frame["signal"] = stats.spc_signals(
        frame["rate"], chart["centre"], chart["sigma"], chart["lcl"], chart["ucl"]
    )
    return frame


def months(first: str, count: int) -> list[str]:
    """`count` consecutive months from `first` as YYYY-MM."""
    return [f"{m:%Y-%m}" for m in pd.date_range(first + "-01", periods=count, freq="MS")]


def trace(spec: dict, name: str) -> dict:
    """The one trace with this name."""
    found = [t for t in traces(spec) if t.get("name") == name]
    assert len(found) == 1, [t.get("name") for t in traces(spec)]
    return found[0]


# -- the issue's figure: six-week and two-week windows still open at the end ----------------------
def issue_frame() -> pd.DataFrame:
    """Ten months as the Follow-ups page had them: the last months' windows are still open."""
    rows = []
    for i, month in enumerate(months("2026-03", 10)):
        rows.append((month, "review_6w", 0 if i >= 8 else 44 + i, 0 if i >= 8 else 31 + i % 3))
        rows.append((month, "check_2w", 0 if i == 9 else 21, 0 if i == 9 else 16 - i % 4))
        rows.append((month, "spacing", 46, 44))
        rows.append((month, "compression", 108, 100 - i))
    return compliance_frame(rows)


def test_compliance_bands_contain_their_lines() -> None:
    """Each measure's 95% band contains its line at every month, windows still open included."""
    spec = spec_of(charts.compliance_over_time(issue_frame(), 0.8, "Monthly compliance"))
    assert band_problems(spec) == []
    assert len([t for t in traces(spec) if t.get("fill") == "toself"]) == 4


def test_open_windows_stay_gaps() -> None:
    """A month whose window is still open has no point and no band: the series stops there."""
    spec = spec_of(charts.compliance_over_time(issue_frame(), 0.8, "Monthly compliance"))
    open_review = [when("2026-11-01"), when("2026-12-01")]
    assert gap_problems(spec, open_review, only="review_6w") == []
    assert gap_problems(spec, [when("2026-12-01")], only="check_2w") == []
    line = trace(spec, "Six-week review")
    assert values(line["y"])[-2:] == [None, None]


def test_a_month_without_sessions_is_a_gap() -> None:
    """No line or band reaches across a month with no rows at all."""
    rows = [r for r in issue_frame().itertuples(index=False) if r.month != "2026-06"]
    frame = pd.DataFrame(rows)
    spec = spec_of(charts.compliance_over_time(frame, 0.8, "Monthly compliance"))
    assert gap_problems(spec, [when("2026-06-01")]) == []
    assert band_problems(spec) == []


def test_a_month_alone_gets_a_box_around_its_point() -> None:
    """A month between two gaps still shows its interval: a narrow box around the point."""
    frame = compliance_frame(
        [
            ("2026-01", "spacing", 10, 9),
            ("2026-02", "spacing", 0, 0),
            ("2026-03", "spacing", 12, 6),
            ("2026-04", "spacing", 0, 0),
        ]
    )
    spec = spec_of(charts.compliance_over_time(frame, 0.8))
    assert band_problems(spec) == []
    assert gap_problems(spec, [when("2026-02-01"), when("2026-04-01")]) == []


@st.composite
def compliance_frames(draw: st.DrawFn) -> pd.DataFrame:
    """Random months (some missing) of random counts (some zero) for 1-4 measures."""
    count = draw(st.integers(1, 14))
    kept = [m for m in months("2025-01", count) if draw(st.booleans()) or m.endswith("01")]
    measures = draw(st.lists(st.sampled_from(MEASURES), min_size=1, max_size=4, unique=True))
    rows = []
    for month in kept:
        for measure in measures:
            eligible = draw(st.integers(0, 60))
            rows.append((month, measure, eligible, draw(st.integers(0, eligible))))
    return compliance_frame(rows)


@settings(max_examples=60, deadline=None)
@given(compliance_frames())
def test_bands_contain_lines_and_gaps_stay_gaps(frame: pd.DataFrame) -> None:
    """For any months and counts: every band holds its line, no series crosses its own gaps."""
    fig = charts.compliance_over_time(frame, 0.8, "Monthly compliance")
    spec = spec_of(fig)
    assert band_problems(spec) == []
    axis = pd.date_range(frame["month"].min() + "-01", frame["month"].max() + "-01", freq="MS")
    for measure, part in frame.groupby("measure"):
        seen = {pd.Timestamp(m + "-01") for m in part.loc[part["eligible"] > 0, "month"]}
        gaps = [m for m in axis if m not in seen]
        if part["eligible"].sum():
            assert gap_problems(spec, gaps, only=str(measure)) == []


# -- partial months -------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (
            date(2026, 1, 1),
            date(2026, 12, 5),
            {date(2026, 12, 1): (date(2026, 12, 1), date(2026, 12, 5))},
        ),
        (
            date(2025, 12, 6),
            date(2026, 12, 5),
            {
                date(2025, 12, 1): (date(2025, 12, 6), date(2025, 12, 31)),
                date(2026, 12, 1): (date(2026, 12, 1), date(2026, 12, 5)),
            },
        ),
        (date(2026, 1, 1), date(2026, 12, 31), {}),
        (None, date(2026, 11, 30), {}),
        (None, date(2024, 2, 28), {date(2024, 2, 1): (date(2024, 2, 1), date(2024, 2, 28))}),
        (None, date(2024, 2, 29), {}),  # a leap year's February ends on the 29th
        (
            date(2026, 3, 10),
            date(2026, 3, 20),
            {date(2026, 3, 1): (date(2026, 3, 10), date(2026, 3, 20))},
        ),
        (None, None, {}),
        (date(2027, 1, 1), date(2026, 12, 5), {}),  # a range after the as-of date: no figures
    ],
)
def test_partial_months(start, end, expected) -> None:
    """The months a range covers only in part, with the days it does cover."""
    assert charts.partial_months(start, end) == expected


@settings(max_examples=200, deadline=None)
@given(st.dates(date(2020, 1, 1), date(2030, 12, 31)), st.integers(0, 800))
def test_partial_months_are_exactly_the_cut_months(start: date, length: int) -> None:
    """A month is partial exactly when the range misses one of its days."""
    end = start + timedelta(days=length)
    found = charts.partial_months(start, end)
    covered = pd.date_range(start, end)
    for month in pd.date_range(start.replace(day=1), end, freq="MS"):
        days = pd.date_range(month, month + pd.offsets.MonthEnd(0))
        cut = not days.isin(covered).all()
        assert (month.date() in found) is cut
        if cut:
            first, last = found[month.date()]
            assert (first, last) == (max(month.date(), start), min(days[-1].date(), end))


def spc_demo() -> pd.DataFrame:
    """Twelve months of a p-chart; the last (December) is only five days long."""
    rows = [(m, 100 + i, 30 + (i % 4)) for i, m in enumerate(months("2026-01", 11))]
    return spc_frame([*rows, ("2026-12", 9, 1)])


DECEMBER = {date(2026, 12, 1): (date(2026, 12, 1), date(2026, 12, 5))}


def test_spc_partial_month_is_marked_and_named() -> None:
    """The partial last month is a point of its own, off the monthly line, named above."""
    spec = spec_of(charts.spc(spc_demo(), "p-chart", partial=DECEMBER))
    line = trace(spec, "monthly rate")
    assert values(line["y"])[-1] is None
    partial = trace(spec, "partial month")
    assert [when(x) for x in values(partial["x"])] == [when("2026-12-01")]
    assert partial["marker"]["symbol"] == "circle-open"
    subtitle = spec["layout"]["title"]["subtitle"]["text"]
    assert "Dec 2026: 01/12/2026 to 05/12/2026" in subtitle


def test_spc_without_partial_months_says_nothing() -> None:
    """Whole months only: no partial trace and no subtitle."""
    spec = spec_of(charts.spc(spc_demo().iloc[:-1], "p-chart", partial=DECEMBER))
    assert "partial month" not in [t.get("name") for t in traces(spec)]
    assert not spec["layout"]["title"]["subtitle"].get("text")


def test_spc_limits_hold_the_centre_and_gaps_stay_gaps() -> None:
    """lcl <= centre <= ucl in every month; a month without sessions is a gap in every line."""
    frame = spc_demo()
    frame = frame[frame["month"] != "2026-05"]
    spec = spec_of(charts.spc(frame, "p-chart"))
    ucl = values(trace(spec, "control limits")["y"])
    lcl = values(trace(spec, "lower control limit")["y"])
    centre = values(trace(spec, "centre")["y"])
    for low, mid, high in zip(lcl, centre, ucl, strict=True):
        assert (low is None) == (mid is None) == (high is None)
        assert low is None or low <= mid <= high
    assert gap_problems(spec, [when("2026-05-01")]) == []


def test_compliance_partial_month_is_off_the_line_with_its_interval() -> None:
    """A partial month's compliance is a hollow point with its own interval, not on the line."""
    frame = compliance_frame(
        [(m, "compression", 100, 90) for m in months("2026-01", 11)]
        + [("2026-12", "compression", 9, 9)]
    )
    spec = spec_of(charts.compliance_over_time(frame, 0.8, "Compliance", partial=DECEMBER))
    assert values(trace(spec, "Compression recorded")["y"])[-1] is None
    point = trace(spec, "Compression recorded: partial month")
    assert point["marker"]["symbol"] == "circle-open"
    low, high = stats.wilson(9, 9)
    assert values(point["error_y"]["arrayminus"])[0] == pytest.approx(1 - low)
    assert values(point["error_y"]["array"])[0] == pytest.approx(high - 1)
    assert band_problems(spec) == [] and error_bar_problems(spec) == []
    assert "Dec 2026" in spec["layout"]["title"]["subtitle"]["text"]


def revenue_frame(items: tuple[str, ...], month_count: int = 12) -> pd.DataFrame:
    """revenue_monthly(session_type) rows for the given items."""
    rows = [
        (m, item, 10 + i, 1000.0 + 10 * i)
        for i, m in enumerate(months("2026-01", month_count))
        for item in items
    ]
    return pd.DataFrame(rows, columns=["month", "session_type", "sessions", "revenue_gbp"])


def test_stacked_partial_month_is_hatched_and_the_legend_is_plain() -> None:
    """The partial month's bars are hatched in traces of their own; legend swatches stay plain."""
    frame = revenue_frame(("Single Session", "Compression Socks"))
    spec = spec_of(charts.stacked_monthly(frame, "session_type", partial=DECEMBER))
    shown = [t for t in traces(spec) if t.get("showlegend") is not False]
    hatched = [t for t in traces(spec) if t.get("showlegend") is False]
    assert {t["marker"]["pattern"]["shape"] for t in shown} == {""}
    assert {t["marker"]["pattern"]["shape"] for t in hatched} == {"/"}
    for t in hatched:
        ys = values(t["y"])
        assert all(y is None for y in ys[:-1]) and ys[-1] is not None
    assert "Dec 2026" in spec["layout"]["title"]["subtitle"]["text"]


# -- colours --------------------------------------------------------------------------------------
def test_a_series_keeps_its_colour_across_charts() -> None:
    """An item has one colour whichever other items a chart holds (the two revenue charts too)."""
    both = legend_colours(
        spec_of(
            charts.stacked_monthly(
                revenue_frame(("Additional Session", "Compression Socks", "Single Session")),
                "session_type",
            )
        )
    )
    one = legend_colours(
        spec_of(
            charts.stacked_monthly(
                revenue_frame(("Compression Socks", "Single Session")), "session_type"
            )
        )
    )
    assert {k: both[k] for k in one} == one
    kinds = revenue_frame(("product", "treatment")).rename(columns={"session_type": "kind"})
    by_kind = legend_colours(spec_of(charts.stacked_monthly(kinds, "kind")))
    assert by_kind["Product"] == both["Compression Socks"]  # socks are the product sold
    assert len(set(both.values())) == 3


def test_stacked_legend_says_kinds_in_words() -> None:
    """The Treatments and products chart names its series "Product"/"Treatment", not codes."""
    kinds = revenue_frame(("product", "treatment")).rename(columns={"session_type": "kind"})
    names = {t["name"] for t in traces(spec_of(charts.stacked_monthly(kinds, "kind")))}
    assert names == {"Product", "Treatment"}


@settings(max_examples=100, deadline=None)
@given(st.lists(st.text(min_size=1, max_size=12), min_size=1, max_size=8, unique=True))
def test_colours_differ_inside_a_chart(names: list[str]) -> None:
    """Up to eight series of one chart never share a colour; a name asks for the same one."""
    picked = charts.colours(names)
    assert len(set(picked.values())) == len(names)
    alone = {n: charts.colours([n])[n] for n in names}
    assert all(c in charts.PALETTE for c in picked.values())
    assert sum(picked[n] == alone[n] for n in names) >= 1


def test_compliance_measures_keep_their_colours() -> None:
    """A measure's line and band have its fixed colour, whichever measures are shown."""
    spec = spec_of(charts.compliance_over_time(issue_frame(), 0.8))
    lines = legend_colours(spec)
    assert lines["Six-week review"] == charts.SERIES_COLOURS["review_6w"]
    assert lines["Compression recorded"] == charts.SERIES_COLOURS["compression"]


# -- funnel ---------------------------------------------------------------------------------------
def funnel_frame() -> pd.DataFrame:
    """Five clinicians, two of them close together, one beyond each kind of limit."""
    rows = [("Dr Amara Patel", 276, 70), ("Dr Ben Okafor", 205, 96),
            ("Dr Dariusz Kowalski", 279, 83), ("Nurse Chloe Evans", 232, 60),
            ("Nurse Priya Shah", 265, 82)]  # fmt: skip
    frame = pd.DataFrame(rows, columns=["clinician", "eligible", "events"])
    frame = _rates(frame, "events")
    p = frame["events"].sum() / frame["eligible"].sum()
    frame["overall_rate"] = p
    for key, limit in stats.funnel_limits(frame["eligible"].to_numpy(), p).items():
        frame[key] = limit
    frame["signal"] = [
        stats.funnel_signal(r.rate, r.lo95, r.hi95, r.lo998, r.hi998) for r in frame.itertuples()
    ]
    return frame


def test_funnel_legend_explains_every_marker_colour() -> None:
    """Every point's colour is the colour of a legend entry that says where the point lies."""
    frame = funnel_frame()
    curve = stats.funnel_curve(float(frame["overall_rate"].iloc[0]), 320)
    spec = spec_of(charts.funnel(frame, curve, "clinician", "Funnel plot"))
    legend = legend_colours(spec)
    for t in traces(spec):
        if t.get("mode") == "markers" and values(t.get("x")):
            assert legend.get(t["name"]) == t["marker"]["color"]
            assert "limits" in t["name"]
    points = [t for t in traces(spec) if t.get("mode") == "markers"]
    groups = {t["name"]: len(values(t.get("x"))) for t in points}
    assert groups == {"within 95% limits": 3, "beyond 95% limits": 1, "beyond 99.8% limits": 1}


def test_funnel_legend_keeps_a_group_without_points() -> None:
    """With nobody beyond the 99.8% limits the legend still says what that colour would mean."""
    frame = funnel_frame()
    frame = frame[frame["clinician"] != "Dr Ben Okafor"]
    spec = spec_of(charts.funnel(frame, None, "clinician"))
    assert [name for name, _c, _s in charts.FUNNEL_GROUPS] == [
        t["name"] for t in traces(spec) if t.get("mode") == "markers"
    ]
    empty = trace(spec, "beyond 99.8% limits")
    assert values(empty["x"]) == [None] and values(empty["y"]) == [None]


def test_funnel_limits_nest_around_the_clinic_rate() -> None:
    """The 95% limits lie around the clinic's rate and inside the 99.8% limits at every n."""
    frame = funnel_frame()
    p = float(frame["overall_rate"].iloc[0])
    spec = spec_of(charts.funnel(frame, stats.funnel_curve(p, 320), "clinician"))
    assert limit_problems(spec, ("95% limits", "99.8% limits"), p) == []


def test_funnel_names_each_point_once_in_a_column() -> None:
    """Every clinician is named once, in one column at the right, joined to its own point."""
    frame = funnel_frame()
    spec = spec_of(charts.funnel(frame, None, "clinician"))
    notes = [a for a in spec["layout"]["annotations"] if a.get("showarrow")]
    assert sorted(a["text"] for a in notes) == sorted(frame["clinician"])
    assert len({a["ax"] for a in notes}) == 1
    for a in notes:
        row = frame[frame["clinician"] == a["text"]].iloc[0]
        assert (a["x"], a["y"]) == (row["eligible"], pytest.approx(row["rate"]))
    spots = sorted((a["ay"] for a in notes), reverse=True)
    height = spec["layout"]["height"]
    low, high = spec["layout"]["yaxis"]["range"]
    # The names' column is at least a line apart on the smallest plot the chart allows for.
    smallest_plot = height - 72 - 230
    gaps_px = [
        (a - b) / (high - low) * smallest_plot for a, b in zip(spots, spots[1:], strict=False)
    ]
    assert min(gaps_px) >= charts.LABEL_PX - 1e-6


@settings(max_examples=200, deadline=None)
@given(st.lists(st.floats(0, 1), min_size=1, max_size=30), st.floats(0.005, 0.05))
def test_spread_keeps_names_apart(wanted: list[float], gap: float) -> None:
    """Spread positions keep their order, stay a gap apart, and inside the range when they fit."""
    wanted = sorted(wanted, reverse=True)
    spots = charts._spread(wanted, gap, gap / 2, 1 - gap / 2)
    assert all(a - b >= gap - 1e-9 for a, b in zip(spots, spots[1:], strict=False))
    if gap * len(wanted) <= 1 - gap:
        assert all(gap / 2 - 1e-9 <= s <= 1 - gap / 2 + 1e-9 for s in spots)


# -- rates, words, formats, toolbar ---------------------------------------------------------------
def test_rate_bars_without_sessions_draw_no_bar() -> None:
    """A group with no sessions has no bar (not a bar at 0%) and no error bar."""
    frame = _rates(
        pd.DataFrame({"vein_type": ["spider", "varicose"], "eligible": [40, 0], "events": [4, 0]}),
        "events",
    )
    spec = spec_of(charts.rate_bars(frame, "vein_type", "By vein type"))
    bar = traces(spec)[0]
    by = dict(zip(values(bar["y"]), values(bar["x"]), strict=True))
    assert by["varicose"] is None and by["spider"] == pytest.approx(0.1)
    assert error_bar_problems(spec) == []
    low, high = stats.wilson(4, 40)
    spider = values(bar["y"]).index("spider")
    assert values(bar["error_x"]["arrayminus"])[spider] == pytest.approx(0.1 - low)
    assert values(bar["error_x"]["array"])[spider] == pytest.approx(high - 0.1)


@pytest.mark.parametrize(("events", "tick"), [((1, 3, 5), ".1%"), ((30, 60, 90), ".0%")])
def test_small_rates_get_a_decimal_so_ticks_differ(events: tuple[int, ...], tick: str) -> None:
    """Rates under 10% tick with a decimal: 0.5% and 1.5% would both read "1%" otherwise."""
    frame = _rates(
        pd.DataFrame(
            {"effect": ["a", "b", "c"], "eligible": [300, 300, 300], "events": list(events)}
        ),
        "events",
    )
    spec = spec_of(charts.rate_bars(frame, "effect", "By effect"))
    assert spec["layout"]["xaxis"]["tickformat"] == tick


def every_chart() -> dict[str, object]:
    """One figure of each kind the pages draw, on small hand-made data."""
    funnel = funnel_frame()
    p = float(funnel["overall_rate"].iloc[0])
    effects = pd.DataFrame(
        {
            "effect": ["bruising", "tape compression blister"],
            "eligible": [300, 300],
            "events": [30, 2],
        }
    )
    effects = _rates(effects, "events")
    by_clinician = pd.DataFrame(
        {"clinician": ["Dr A", "Dr B"], "sessions": [3, 4], "revenue_gbp": [1234.5, 76592.0]}
    )
    realisation = pd.DataFrame({"item": ["Single Session"], "realisation": [0.98]})
    return {
        "compliance": charts.compliance_over_time(issue_frame(), 0.8, "Monthly compliance"),
        "spc": charts.spc(spc_demo(), "p-chart", partial=DECEMBER),
        "funnel": charts.funnel(funnel, stats.funnel_curve(p, 320), "clinician", "Funnel"),
        "stacked": charts.stacked_monthly(
            revenue_frame(("Single Session",)), "session_type", title="Revenue", partial=DECEMBER
        ),
        "rates": charts.rate_bars(effects, "effect", "By effect"),
        "bars": charts.bars(by_clinician, "clinician", "revenue_gbp", "Revenue by clinician"),
        "realisation": charts.bars(realisation, "item", "realisation", "Realisation"),
        "empty": charts.empty("Nothing here.", "A title"),
    }


@pytest.mark.parametrize(
    "name", ["compliance", "spc", "funnel", "stacked", "rates", "bars", "realisation", "empty"]
)
def test_every_chart_keeps_what_a_reader_relies_on(name: str) -> None:
    """Every kind of chart: bands hold lines, intervals, words, UK axes, title under the toolbar."""
    spec = spec_of(every_chart()[name])
    assert reader_problems(spec, charts.TOOLBAR_PX) == []


def test_money_and_month_axes() -> None:
    """Money axes read £ with thousands separators; month axes and their hovers read Jan 2026."""
    spec = spec_of(every_chart()["stacked"])
    assert spec["layout"]["yaxis"]["tickprefix"] == "£"
    assert spec["layout"]["yaxis"]["tickformat"] == ",.0f"
    assert spec["layout"]["xaxis"]["tickformat"] == "%b %Y"
    assert spec["layout"]["xaxis"]["hoverformat"] == "%b %Y"
    bars = spec_of(every_chart()["bars"])
    assert (bars["layout"]["xaxis"]["tickprefix"], bars["layout"]["xaxis"]["title"]["text"]) == (
        "£",
        "Revenue",
    )


def test_codes_on_a_chart_are_caught() -> None:
    """The words check fails on a measure code in the legend (it can catch what it looks for)."""
    fig = charts.compliance_over_time(issue_frame(), 0.8, "Compliance")
    fig.data[1].name = "review_6w"
    assert reader_problems(spec_of(fig), charts.TOOLBAR_PX)


def test_title_clear_of_the_toolbar() -> None:
    """Titles start below the toolbar's strip; legends sit under the plot, not over the title."""
    for fig in every_chart().values():
        spec = spec_of(fig)
        title = spec["layout"]["title"]
        assert (1 - title["y"]) * spec["layout"]["height"] >= charts.TOOLBAR_PX - 0.5
        legend = spec["layout"]["template"]["layout"]["legend"]
        assert (legend["yref"], legend["y"], legend["yanchor"]) == ("container", 0, "bottom")


def test_band_check_fails_on_a_wedge() -> None:
    """The band check catches a band drawn as the old code drew it (one shape across a gap)."""
    frame = issue_frame()
    part = frame[frame["measure"] == "check_2w"].reset_index(drop=True)
    x = list(pd.to_datetime(part["month"] + "-01"))
    wedge = {
        "data": [
            {
                "type": "scatter",
                "fill": "toself",
                "legendgroup": "check_2w",
                "x": [str(v) for v in x + x[::-1]],
                "y": [
                    None if np.isnan(v) else v
                    for v in list(part["ci_high"]) + list(part["ci_low"][::-1])
                ],
            },
            {
                "type": "scatter",
                "mode": "lines+markers",
                "legendgroup": "check_2w",
                "name": "Two-week check",
                "x": [str(v) for v in x],
                "y": [None if np.isnan(v) else v for v in part["rate"]],
            },
        ],
        "layout": {},
    }
    assert band_problems(wedge)


def test_a_short_month_axis_ticks_each_month_once() -> None:
    """One or a few months get a tick per month (never "Dec 2025, Dec 2025"); two years do not."""
    short = spec_of(charts.stacked_monthly(revenue_frame(("Single Session",), 1), "session_type"))
    assert short["layout"]["xaxis"]["dtick"] == "M1"
    assert short["layout"]["xaxis"]["tick0"].startswith("2026-01-01")
    long = spec_of(charts.stacked_monthly(revenue_frame(("Single Session",), 24), "session_type"))
    assert "dtick" not in long["layout"]["xaxis"]


def test_small_counts_tick_whole_numbers_only() -> None:
    """A count axis topping out at 2 ticks 0, 1, 2 (plotly's halves would read 0, 1, 1, 2, 2)."""
    frame = pd.DataFrame(
        {"month": ["2026-01", "2026-02"], "new_patients": [2, 1], "returning_patients": [0, 1]}
    )
    few = spec_of(charts_retention.monthly_bars(frame, ["new_patients", "returning_patients"]))
    assert few["layout"]["yaxis"]["dtick"] == 1
    many = spec_of(
        charts_retention.monthly_bars(frame.assign(new_patients=[80, 40]), ["new_patients"])
    )
    assert "dtick" not in many["layout"]["yaxis"]
    bars = spec_of(charts.bars(pd.DataFrame({"who": ["a", "b"], "n": [2, 1]}), "who", "n"))
    assert bars["layout"]["xaxis"]["dtick"] == 1
