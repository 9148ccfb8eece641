"""Charts of the Attendance & retention page, in the look of clinic.charts (no Streamlit here).

Monthly bars of one or more counts or sums (no-shows' lost revenue, new and returning patients,
cohorts' sessions per patient): every month from the first to the last is on the axis (a month
without data is a gap), a partial month is hatched and named, money reads £1,234.
"""

from __future__ import annotations

from datetime import date

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from clinic import charts, formats


def monthly_bars(
    df: pd.DataFrame | None,
    columns: list[str],
    title: str = "",
    partial: dict[date, tuple[date, date]] | None = None,
    *,
    month: str = "month",
    y_title: str = "",
    empty_message: str = "Nothing in this range: widen the dates or upload an export.",
    last_year: pd.DataFrame | None = None,
) -> go.Figure:
    """Side-by-side monthly bars of `columns` (one series each, named in words).

    Money when a column ends in `_gbp`; a partial month's bars are hatched. `last_year` (the
    same frame for the dates a year earlier) adds a dark dash across each column's bar.
    """
    if df is None or df.empty or df[columns].fillna(0).to_numpy().sum() == 0:
        return charts.empty(empty_message, title)
    data = df.rename(columns={month: "month"})
    axis = charts._month_axis(data["month"])
    partial = charts._within(partial, axis)
    cut = np.array([m.date() in partial for m in axis])
    fig = charts._figure(title, charts.partial_note(partial, "hatched"))
    palette = charts.colours(columns)
    money = all(c.endswith("_gbp") for c in columns)
    whole = all(pd.api.types.is_integer_dtype(data[c]) for c in columns)
    hover = charts.MONEY_HOVER if money else ("%{y:,}" if whole else "%{y:,.2f}")
    rows = charts._by_month(data, axis)
    for column in columns:
        name = formats.label(column)
        for part, hatched in ((~cut, False), (cut, True)):
            if not part.any():
                continue
            fig.add_bar(
                x=axis,
                y=charts._values(rows[column].where(part)),
                name=name,
                legendgroup=column,
                offsetgroup=column,
                showlegend=not hatched and len(columns) > 1,
                marker={
                    "color": palette[column],
                    "pattern": {"shape": charts.PARTIAL_PATTERN if hatched else ""},
                },
                hovertemplate=f"{hover}<extra>{name}" + ", partial month" * hatched + "</extra>",
            )
    earlier = None if last_year is None else last_year.rename(columns={month: "month"})
    charts.last_year_lines(
        fig, earlier, axis, {c: palette[c] for c in columns}, "", None, hover, bars=True
    )
    fig.update_layout(barmode="group")
    charts._month_ticks(fig)
    if money:
        fig.update_yaxes(tickformat=charts.MONEY, tickprefix="£", title=y_title)
    else:
        top = float(np.nanmax(rows[columns].to_numpy(dtype=float), initial=0))
        ticks = charts.count_ticks(top) if whole else {"tickformat": ",.1f"}
        fig.update_yaxes(**ticks, title=y_title)
    return fig
