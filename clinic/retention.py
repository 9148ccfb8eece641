"""Retention: course continuation, new and returning patients, cohorts, revenue per patient, and
the staff list of stopped courses.

Definitions: docs/METRICS.md "Retention". A patient's first and second completed treatment
sessions are judged over all data (session_facts.prev_session_date), so a date filter never turns
a repeat session into a first one. Rates carry their denominator and a 95% Wilson interval.
"""

from __future__ import annotations

from datetime import date

import pandas as pd

from clinic import metrics
from clinic.scope import Filters
from clinic.store import Store

CONTINUATION_DAYS = 120
STOPPED_AFTER_DAYS = (120, 365)
RATE_COLUMNS = ["eligible", "met", "rate", "ci_low", "ci_high"]


def continuation(store: Store, f: Filters, as_of: date, by: str = "all") -> pd.DataFrame:
    """Course continuation overall (`all`) or by month of the first session.

    [key, eligible, met, rate, ci_low, ci_high]; overall always one row (zero when empty).
    """
    metrics._check(by, ("all", "month"), "by")
    df = metrics._query(store, "retention_continuation", **metrics._params(f), as_of=as_of, by=by)
    if by == "all" and df.empty:
        df = pd.DataFrame({"key": ["all"], "eligible": [0], "met": [0]})
    return metrics._with_rate(df, "met")[["key", *RATE_COLUMNS]].reset_index(drop=True)


def continuation_by_month(store: Store, f: Filters, as_of: date) -> pd.DataFrame:
    """Course continuation per month of first session, as a monthly rate series:
    [month, measure, eligible, met, rate, ci_low, ci_high]."""
    df = continuation(store, f, as_of, "month").rename(columns={"key": "month"})
    return df.assign(measure="course_continuation")[["month", "measure", *RATE_COLUMNS]]


def patients(store: Store, f: Filters, by: str = "all") -> pd.DataFrame:
    """New, returning and all treated patients: [key, new_patients, returning_patients,
    patients]."""
    metrics._check(by, ("all", "month"), "by")
    df = metrics._query(store, "retention_patients_by", **metrics._params(f), by=by)
    if by == "all" and df.empty:
        df = pd.DataFrame({"key": ["all"]}).assign(new_patients=0, returning_patients=0, patients=0)
    for col in ("new_patients", "returning_patients", "patients"):
        df[col] = df[col].astype("int64")
    return df[["key", "new_patients", "returning_patients", "patients"]].reset_index(drop=True)


def patient_counts(store: Store, f: Filters) -> dict[str, int]:
    """New, returning and all treated patients of the range as a dict (for tiles)."""
    row = patients(store, f).iloc[0]
    return {k: int(row[k]) for k in ("new_patients", "returning_patients", "patients")}


def patients_by_month(store: Store, f: Filters) -> pd.DataFrame:
    """New and returning patients per month: [month, new_patients, returning_patients, patients]."""
    return patients(store, f, "month").rename(columns={"key": "month"})


def cohorts(store: Store, f: Filters, as_of: date) -> pd.DataFrame:
    """Per month of first session: [cohort, patients, sessions, sessions_per_patient]."""
    df = metrics._query(store, "retention_cohorts", **metrics._params(f), as_of=as_of)
    for col in ("patients", "sessions"):
        df[col] = df[col].astype("int64")
    df["sessions_per_patient"] = (df["sessions"] / df["patients"]).astype(float).round(2)
    return df[["cohort", "patients", "sessions", "sessions_per_patient"]]


def revenue_per_patient(store: Store, f: Filters, by: str = "all") -> pd.DataFrame:
    """Revenue in the range over distinct patients with a completed treatment session or product
    sale in it: [key, patients, revenue_gbp, per_patient_gbp] (per patient None without any)."""
    metrics._check(by, ("all", "month"), "by")
    df = metrics._query(store, "retention_revenue_patients", **metrics._params(f), by=by)
    if by == "all" and df.empty:
        df = pd.DataFrame({"key": ["all"], "patients": [0], "revenue_gbp": [0]})
    df["patients"] = df["patients"].fillna(0).astype("int64")
    df["revenue_gbp"] = df["revenue_gbp"].fillna(0).astype(float).round(2)
    df["per_patient_gbp"] = pd.Series(
        [
            round(r / n, 2) if n else float("nan")
            for r, n in zip(df["revenue_gbp"], df["patients"], strict=True)
        ],
        index=df.index,
        dtype=float,
    )
    return df.sort_values("key")[["key", "patients", "revenue_gbp", "per_patient_gbp"]]


def revenue_per_patient_by_month(store: Store, f: Filters) -> pd.DataFrame:
    """Revenue per patient of each month: [month, patients, revenue_gbp, per_patient_gbp]."""
    return revenue_per_patient(store, f, "month").rename(columns={"key": "month"})


def summary(store: Store, f: Filters, as_of: date) -> list[dict]:
    """The rows of `clinic report retention --json` (docs/CONTRACTS.md), in that order."""
    cont = continuation(store, f, as_of).iloc[0]
    who = patients(store, f).iloc[0]
    money = revenue_per_patient(store, f).iloc[0]
    return [
        {
            "measure": "course_continuation",
            "eligible": int(cont["eligible"]),
            "met": int(cont["met"]),
            "rate": metrics._none_if_nan(cont["rate"]),
            "ci_low": metrics._none_if_nan(cont["ci_low"]),
            "ci_high": metrics._none_if_nan(cont["ci_high"]),
        },
        {"measure": "new_patients", "patients": int(who["new_patients"])},
        {"measure": "returning_patients", "patients": int(who["returning_patients"])},
        {
            "measure": "revenue_per_patient",
            "patients": int(money["patients"]),
            "revenue_gbp": float(money["revenue_gbp"]),
            "per_patient_gbp": metrics._none_if_nan(money["per_patient_gbp"]),
        },
    ]


def stopped_courses(
    store: Store, f: Filters, as_of: date, limit: int | None = None
) -> tuple[pd.DataFrame, int]:
    """Patients whose course stopped (last session 120-365 days ago, nothing later), longest
    stopped first: [booking_ref, last_session, days_since, sessions, clinician, site], total."""
    df = metrics._query(
        store, "retention_stopped_courses", **metrics._params(f), as_of=as_of, limit=limit
    )
    total = int(df["total_rows"].iloc[0]) if len(df) else 0
    df = df.drop(columns="total_rows")
    df["last_session"] = pd.to_datetime(df["last_session"]).dt.date
    for col in ("days_since", "sessions"):
        df[col] = df[col].astype("int64")
    return df, total
