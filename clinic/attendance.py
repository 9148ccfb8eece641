"""Attendance: no-show (DNA) and cancellation rates, late cancellations, no-shows' lost revenue.

Definitions: docs/METRICS.md "Attendance". Only treatment sessions and follow-up visits count;
product sales and booked (future) appointments never do. Every rate has its denominator and a
95% Wilson interval, as in clinic.metrics.
"""

from __future__ import annotations

import pandas as pd

from clinic import metrics
from clinic.dimensions import ATTENDANCE_BY
from clinic.scope import Filters
from clinic.store import Store

MEASURES = ("no_show", "cancelled")
RATE_COLUMNS = ["eligible", "events", "rate", "ci_low", "ci_high"]


def _counts(store: Store, f: Filters, by: str) -> pd.DataFrame:
    """The counts of queries/attendance_rates_by.sql, one row per key."""
    return metrics._query(store, "attendance_rates_by", **metrics._params(f), by=by)


def attendance(store: Store, f: Filters, by: str | None = None) -> pd.DataFrame:
    """No-show and cancellation rates: [<by>, measure, eligible, events, rate, ci_low, ci_high].

    Without `by`, one row per measure (zero eligible when nothing is in scope).
    """
    if by is not None:
        metrics._check(by, ATTENDANCE_BY, "by")
    wide = _counts(store, f, by or "all")
    if by is None and wide.empty:
        wide = pd.DataFrame({"key": ["all"]}).assign(
            no_show_eligible=0, no_show_events=0, cancelled_eligible=0, cancelled_events=0
        )
    parts = [
        pd.DataFrame(
            {
                "key": wide["key"],
                "order": i,
                "measure": m,
                "eligible": wide[f"{m}_eligible"],
                "events": wide[f"{m}_events"],
            }
        )
        for i, m in enumerate(MEASURES)
    ]
    long = pd.concat(parts, ignore_index=True).sort_values(["key", "order"], kind="stable")
    long = metrics._with_rate(long, "events").reset_index(drop=True)
    if by is None:
        return long[["measure", *RATE_COLUMNS]]
    return long.rename(columns={"key": by})[[by, "measure", *RATE_COLUMNS]]


def summary(store: Store, f: Filters) -> list[dict]:
    """The two rates as JSON-like dicts (empty rate None): [no_show, cancelled]."""
    rows = attendance(store, f)
    return [
        {
            "measure": r.measure,
            "eligible": int(r.eligible),
            "events": int(r.events),
            **{k: metrics._none_if_nan(getattr(r, k)) for k in ("rate", "ci_low", "ci_high")},
        }
        for r in rows.itertuples()
    ]


def late_cancellations(store: Store, f: Filters) -> dict:
    """Cancellations, how many the export said were late or not, and the late share of those.

    `rate` is None when no export in scope could say ("not recorded", never zero).
    """
    row = _counts(store, f, "all")
    cancelled = int(row["cancelled_events"].sum())
    known = int(row["late_known"].sum())
    late = int(row["late"].sum())
    rated = metrics._with_rate(pd.DataFrame({"eligible": [known], "events": [late]}), "events")
    return {
        "cancelled": cancelled,
        "known": known,
        "late": late,
        "rate": metrics._none_if_nan(rated["rate"].iloc[0]),
        "ci_low": metrics._none_if_nan(rated["ci_low"].iloc[0]),
        "ci_high": metrics._none_if_nan(rated["ci_high"].iloc[0]),
    }


def no_show_funnel(store: Store, f: Filters) -> pd.DataFrame:
    """Funnel-plot table of the no-show rate by clinician (limits as metrics.funnel_of)."""
    rates = attendance(store, f, "clinician")
    return metrics.funnel_of(rates[rates["measure"] == "no_show"], "clinician")


def monthly(store: Store, f: Filters) -> pd.DataFrame:
    """Both rates per month: [month, measure, eligible, events, rate, ci_low, ci_high]."""
    return attendance(store, f, "month")


def lost_revenue(store: Store, f: Filters) -> pd.DataFrame:
    """No-shows and their list-price value per month: [month, no_shows, lost_gbp, unpriced]."""
    df = metrics._query(store, "attendance_lost_revenue", **metrics._params(f))
    df = metrics._money(df, "lost_gbp")
    for col in ("no_shows", "unpriced"):
        df[col] = df[col].astype("int64")
    return df[["month", "no_shows", "lost_gbp", "unpriced"]]


def lost_revenue_total(store: Store, f: Filters) -> dict:
    """The range's no-shows and their value at list price: {no_shows, lost_gbp, unpriced}."""
    df = lost_revenue(store, f)
    return {
        "no_shows": int(df["no_shows"].sum()),
        "lost_gbp": round(float(df["lost_gbp"].sum()), 2),
        "unpriced": int(df["unpriced"].sum()),
    }
