"""DataFrame -> plotly Figure, with one look across the app (no Streamlit here)."""

from __future__ import annotations

import html
import math
from typing import Any

import numpy as np
import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

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
MONEY = ",.0f"  # with tickprefix "£": d3 formats take no currency literal
MONEY_HOVER = "£%{y:,.2f}"
PERCENT = ".0%"
MONTH_AXIS = "%b %Y"
DAY_AXIS = "%d %b %Y"
LIMIT_95 = "#56B4E9"
LIMIT_998 = "#D55E00"
SIGNAL = "#D55E00"


def _register() -> None:
    """Register the clinic template once per process and make it the default."""
    if TEMPLATE in pio.templates:
        return
    pio.templates[TEMPLATE] = go.layout.Template(
        layout=go.Layout(
            colorway=list(PALETTE),
            font={"family": "Source Sans Pro, Arial, sans-serif", "size": 13},
            margin={"l": 56, "r": 24, "t": 96, "b": 48},
            title={"x": 0, "xanchor": "left", "y": 0.97, "yanchor": "top"},
            hovermode="x unified",
            legend={"orientation": "h", "yanchor": "bottom", "y": 1.02, "x": 0},
            xaxis={"showgrid": False, "tickformat": MONTH_AXIS, "automargin": True},
            yaxis={"gridcolor": "#e5e5e5", "zeroline": False, "automargin": True},
            plot_bgcolor="white",
            paper_bgcolor="white",
        )
    )


_register()


def _figure(title: str) -> go.Figure:
    """A new figure in the clinic template."""
    return go.Figure(layout={"template": TEMPLATE, "title": {"text": title}})


def empty(message: str, title: str = "") -> go.Figure:
    """A blank figure that says what to do instead of drawing nothing."""
    fig = _figure(title)
    fig.add_annotation(
        text=message, showarrow=False, xref="paper", yref="paper", x=0.5, y=0.5, font_size=15
    )
    fig.update_xaxes(visible=False)
    fig.update_yaxes(visible=False)
    return fig


def _months(values: pd.Series) -> pd.Series:
    """Month labels (`YYYY-MM`, dates or timestamps) as timestamps for a date axis."""
    return pd.to_datetime(values.astype(str).str.slice(0, 7), format="%Y-%m")


def stacked_monthly(
    df: pd.DataFrame, dim: str, value: str = "revenue_gbp", title: str = ""
) -> go.Figure:
    """Stacked monthly bars of `value` split by `dim` (money when the value is in pounds)."""
    if df is None or df.empty:
        return empty("No sessions in this range: widen the dates or upload an export.", title)
    fig = _figure(title)
    months = _months(df["month"])
    for i, (name, part) in enumerate(df.groupby(df[dim].fillna("unknown"), sort=True)):
        fig.add_bar(
            x=months[part.index],
            y=part[value],
            name=str(name),
            marker_color=PALETTE[i % len(PALETTE)],
            hovertemplate=(MONEY_HOVER if value.endswith("_gbp") else "%{y:,}")
            + "<extra>%{fullData.name}</extra>",  # the (escaped) trace name, never raw
        )
    fig.update_layout(barmode="stack")
    fig.update_xaxes(tickformat=MONTH_AXIS, dtick="M1" if months.nunique() <= 14 else "M3")
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
            x=data[y],
            orientation="h",
            marker_color=PALETTE[0],
            hovertemplate=hover + "<extra></extra>",
        )
        axis = fig.update_xaxes
    else:
        fig.add_bar(
            x=data[x].astype(str),
            y=data[y],
            marker_color=PALETTE[0],
            hovertemplate=hover + "<extra></extra>",
        )
        axis = fig.update_yaxes
    fig.update_layout(hovermode="closest")
    axis(
        tickformat=MONEY if money else (PERCENT if ratio else ",d"), tickprefix="£" if money else ""
    )
    fig.update_xaxes(showgrid=horizontal)
    return fig


def rate_bars(df: pd.DataFrame, by: str, title: str = "") -> go.Figure:
    """Rates per group with their 95% Wilson interval as error bars, denominators in the hover."""
    if df is None or df.empty or df["eligible"].fillna(0).sum() == 0:
        return empty("No completed sessions in this range: widen the dates.", title)
    fig = _figure(title)
    data = df.sort_values("rate", ascending=True)
    rate = data["rate"].fillna(0)
    fig.add_bar(
        y=data[by].astype(str),
        x=rate,
        orientation="h",
        marker_color=PALETTE[0],
        error_x={
            "type": "data",
            "array": (data["ci_high"] - data["rate"]).fillna(0),
            "arrayminus": (data["rate"] - data["ci_low"]).fillna(0),
            "color": "#444",
        },
        customdata=data[["events", "eligible", "ci_low", "ci_high"]].to_numpy(),
        hovertemplate="%{y}: %{x:.1%} (%{customdata[0]} of %{customdata[1]}; "
        "95% CI %{customdata[2]:.1%} to %{customdata[3]:.1%})<extra></extra>",
    )
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(tickformat=PERCENT, title="Rate (95% Wilson interval)", showgrid=True)
    return fig


def compliance_over_time(df: pd.DataFrame, target: float, title: str = "") -> go.Figure:
    """Monthly compliance per measure with its 95% interval band and the target line."""
    if df is None or df.empty or df["eligible"].fillna(0).sum() == 0:
        return empty(
            "No sessions whose follow-up window has closed in this range: widen the dates.", title
        )
    fig = _figure(title)
    months = _months(df["month"])
    for i, (measure, part) in enumerate(df.groupby("measure", sort=False)):
        colour = PALETTE[i % len(PALETTE)]
        x = months[part.index]
        fig.add_scatter(
            x=list(x) + list(x[::-1]),
            y=list(part["ci_high"]) + list(part["ci_low"][::-1]),
            fill="toself",
            fillcolor=colour,
            opacity=0.15,
            line={"width": 0},
            hoverinfo="skip",
            showlegend=False,
            legendgroup=str(measure),
        )
        fig.add_scatter(
            x=x,
            y=part["rate"],
            name=MEASURE_LABELS.get(str(measure), str(measure)),
            mode="lines+markers",
            line={"color": colour},
            legendgroup=str(measure),
            customdata=part[["met", "eligible"]].to_numpy(),
            hovertemplate="%{y:.1%} (%{customdata[0]} of %{customdata[1]})",
        )
    fig.add_hline(
        y=target, line_dash="dash", line_color="#333", annotation_text=f"target {target:.0%}"
    )
    fig.update_yaxes(tickformat=PERCENT, range=[0, 1.05])
    fig.update_xaxes(tickformat=MONTH_AXIS)
    return fig


MEASURE_LABELS = {
    "review_6w": "Six-week review",
    "check_2w": "Two-week check (varicose)",
    "spacing": "Sessions 28+ days apart",
    "compression": "Compression recorded",
}


def funnel(df: pd.DataFrame, curve: pd.DataFrame | None, by: str, title: str = "") -> go.Figure:
    """Funnel plot: each group's rate against its sessions, with 95% and 99.8% limits."""
    if df is None or df.empty or df["eligible"].fillna(0).sum() == 0:
        return empty("No completed sessions in this range: widen the dates.", title)
    fig = _figure(title)
    overall = float(df["overall_rate"].iloc[0])
    if curve is not None and not curve.empty:
        for lo, hi, colour, label in (
            ("lo95", "hi95", LIMIT_95, "95% limits"),
            ("lo998", "hi998", LIMIT_998, "99.8% limits"),
        ):
            for col, show in ((lo, True), (hi, False)):
                fig.add_scatter(
                    x=curve["n"],
                    y=curve[col],
                    mode="lines",
                    name=label,
                    showlegend=show,
                    legendgroup=label,
                    line={"color": colour, "dash": "dot"},
                    hoverinfo="skip",
                )
    if not math.isnan(overall):
        fig.add_hline(
            y=overall,
            line_color="#333",
            annotation_text=f"clinic {overall:.1%}",
            annotation_position="top left",
        )
    signal = df["signal"].fillna("").astype(str).str.len() > 0 if "signal" in df else None
    colours = [SIGNAL if s else PALETTE[0] for s in signal] if signal is not None else PALETTE[0]
    fig.add_scatter(
        x=df["eligible"],
        y=df["rate"],
        mode="markers+text",
        text=df[by].astype(str),
        textposition="top center",
        name=by.replace("_", " "),
        marker={"size": 10, "color": colours},
        customdata=df[["events", "eligible"]].to_numpy(),
        hovertemplate="%{text}: %{y:.1%} (%{customdata[0]} of %{customdata[1]})<extra></extra>",
    )
    fig.update_layout(hovermode="closest")
    fig.update_xaxes(title="Completed sessions", tickformat=",d", showgrid=True)
    # The limits run to 100% at tiny n; keep the clinicians, not the curve tips, in view.
    top = max(float(df["rate"].max(skipna=True) or 0), overall if not math.isnan(overall) else 0)
    fig.update_yaxes(
        title="Complication rate", tickformat=PERCENT, range=[0, min(1.0, max(top, 0.05) * 1.6)]
    )
    return fig


def spc(df: pd.DataFrame, title: str = "") -> go.Figure:
    """p-chart: monthly rate, centre line, control limits, special-cause points marked."""
    if df is None or df.empty or df["eligible"].fillna(0).sum() == 0:
        return empty("No completed sessions in this range: widen the dates.", title)
    fig = _figure(title)
    months = _months(df["month"])
    fig.add_scatter(
        x=months,
        y=df["ucl"],
        mode="lines",
        name="control limits",
        line={"color": LIMIT_998, "dash": "dot", "shape": "hvh"},
        legendgroup="limits",
    )
    fig.add_scatter(
        x=months,
        y=df["lcl"],
        mode="lines",
        showlegend=False,
        legendgroup="limits",
        line={"color": LIMIT_998, "dash": "dot", "shape": "hvh"},
    )
    fig.add_scatter(
        x=months,
        y=df["centre"],
        mode="lines",
        name="centre",
        line={"color": "#333"},
    )
    fig.add_scatter(
        x=months,
        y=df["rate"],
        mode="lines+markers",
        name="monthly rate",
        line={"color": PALETTE[0]},
        customdata=df[["events", "eligible"]].to_numpy(),
        hovertemplate="%{y:.1%} (%{customdata[0]} of %{customdata[1]})",
    )
    flagged = df["signal"].notna() & (df["signal"].astype(str) != "")
    if flagged.any():
        fig.add_scatter(
            x=months[flagged],
            y=df.loc[flagged, "rate"],
            mode="markers",
            name="signal",
            marker={"color": SIGNAL, "size": 14, "symbol": "circle-open", "line": {"width": 3}},
            text=df.loc[flagged, "signal"].astype(str),
            hovertemplate="%{text}<extra></extra>",
        )
    fig.update_yaxes(tickformat=PERCENT, rangemode="tozero", title="Complication rate")
    fig.update_xaxes(tickformat=MONTH_AXIS)
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
