"""Open complications and time to resolution (docs/METRICS.md "Open complications").

What auditors ask first after "is our rate normal?": what is still open, for how long, and how
long each effect takes to resolve. No Streamlit here.
"""

from __future__ import annotations

import dataclasses
from datetime import date

import pandas as pd

from clinic import metrics
from clinic.scope import Filters
from clinic.store import Store


def open_reports(
    store: Store, f: Filters, as_of: date, limit: int | None = None
) -> tuple[pd.DataFrame, int]:
    """Reports without a resolved date, serious first then longest open, whatever the session's
    date (the other filters apply): [report_id, session_ref, effect, severity, serious,
    reported_date, days_open, session_date, clinician, site], and how many are open in all."""
    undated = dataclasses.replace(f, start=None, end=None)
    df = metrics._query(
        store, "complications_open", **metrics._params(undated), as_of=as_of, limit=limit
    )
    total = int(df["total_rows"].iloc[0]) if len(df) else 0
    df = df.drop(columns="total_rows")
    for col in ("reported_date", "session_date"):
        df[col] = pd.to_datetime(df[col]).dt.date
    df["days_open"] = df["days_open"].astype("int64")
    df["serious"] = df["serious"].astype(bool)
    return df, total


def resolution_by_effect(store: Store, f: Filters) -> pd.DataFrame:
    """Per effect of reports of sessions in range: [effect, resolved, still_open, median_days,
    longest_days] (days from reported to resolved; empty when none resolved)."""
    df = metrics._query(store, "complications_resolution_by_effect", **metrics._params(f))
    for col in ("resolved", "still_open"):
        df[col] = df[col].astype("int64")
    for col in ("median_days", "longest_days"):
        df[col] = df[col].astype(float)
    return df[["effect", "resolved", "still_open", "median_days", "longest_days"]]
