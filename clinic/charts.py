"""DataFrame -> plotly Figure, with one look across the app (no Streamlit here).

What a reader relies on is part of each figure and tested on its spec (tests/unit/test_charts.py):
an interval band contains its line, a month without data stays a gap, a month the date range
only partly covers is marked as partial and named, a series keeps its colour on every chart,
labels are words, money and dates read the UK way.

Over 400 lines: every figure shares one look (template, palette, partial months, interval bands,
hover formats) through this module's private helpers; split by chart, each room would import
them back.
"""

from __future__ import annotations

import html
import math
import zlib
from collections.abc import Iterable
from datetime import date, timedelta
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from clinic import formats

TEMPLATE = "clinic"
# Okabe-Ito: distinguishable with the common forms of colour blindness.
PALETTE = (
    "#0072B2",
    "#E69F00",
    "#009E73",
    "#CC79A7",
    "#56B4E9",
    "#D55E00",
    "#F0E442",
    "#000000",
)
# One colour per series on every chart: the same item, kind or measure never changes colour
# between two charts (other names get a colour from their name, see colours()).
SERIES_COLOURS = {
    "Single Session": "#0072B2",
    "Additional Session": "#56B4E9",
    "Compression Socks": "#E69F00",
    "treatment": "#009E73",
    "product": "#E69F00",  # the product the clinic sells is the socks
    "follow-up": "#CC79A7",
    "review_6w": "#0072B2",
    "check_2w": "#E69F00",
    "spacing": "#009E73",
    "compression": "#CC79A7",
    "no_show": "#D55E00",
    "cancelled": "#56B4E9",
    "new_patients": "#009E73",
    "returning_patients": "#0072B2",
}
MONEY = ",.0f"  # with tickprefix "£": d3 formats take no currency literal
MONEY_HOVER = "£%{y:,.2f}"
PERCENT = ".0%"


def percent_axis(top: float | None) -> str:
    """The tick format for rates up to `top`: a decimal below 10%, so 0.5% and 1.5% do not
    both read "1%"."""
    return ".1%" if top is not None and top == top and top < 0.1 else PERCENT


MONTH_AXIS = formats.AXIS_MONTH
DAY_AXIS = formats.AXIS_DAY
HEIGHT = 440
# Plotly's toolbar takes the top ~32 px of a figure on the right; the title starts below it so
# that a long title on a phone (390 px) is never covered.
TOOLBAR_PX = 40
LIMIT_95 = "#E69F00"
LIMIT_998 = "#D55E00"
SIGNAL = "#D55E00"
WITHIN = "#0072B2"
BAND_ALPHA = 0.18
PARTIAL_PATTERN = "/"
# Where a funnel point lies, by its colour and symbol (explained in the legend).
FUNNEL_GROUPS = (
    ("within 95% limits", WITHIN, "circle"),
    ("beyond 95% limits", LIMIT_95, "diamond"),
    ("beyond 99.8% limits", LIMIT_998, "square"),
)
LABEL_PX = 17  # vertical room of one funnel name, font 12


def _register() -> None:
    """Register the clinic template once per process and make it the default."""
    if TEMPLATE in pio.templates:
        return
    pio.templates[TEMPLATE] = go.layout.Template(
        layout=go.Layout(
            colorway=list(PALETTE),
            font={"family": "Source Sans Pro, Arial, sans-serif", "size": 13},
            margin={"l": 56, "r": 24, "t": 72, "b": 48},
            hovermode="x unified",
            # Under the plot: a legend above it wraps upwards over the title on a phone.
            legend={
                "orientation": "h",
                "yref": "container",
                "y": 0,
                "yanchor": "bottom",
                "x": 0,
                "xanchor": "left",
            },
            xaxis={
                "showgrid": False,
                "tickformat": MONTH_AXIS,
                "hoverformat": MONTH_AXIS,
                "automargin": True,
            },
            yaxis={"gridcolor": "#e5e5e5", "zeroline": False, "automargin": True},
            plot_bgcolor="white",
            paper_bgcolor="white",
        )
    )


_register()


def _figure(title: str, subtitle: str = "", height: int = HEIGHT) -> go.Figure:
    """A new figure in the clinic template, its title below the toolbar's strip."""
    return go.Figure(
        layout={
            "template": TEMPLATE,
            "height": height,
            "title": {
                "text": title,
                "subtitle": {"text": subtitle, "font": {"size": 12, "color": "#555"}},
                "x": 0,
                "xanchor": "left",
                "xref": "container",
                "pad": {"l": 12},
                "yref": "container",
                "y": 1 - TOOLBAR_PX / height,
                "yanchor": "top",
                "automargin": True,
            },
        }
    )


def empty(message: str, title: str = "") -> go.Figure:
    """A blank figure that says what to do instead of drawing nothing."""
    fig = _figure(title)
    fig.add_annotation(
        text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font_size=15
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def colours(names: Iterable[object]) -> dict[str, str]:
    """A colour per series name: the fixed map first, else one picked from the name itself.

    A name outside the map always asks for the same palette colour (a checksum of the name),
    so it keeps its colour across charts; only a clash inside one chart moves it on.
    """
    out: dict[str, str] = {}
    for name in (str(n) for n in names):
        if name in SERIES_COLOURS:
            out[name] = SERIES_COLOURS[name]
    taken = set(out.values())
    for name in (str(n) for n in names):
        if name in out:
            continue
        start = zlib.crc32(name.encode("utf-8")) % len(PALETTE)
        order = [PALETTE[(start + i) % len(PALETTE)] for i in range(len(PALETTE))]
        out[name] = next((c for c in order if c not in taken), order[0])
        taken.add(out[name])
    return out


def _rgba(colour: str, alpha: float) -> str:
    """A #rrggbb colour as rgba() with the given opacity (for bands, whose hover stays off)."""
    r, g, b = (int(colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


# -- months: gaps and partial periods -------------------------------------------------------------
def partial_months(start: date | None, end: date | None) -> dict[date, tuple[date, date]]:
    """Months the range covers only in part: {first day of month: (first, last day covered)}.

    An open start (all dates) cuts no month at the start; `end` is the last day with figures
    (the range's end or the as-of date, whichever is earlier).
    """
    out: dict[date, tuple[date, date]] = {}
    if start is not None and end is not None and end < start:  # a range wholly after as-of
        return out
    if end is not None:
        first = end.replace(day=1)
        if (end + timedelta(days=1)).month == end.month:  # not the month's last day
            out[first] = (max(first, start) if start else first, end)
    if start is not None and start.day != 1:
        month = start.replace(day=1)
        last = (month + timedelta(days=32)).replace(day=1) - timedelta(days=1)
        out[month] = (start, min(last, end) if end else last)
    return out


def partial_note(partial: dict[date, tuple[date, date]], how: str) -> str:
    """The subtitle that names the partial months and how they are drawn (short lines)."""
    if not partial:
        return ""
    lines = [
        f"{formats.month(m)}: {formats.day(a)} to {formats.day(b)}"
        for m, (a, b) in sorted(partial.items())
    ]
    return "<br>".join([f"Partial {'months' if len(lines) > 1 else 'month'}, {how}:", *lines])


def _month_axis(months: pd.Series) -> pd.DatetimeIndex:
    """Every month from the first to the last in `months` (`YYYY-MM` or dates), none skipped."""
    stamps = pd.to_datetime([formats.month_start(m) for m in months])
    return pd.date_range(stamps.min(), stamps.max(), freq="MS")


def _within(
    partial: dict[date, tuple[date, date]] | None, axis: pd.DatetimeIndex
) -> dict[date, tuple[date, date]]:
    """The partial months that are on the chart's month axis."""
    shown = set(axis.date)
    return {m: v for m, v in (partial or {}).items() if m in shown}


def _by_month(part: pd.DataFrame, axis: pd.DatetimeIndex) -> pd.DataFrame:
    """Rows of one series on the full month axis; a month without a row is all NaN (a gap)."""
    keyed = part.assign(_m=pd.to_datetime([formats.month_start(m) for m in part["month"]]))
    return keyed.drop_duplicates("_m").set_index("_m").reindex(axis)


def _values(series: pd.Series) -> list[float | None]:
    """Numbers for a trace, NaN as None so that plotly leaves a gap."""
    return [None if pd.isna(v) else float(v) for v in series]


def _runs(mask: Iterable[bool]) -> list[list[int]]:
    """The positions of each run of consecutive True values."""
    runs: list[list[int]] = []
    for i, ok in enumerate(mask):
        if ok and runs and runs[-1][-1] == i - 1:
            runs[-1].append(i)
        elif ok:
            runs.append([i])
    return runs


def _band(x: pd.DatetimeIndex, low: pd.Series, high: pd.Series) -> tuple[list, list]:
    """A closed outline around the interval of each run of months with data, None between runs.

    One shape per run ("toself" closes each part on its own), so no band reaches across a
    month without data. A month alone gets a narrow box around its point.
    """
    xs: list = []
    ys: list = []
    ok = (~low.isna() & ~high.isna()).to_numpy()
    for run in _runs(ok):
        if xs:
            xs.append(None)
            ys.append(None)
        if len(run) == 1:
            i = run[0]
            left, right = x[i] - pd.Timedelta(days=9), x[i] + pd.Timedelta(days=9)
            xs += [left, right, right, left]
            ys += [high.iloc[i], high.iloc[i], low.iloc[i], low.iloc[i]]
        else:
            xs += [x[i] for i in run] + [x[i] for i in reversed(run)]
            ys += [high.iloc[i] for i in run] + [low.iloc[i] for i in reversed(run)]
    return xs, [None if y is None else float(y) for y in ys]


LAST_YEAR_NAME = "Same month last year"
# Last year's mark on a bar: a dark dash across it, visible on every palette colour.
_LAST_YEAR_DASH = {"symbol": "line-ew", "size": 16, "line": {"color": "#333333", "width": 2.5}}


def last_year_lines(
    fig: go.Figure,
    earlier: pd.DataFrame | None,
    axis: pd.DatetimeIndex,
    series: dict[str, str],
    value: str,
    key: str | None = None,
    hover: str = "%{y:.1%}",
    bars: bool = False,
) -> None:
    """Faint dotted lines of the same months a year earlier, drawn on this year's months.

    `earlier` holds the same figure for last year's dates (month `YYYY-MM`); `series` maps each
    series (a `key` value, or a column when `key` is None) to its colour. One legend entry
    names them all; a month without data last year is a gap. On `bars` (grouped by series
    name) last year is a dark dash across each bar instead: a line in the bar's own colour
    would vanish into it, and one line per series would run between the groups.
    """
    if earlier is None or earlier.empty:
        return
    moved = earlier.assign(
        month=[
            f"{formats.month_start(m).year + 1}-{formats.month_start(m).month:02d}"
            for m in earlier["month"]
        ]
    )
    shown = False
    for name, colour in series.items():
        part = moved if key is None else moved[moved[key].astype(str) == name]
        column = name if key is None else value
        if part.empty or column not in part:
            continue
        y = _by_month(part, axis)[column]
        if y.isna().all():
            continue
        if bars:
            look = {"mode": "markers", "offsetgroup": name, "marker": _LAST_YEAR_DASH}
        else:
            line = {"color": colour, "dash": "dot", "width": 1.5}
            look = {"mode": "lines", "opacity": 0.45, "line": line}
        fig.add_scatter(
            x=axis,
            y=_values(y),
            name=LAST_YEAR_NAME,
            legendgroup="last year",
            showlegend=not shown,
            hovertemplate=f"{hover}<extra>{formats.label(name)}, last year</extra>",
            **look,
        )
        shown = True
    if bars and shown:
        fig.update_layout(scattermode="group")  # each dash over its own series' bar


# Up to this many months on the axis get a tick each; plotly would tick a short axis every few
# days, and each tick would read the same month ("Dec 2025, Dec 2025, Jan 2026, Jan 2026").
FEW_MONTHS = 6
# Count axes up to this top get a tick per whole number; plotly would step by halves (0, 1, 1, 2).
FEW_COUNTS = 6


def _xs(trace: Any) -> list:
    """A trace's x values as a list (none when it has no x)."""
    return [] if getattr(trace, "x", None) is None else list(trace.x)


def _month_ticks(fig: go.Figure) -> None:
    """Month ticks and month hovers on the x axis (plotly spaces the ticks to the width, but
    never closer than a month)."""
    fig.update_xaxes(tickformat=MONTH_AXIS, hoverformat=MONTH_AXIS)
    months = {
        (stamp.year, stamp.month)
        for trace in fig.data
        for stamp in pd.to_datetime(pd.Series(_xs(trace)), errors="coerce").dropna()
    }
    if 0 < len(months) <= FEW_MONTHS:
        year, month = min(months)
        fig.update_xaxes(dtick="M1", tick0=f"{year:04d}-{month:02d}-01")


def count_ticks(top: float) -> dict:
    """Axis settings for whole counts up to `top`: a tick per number when there are few."""
    return {"tickformat": ",d", **({"dtick": 1} if top <= FEW_COUNTS else {})}


# -- charts ---------------------------------------------------------------------------------------
def stacked_monthly(
    df: pd.DataFrame,
    dim: str,
    value: str = "revenue_gbp",
    title: str = "",
    partial: dict[date, tuple[date, date]] | None = None,
) -> go.Figure:
    """Stacked monthly bars of `value` split by `dim`; a partial month's bars are hatched."""
    if df is None or df.empty:
        return empty("No sessions in this range: widen the dates or upload an export.", title)
    axis = _month_axis(df["month"])
    partial = _within(partial, axis)
    cut = np.array([m.date() in partial for m in axis])
    fig = _figure(title, partial_note(partial, "hatched"))
    names = df[dim].fillna("not recorded").astype(str)
    palette = colours(sorted(names.unique()))
    hover = MONEY_HOVER if value.endswith("_gbp") else "%{y:,}"
    for name in sorted(names.unique()):
        values = _by_month(df[names == name], axis)[value]
        # A partial month's bars are a trace of their own, so the legend's swatch stays plain.
        for part, hatched in ((~cut, False), (cut, True)):
            if not part.any():
                continue
            fig.add_bar(
                x=axis,
                y=_values(values.where(part)),
                name=formats.word(name),  # a kind in words; the colour stays the code's
                legendgroup=name,
                showlegend=not hatched,
                marker={
                    "color": palette[name],
                    "pattern": {"shape": PARTIAL_PATTERN if hatched else ""},
                },
                # The (escaped) trace name, never the raw one, in the hover.
                hovertemplate=f"{hover}<extra>%{{fullData.name}}"
                + ", partial month" * hatched
                + "</extra>",
            )
    fig.update_layout(barmode="stack")
    _month_ticks(fig)
    if value.endswith("_gbp"):
        fig.update_yaxes(tickformat=MONEY, tickprefix="£", title="Revenue")
    return fig


def bars(df: pd.DataFrame, x: str, y: str, title: str = "", horizontal: bool = True) -> go.Figure:
    """Simple bars of `y` per `x`; pounds when `y` ends in `_gbp`, percent for ratios."""
    if df is None or df.empty:
        return empty("Nothing to show in this range: widen the dates or upload an export.", title)
    fig = _figure(title)
    data = df.sort_values(y, ascending=horizontal)
    money = y.endswith("_gbp")
    ratio = y in {"rate", "realisation"}
    hover = MONEY_HOVER if money else ("%{y:.1%}" if ratio else "%{y:,}")
    if horizontal:
        hover = hover.replace("{y", "{x")
        fig.add_bar(
            y=data[x].astype(str),
            x=_values(data[y]),
            orientation="h",
            marker_color=PALETTE[0],
            hovertemplate="%{y}: " + hover + "<extra></extra>",
        )
        axis = fig.update_xaxes
    else:
        fig.add_bar(
            x=data[x].astype(str),
            y=_values(data[y]),
            marker_color=PALETTE[0],
            hovertemplate="%{x}: " + hover + "<extra></extra>",
        )
        axis = fig.update_yaxes
    fig.update_layout(hovermode="closest", showlegend=False)
    ticks = (
        {"tickformat": MONEY if money else PERCENT}
        if money or ratio
        else count_ticks(float(data[y].max()))
    )
    axis(
        **ticks,
        tickprefix="£" if money else "",
        title=formats.label(y.removesuffix("_gbp")),
    )
    fig.update_xaxes(showgrid=horizontal)
    return fig


def rate_bars(df: pd.DataFrame, by: str, title: str = "") -> go.Figure:
    """Rates per group with their 95% Wilson interval as error bars, denominators in the hover."""
    if df is None or df.empty or df["eligible"].fillna(0).sum() == 0:
        return empty("No completed sessions in this range: widen the dates.", title)
    data = df.sort_values("rate", ascending=True, na_position="first")
    height = max(HEIGHT, 150 + 22 * len(data))  # one readable row per group
    fig = _figure(title, height=height)
    known = data["rate"].notna()
    fig.add_bar(
        y=data[by].astype(str),
        x=_values(data["rate"]),  # no sessions: no bar (never a bar at 0%)
        orientation="h",
        marker_color=PALETTE[0],
        error_x={
            "type": "data",
            "symmetric": False,
            "array": _values((data["ci_high"] - data["rate"]).where(known)),
            "arrayminus": _values((data["rate"] - data["ci_low"]).where(known)),
            "color": "#444",
        },
        customdata=data[["events", "eligible", "ci_low", "ci_high"]].to_numpy(),
        hovertemplate="%{y}: %{x:.1%} (%{customdata[0]} of %{customdata[1]}; "
        "95% CI %{customdata[2]:.1%} to %{customdata[3]:.1%})<extra></extra>",
    )
    fig.update_layout(hovermode="closest", showlegend=False)
    top = data["ci_high"].max() if len(data) else None
    fig.update_xaxes(
        tickformat=percent_axis(top), title="Rate (95% Wilson interval)", showgrid=True
    )
    return fig


def compliance_over_time(
    df: pd.DataFrame,
    target: float | dict[str, float] | None,
    title: str = "",
    partial: dict[date, tuple[date, date]] | None = None,
    *,
    empty_message: str = "No sessions whose follow-up window has closed in this range: "
    "widen the dates.",
    last_year: pd.DataFrame | None = None,
) -> go.Figure:
    """Monthly rates per measure (compliance, attendance ...) with their 95% interval bands and
    target lines: one for all (a number), one per measure in its colour (a dict of the measures
    that have one), or none; counts are `met` or else `events`. `last_year` (the same frame
    for the dates a year earlier) adds each measure's faint line of those months.

    A month with nothing eligible (a follow-up window still open) has no rate: its line and
    band stop there. Small rates (all intervals under 40%) get an axis that fits them.
    """
    if df is None or df.empty or df["eligible"].fillna(0).sum() == 0:
        return empty(empty_message, title)
    counted = "met" if "met" in df else "events"
    axis = _month_axis(df["month"])
    partial = _within(partial, axis)
    fig = _figure(title, partial_note(partial, "hollow points with their interval"))
    measures = list(dict.fromkeys(df["measure"].astype(str)))
    palette = colours(measures)
    cut = np.array([m.date() in partial for m in axis])
    for measure in measures:
        part = _by_month(df[df["measure"].astype(str) == measure], axis)
        whole = part[["rate", "ci_low", "ci_high"]].copy()
        whole.loc[cut] = np.nan  # a partial month is drawn apart, off the line
        colour = palette[measure]
        name = formats.label(measure)
        counts = part[[counted, "eligible"]].fillna(0).astype(int).to_numpy()
        band_x, band_y = _band(axis, whole["ci_low"], whole["ci_high"])
        fig.add_scatter(
            x=band_x,
            y=band_y,
            fill="toself",
            fillcolor=_rgba(colour, BAND_ALPHA),
            mode="lines",
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=measure,
            name=f"{name}: 95% interval",
        )
        fig.add_scatter(
            x=axis,
            y=_values(whole["rate"]),
            name=name,
            mode="lines+markers",
            line={"color": colour},
            marker={"size": 7},
            legendgroup=measure,
            customdata=counts,
            hovertemplate="%{y:.1%} (%{customdata[0]} of %{customdata[1]})",
        )
        if cut.any():
            rest = part[cut]
            fig.add_scatter(
                x=axis[cut],
                y=_values(rest["rate"]),
                name=f"{name}: partial month",
                mode="markers",
                marker={"symbol": "circle-open", "size": 9, "color": colour, "line": {"width": 2}},
                error_y={
                    "type": "data",
                    "symmetric": False,
                    "array": _values(rest["ci_high"] - rest["rate"]),
                    "arrayminus": _values(rest["rate"] - rest["ci_low"]),
                    "color": colour,
                    "thickness": 1,
                },
                showlegend=False,
                legendgroup=measure,
                customdata=counts[cut],
                hovertemplate="%{y:.1%} (%{customdata[0]} of %{customdata[1]})",
            )
    last_year_lines(fig, last_year, axis, {m: palette[m] for m in measures}, "rate", "measure")
    wanted = target if isinstance(target, dict) else {"": target} if target is not None else {}
    for measure, value in wanted.items():
        named = f"{formats.label(measure).lower()} " if measure and len(measures) > 1 else ""
        fig.add_hline(
            y=value,
            line_dash="dash",
            line_color=palette.get(measure, "#333"),
            annotation_text=f"target {named}{formats.percent(value, 0)}",
        )
    top = max(df["ci_high"].max(), last_year["rate"].max() if last_year is not None else 0)
    high = max([0.0 if pd.isna(top) else float(top), *wanted.values()])
    fig.update_yaxes(tickformat=PERCENT, range=[0, 1.05 if high > 0.4 else high * 1.15 + 0.01])
    _month_ticks(fig)
    return fig


MEASURE_LABELS = formats.MEASURE_LABELS


def funnel_group(signal: object) -> str:
    """Where a funnel point lies: the legend name of its colour."""
    text = "" if signal is None or pd.isna(signal) else str(signal)
    if "99.8" in text:
        return FUNNEL_GROUPS[2][0]
    if "95" in text:
        return FUNNEL_GROUPS[1][0]
    return FUNNEL_GROUPS[0][0]


def _spread(wanted: list[float], gap: float, low: float, high: float) -> list[float]:
    """Positions near `wanted` (sorted high to low), at least `gap` apart, inside [low, high]."""
    out: list[float] = []
    for y in wanted:
        out.append(min(y, high, out[-1] - gap) if out else min(y, high))
    for i in range(len(out) - 1, -1, -1):  # pushed below the floor: lift from the bottom up
        floor = low if i == len(out) - 1 else out[i + 1] + gap
        out[i] = max(out[i], floor)
    return out


def funnel(
    df: pd.DataFrame,
    curve: pd.DataFrame | None,
    by: str,
    title: str = "",
    *,
    rate_title: str = "Complication rate",
    count_title: str = "Completed sessions",
) -> go.Figure:
    """Funnel plot: each group's rate against its denominator, with 95% and 99.8% limits.

    Names sit in a column at the right, each joined to its point, so they never overlap; a
    point's colour and shape say which limits it lies beyond (the legend names them).
    """
    if df is None or df.empty or df["eligible"].fillna(0).sum() == 0:
        return empty("No completed sessions in this range: widen the dates.", title)
    data = df[df["rate"].notna()].sort_values("rate", ascending=False)
    names = data[by].astype(str).tolist()
    # The legend wraps to five rows on a phone: leave the names room for that (a taller plot
    # on a wide screen only spaces them more).
    margin_t, below = 72, 230
    height = max(HEIGHT + 80, margin_t + below + LABEL_PX * (len(names) + 1))
    fig = _figure(title, height=height)
    overall = float(df["overall_rate"].iloc[0])
    x_right = float(data["eligible"].max()) * 1.15 if len(data) else 10.0
    if curve is not None and not curve.empty:
        for lo, hi, colour, label, dash in (
            ("lo95", "hi95", LIMIT_95, "95% limits", "dot"),
            ("lo998", "hi998", LIMIT_998, "99.8% limits", "dash"),
        ):
            inside = curve[curve["n"] <= x_right]
            for col, show in ((lo, True), (hi, False)):
                fig.add_scatter(
                    x=inside["n"],
                    y=_values(inside[col]),
                    mode="lines",
                    name=label,
                    showlegend=show,
                    legendgroup=label,
                    line={"color": colour, "dash": dash},
                    hoverinfo="skip",
                )
    if not math.isnan(overall):
        fig.add_hline(
            y=overall,
            line_color="#333",
            annotation_text=f"clinic {overall:.1%}",
            annotation_position="bottom left",
        )
    groups = [funnel_group(s) for s in data.get("signal", pd.Series([None] * len(data)))]
    for group, colour, symbol in FUNNEL_GROUPS:
        part = data[[g == group for g in groups]]
        # An empty group keeps its legend entry (a point of no size), so the key is always whole.
        fig.add_scatter(
            x=list(part["eligible"]) or [None],
            y=_values(part["rate"]) or [None],
            mode="markers",
            name=group,
            marker={"size": 11, "color": colour, "symbol": symbol},
            text=part[by].astype(str),
            customdata=part[["events", "eligible"]].to_numpy(),
            hovertemplate="%{text}: %{y:.1%} (%{customdata[0]} of %{customdata[1]})"
            f"<extra>{group}</extra>",
        )
    top = max(
        float(data["rate"].max()) if len(data) else 0.0, 0 if math.isnan(overall) else overall
    )
    # The limits run to 100% at tiny n; keep the groups, not the curve tips, in view.
    y_top = min(1.0, max(top, 0.05) * 1.6)
    plot_px = height - margin_t - below
    gap = LABEL_PX / plot_px * y_top
    spots = _spread(data["rate"].tolist(), gap, gap / 2, y_top - gap / 2)
    longest = max((len(n) for n in names), default=0)
    for name, row, spot in zip(names, data.itertuples(), spots, strict=True):
        fig.add_annotation(
            x=row.eligible,
            y=row.rate,
            xref="x",
            yref="y",
            ax=x_right,
            ay=spot,
            axref="x",
            ayref="y",
            text=html.escape(name, quote=False),
            xanchor="left",
            font={"size": 12},
            showarrow=True,
            arrowhead=0,
            arrowwidth=1,
            arrowcolor="#999",
            standoff=6,
        )
    fig.update_layout(
        hovermode="closest",
        margin={"t": margin_t, "r": min(24 + 7 * longest, 200)},
    )
    fig.update_xaxes(
        title=count_title,
        **count_ticks(x_right),
        hoverformat=",d",
        showgrid=True,
        range=[0, x_right],
    )
    fig.update_yaxes(title=rate_title, tickformat=percent_axis(y_top), range=[0, y_top])
    return fig


def spc(
    df: pd.DataFrame, title: str = "", partial: dict[date, tuple[date, date]] | None = None
) -> go.Figure:
    """p-chart: monthly rate, centre line, control limits, special-cause points marked.

    A month without completed sessions is a gap; a partial month is a hollow point of its own,
    off the line, named in the subtitle.
    """
    if df is None or df.empty or df["eligible"].fillna(0).sum() == 0:
        return empty("No completed sessions in this range: widen the dates.", title)
    axis = _month_axis(df["month"])
    partial = _within(partial, axis)
    fig = _figure(title, partial_note(partial, "a hollow point off the line"))
    rows = _by_month(df, axis)
    cut = np.array([m.date() in partial for m in axis])
    limit_line = {"color": LIMIT_998, "dash": "dot", "shape": "hvh"}
    fig.add_scatter(
        x=axis,
        y=_values(rows["ucl"]),
        mode="lines",
        name="control limits",
        line=limit_line,
        legendgroup="limits",
        hoverinfo="skip",
    )
    fig.add_scatter(
        x=axis,
        y=_values(rows["lcl"]),
        mode="lines",
        showlegend=False,
        legendgroup="limits",
        line=limit_line,
        hoverinfo="skip",
        name="lower control limit",
    )
    fig.add_scatter(
        x=axis,
        y=_values(rows["centre"]),
        mode="lines",
        name="centre",
        line={"color": "#333"},
        hoverinfo="skip",
    )
    counts = rows[["events", "eligible"]].fillna(0).astype(int).to_numpy()
    fig.add_scatter(
        x=axis,
        y=_values(rows["rate"].where(~cut)),
        mode="lines+markers",
        name="monthly rate",
        line={"color": PALETTE[0]},
        customdata=counts,
        hovertemplate="%{y:.1%} (%{customdata[0]} of %{customdata[1]})",
    )
    if cut.any():
        fig.add_scatter(
            x=axis[cut],
            y=_values(rows["rate"][cut]),
            mode="markers",
            name="partial month",
            marker={"color": PALETTE[0], "size": 10, "symbol": "circle-open", "line": {"width": 2}},
            customdata=counts[cut],
            hovertemplate="%{y:.1%} (%{customdata[0]} of %{customdata[1]})",
        )
    flagged = (rows["signal"].notna() & (rows["signal"].astype(str) != "")).to_numpy()
    if flagged.any():
        fig.add_scatter(
            x=axis[flagged],
            y=_values(rows["rate"][flagged]),
            mode="markers",
            name="signal",
            marker={"color": SIGNAL, "size": 14, "symbol": "circle-open", "line": {"width": 3}},
            text=rows["signal"][flagged].astype(str),
            hovertemplate="%{text}<extra></extra>",
        )
    top = rows[["rate", "ucl"]].max().max()
    fig.update_yaxes(tickformat=percent_axis(top), rangemode="tozero", title="Complication rate")
    _month_ticks(fig)
    return fig


# Trace fields that carry values from the data (names of clinicians, sites, items, effects).
_DATA_TEXT = ("x", "y", "text", "hovertext", "customdata", "labels", "ids", "name")


def _inert(value: Any) -> Any:
    """Strings (also inside lists and arrays) with &, < and > as entities; the rest as it is."""
    if isinstance(value, str):
        return html.escape(value, quote=False)
    if isinstance(value, np.ndarray) and value.dtype == object:
        return np.array([_inert(v) for v in value.tolist()], dtype=object)
    if isinstance(value, list | tuple):
        return [_inert(v) for v in value]
    return value


def inert(fig: go.Figure) -> go.Figure:
    """The figure with every value from the data shown as text, never as markup.

    Plotly reads a subset of HTML in tick labels, legends and hover text, so a clinician
    imported as `<a href=https://evil.example/>` would be a live link; as `&lt;a ...` it is
    shown as typed. Hover templates are ours and keep their markup.
    """
    for trace in fig.data:
        for name in _DATA_TEXT:
            if name in trace and trace[name] is not None:
                trace[name] = _inert(trace[name])
    return fig
