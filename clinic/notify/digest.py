"""The digest: a week's or a month's figures by e-mail, for each role what its pages show.

A digest as of a date covers the last complete week (Monday to Sunday) or calendar month before
that date, so a scheduler that runs on Monday morning (or on the 1st) sends the period just
ended. Each tile is set against the period before and the same period a year earlier. Every
number comes from clinic/metrics.py (the functions behind the pages and `clinic report`).

Over 400 lines: the figures, the cut by role and the HTML and plain-text rendering share the
period, the tile keys and the parts of recipients.PARTS; the pack (pack.py) reuses all three.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from email.message import EmailMessage

import pandas as pd

from clinic import attendance, charts, formats, metrics, retention, targets
from clinic.dimensions import DIGEST_PERIODS
from clinic.notify import images, mail
from clinic.notify.recipients import Recipient, may_read, parts_for
from clinic.store import Store

PERIODS = DIGEST_PERIODS
# The six-week review window closes 56 days after the session: the review tile counts the
# sessions whose window closed in the period (those of 56 days earlier), not the period's own
# sessions, whose windows are still open.
REVIEW_CLOSES = 56
SPC_MONTHS = 24  # months a control chart shows, ending with the period's month
RECENT_MONTHS = 3  # a signal among the latest months with a rate is news
SERIOUS_SHOWN = 20
STALE_DAYS = 7  # an export not imported for longer is a warning
# The exports whose age is shown; only the ones that feed the figures warn (prices change
# rarely, so an old price list is normal).
FRESHNESS_KINDS = {"appointments": True, "side-effects": True, "prices": False}
KIND_WORDS = {
    "appointments": "Appointments",
    "side-effects": "Side-effect reports",
    "prices": "Price list",
}


# -- periods -------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Period:
    """A week (Monday to Sunday) or a calendar month."""

    kind: str
    start: date
    end: date

    def filters(self) -> metrics.Filters:
        """The period as session filters (every site and clinician)."""
        return metrics.Filters(start=self.start, end=self.end)

    def previous(self) -> Period:
        """The week or calendar month just before."""
        if self.kind == "week":
            return Period("week", self.start - timedelta(days=7), self.end - timedelta(days=7))
        return month_period(self.start - timedelta(days=1))

    def last_year(self) -> Period:
        """The same week (52 weeks earlier, so it starts on a Monday) or month a year earlier."""
        if self.kind == "week":
            return Period("week", self.start - timedelta(days=364), self.end - timedelta(days=364))
        return month_period(self.start.replace(year=self.start.year - 1))

    def words(self) -> str:
        """`week of 23/11/2026 to 29/11/2026` or `Nov 2026`."""
        if self.kind == "week":
            return f"week of {formats.day(self.start)} to {formats.day(self.end)}"
        return formats.month(self.start)

    def name(self) -> str:
        """`week` or `month`, for sentences such as "this week"."""
        return self.kind


def month_period(day: date | str) -> Period:
    """The calendar month of a day, or of `2026-11`."""
    first = formats.month_start(day)
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period("month", first, following - timedelta(days=1))


def period_for(kind: str, as_of: date) -> Period:
    """The last complete week (Monday to Sunday) or calendar month before `as_of`."""
    if kind == "week":
        end = as_of - timedelta(days=as_of.weekday() + 1)
        return Period("week", end - timedelta(days=6), end)
    if kind == "month":
        return month_period(as_of.replace(day=1) - timedelta(days=1))
    raise ValueError(f"The period must be one of {', '.join(PERIODS)}; got {kind!r}.")


def reviews_closing(p: Period) -> metrics.Filters:
    """The sessions whose six-week review window closed during the period."""
    shift = timedelta(days=REVIEW_CLOSES)
    return metrics.Filters(start=p.start - shift, end=p.end - shift)


def chart_window(p: Period) -> metrics.Filters:
    """The months a control chart shows: SPC_MONTHS ending with the period's month."""
    first = formats.month_start(p.end)
    months = first.year * 12 + first.month - 1 - (SPC_MONTHS - 1)
    return metrics.Filters(start=date(months // 12, months % 12 + 1, 1), end=p.end)


# -- the figures ---------------------------------------------------------------------------------
def _json(value: object) -> object:
    """A number or date as JSON: NaN as None, numpy as Python, dates ISO."""
    if value is None or value is pd.NaT:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rate(eligible: object, events: object, rate: object) -> dict:
    """A rate with its counts, JSON-ready."""
    return {"eligible": int(eligible), "events": int(events), "rate": _json(rate)}


def tiles(store: Store, p: Period, as_of: date) -> dict:
    """The tile figures of one period: sessions, revenue, reviews closed, complication rate."""
    k = metrics.kpis(store, p.filters(), as_of)
    review = metrics.compliance(store, reviews_closing(p), as_of).set_index("measure")
    r = review.loc["review_6w"]
    comp = k["complication_rate"]
    return {
        "sessions": k["sessions"],
        "revenue_gbp": k["revenue_gbp"],
        "review_6w": _rate(r["eligible"], r["met"], r["rate"]),
        "complication_rate": _rate(comp["eligible"], comp["events"], comp["rate"]),
    }


def complication_chart(store: Store, p: Period) -> pd.DataFrame:
    """The monthly p-chart of the complication rate (metrics.spc) over the chart window."""
    return metrics.spc(store, chart_window(p))


def review_chart(store: Store, p: Period, as_of: date) -> pd.DataFrame:
    """The monthly p-chart of six-week review compliance, in the shape of metrics.spc."""
    monthly = metrics.compliance_by(store, chart_window(p), as_of, "month")
    part = monthly[monthly["measure"] == "review_6w"].reset_index(drop=True)
    return metrics.p_chart_frame(part["month"], part["met"], part["eligible"])


def has_signal(value: object) -> bool:
    """Whether a control chart's signal cell names a rule (a month without one is missing)."""
    return isinstance(value, str) and bool(value)


def recent_signals(chart: pd.DataFrame) -> list[dict]:
    """Signals among the latest RECENT_MONTHS months that have a rate: month, rule, side."""
    rated = chart[chart["rate"].notna()].tail(RECENT_MONTHS)
    found = []
    for row in rated.itertuples():
        if has_signal(row.signal):
            side = "above" if row.rate > row.centre else "below"
            found.append(
                {
                    "month": formats.month_start(row.month).strftime("%Y-%m"),
                    "signal": row.signal,
                    "side": side,
                    "rate": _json(row.rate),
                    "centre": _json(row.centre),
                    "events": int(row.events),
                    "eligible": int(row.eligible),
                }
            )
    return found


def serious_reported(store: Store, p: Period, limit: int | None = SERIOUS_SHOWN) -> dict:
    """Serious reports dated in the period (reported date): count, and booking references only.

    No names, notes or patient references: what happened, when, and which booking.
    """
    found, total = metrics.complication_records(
        store, metrics.Filters(start=p.start, end=p.end, serious=True), limit=limit
    )
    events = [
        {
            "reported_date": _json(r.reported_date),
            "effect": r.effect,
            "severity": _json(r.severity),
            "medical_attention": _json(r.medical_attention),
            "booking_ref": r.appointment_id,
        }
        for r in found.itertuples()
    ]
    return {"count": total, "events": events}


def freshness(store: Store, p: Period, as_of: date) -> dict:
    """Days since the last import of each export as of `as_of`, and imports since the period
    began (one after its end still brought its data)."""
    df = store.query(
        "notify_import_freshness",
        until=formats.utc_start_of(as_of + timedelta(days=1)),
        since=formats.utc_start_of(p.start),
    )
    kinds = []
    for row in df.itertuples():
        last = formats.uk_time(row.last_finished_at)
        days = (as_of - last.date()).days if last else None
        kinds.append(
            {
                "kind": row.kind,
                "last_import": last.date().isoformat() if last else None,
                "days_since": days,
                "imports_since_start": int(row.imports_since_start),
                "warning": FRESHNESS_KINDS[row.kind] and (days is None or days > STALE_DAYS),
            }
        )
    by_kind = {k["kind"]: k for k in kinds}
    return {
        "kinds": kinds,
        "appointments_since_start": by_kind["appointments"]["imports_since_start"],
        "imports_since_start": sum(k["imports_since_start"] for k in kinds),
    }


# Issue 20 adds attendance and open complications to metrics: each becomes a tile
# here as (key, title, part, function(store, period, as_of) -> {"now": ..., ...}). Empty until then.
EXTRA_TILES: list[tuple[str, str, str, Callable[[Store, Period, date], dict]]] = []


def period_rates(store: Store, p: Period, as_of: date) -> dict[str, float | None]:
    """The period's rate of every measure a target may be set for (clinic.targets.MEASURES).

    Compliance counts the sessions whose six-week window closed in the period, as the tiles do.
    """
    f = metrics.Filters(start=p.start, end=p.end)
    rows = [
        metrics.compliance(store, reviews_closing(p), as_of),
        attendance.attendance(store, f),
        retention.continuation(store, f, as_of).assign(measure="course_continuation"),
        metrics.complications(store, f).assign(measure="complication_rate"),
    ]
    rates = pd.concat([r[["measure", "rate"]] for r in rows], ignore_index=True)
    return {
        m: (None if pd.isna(r) else float(r))
        for m, r in zip(rates.measure, rates.rate, strict=True)
    }


def off_target(store: Store, p: Period, as_of: date) -> list[dict]:
    """The measures whose period rate misses the target in force (clinic.targets).

    Each item is {"measure", "part" (a key of recipients.PARTS, which decides who reads it),
    "sentence", "rate", "target"}; a measure with nothing to count in the period is not judged.
    """
    found = targets.current(store)
    if not found:
        return []
    rates = period_rates(store, p, as_of)
    out = []
    for measure, target in found.items():
        rate = rates.get(measure)
        if target.met(rate) is not False:
            continue
        out.append(
            {
                "measure": measure,
                "part": TARGET_PARTS[measure],
                "rate": rate,
                "target": target.value,
                "sentence": f"{formats.label(measure)}: {formats.percent(rate)} against a "
                f"target of {target.words()}.",
            }
        )
    return out


def figures(store: Store, p: Period, as_of: date) -> dict:
    """Every figure of a digest (all parts; `for_role` keeps what a role may read)."""
    return {
        "period": {"kind": p.kind, "start": p.start.isoformat(), "end": p.end.isoformat()},
        "as_of": as_of.isoformat(),
        "tiles": {
            "now": tiles(store, p, as_of),
            "previous": tiles(store, p.previous(), as_of),
            "last_year": tiles(store, p.last_year(), as_of),
        },
        "signals": {
            "complications": recent_signals(complication_chart(store, p)),
            "review_6w": recent_signals(review_chart(store, p, as_of)),
        },
        "serious": serious_reported(store, p),
        "call_list": metrics.call_list(store, metrics.Filters(), as_of, limit=1)[1],
        "freshness": freshness(store, p, as_of),
        "off_target": off_target(store, p, as_of),
        "extra": {key: fn(store, p, as_of) for key, _t, _part, fn in EXTRA_TILES},
    }


# Which part of a digest a target's measure belongs to (recipients.PARTS).
TARGET_PARTS = {
    **dict.fromkeys(targets.COMPLIANCE, "compliance"),
    **dict.fromkeys(targets.ATTENDANCE, "attendance"),
    "complication_rate": "complications",
}
# Which part of the figures each tile and section belongs to (recipients.PARTS).
TILE_PARTS = {
    "sessions": "sessions",
    "revenue_gbp": "revenue",
    "review_6w": "compliance",
    "complication_rate": "complications",
}


def for_role(figs: dict, role: str) -> dict:
    """The figures a role may read: revenue never reaches staff, and so on (recipients.PARTS)."""
    out = dict(figs)
    out["tiles"] = {
        when: {k: v for k, v in values.items() if may_read(role, TILE_PARTS[k])}
        for when, values in figs["tiles"].items()
    }
    out["signals"] = {
        k: v
        for k, v in figs["signals"].items()
        if may_read(role, "complications" if k == "complications" else "compliance")
    }
    for part in ("serious", "call_list"):
        if not may_read(role, part):
            out.pop(part)
    out["off_target"] = [m for m in figs["off_target"] if may_read(role, m["part"])]
    out["extra"] = {
        key: figs["extra"][key] for key, _t, part, _f in EXTRA_TILES if may_read(role, part)
    }
    return out


# -- words ---------------------------------------------------------------------------------------
def _change(now: float | None, then: float | None, rate: bool) -> str:
    """How a figure moved: `+12%` for counts and money, `+1.2 points` for rates."""
    if now is None or then is None:
        return formats.EMPTY
    if rate:
        points = (now - then) * 100
        return "no change" if round(points, 1) == 0 else f"{points:+.1f} points"
    if then == 0:
        return "none then" if now else "no change"
    change = (now - then) / then
    return "no change" if round(change, 2) == 0 else f"{change:+.0%}"


def _value(key: str, tile: object) -> tuple[str, float | None, bool]:
    """A tile's text, its number for comparing, and whether it is a rate."""
    if key == "sessions":
        return f"{tile:,}", float(tile), False
    if key == "revenue_gbp":
        return formats.money(tile, pence=False), float(tile), False
    rate = tile["rate"]
    count = f" ({tile['events']:,} of {tile['eligible']:,})" if tile["eligible"] else ""
    return formats.percent(rate) + count, rate, True


TILE_TITLES = {
    "sessions": "Treatment sessions",
    "revenue_gbp": "Revenue",
    "review_6w": "Six-week reviews attended (windows closed in the period)",
    "complication_rate": "Complication rate",
}
PAGE_OF_TILE = {
    "sessions": "overview",
    "revenue_gbp": "revenue",
    "review_6w": "follow-ups",
    "complication_rate": "complications",
}
CHARTS = {
    "complications": ("Complication rate, month by month (p-chart)", "complications"),
    "review_6w": ("Six-week review attended, month by month (p-chart)", "follow-ups"),
}
SIGNAL_WORDS = {
    "outside limits": "a point outside the control limits",
    "run of 7": "a run of 7 months on one side of the centre line",
    "trend of 7": "a trend of 7 months rising or falling",
    "2 of 3 near limit": "2 of 3 months near a control limit",
}


def _link(base: str, page: str, f: metrics.Filters | None = None, **extra: str) -> str:
    """A dashboard address that opens a page on the same dates (the pages read from/to)."""
    query = {}
    if f is not None and f.start and f.end:
        query = {"from": f.start.isoformat(), "to": f.end.isoformat()}
    query.update(extra)
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    return f"{base}/{page}" + (f"?{tail}" if tail else "")


@dataclass
class Digest:
    """One role's digest: subject, HTML and plain text, inline images and the figures shown."""

    role: str
    period: Period
    as_of: date
    subject: str
    html: str
    text: str
    images: dict[str, bytes] = field(default_factory=dict)
    figures: dict = field(default_factory=dict)

    def message(self, sender: str, to: list[str]) -> EmailMessage:
        """The e-mail: text, HTML, the charts inline (Content-ID) behind links to the pages."""
        return mail.compose(
            subject=self.subject,
            sender=sender,
            to=to,
            text=self.text,
            html=self.html,
            images=self.images,
        )

    def standalone_html(self) -> str:
        """The HTML with its images inside (data: addresses), to open as a file."""
        page = self.html
        for cid, png in self.images.items():
            data = base64.b64encode(png).decode("ascii")
            page = page.replace(f"cid:{cid}", f"data:image/png;base64,{data}")
        return page


def _signal_sentence(found: list[dict]) -> str:
    """The recent signals of one chart in words."""
    if not found:
        return f"No signal in the latest {RECENT_MONTHS} months with a rate."
    return " ".join(
        f"{formats.month(s['month'])}: {SIGNAL_WORDS.get(s['signal'], s['signal'])}, "
        f"{formats.percent(s['rate'])} ({s['events']:,} of {s['eligible']:,}), {s['side']} the "
        f"centre line ({formats.percent(s['centre'])})."
        for s in found
    )


def _banner(figs: dict, p: Period) -> str | None:
    """The sentence that opens a digest of a period in which no appointments were imported."""
    fresh = figs["freshness"]
    if fresh["appointments_since_start"]:
        return None
    if fresh["imports_since_start"]:
        what = "No appointments export was imported"
    else:
        what = "No export was imported"
    return (
        f"{what} in or since the {p.name()} of {formats.day(p.start)} to {formats.day(p.end)}: the "
        "figures below hold only what was imported before, so a low count is missing data, "
        "not a quiet period."
    )


def render(
    figs: dict, role: str, p: Period, as_of: date, *, base: str, clinic: str, cids: dict[str, str]
) -> tuple[str, str, str]:
    """Subject, HTML and plain text of one role's digest (figs already cut by for_role)."""
    e = html.escape
    every = "Weekly" if p.kind == "week" else "Monthly"
    banner = _banner(figs, p)
    subject = f"{clinic}: {every.lower()} figures, {p.words()}"
    if banner:
        subject = f"No new data: {subject}"
    serious = figs.get("serious")
    if serious and serious["count"]:
        subject += f" ({serious['count']:,} serious event{'s' if serious['count'] != 1 else ''})"
    parts: list[str] = []
    text: list[str] = []
    style_p = "margin:6px 0"
    if banner:
        parts.append(
            '<p style="background:#fdecea;border-left:4px solid #D55E00;padding:10px 12px;'
            f'font-weight:bold">{e(banner)}</p>'
        )
        text += [f"!! {banner}", ""]
    parts.append(f'<h1 style="font-size:20px;margin:8px 0">{e(clinic)}: {every} figures</h1>')
    intro = (
        f"{'The ' if p.kind == 'week' else ''}{p.words()}, as of {formats.day(as_of)}: figures "
        f"for your role ({role}), each "
        "against the previous "
        f"{p.name()} and the same {p.name()} a year earlier."
    )
    parts.append(f'<p style="{style_p}">{e(intro)}</p>')
    text += [f"{clinic}: {every} figures", intro, ""]

    now, prev, last = (figs["tiles"][k] for k in ("now", "previous", "last_year"))
    if now:
        head = (
            "",
            f"This {p.name()}",
            f"Previous {p.name()}",
            "Change",
            "A year earlier",
            "Change",
        )
        cell = 'style="padding:4px 8px;border-bottom:1px solid #ddd;text-align:right"'
        first = 'style="padding:4px 8px;border-bottom:1px solid #ddd;text-align:left"'
        rows = [
            "<tr>"
            + "".join(f"<th {first if i == 0 else cell}>{e(h)}</th>" for i, h in enumerate(head))
            + "</tr>"
        ]
        text.append(f"In numbers ({' | '.join(head[1:])}):")
        for key in now:
            shown, a, is_rate = _value(key, now[key])
            before, b, _ = _value(key, prev[key])
            year, c, _ = _value(key, last[key])
            title = TILE_TITLES[key]
            link = _link(base, PAGE_OF_TILE[key], p.filters())
            values = (shown, before, _change(a, b, is_rate), year, _change(a, c, is_rate))
            rows.append(
                f'<tr><td {first}><a href="{e(link)}">{e(title)}</a></td>'
                + "".join(f"<td {cell}>{e(v)}</td>" for v in values)
                + "</tr>"
            )
            text.append(f"- {title}: " + " | ".join(values))
        parts.append(
            '<table style="border-collapse:collapse;font-size:14px;margin:8px 0">'
            + "".join(rows)
            + "</table>"
        )
        if "review_6w" in now:
            closing = reviews_closing(p)
            note = (
                "Six-week reviews: the sessions of "
                f"{formats.day(closing.start)} to {formats.day(closing.end)}, whose review "
                f"window (day 35 to day 56) closed in this {p.name()}."
            )
            parts.append(f'<p style="{style_p};font-size:12px;color:#555">{e(note)}</p>')
            text.append(note)
        text.append("")
    # Issue 20: attendance and open complications are added as EXTRA_TILES, targets in off_target.

    if figs["off_target"]:
        parts.append('<h2 style="font-size:17px;margin:16px 0 6px">Measures off target</h2>')
        text.append("Measures off target")
        items = "".join(f"<li>{e(m['sentence'])}</li>" for m in figs["off_target"])
        parts.append(f'<ul style="margin:4px 0 8px 18px;padding:0">{items}</ul>')
        text += [f"- {m['sentence']}" for m in figs["off_target"]] + [""]

    if figs["signals"]:
        parts.append('<h2 style="font-size:17px;margin:16px 0 6px">Signals</h2>')
        text.append("Signals (NHS Making Data Count rules)")
        for key, found in figs["signals"].items():
            title, page = CHARTS[key]
            link = _link(base, page, chart_window(p))
            sentence = _signal_sentence(found)
            parts.append(f'<p style="{style_p}"><b>{e(title)}</b>. {e(sentence)}</p>')
            if key in cids:
                parts.append(
                    f'<p style="{style_p}"><a href="{e(link)}"><img src="cid:{cids[key]}" '
                    f'alt="{e(title)}" width="{images.WIDTH}" style="max-width:100%;'
                    'border:1px solid #eee"></a></p>'
                )
            text += [f"- {title}: {sentence}", f"  {link}"]
        text.append("")

    if serious is not None:
        parts.append('<h2 style="font-size:17px;margin:16px 0 6px">Serious events reported</h2>')
        page = "records" if role in ("admin", "auditor") else "complications"
        link = _link(base, page, p.filters(), **({"serious": "yes"} if page == "records" else {}))
        count = serious["count"]
        said = (
            f"{count:,} serious event{'s' if count != 1 else ''} reported in this {p.name()}."
            if count
            else f"No serious event reported in this {p.name()}."
        )
        parts.append(f'<p style="{style_p}">{e(said)} <a href="{e(link)}">Open</a></p>')
        text += [said, f"  {link}"]
        if serious["events"]:
            items = []
            for ev in serious["events"]:
                line = (
                    f"{formats.day(ev['reported_date'])}: {ev['effect']}"
                    + (f", {ev['severity']}" if ev["severity"] else "")
                    + (", medical attention" if ev["medical_attention"] else "")
                    + f"; booking {ev['booking_ref']}"
                )
                items.append(f"<li>{e(line)}</li>")
                text.append(f"- {line}")
            if count > len(serious["events"]):
                more = f"... and {count - len(serious['events']):,} more on the dashboard."
                items.append(f"<li>{e(more)}</li>")
                text.append(more)
            parts.append(f'<ul style="margin:4px 0 8px 18px;padding:0">{"".join(items)}</ul>')
        text.append("")

    if "call_list" in figs:
        calls = figs["call_list"]
        said = (
            f"{calls:,} review{'s' if calls != 1 else ''} due or overdue and not booked, as of "
            f"{formats.day(as_of)}."
            if calls
            else "Nobody is due or overdue for a review."
        )
        link = _link(base, "follow-ups")
        parts.append('<h2 style="font-size:17px;margin:16px 0 6px">Reviews due</h2>')
        parts.append(f'<p style="{style_p}">{e(said)} <a href="{e(link)}">Call list</a></p>')
        text += [said, f"  {link}", ""]

    parts.append('<h2 style="font-size:17px;margin:16px 0 6px">Data freshness</h2>')
    text.append(f"Data freshness (as of {formats.day(as_of)})")
    items = []
    for k in figs["freshness"]["kinds"]:
        if k["last_import"] is None:
            line = f"{KIND_WORDS[k['kind']]}: never imported"
        else:
            days = k["days_since"]
            ago = "today" if days == 0 else f"{days:,} day{'s' if days != 1 else ''} ago"
            line = f"{KIND_WORDS[k['kind']]}: last imported {formats.day(k['last_import'])} ({ago})"
        if k["warning"]:
            line += f" - warning: nothing imported for more than {STALE_DAYS} days"
        colour = "#D55E00" if k["warning"] else "#222"
        items.append(f'<li style="color:{colour}">{e(line)}</li>')
        text.append(f"- {line}")
    parts.append(f'<ul style="margin:4px 0 8px 18px;padding:0">{"".join(items)}</ul>')
    footer = (
        f"Sent by the clinic's dashboard ({base}) to accounts with the {role} role. Figures "
        "follow the role's pages: what the role may not open is not in this mail."
    )
    parts.append(f'<p style="font-size:12px;color:#777;margin-top:18px">{e(footer)}</p>')
    text += ["", footer]
    body = (
        '<!doctype html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#222">'
        f'<div style="max-width:{images.WIDTH + 40}px">{"".join(parts)}</div></body></html>'
    )
    return subject, body, "\n".join(text) + "\n"


def _figure(key: str, store: Store, p: Period, as_of: date):
    """The plotly figure of one chart of the digest, as the pages draw it."""
    window = chart_window(p)
    partial = charts.partial_months(window.start, min(window.end, as_of))
    title = CHARTS[key][0]
    if key == "complications":
        return charts.spc(complication_chart(store, p), title=title, partial=partial)
    fig = charts.spc(review_chart(store, p, as_of), title=title, partial=partial)
    return fig.update_yaxes(title="Six-week review attended")


def build_digests(
    store: Store,
    period: str,
    as_of: date,
    roles: list[str],
    *,
    base_url: str | None = None,
    clinic: str | None = None,
    draw: bool = True,
) -> dict[str, Digest]:
    """One digest per role, sharing one computation of the figures and one drawing per chart."""
    p = period_for(period, as_of)
    base = base_url or mail.dashboard_url()
    clinic = clinic or mail.clinic_name()
    figs = figures(store, p, as_of)
    drawn: dict[str, bytes] = {}
    out = {}
    stamp = datetime.now().strftime("%Y%m%d%H%M%S")
    for role in roles:
        mine = for_role(figs, role)
        cids = {key: f"{key}-{stamp}@clinic" for key in mine["signals"]} if draw else {}
        for key in cids:
            if key not in drawn:
                drawn[key] = images.png(charts.inert(_figure(key, store, p, as_of)))
        subject, body, text = render(mine, role, p, as_of, base=base, clinic=clinic, cids=cids)
        pics = {cids[key]: drawn[key] for key in cids}
        out[role] = Digest(role, p, as_of, subject, body, text, pics, mine)
    return out


def build_digest(
    store: Store,
    period: str,
    as_of: date,
    role: str = "manager",
    **options: object,
) -> Digest:
    """The digest of the week or month before `as_of` for one role (see build_digests)."""
    return build_digests(store, period, as_of, [role], **options)[role]  # type: ignore[arg-type]


@dataclass(frozen=True)
class Delivery:
    """What happened to one role's digest: who it went to, who was refused."""

    role: str
    recipients: tuple[str, ...]
    accepted: tuple[str, ...]
    refused: dict[str, str]


def send_digests(
    store: Store,
    period: str,
    as_of: date,
    people: list[Recipient],
    settings: mail.MailSettings,
    *,
    user: str | None = None,
    base_url: str | None = None,
    clinic: str | None = None,
) -> list[Delivery]:
    """Build and send one digest per role to `people` (each sees only their role's parts).

    Each role's message goes in one SMTP transaction to that role's addresses; every send is
    in the audit trail (user names and counts, never the addresses' figures).
    """
    from clinic import audit

    roles = sorted({r.role for r in people})
    digests = build_digests(store, period, as_of, roles, base_url=base_url, clinic=clinic)
    done = []
    for role in roles:
        group = [r for r in people if r.role == role]
        digest = digests[role]
        to = [r.email for r in group]
        details = {
            "period": period,
            "start": digest.period.start.isoformat(),
            "end": digest.period.end.isoformat(),
            "as_of": as_of.isoformat(),
            "to_role": role,
            "recipients": [r.username for r in group],
            "parts": sorted(parts_for(role)),
        }
        try:
            sent = mail.send(digest.message(settings.sender, to), to, settings)
        except mail.MailError as exc:
            audit.log(
                store,
                user=user,
                role=None,
                action="digest-send",
                outcome="failed",
                object=digest.period.words(),
                details={**details, "reason": str(exc)},
            )
            raise
        refused = [r.username for r in group if r.email in sent.refused]
        audit.log(
            store,
            user=user,
            role=None,
            action="digest-send",
            outcome="ok" if not refused else "partly refused",
            object=digest.period.words(),
            details={**details, "refused": refused},
        )
        done.append(Delivery(role, tuple(to), sent.accepted, sent.refused))
    return done
