"""Attendance & retention: no-shows and cancellations, course continuation, new and returning
patients, revenue per patient, and the list of courses that stopped."""

import streamlit as st

from clinic import attendance, charts, charts_retention, formats, retention
from clinic.targets import ATTENDANCE
from clinic.ui import cached, filters, session, targets, widgets
from clinic.words import count

user = session.require("attendance")
f = filters.sidebar()
as_of = cached.as_of()
partial = filters.partial(f)

st.title("Attendance & retention")
st.caption(filters.describe(f))

rates = cached.data(attendance.summary, f)
late = cached.data(attendance.late_cancellations, f)
lost = cached.data(attendance.lost_revenue_total, f)
kept = cached.data(retention.summary, f, as_of)
if rates is None or late is None or lost is None or kept is None:
    st.stop()
found = targets.in_force()
earlier, year_ago = filters.previous(f), filters.last_year(f)
compared = year_ago is not None  # all dates: no same period last year to compare
rates_before = cached.data_for(earlier, attendance.summary) or [{}, {}]
rates_then = cached.data_for(year_ago, attendance.summary) or [{}, {}]
kept_before = cached.data_for(earlier, retention.summary, as_of) or [{}] * 4
kept_then = cached.data_for(year_ago, retention.summary, as_of) or [{}] * 4
lost_before = cached.data_for(earlier, attendance.lost_revenue_total) or {}
lost_then = cached.data_for(year_ago, attendance.lost_revenue_total) or {}


st.subheader("Attendance")
no_show, cancelled = rates
tiles = st.columns(4, gap="medium")
widgets.tile(
    tiles[0],
    "No-show rate",
    widgets.percent(no_show["rate"]),
    no_show["rate"],
    rates_before[0].get("rate"),
    percent_points=True,
    delta_color="inverse",
    help=widgets.rate_help(no_show, "events", "appointment attended or missed"),
    last_year=compared and rates_then[0].get("rate"),
)
targets.verdict(tiles[0], found, "no_show", no_show["rate"])
widgets.tile(
    tiles[1],
    "Cancellation rate",
    widgets.percent(cancelled["rate"]),
    cancelled["rate"],
    rates_before[1].get("rate"),
    percent_points=True,
    delta_color="inverse",
    help=widgets.rate_help(cancelled, "events", "appointment"),
    last_year=compared and rates_then[1].get("rate"),
)
targets.verdict(tiles[1], found, "cancelled", cancelled["rate"])
widgets.tile(
    tiles[2],
    "Cancelled late",
    widgets.percent(late["rate"]),
    None,
    None,
    help=f"{late['late']:,} of {count(late['known'], 'cancellation')} whose export said.",
)
if late["rate"] is None:  # never 0%: the exports in range cannot tell late from early
    tiles[2].caption("Not recorded: the exports in this range do not say.")
widgets.tile(
    tiles[3],
    "Lost to no-shows",
    formats.money(lost["lost_gbp"], pence=False),
    lost["lost_gbp"],
    lost_before.get("lost_gbp"),
    delta_color="inverse",
    help=f"{count(lost['no_shows'], 'no-show')} at the list price of the day.",
    last_year=compared and lost_then.get("lost_gbp"),
)
st.caption(
    "Treatment sessions and follow-up visits count; product sales and booked appointments "
    "never do. The small change on a tile is against the previous period of the same length, "
    "the line beneath against the same dates last year; charts draw last year as a faint line, "
    "or a dark dash across each bar."
)
widgets.table(
    cached.data(attendance.attendance, f), "table_attendance", "No appointments in this range."
)
widgets.chart(
    charts.compliance_over_time(
        cached.data(attendance.monthly, f),
        targets.lines(found, ("no_show", "cancelled")),
        title="No-show and cancellation rates by month (95% interval)",
        partial=partial,
        empty_message="No appointments in this range: widen the dates.",
        last_year=cached.data_for(year_ago, attendance.monthly),
    ),
    key="chart_attendance_monthly",
)
funnel = cached.data(attendance.no_show_funnel, f)
widgets.chart(
    charts.funnel(
        funnel,
        widgets.funnel_limits(funnel),
        "clinician",
        title="No-show rate by clinician (95% and 99.8% limits)",
        rate_title="No-show rate",
        count_title="Appointments attended or missed",
    ),
    key="chart_no_show_funnel",
)
widgets.chart(
    charts_retention.monthly_bars(
        cached.data(attendance.lost_revenue, f),
        ["lost_gbp"],
        partial=partial,
        title="Revenue lost to no-shows by month (list price)",
        y_title="Lost",
        empty_message="No no-shows in this range.",
        last_year=cached.data_for(year_ago, attendance.lost_revenue),
    ),
    key="chart_lost_revenue",
)
with st.expander("By service and by site"):
    for by in ("service", "site"):
        widgets.table(
            cached.data(attendance.attendance, f, by),
            f"table_attendance_{by}",
            "No appointments in this range.",
        )

st.subheader("Retention")
cont, new, returning, money = kept
tiles = st.columns(4, gap="medium")
widgets.tile(
    tiles[0],
    "Course continued",
    widgets.percent(cont["rate"]),
    cont["rate"],
    kept_before[0].get("rate"),
    percent_points=True,
    help="Second session within 120 days of the first: "
    + widgets.rate_help(cont, "met", "patient whose first session is 120+ days back"),
    last_year=compared and kept_then[0].get("rate"),
)
targets.verdict(tiles[0], found, "course_continuation", cont["rate"])
widgets.tile(
    tiles[1],
    "New patients",
    f"{new['patients']:,}",
    new["patients"],
    kept_before[1].get("patients"),
    last_year=compared and kept_then[1].get("patients"),
)
widgets.tile(
    tiles[2],
    "Returning patients",
    f"{returning['patients']:,}",
    returning["patients"],
    kept_before[2].get("patients"),
    last_year=compared and kept_then[2].get("patients"),
)
widgets.tile(
    tiles[3],
    "Revenue per patient",
    formats.money(money["per_patient_gbp"])
    if money["per_patient_gbp"] is not None
    else formats.EMPTY,
    money["per_patient_gbp"],
    kept_before[3].get("per_patient_gbp"),
    help=f"{formats.money(money['revenue_gbp'])} over {count(money['patients'], 'patient')}.",
    last_year=compared and kept_then[3].get("per_patient_gbp"),
)
widgets.chart(
    charts_retention.monthly_bars(
        cached.data(retention.patients_by_month, f),
        ["new_patients", "returning_patients"],
        title="New and returning patients by month",
        partial=partial,
        y_title="Patients",
        empty_message="No completed treatment sessions in this range.",
        last_year=cached.data_for(year_ago, retention.patients_by_month),
    ),
    key="chart_new_returning",
)
widgets.chart(
    charts.compliance_over_time(
        cached.data(retention.continuation_by_month, f, as_of),
        targets.lines(found, ("course_continuation",)),
        title="Course continued, by month of the first session (95% interval)",
        empty_message="No first sessions 120 days or more before the as-of date in this range.",
        last_year=cached.data_for(year_ago, retention.continuation_by_month, as_of),
    ),
    key="chart_continuation",
)
columns = st.columns(2)
widgets.chart(
    charts_retention.monthly_bars(
        cached.data(retention.cohorts, f, as_of),
        ["sessions_per_patient"],
        month="cohort",
        title="Sessions per patient, by month of the first session",
        y_title="Sessions",
        empty_message="No first sessions in this range.",
    ),
    key="chart_cohorts",
    container=columns[0],
)
widgets.chart(
    charts_retention.monthly_bars(
        cached.data(retention.revenue_per_patient_by_month, f),
        ["per_patient_gbp"],
        title="Revenue per patient by month",
        partial=partial,
        y_title="Per patient",
        empty_message="No revenue in this range.",
        last_year=cached.data_for(year_ago, retention.revenue_per_patient_by_month),
    ),
    key="chart_revenue_per_patient",
    container=columns[1],
)

targets.editor(ATTENDANCE, "targets_attendance")

widgets.stopped_courses(f, as_of)
