"""The monthly governance pack: a PDF for the clinical governance meeting, and its figures.

A few A4 pages: the month in summary, complication rates with their intervals, the funnel plot by
clinician and the control chart, follow-up compliance, the serious events reported, and the
definitions of every measure. Every table is the `clinic report ... --json` of that month
(`pack_figures` returns them), drawn by WeasyPrint from HTML; the charts are the dashboard's.
"""

from __future__ import annotations

import base64
import html
from collections.abc import Callable
from datetime import date

import pandas as pd

from clinic import charts, formats, metrics
from clinic.notify import images, mail
from clinic.notify.digest import (
    CHARTS,
    SIGNAL_WORDS,
    _json,
    chart_window,
    complication_chart,
    freshness,
    month_period,
    review_chart,
    serious_reported,
)
from clinic.store import Store

SPC_PX = 330  # a control chart's height: two fit on a page with the compliance table
SERIOUS_ROWS = 200  # a month with more lists the newest; Complication records has them all

# What every measure in the pack means (docs/METRICS.md says the same at more length).
DEFINITIONS = (
    (
        "Completed treatment session",
        "An appointment for a treatment item (Single Session, Additional Session ...) with the "
        "status completed. The month's sessions are those dated in it.",
    ),
    (
        "Complication rate",
        "Completed treatment sessions of the month with at least one linked side-effect report, "
        "divided by the completed treatment sessions of the month. Per effect: reports of that "
        "effect divided by the same sessions.",
    ),
    (
        "Serious",
        "A report whose effect is on the serious list (cutaneous necrosis, allergic reaction, "
        "superficial thrombophlebitis, arterial injection, deep vein thrombosis, pulmonary "
        "embolism, nerve damage, vein rupture with bleeding, inflammation near the groin, "
        "sudden leg swelling, injection site ulcer) or marked as needing medical attention.",
    ),
    (
        "Serious events reported",
        "Serious reports whose reported date is in the month, whatever the session's date, "
        "listed by booking reference only (no names).",
    ),
    (
        "95% interval",
        "The Wilson score interval of events (or met) out of eligible. A rate with nothing "
        "eligible is shown as a dash, never as 0%.",
    ),
    (
        "Funnel plot",
        "Each clinician's complication rate against their number of sessions, with 95% and "
        "99.8% limits around the clinic's rate from the exact binomial distribution "
        "(Spiegelhalter, 2005). A point outside a limit is named; the plot does not rank.",
    ),
    (
        "Control chart (p-chart)",
        "The monthly rate over 24 months, a centre line (the rate over those months) and limits "
        "three standard errors either side for each month's sessions. Signals follow NHS "
        "Making Data Count: a point outside the limits, a run of 7 points on one side of the "
        "centre, a trend of 7 rising or falling, two of three points beyond two standard "
        "errors on the same side.",
    ),
    (
        "Six-week review",
        "Eligible: completed treatment sessions whose review window has closed (session date + "
        "56 days on or before the as-of date). Met: the patient attended a follow-up visit "
        "35 to 56 days after the session.",
    ),
    (
        "Two-week check",
        "Eligible: completed sessions of varicose veins with session date + 14 days on or "
        "before the as-of date. Met: a follow-up visit 1 to 14 days after the session.",
    ),
    (
        "Sessions 28+ days apart",
        "Eligible: each completed treatment session of a patient with an earlier one. Met: at "
        "least 28 days since the previous session.",
    ),
    (
        "Compression recorded",
        "Eligible: completed treatment sessions. Met: stockings recorded as bought or own.",
    ),
    (
        "As of",
        "The date the figures are computed for: it decides which review windows have closed "
        "and which imports had arrived.",
    ),
)

# Issue 20 adds open complications (reports without a resolved date, days open) to metrics:
# set this to a function (store, filters, as_of) -> DataFrame and the pack gains its section.
OPEN_COMPLICATIONS: Callable[[Store, metrics.Filters, date], pd.DataFrame] | None = None


def _rows(df: pd.DataFrame) -> list[dict]:
    """A frame as the JSON rows of `clinic report --json` (NaN as null, dates ISO)."""
    return [
        {c: _json(v) for c, v in zip(df.columns, row, strict=True)}
        for row in df.itertuples(index=False, name=None)
    ]


def pack_figures(store: Store, month: str | date, as_of: date) -> dict:
    """Every figure of the pack; each table equals `clinic report ... --json` for the month."""
    p = month_period(month)
    f = p.filters()
    spc = complication_chart(store, p)
    spc["month"] = [formats.month_start(m).strftime("%Y-%m") for m in spc["month"]]
    figs = {
        "month": p.start.strftime("%Y-%m"),
        "start": p.start.isoformat(),
        "end": p.end.isoformat(),
        "as_of": as_of.isoformat(),
        "complications": _rows(metrics.complications(store, f)),
        "complications_serious": _rows(metrics.complications(store, f, serious=True)),
        "complications_by_effect": _rows(metrics.complications(store, f, by="effect")),
        "complications_by_clinician": _rows(metrics.complications(store, f, by="clinician")),
        "funnel_by_clinician": _rows(metrics.funnel(store, f, "clinician")),
        "compliance": _rows(metrics.compliance(store, f, as_of)),
        "spc": _rows(spc),
        "serious_events": serious_reported(store, p, limit=SERIOUS_ROWS),
        "freshness": freshness(store, p, as_of),
    }
    if OPEN_COMPLICATIONS is not None:
        figs["open_complications"] = _rows(OPEN_COMPLICATIONS(store, f, as_of))
    return figs


def _img(fig, height: int | None = None) -> str:
    """A figure as an <img> with its PNG inside (`height` in CSS pixels; else the figure's)."""
    data = base64.b64encode(images.png(charts.inert(fig), height=height)).decode("ascii")
    return f'<img class="chart" src="data:image/png;base64,{data}">'


def _rate_cells(row: dict) -> str:
    """Counts, rate and interval of one row as table cells."""
    events = row.get("events", row.get("met"))
    interval = (
        f"{formats.percent(row['ci_low'])} to {formats.percent(row['ci_high'])}"
        if row["ci_low"] is not None
        else formats.EMPTY
    )
    return (
        f'<td class="n">{row["eligible"]:,}</td><td class="n">{events:,}</td>'
        f'<td class="n">{formats.percent(row["rate"])}</td><td class="n">{interval}</td>'
    )


def _table(head: tuple[str, ...], rows: list[str], empty: str) -> str:
    """An HTML table whose header repeats on every page it spans."""
    if not rows:
        return f'<p class="empty">{html.escape(empty)}</p>'
    th = "".join(f"<th>{html.escape(h)}</th>" for h in head)
    return f"<table><thead><tr>{th}</tr></thead><tbody>{''.join(rows)}</tbody></table>"


CSS = """
body { font-family: "DejaVu Sans", sans-serif; font-size: 9.5pt; color: #222; }
h1 { font-size: 18pt; margin: 0 0 4pt; }
h2 { font-size: 13pt; margin: 14pt 0 6pt; break-after: avoid; }
h3 { font-size: 10.5pt; margin: 10pt 0 4pt; break-after: avoid; }
section { break-before: page; }
table { border-collapse: collapse; width: 100%; margin: 4pt 0 8pt; }
thead { display: table-header-group; }
tr { break-inside: avoid; }
th, td { border-bottom: 0.5pt solid #ccc; padding: 3pt 5pt; text-align: left; }
th { background: #f2f2f2; }
td.n, th.n { text-align: right; }
.chart { width: 100%; margin: 4pt 0; }
.note, .empty { color: #555; font-size: 8.5pt; }
.warn { color: #b23c00; font-weight: bold; }
dt { font-weight: bold; margin-top: 6pt; }
dd { margin: 1pt 0 0 0; }
"""


def _css_string(text: str) -> str:
    """Text as a quoted CSS string (the page headers carry the clinic's name)."""
    return (
        '"'
        + "".join(c if c.isalnum() or c in " .,:-()&'" else f"\\{ord(c):x} " for c in text)
        + '"'
    )


def _page_css(clinic: str, title: str, as_of: date) -> str:
    """A4 pages headed by the clinic's name and the pack's title, dated and numbered below.

    Margin boxes do not inherit the body's font: it is set here too.
    """
    return f"""
@page {{
  size: A4; margin: 18mm 16mm 20mm 16mm;
  font-family: "DejaVu Sans", sans-serif; font-size: 8pt; color: #555;
  @top-left {{ content: {_css_string(clinic)}; }}
  @top-right {{ content: {_css_string(title)}; }}
  @bottom-left {{ content: {_css_string("Figures as of " + formats.day(as_of))}; }}
  @bottom-right {{ content: "Page " counter(page) " of " counter(pages); }}
}}"""


def _signals_text(chart: pd.DataFrame) -> str:
    """Every signal of a control chart in words, or that there is none."""
    found = [r for r in chart.itertuples() if r.signal]
    if not found:
        return "No signal: every month lies within the limits and no rule is met."
    return "Signals: " + "; ".join(
        f"{formats.month(r.month)}: {SIGNAL_WORDS.get(r.signal, r.signal)} "
        f"({formats.percent(r.rate)}, centre {formats.percent(r.centre)})"
        for r in found
    )


def pack_html(store: Store, month: str | date, as_of: date, *, clinic: str | None = None) -> str:
    """The pack as one HTML document (what build_pack prints)."""
    e = html.escape
    clinic = clinic or mail.clinic_name()
    p = month_period(month)
    f = p.filters()
    figs = pack_figures(store, month, as_of)
    label = formats.month(p.start)
    window = chart_window(p)
    partial = charts.partial_months(window.start, min(window.end, as_of))
    out = [
        f"<h1>{e(clinic)}</h1>",
        f"<h2 style='margin-top:0'>Clinical governance pack: {e(label)}</h2>",
        f"<p>Sessions dated {formats.day(p.start)} to {formats.day(p.end)}; figures as of "
        f"{formats.day(as_of)}. Every table equals <code>clinic report ... --json</code> for "
        "these dates; the definitions are on the last page.</p>",
    ]
    # -- summary
    comp, serious_rate = figs["complications"][0], figs["complications_serious"][0]
    review = next(r for r in figs["compliance"] if r["measure"] == "review_6w")
    events = figs["serious_events"]
    rows = [
        f"<tr><td>Completed treatment sessions</td><td class='n'>{comp['eligible']:,}</td>"
        "<td></td><td></td><td></td></tr>",
        f"<tr><td>Complication rate</td>{_rate_cells(comp)}</tr>",
        f"<tr><td>Serious complication rate</td>{_rate_cells(serious_rate)}</tr>",
        f"<tr><td>Six-week review attended</td>{_rate_cells(review)}</tr>",
        f"<tr><td>Serious events reported in the month</td><td></td>"
        f"<td class='n'>{events['count']:,}</td><td></td><td></td></tr>",
    ]
    out += [
        "<h2>The month in summary</h2>",
        _table(("Measure", "Eligible", "Events / met", "Rate", "95% interval"), rows, ""),
    ]
    if review["eligible"] < comp["eligible"]:
        out.append(
            "<p class='note'>The six-week review counts only sessions whose review window had "
            f"closed by {formats.day(as_of)} ({review['eligible']:,} of "
            f"{comp['eligible']:,}); the rest are counted in a later pack.</p>"
        )
    # -- serious events (and, with issue 20, open complications)
    out.append("<h2>Serious events reported in the month</h2>")
    serious_rows = [
        "<tr>"
        + "".join(
            f"<td>{e(v)}</td>"
            for v in (
                formats.day(ev["reported_date"]),
                str(ev["effect"]),
                str(ev["severity"] or formats.EMPTY),
                "yes" if ev["medical_attention"] else "no",
                str(ev["booking_ref"]),
            )
        )
        + "</tr>"
        for ev in events["events"]
    ]
    out.append(
        _table(
            ("Reported", "Effect", "Severity", "Medical attention", "Booking reference"),
            serious_rows,
            "No serious event was reported this month.",
        )
    )
    if events["count"] > len(events["events"]):
        out.append(
            f"<p class='note'>The {len(events['events']):,} newest of {events['count']:,}; "
            "Complication records lists them all.</p>"
        )
    if "open_complications" in figs:
        out.append("<h2>Open complications</h2>")
        out.append(_open_table(figs["open_complications"]))

    fresh = []
    for k in figs["freshness"]["kinds"]:
        when = formats.day(k["last_import"]) if k["last_import"] else "none yet"
        cls = " class='warn'" if k["warning"] else ""
        fresh.append(f"<li{cls}>{e(k['kind'].replace('-', ' ').capitalize())}: {when}</li>")
    out += ["<h3>Last import of each export</h3>", f"<ul>{''.join(fresh)}</ul>"]

    # -- complications
    out += ["<section>", "<h2>Complications</h2>", "<h3>By effect</h3>"]
    effect_rows = [
        f"<tr><td>{e(str(r['effect']))}</td>{_rate_cells(r)}</tr>"
        for r in figs["complications_by_effect"]
        if r["events"]
    ]
    out.append(
        _table(
            ("Effect", "Sessions", "Reports", "Rate", "95% interval"),
            effect_rows,
            "No side effect was reported for the month's sessions.",
        )
    )
    out.append("<h3>By clinician, against the clinic's rate</h3>")
    funnel = metrics.funnel(store, f, "clinician")
    clinician_rows = [
        f"<tr><td>{e(str(r['clinician']))}</td><td class='n'>{r['eligible']:,}</td>"
        f"<td class='n'>{r['events']:,}</td><td class='n'>{formats.percent(r['rate'])}</td>"
        f"<td>{e(r['signal'] or 'within the limits')}</td></tr>"
        for r in figs["funnel_by_clinician"]
    ]
    out.append(
        _table(
            ("Clinician", "Sessions", "Events", "Rate", "Funnel plot"),
            clinician_rows,
            "No completed sessions this month.",
        )
    )
    curve = metrics.funnel_curve(
        float(funnel["overall_rate"].iloc[0]) if len(funnel) else float("nan"),
        int(funnel["eligible"].max()) if len(funnel) else 1,
    )
    out.append(_img(charts.funnel(funnel, curve, "clinician", title="Funnel plot, " + label)))
    out.append("</section>")

    # -- control charts and compliance
    chart = complication_chart(store, p)
    out += [
        "<section>",
        "<h2>Month by month</h2>",
        _img(charts.spc(chart, title=CHARTS["complications"][0], partial=partial), SPC_PX),
        f"<p>{e(_signals_text(chart))}</p>",
        "<h2>Follow-up compliance</h2>",
    ]
    compliance_rows = [
        f"<tr><td>{e(formats.label(r['measure']))}</td>{_rate_cells(r)}</tr>"
        for r in figs["compliance"]
    ]
    out.append(_table(("Measure", "Eligible", "Met", "Rate", "95% interval"), compliance_rows, ""))
    reviews = review_chart(store, p, as_of)
    fig = charts.spc(reviews, title=CHARTS["review_6w"][0], partial=partial)
    out += [
        _img(fig.update_yaxes(title="Six-week review attended"), SPC_PX),
        f"<p>{e(_signals_text(reviews))}</p>",
        "</section>",
    ]

    # -- definitions
    out += ["<section>", "<h2>Definitions</h2>", "<dl>"]
    out += [f"<dt>{e(term)}</dt><dd>{e(text)}</dd>" for term, text in DEFINITIONS]
    out += ["</dl>", "</section>"]
    head = f"<meta charset='utf-8'><title>{e(clinic)}: governance pack {e(label)}</title>"
    css = _page_css(clinic, f"Clinical governance pack, {label}", as_of) + CSS
    body = "".join(out)
    return f"<!doctype html><html><head>{head}<style>{css}</style></head><body>{body}</body></html>"


def _open_table(rows: list[dict]) -> str:
    """Open complications as a table (issue 20 decides the columns; shown as they come)."""
    if not rows:
        return "<p class='empty'>No open complications.</p>"
    head = tuple(formats.label(c) for c in rows[0])
    body = [
        "<tr>" + "".join(f"<td>{html.escape(str(v))}</td>" for v in r.values()) + "</tr>"
        for r in rows
    ]
    return _table(head, body, "")


def build_pack(store: Store, month: str | date, as_of: date, *, clinic: str | None = None) -> bytes:
    """The governance pack of a month as PDF bytes (A4, numbered pages)."""
    from weasyprint import HTML

    return HTML(string=pack_html(store, month, as_of, clinic=clinic)).write_pdf()
