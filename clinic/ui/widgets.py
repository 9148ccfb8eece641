"""Shared widgets: tables, charts, KPI tiles, downloads and forms that start afresh.

One look across the app: money £1,234.50, rates as percentages, UK days and months, measures in
words, empty cells as a dash; the only way data leaves the dashboard is download().
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

import pandas as pd
import streamlit as st

from clinic import audit as audit_trail
from clinic import charts, compare, export, formats, metrics, retention, stats, web
from clinic.scope import Filters, audit_text
from clinic.ui import cached, session
from clinic.ui.filters import partial
from clinic.ui.say import quietly
from clinic.words import count

UK_DATE = formats.TABLE_DAY  # date_input takes the same tokens as table columns


REVENUE_BY = ("month", "session_type", "clinician", "site", "funding")


COLUMN_LABELS = {
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "list_gbp": "List price",
    "price_gbp": "Price",
    "session_type": "Session type",
    "sso_only": "SSO only",
    "duration_min": "Duration (min)",
}


RATE_COLUMNS = frozenset({"rate", "ci_low", "ci_high", "realisation", "overall_rate"})


DAY_COLUMNS = frozenset({"date", "valid_from", "valid_to", "window_opens", "window_closes"})


CODE_COLUMNS = ("measure", "check")  # internal codes, shown in words
WORD_COLUMNS = ("funding",)  # stored codes people read as words (nhs -> NHS), as the filter does


SALES_HELP = "Appointments and product sales that earned revenue: one sock sale counts as one."


def _is_day(name: str, values: pd.Series) -> bool:
    """Whether a column holds calendar days (not timestamps, and never a count like `updated`)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return name in DAY_COLUMNS or name.endswith("_date")
    sample = values.dropna()
    return len(sample) > 0 and all(
        isinstance(v, date) and not isinstance(v, datetime) for v in sample.head(20)
    )


def displayed(df: pd.DataFrame) -> pd.DataFrame:
    """A table's values as people read them: months as dates, timestamps in UK time, words.

    The numbers are untouched (their format is the column_config's), so tables still sort.
    """
    out = df.copy()
    for col in out.columns:
        name, values = str(col), out[col]
        if name == "month":
            out[col] = [None if pd.isna(v) else formats.month_start(v) for v in values]
        elif name in CODE_COLUMNS:
            out[col] = [v if pd.isna(v) else formats.label(v) for v in values]
        elif name in WORD_COLUMNS:
            out[col] = [v if pd.isna(v) else formats.word(v) for v in values]
        elif pd.api.types.is_datetime64_any_dtype(values) and not _is_day(name, values):
            stamps = values if values.dt.tz is not None else values.dt.tz_localize("UTC")
            out[col] = stamps.dt.tz_convert(formats.UK)
    return out


def money_columns(df: pd.DataFrame) -> dict[str, Any]:
    """column_config for a displayed() frame: £ with thousands, %, UK days, months and times."""
    config_: dict[str, Any] = {}
    sales = "sessions" in df.columns and any(str(c).endswith("_gbp") for c in df.columns)
    for col in df.columns:
        name, values = str(col), df[col]
        label = COLUMN_LABELS.get(name) or formats.label(name.removesuffix("_gbp"))
        if name.endswith("_gbp"):
            config_[name] = st.column_config.NumberColumn(label, format=formats.TABLE_MONEY)
        elif name in RATE_COLUMNS:
            config_[name] = st.column_config.NumberColumn(label, format="percent")
        elif name == "sessions" and sales:
            config_[name] = st.column_config.NumberColumn(
                "Sales", format=formats.TABLE_COUNT, help=SALES_HELP
            )
        elif name == "month":
            config_[name] = st.column_config.DateColumn(label, format=formats.TABLE_MONTH)
        elif _is_day(name, values):
            config_[name] = st.column_config.DateColumn(label, format=formats.TABLE_DAY)
        elif pd.api.types.is_datetime64_any_dtype(values):
            config_[name] = st.column_config.DatetimeColumn(
                label, format=formats.TABLE_TIME, timezone=str(formats.UK)
            )
        elif pd.api.types.is_integer_dtype(values) and not (name.endswith("id") or name == "seq"):
            config_[name] = st.column_config.NumberColumn(label, format=formats.TABLE_COUNT)
        else:
            config_[name] = st.column_config.Column(label)
    return config_


def table(df: pd.DataFrame | None, key: str, empty_message: str, **kwargs: Any) -> None:
    """A read-only table with £, % and UK-date formats, empty cells blank (not "None"), and an
    empty state that says what to do."""
    if cached.is_empty(df):
        st.info(empty_message)
        return
    shown = displayed(df)
    config_ = {**money_columns(shown), **kwargs.pop("column_config", {})}
    options = {"placeholder": formats.EMPTY, **kwargs}
    st.dataframe(shown, key=key, hide_index=True, width="stretch", column_config=config_, **options)


@dataclass(frozen=True)
class Export:
    """What a download holds (built when fetched) and how the audit trail names it."""

    build: Callable[[], pd.DataFrame]
    action: str = "export"
    details: dict[str, Any] = field(default_factory=dict)


def download(
    label: str,
    df: pd.DataFrame | Callable[[], pd.DataFrame] | Export | None,
    file_name: str,
    key: str,
) -> None:
    """A link to the Excel-safe CSV of a frame (or of what a function builds), for this session.

    The tables' own CSV toolbar is switched off in .streamlit/config.toml: a table leaves the
    dashboard only here, made safe for spreadsheets by export.safe_csv (see offer_file).
    """
    if df is None:
        return
    wanted = df if isinstance(df, Export) else Export(df if callable(df) else lambda: df)

    def build() -> tuple[bytes, dict[str, Any]]:
        frame = wanted.build()
        return export.safe_csv(frame), {**wanted.details, "rows": len(frame)}

    offer_file(label, file_name, key, build, action=wanted.action)


def offer_file(
    label: str,
    file_name: str,
    key: str,
    build: Callable[[], tuple[bytes, dict[str, Any]]],
    *,
    action: str,
    media_type: str = web.CSV,
) -> None:
    """A link to a file built when fetched, for this browser session alone; audited.

    The only way data leaves the dashboard: clinic.web serves /download/<id> only to the
    session it was offered to, while it lasts, and the file (bytes and what the audit row says
    of them) is recorded in the audit trail before a byte is sent.
    """
    owner = web.session_key(st.context.cookies)
    if owner is None:  # no browser session (AppTest): nothing could fetch the file
        return
    # The download is fetched outside the page's run: take the store and the viewer now.
    s = cached.store()
    who = session.viewer()

    def audited() -> bytes:
        if who is None:
            raise PermissionError("a download without a viewer")
        data, details = build()
        # Audited before it is sent: if the trail cannot be written, nothing leaves.
        audit_trail.log(
            s,
            user=who.username,
            role=who.role,
            action=action,
            outcome="ok",
            object=file_name,
            details={**details, "sha256": hashlib.sha256(data).hexdigest()},
        )
        return data

    url = web.DOWNLOADS.offer(owner, key, file_name, audited, media_type)
    st.markdown(web.download_link_html(url, label), unsafe_allow_html=True)  # our own link


def records_export(r: Filters) -> Export:
    """Every complication record matching `r`, built when downloaded; audited with its filter."""
    s = cached.store()

    def build() -> pd.DataFrame:
        return metrics.complication_records(s, r, limit=None, offset=0)[0]

    return Export(build, "export_complication_records", {"filter": audit_text(r)})


def stopped_courses(f: Filters, as_of: date) -> None:
    """The staff list of courses that stopped (longest first), and its audited download."""
    st.subheader("Courses that stopped")
    st.caption(
        f"Last treatment session 120 to 365 days before {formats.day(as_of)} and no later "
        "appointment of any kind; each by the booking reference of that session, never a name."
    )
    shown = 200  # the longest stopped first; the download holds everyone
    found = cached.data(retention.stopped_courses, f, as_of, shown)
    total = found[1] if found else 0
    if total > shown:
        st.caption(f"The {shown:,} stopped longest of {total:,}; download the list for everyone.")
    table(found[0] if found else None, "table_stopped", "No course stopped in this range.")
    if total:
        download(
            f"Download the stopped courses ({count(total, 'row')}, CSV)",
            Export(
                lambda: cached.data(retention.stopped_courses, f, as_of)[0],
                "export_stopped_courses",
            ),
            "stopped-courses.csv",
            key="download_stopped",
        )


def chart(fig: Any, key: str, container: Any = None) -> None:
    """Draw a clinic.charts figure in our own template (not Streamlit's theme), full width."""
    fig = charts.inert(fig)  # names from files never become links or markup in a chart
    (container or st).plotly_chart(
        fig, key=key, theme=None, width="stretch", config={"displaylogo": False}
    )


def spark(series: pd.DataFrame | None, column: str, f: Filters) -> list[float] | None:
    """A KPI sparkline's monthly values, whole months only; None when too little to draw.

    A partial month would dip at the end of the line and read as a change, and a sparkline
    cannot mark it, so it is left out (spark_note says which).
    """
    if cached.is_empty(series) or column not in series:
        return None
    cut = {f"{m:%Y-%m}" for m in partial(f)}
    whole = series[~series["month"].astype(str).isin(cut)]
    # A month without sessions has no rate; st.metric refuses a gap, so the line skips it.
    values = [float(v) for v in whole[column] if not pd.isna(v)]
    return values if len(values) >= 2 else None


def spark_note(series: pd.DataFrame | None, f: Filters) -> str:
    """The sentence under the tiles that names the partial months the sparklines leave out."""
    shown = set() if cached.is_empty(series) else set(series["month"].astype(str))
    cut = {m: days for m, days in partial(f).items() if f"{m:%Y-%m}" in shown}
    if not cut:
        return "Sparklines show whole months."
    left = ", ".join(
        f"{formats.month(m)} ({formats.day(a)} to {formats.day(b)})"
        for m, (a, b) in sorted(cut.items())
    )
    return f"Sparklines show whole months only: {left} {'is' if len(cut) == 1 else 'are'} left out."


def delta(now: float | None, before: float | None, percent_points: bool = False) -> str | None:
    """The change against the previous period as text ("+12%" or "+1.5 pp"), None if unknown."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    return compare.change(float(now), float(before), points=percent_points)


def tile(
    container: Any,
    title: str,
    value: str,
    now: float | None,
    before: float | None,
    *,
    percent_points: bool = False,
    last_year: float | None | bool = False,
    **kwargs: Any,
) -> None:
    """A bordered KPI tile with its change against the previous period (the delta) and, when
    `last_year` is given (None: no figure then), against the same period last year in words."""
    said = delta(now, before, percent_points)
    if said == compare.NO_CHANGE:  # neither up nor down: no arrow, no colour
        kwargs = {**kwargs, "delta_color": "off", "delta_arrow": "off"}
    container.metric(title, value, delta=said, border=True, **kwargs)
    if last_year is not False:
        container.caption(
            compare.words(
                None if now is None or pd.isna(now) else float(now),
                None if last_year is None or pd.isna(last_year) else float(last_year),
                compare.LAST_YEAR,
                points=percent_points,
            )
        )


def rate_help(row: dict, counted: str, of: str) -> str:
    """A rate tile's help: its count, denominator and 95% interval ("159 of 5,429 ...")."""
    if row.get("rate") is None:
        return f"Nothing counted in this range (no {of}s)."
    return (
        f"{row[counted]:,} of {count(row['eligible'], of)}; 95% interval "
        f"{formats.percent(row['ci_low'])} to {formats.percent(row['ci_high'])}."
    )


def label(name: str | None) -> str:
    """A column or measure name as people say it."""
    return formats.label(name)


def percent(rate: float | None) -> str:
    """A fraction as a percentage for a KPI tile; a dash when there is no denominator."""
    return formats.percent(rate)


def funnel_limits(funnel: pd.DataFrame | None) -> pd.DataFrame | None:
    """The 95%/99.8% limit curves for a funnel frame, up to a little past its largest group."""
    if cached.is_empty(funnel) or pd.isna(funnel["overall_rate"].iloc[0]):
        return None
    n_max = max(int(funnel["eligible"].max() * 1.15), 10)
    # Without limits the chart still shows the clinicians' points.
    return quietly(
        lambda: stats.funnel_curve(float(funnel["overall_rate"].iloc[0]), n_max), "funnel limits"
    )


def restart_form(empty: dict[str, Any], message: str) -> None:
    """Run the page again (fresh tables) saying `message` once, with the fields of `empty` set
    to those values (by say_done, before they are drawn: a drawn widget's value is fixed)."""
    st.session_state["_done"] = (message, empty)
    st.rerun()


def say_done() -> None:
    """Say what restart_form left for this run and empty its fields; call it before the form.

    Set, not deleted: the browser keeps a form's values unless the server sends new ones.
    """
    message, empty = st.session_state.pop("_done", (None, {}))
    for key, value in empty.items():
        st.session_state[key] = value
    if message:
        st.success(message)
