"""Overview: the numbers a manager opens first, against the previous period and last year."""

import streamlit as st

from clinic import attendance, formats, metrics, retention
from clinic.ui import cached, filters, reports, session, targets, widgets
from clinic.words import count

user = session.require("overview")
f = filters.sidebar()
as_of = cached.as_of()

st.title("Overview")
st.caption(filters.describe(f))

now = cached.data(metrics.kpis, f, as_of)
earlier, year_ago = filters.previous(f), filters.last_year(f)
before = cached.data_for(earlier, metrics.kpis, as_of) if now else None
then = cached.data_for(year_ago, metrics.kpis, as_of) if now else None
series = cached.data(metrics.monthly_series, f)

if not now:
    st.stop()
if not now["sessions"]:
    st.info("No sessions in this range: widen the dates or upload an export.")

prev, last = before or {}, then or {}
# False: no last-year line under the tiles (all dates have no "same period last year").
compared = year_ago is not None
found = targets.in_force()
show_revenue = user.role in session.REVENUE_ROLES
tiles = st.columns(4 if show_revenue else 3, gap="medium")
widgets.tile(
    tiles[0],
    "Treatment sessions",
    f"{now['sessions']:,}",
    now["sessions"],
    prev.get("sessions"),
    chart_data=widgets.spark(series, "sessions", f),
    chart_type="bar",
    last_year=compared and last.get("sessions"),
)
position = 1
if show_revenue:
    widgets.tile(
        tiles[1],
        "Revenue",
        formats.money(now["revenue_gbp"], pence=False),
        now["revenue_gbp"],
        prev.get("revenue_gbp"),
        chart_data=widgets.spark(series, "revenue_gbp", f),
        chart_type="line",
        help="Rounded to the pound; the Revenue page shows pence.",
        last_year=compared and last.get("revenue_gbp"),
    )
    position = 2
review = now["review_6w"]
widgets.tile(
    tiles[position],
    "Six-week review attended",
    widgets.percent(review["rate"]),
    review["rate"],
    prev.get("review_6w", {}).get("rate"),
    percent_points=True,
    help=f"{review['met']:,} of {count(review['eligible'], 'session')} whose review window "
    "has closed.",
    last_year=compared and last.get("review_6w", {}).get("rate"),
)
targets.verdict(tiles[position], found, "review_6w", review["rate"])
comp = now["complication_rate"]
widgets.tile(
    tiles[position + 1],
    "Complication rate",
    widgets.percent(comp["rate"]),
    comp["rate"],
    prev.get("complication_rate", {}).get("rate"),
    percent_points=True,
    delta_color="inverse",
    help=f"{comp['events']:,} of {count(comp['eligible'], 'completed session')} had a "
    "reported side effect.",
    chart_data=widgets.spark(series, "complication_rate", f),
    chart_type="line",
    last_year=compared and last.get("complication_rate", {}).get("rate"),
)
targets.verdict(tiles[position + 1], found, "complication_rate", comp["rate"])

no_show = cached.data(attendance.summary, f)
came = cached.data(retention.patient_counts, f)
no_show_before = (cached.data_for(earlier, attendance.summary) or [{}])[0]
no_show_then = (cached.data_for(year_ago, attendance.summary) or [{}])[0]
came_before = cached.data_for(earlier, retention.patient_counts) or {}
came_then = cached.data_for(year_ago, retention.patient_counts) or {}
tiles = st.columns(4 if show_revenue else 3, gap="medium")
if no_show:
    widgets.tile(
        tiles[0],
        "No-show rate",
        widgets.percent(no_show[0]["rate"]),
        no_show[0]["rate"],
        no_show_before.get("rate"),
        percent_points=True,
        delta_color="inverse",
        help=widgets.rate_help(no_show[0], "events", "appointment"),
        last_year=compared and no_show_then.get("rate"),
    )
    targets.verdict(tiles[0], found, "no_show", no_show[0]["rate"])
if came:
    widgets.tile(
        tiles[1],
        "New patients",
        f"{came['new_patients']:,}",
        came["new_patients"],
        came_before.get("new_patients"),
        help="First completed treatment session in the store within the range.",
        last_year=compared and came_then.get("new_patients"),
    )
st.caption(
    "The small change on each tile is against the previous period of the same length; the line "
    f"beneath, against the same dates last year. {widgets.spark_note(series, f)}"
)

st.subheader("Digest")
reports.digest_links(user)
