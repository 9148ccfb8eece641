"""One typed function per question the dashboard and `clinic report` ask (docs/METRICS.md).

Every function takes a Store and frozen, hashable filters and returns a fully fetched DataFrame.
Rates are fractions 0..1 with a 95% Wilson interval; an empty rate (eligible = 0) is NaN.
Money is summed as DECIMAL in SQL, rounded to pence there and returned as float pounds.
"""

from __future__ import annotations

import dataclasses
from datetime import date, timedelta

import numpy as np
import pandas as pd

from clinic import facts, formats, scope, stats
from clinic.dimensions import COMPLICATIONS_BY, REVENUE_BY
from clinic.scope import Filters
from clinic.stats import funnel_curve  # noqa: F401  (re-exported for the pages)
from clinic.store import Store

REVENUE_MONTHLY_DIMS = ("session_type", "clinician", "site", "funding", "kind")
COMPLIANCE_BY = ("month", "clinician")
MEASURES = ("review_6w", "check_2w", "spacing", "compression")
RATE_COLUMNS = ["eligible", "met", "rate", "ci_low", "ci_high"]


def _params(f: Filters) -> dict:
    """The bound parameter every session-filtered query takes: the `$scope` struct."""
    return {"scope": scope.session_scope(f)}


def _query(store: Store, name: str, **params: object) -> pd.DataFrame:
    """Run a named query after making sure the derived facts match the data (facts.ensure)."""
    facts.ensure(store)
    return store.query(name, **params)


def _check(value: str, allowed: tuple[str, ...], what: str) -> None:
    """Refuse a grouping outside the allow-list with a sentence."""
    if value not in allowed:
        raise ValueError(f"{what} must be one of {', '.join(allowed)}; got {value!r}.")


def _with_rate(df: pd.DataFrame, events: str) -> pd.DataFrame:
    """Add rate, ci_low, ci_high from `events` and `eligible` columns."""
    df = df.copy()
    df["eligible"] = df["eligible"].astype("int64")
    df[events] = df[events].astype("int64")
    df["rate"] = stats.rate(df[events].to_numpy(), df["eligible"].to_numpy())
    low, high = stats.wilson(df[events].to_numpy(), df["eligible"].to_numpy())
    df["ci_low"] = np.asarray(low, dtype=float)
    df["ci_high"] = np.asarray(high, dtype=float)
    return df


def _money(df: pd.DataFrame, *cols: str) -> pd.DataFrame:
    """DECIMAL pounds from DuckDB as floats rounded to pence."""
    for col in cols:
        df[col] = df[col].astype(float).round(2)
    return df


# -- revenue -------------------------------------------------------------------------------------
def revenue(store: Store, f: Filters, by: str) -> pd.DataFrame:
    """Revenue by one dimension: [<by>, sessions, revenue_gbp]."""
    _check(by, REVENUE_BY, "by")
    df = _query(store, "revenue_by", **_params(f), by=by, monthly=False).drop(columns="month")
    df = _money(df.rename(columns={"key": by}), "revenue_gbp")
    df["sessions"] = df["sessions"].astype("int64")
    return df[[by, "sessions", "revenue_gbp"]]


def revenue_monthly(store: Store, f: Filters, dim: str) -> pd.DataFrame:
    """Revenue per month split by a dimension: [month, <dim>, sessions, revenue_gbp]."""
    _check(dim, REVENUE_MONTHLY_DIMS, "dim")
    df = _query(store, "revenue_by", **_params(f), by=dim, monthly=True)
    df = _money(df.rename(columns={"key": dim}), "revenue_gbp")
    df["sessions"] = df["sessions"].astype("int64")
    return df[["month", dim, "sessions", "revenue_gbp"]]


def price_realisation(store: Store, f: Filters) -> pd.DataFrame:
    """Charged vs list price of completed treatment/product appointments, per item."""
    df = _money(
        _query(store, "revenue_realisation_by_item", **_params(f)), "charged_gbp", "list_gbp"
    )
    df["sessions"] = df["sessions"].astype("int64")
    df["realisation"] = stats.rate(df["charged_gbp"].to_numpy(), df["list_gbp"].to_numpy())
    return df[["item", "sessions", "charged_gbp", "list_gbp", "realisation"]]


def socks_attach_rate(store: Store, f: Filters) -> pd.DataFrame:
    """Completed treatment sessions with socks bought (compression='bought' or a same-day sale)."""
    df = _query(store, "revenue_socks_attach", **_params(f))
    return _with_rate(df, "met")[RATE_COLUMNS]


# -- compliance ----------------------------------------------------------------------------------
def _compliance_long(store: Store, f: Filters, as_of: date, by: str) -> pd.DataFrame:
    """Compliance counts melted to one row per key per measure, with rates."""
    wide = _query(store, "compliance_rates_by", **_params(f), as_of=as_of, by=by)
    parts = [
        pd.DataFrame(
            {
                "key": wide["key"],
                "measure": m,
                "eligible": wide[f"{m}_eligible"],
                "met": wide[f"{m}_met"],
            }
        )
        for m in MEASURES
    ]
    long = (
        pd.concat(parts, ignore_index=True)
        if len(wide)
        else pd.DataFrame({"key": [], "measure": [], "eligible": [], "met": []})
    )
    return _with_rate(long, "met")


def compliance(store: Store, f: Filters, as_of: date) -> pd.DataFrame:
    """The four follow-up measures: [measure, eligible, met, rate, ci_low, ci_high]."""
    long = _compliance_long(store, f, as_of, "all")
    if long.empty:
        long = _with_rate(pd.DataFrame({"measure": MEASURES, "eligible": 0, "met": 0}), "met")
    return long[["measure", *RATE_COLUMNS]].reset_index(drop=True)


def compliance_by(store: Store, f: Filters, as_of: date, by: str) -> pd.DataFrame:
    """The four measures per month or clinician: [<by>, measure, eligible, met, rate, ...]."""
    _check(by, COMPLIANCE_BY, "by")
    long = _compliance_long(store, f, as_of, by).rename(columns={"key": by})
    order = {m: i for i, m in enumerate(MEASURES)}
    long = long.sort_values(
        [by, "measure"], key=lambda s: s.map(order) if s.name == "measure" else s, kind="stable"
    )
    return long[[by, "measure", *RATE_COLUMNS]].reset_index(drop=True)


def call_list(
    store: Store, f: Filters, as_of: date, limit: int | None = None
) -> tuple[pd.DataFrame, int]:
    """Sessions with a review or two-week check due or overdue and not attended nor booked.

    The most overdue first; `limit` rows (None = all) and the total count.
    """
    df = _query(store, "compliance_call_list", **_params(f), as_of=as_of, limit=limit)
    total = int(df["total_rows"].iloc[0]) if len(df) else 0
    df = df.drop(columns="total_rows")
    df["days_overdue"] = df["days_overdue"].astype("int64")
    for col in ("session_date", "window_opens", "window_closes"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df, total


# -- complications -------------------------------------------------------------------------------
def complications(
    store: Store, f: Filters, by: str | None = None, serious: bool = False
) -> pd.DataFrame:
    """Complication rate overall or by a dimension: [<by>, eligible, events, rate, ci_low, ...]."""
    if by is not None:
        _check(by, COMPLICATIONS_BY, "by")
    if by == "effect":
        df = _query(store, "complications_rates_by_effect", **_params(f), serious=serious)
        df = df.rename(columns={"effect": "key"})
    else:
        df = _query(store, "complications_rates_by", **_params(f), by=by or "all", serious=serious)
        if by is None and df.empty:
            df = pd.DataFrame({"key": ["all"], "eligible": [0], "events": [0]})
    df = _with_rate(df, "events")
    cols = ["eligible", "events", "rate", "ci_low", "ci_high"]
    if by is None:
        return df[cols].reset_index(drop=True)
    return df.rename(columns={"key": by})[[by, *cols]].reset_index(drop=True)


def complication_summary(store: Store, f: Filters, serious: bool = False) -> pd.DataFrame:
    """The overall complication rate as one measure row: [measure, eligible, events, rate ...]."""
    return complications(store, f, serious=serious).assign(measure="complication_rate")


def funnel(store: Store, f: Filters, by: str = "clinician", serious: bool = False) -> pd.DataFrame:
    """Funnel-plot table: each group's rate against exact binomial limits around the overall rate.

    Limits: Spiegelhalter (2005) interpolated binomial quantiles (see stats.binomial_limit).
    """
    _check(by, tuple(b for b in COMPLICATIONS_BY if b != "effect"), "by")
    return funnel_of(complications(store, f, by=by, serious=serious), by)


def funnel_of(df: pd.DataFrame, by: str) -> pd.DataFrame:
    """Add the clinic's overall rate, funnel limits and a signal to [<by>, eligible, events, rate].

    Any rate table serves (complications, no-shows): one set of limits for every funnel plot.
    """
    df = df.copy()
    total_n, total_k = df["eligible"].sum(), df["events"].sum()
    p = total_k / total_n if total_n else np.nan
    df["overall_rate"] = p
    if np.isfinite(p):
        limits = stats.funnel_limits(df["eligible"].to_numpy(), p)
    else:
        limits = {k: np.full(len(df), np.nan) for k in ("lo95", "hi95", "lo998", "hi998")}
    for key, values in limits.items():
        df[key] = np.asarray(values, dtype=float)
    df["signal"] = [
        stats.funnel_signal(r.rate, r.lo95, r.hi95, r.lo998, r.hi998) for r in df.itertuples()
    ]
    cols = ["eligible", "events", "rate", "overall_rate", "lo95", "hi95", "lo998", "hi998"]
    return df[[by, *cols, "signal"]]


def spc(store: Store, f: Filters, serious: bool = False) -> pd.DataFrame:
    """Monthly p-chart of the complication rate with Making Data Count signals."""
    df = complications(store, f, by="month", serious=serious)
    return p_chart_frame(df["month"], df["events"], df["eligible"])


def p_chart_frame(month: pd.Series, events: pd.Series, eligible: pd.Series) -> pd.DataFrame:
    """A monthly p-chart (rate, centre, limits) with its Making Data Count signals."""
    chart = stats.p_chart(events.to_numpy(), eligible.to_numpy())
    out = pd.DataFrame(
        {
            "month": month,
            "eligible": eligible,
            "events": events,
            "rate": chart["rate"].to_numpy(),
            "centre": chart["centre"].to_numpy(),
            "lcl": chart["lcl"].to_numpy(),
            "ucl": chart["ucl"].to_numpy(),
        }
    )
    out["signal"] = stats.spc_signals(
        out["rate"], chart["centre"], chart["sigma"], chart["lcl"], chart["ucl"]
    )
    return out


def serious_events(store: Store, f: Filters, limit: int | None = None) -> tuple[pd.DataFrame, int]:
    """Serious reports (serious term or medical attention) of sessions in range, newest first.

    `limit` rows (None = all) and the total count.
    """
    df = _query(store, "complications_serious_events", **_params(f), limit=limit)
    total = int(df["total_rows"].iloc[0]) if len(df) else 0
    df = df.drop(columns="total_rows")
    for col in ("reported_date", "session_date"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df, total


def _record_params(r: Filters) -> dict:
    """Bound parameters of the complication-record queries."""
    return {
        "start": r.start,
        "end": r.end,
        "effect": r.effect,
        "severity": r.severity,
        "serious": r.serious,
        "clinician": r.clinician,
        "sclerosant": r.sclerosant,
        "form": r.form,
        "vein_type": r.vein_type,
        "site": r.site,
        "text": r.text or None,
        "open_only": bool(r.open_only),
    }


def complication_records(
    store: Store, r: Filters, limit: int | None = 50, offset: int = 0
) -> tuple[pd.DataFrame, int]:
    """Filtered report rows (newest first, one page; limit None = all) and the total count."""
    p = _record_params(r)
    offset = max(int(offset), 0)
    df = _query(store, "complications_records", **p, limit=limit, offset=offset)
    if len(df):
        total = int(df["total_rows"].iloc[0])
    elif offset:  # a page past the end still reports how many rows there are
        total = complication_records(store, r, 1, 0)[1]
    else:
        total = 0
    df = df.drop(columns="total_rows")
    for col in ("reported_date", "onset_date", "resolved_date", "session_date"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df, total


# -- overview ------------------------------------------------------------------------------------
def kpis(store: Store, f: Filters, as_of: date) -> dict:
    """Headline numbers: completed treatment sessions, revenue, six-week review, complications."""
    money = _query(store, "revenue_by", **_params(f), by="all", monthly=False)
    comp = compliance(store, f, as_of).set_index("measure").loc["review_6w"]
    rate = complications(store, f).iloc[0]
    return {
        "sessions": int(rate["eligible"]),
        "revenue_gbp": round(float(money["revenue_gbp"].sum()), 2) if len(money) else 0.0,
        "review_6w": {
            "eligible": int(comp["eligible"]),
            "met": int(comp["met"]),
            "rate": _none_if_nan(comp["rate"]),
        },
        "complication_rate": {
            "eligible": int(rate["eligible"]),
            "events": int(rate["events"]),
            "rate": _none_if_nan(rate["rate"]),
        },
    }


def _none_if_nan(value: float) -> float | None:
    """NaN (empty rate) as None, for JSON-like dicts."""
    return None if value is None or not np.isfinite(value) else float(value)


def previous_period(f: Filters) -> Filters:
    """The period of the same length immediately before f (the same other filters)."""
    if f.start is None or f.end is None:
        raise ValueError("A previous period needs both a start and an end date.")
    days = (f.end - f.start).days + 1
    return dataclasses.replace(
        f, start=f.start - timedelta(days=days), end=f.start - timedelta(days=1)
    )


def describe_period(
    f: Filters,
    as_of: date,
    bounds: tuple[date | None, date | None] | None,
    *,
    what: str = "dates",
) -> str:
    """The range, filters and as-of date a figure covers, in words with UK dates.

    An open end is named as the store's own first or last date (`bounds`), so that "all dates"
    never hides which dates those are (the CLI and the dashboard default to different ranges).
    Without bounds (dates other than session dates) an open range is said as such.
    """
    uk = formats.day
    first, last = bounds or (None, None)
    if f.start and f.end:
        span = f"{uk(f.start)} to {uk(f.end)}"
    elif bounds is None:
        span = f"{what} from {uk(f.start)}" if f.start else f"all {what}"
        span = f"{what} up to {uk(f.end)}" if f.end else span
    elif first is None or last is None:
        span = f"all {what} (the store holds none)"
    elif f.start:
        span = f"{uk(f.start)} to the last date in the store ({uk(last)})"
    elif f.end:
        span = f"the first date in the store ({uk(first)}) to {uk(f.end)}"
    else:
        span = f"all {what} in the store ({uk(first)} to {uk(last)})"
    parts = [span]
    parts += scope.named_choices(f, formats.word)
    parts.append(f"as of {uk(as_of)}")
    return ", ".join(parts)


def monthly_series(store: Store, f: Filters) -> pd.DataFrame:
    """Per month: completed treatment sessions, revenue, complication rate (for sparklines)."""
    df = _money(_query(store, "overview_monthly", **_params(f)), "revenue_gbp")
    df["sessions"] = df["sessions"].astype("int64")
    df["complication_rate"] = stats.rate(df["events"].to_numpy(), df["sessions"].to_numpy())
    return df[["month", "sessions", "revenue_gbp", "complication_rate"]]


OPTION_FIELDS = (
    "sites",
    "clinicians",
    "fundings",
    "effects",
    "sclerosants",
    "forms",
    "vein_types",
    "severities",
    "items",
)


def options(store: Store) -> dict[str, list[str]]:
    """Distinct values for filter widgets (effects = every term of the vocabulary)."""
    df = _query(store, "filter_options")
    return {k: df.loc[df["field"] == k, "value"].tolist() for k in OPTION_FIELDS}


def date_bounds(store: Store) -> tuple[date | None, date | None]:
    """The first and last appointment date in the store (None, None when empty)."""
    row = _query(store, "appointments_date_bounds").iloc[0]
    first, last = row["first_date"], row["last_date"]
    return (
        None if pd.isna(first) else pd.Timestamp(first).date(),
        None if pd.isna(last) else pd.Timestamp(last).date(),
    )
