"""Alerts: an import that brings a serious side effect e-mails managers and auditors at once.

`after_import(store, result)` is called by clinic.ingest once an import (or a side effect
recorded on screen) has committed, whichever path made it: the command line, the Upload page,
the form. It never raises: the import stands whatever the mail server says.
`alert_for_import(store, import_id)` does the work, and `clinic alert IMPORT_ID` retries it.
It names what was reported, when, and which booking it follows (the booking
reference; never a name, a note or a patient reference), at most once per import: the
import_alerts table (queries/schema/140_import_alerts.sql) remembers each one. Every attempt
that had something to say is in the audit trail, whether it was sent or not.
"""

from __future__ import annotations

import html
import logging
import threading
from dataclasses import dataclass
from datetime import UTC, date, datetime

import pandas as pd

from clinic import audit, facts, formats
from clinic.notify import mail
from clinic.notify.recipients import ALERT_ROLES, Recipient, accounts
from clinic.store import Store

log = logging.getLogger(__name__)
SHOWN = 50  # serious reports listed in one alert; the rest are counted
# Claims are short transactions under this lock (one process holds the store), not the
# import lock: an alert right after an import must not wait for the next import.
_lock = threading.Lock()


NO_SERVER = "no mail server is configured (CLINIC_SMTP_HOST)"


@dataclass(frozen=True)
class AlertResult:
    """What an alert call did, with a sentence for whoever asked (the CLI, the upload page)."""

    import_id: int
    outcome: str  # sent | nothing to alert | already alerted | not sent | no mail server
    events: int
    recipients: tuple[str, ...]
    sentence: str


def _now() -> datetime:
    """The current UTC time, naive (the store keeps UTC without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


def serious_in_import(store: Store, import_id: int) -> pd.DataFrame:
    """The serious reports an import created, or turned serious (queries/...serious_events)."""
    facts.ensure(store)
    df = store.query("notify_import_serious_events", import_id=import_id)
    for col in ("reported_date", "onset_date", "session_date"):
        df[col] = pd.to_datetime(df[col]).dt.date
    return df


def _claim(store: Store, import_id: int, events: int, recipients: int) -> bool:
    """Mark the import's alert as being sent; False when it was sent (or is being sent) already."""
    with _lock, store.cursor() as cur:
        cur.begin()
        try:
            found = cur.execute(
                "select status from import_alerts where import_id = $id", {"id": import_id}
            ).fetchone()
            if found and found[0] != "failed":
                cur.rollback()
                return False
            cur.execute("delete from import_alerts where import_id = $id", {"id": import_id})
            cur.execute(
                "insert into import_alerts (import_id, status, events, recipients, claimed_at)"
                " values ($id, 'sending', $events, $recipients, $at)",
                {"id": import_id, "events": events, "recipients": recipients, "at": _now()},
            )
            cur.commit()
        except BaseException:
            cur.rollback()
            raise
    return True


def _finish(store: Store, import_id: int, status: str, message: str | None = None) -> None:
    """Record how the claimed alert ended: sent, or failed with the sentence why."""
    with _lock, store.cursor() as cur:
        cur.execute(
            "update import_alerts set status = $status, finished_at = $at, message = $message"
            " where import_id = $id",
            {"id": import_id, "status": status, "at": _now(), "message": message},
        )


def alert_state(store: Store, import_id: int) -> str | None:
    """The recorded state of an import's alert: sending, sent, failed, or None (none yet)."""
    found = store.scalar(
        "select status from import_alerts where import_id = $id", {"id": import_id}
    )
    return None if found is None else str(found)


def _lines(events: pd.DataFrame) -> list[str]:
    """Each serious report in one line: what, when, which booking; no names, no notes."""
    out = []
    for ev in events.itertuples():
        parts = [f"{ev.effect}" + (f" ({ev.severity})" if isinstance(ev.severity, str) else "")]
        if ev.medical_attention is True:
            parts.append("needed medical attention")
        parts.append(f"reported {formats.day(ev.reported_date)}")
        if isinstance(ev.onset_date, date):
            parts.append(f"onset {formats.day(ev.onset_date)}")
        if isinstance(ev.session_date, date):
            parts.append(f"after the session of {formats.day(ev.session_date)}")
        if isinstance(ev.site, str):
            parts.append(f"site {ev.site}")
        parts.append(f"booking reference {ev.appointment_id}")
        if not ev.new_report:
            parts.append("an earlier report now marked serious")
        out.append(", ".join(parts))
    return out


def alert_message(
    events: pd.DataFrame, import_id: int, who: str | None, *, base: str, clinic: str
) -> tuple[str, str, str]:
    """Subject, plain text and HTML of the alert for an import's serious reports."""
    n = len(events)
    first = events.iloc[0]
    subject = (
        f"{clinic}: serious side effect reported ({first['effect']}, booking "
        f"{first['appointment_id']})"
        if n == 1
        else f"{clinic}: {n} serious side effects reported in one import"
    )
    by = f" by {who}" if who else ""
    intro = (
        f"Import {import_id}{by} brought {n} serious side-effect report{'s' if n != 1 else ''} "
        "(a serious effect, or medical attention needed):"
    )
    days = sorted(events["reported_date"])
    records = f"{base}/records?from={days[0].isoformat()}&to={days[-1].isoformat()}&serious=yes"
    page = f"{base}/complications"
    footer = (
        "Managers open the Complications page, auditors Complication records, for the details. "
        "This alert is sent once per import."
    )
    lines = _lines(events.head(SHOWN))
    if n > SHOWN:  # a first import of years of history: one mail, not a book
        lines.append(f"... and {n - SHOWN:,} more on the Complication records page")
    text = "\n".join([intro, *(f"- {line}" for line in lines), "", records, page, "", footer])
    e = html.escape
    body = (
        '<!doctype html><html><head><meta charset="utf-8"></head>'
        '<body style="font-family:Arial,Helvetica,sans-serif;color:#222">'
        f'<p style="font-weight:bold">{e(intro)}</p><ul>'
        + "".join(f"<li>{e(line)}</li>" for line in lines)
        + f'</ul><p><a href="{e(records)}">Complication records</a> · '
        f'<a href="{e(page)}">Complications</a></p>'
        f'<p style="font-size:12px;color:#777">{e(footer)}</p></body></html>'
    )
    return subject, text, body


def alert_for_import(
    store: Store,
    import_id: int,
    *,
    settings: mail.MailSettings | None = None,
    people: list[Recipient] | None = None,
    base_url: str | None = None,
    clinic: str | None = None,
) -> AlertResult:
    """E-mail managers and auditors the serious events an import brought, once per import.

    `settings` default to the environment's; `people` to every manager and auditor account
    with an e-mail address. A mail failure does not raise: the result says why, the audit
    trail keeps it, and a later call may try again.
    """
    found = store.rows(
        "select status, user_name from imports where import_id = $id", {"id": import_id}
    )
    if not found:
        raise ValueError(f"There is no import {import_id}.")
    status, who = found[0]
    events = serious_in_import(store, import_id) if status == "committed" else pd.DataFrame()

    def result(outcome: str, sentence: str, to: tuple[str, ...] = ()) -> AlertResult:
        return AlertResult(import_id, outcome, len(events), to, sentence)

    if events.empty:
        return result("nothing to alert", f"Import {import_id} brought no serious event.")
    if alert_state(store, import_id) in ("sending", "sent"):
        return result("already alerted", f"The serious events of import {import_id} were sent.")
    people = accounts(store, ALERT_ROLES) if people is None else people
    to = tuple(r.email for r in people)
    details = {
        "import_id": import_id,
        "events": len(events),
        "booking_refs": sorted(events["appointment_id"].astype(str))[:50],
        "recipients": [r.username for r in people],
    }
    problem = None
    try:
        settings = mail.settings() if settings is None else settings
    except mail.MailError as exc:  # a mistyped setting must not fail the import itself
        settings, problem = None, str(exc).rstrip(".")
    unconfigured = problem is None and settings is None
    if unconfigured:
        problem = NO_SERVER
    elif problem is None and not people:
        problem = "no manager or auditor account has an e-mail address"
    if problem or not _claim(store, import_id, len(events), len(to)):
        if problem is None:
            return result("already alerted", f"The alert of import {import_id} is being sent.")
        sentence = f"The alert for import {import_id} was not sent: {problem}."
        audit.log(
            store,
            user=who,
            role=None,
            action="alert-send",
            outcome="not sent",
            object=f"import {import_id}",
            details={**details, "reason": problem},
        )
        # A clinic without mail chose that: audited, but not a warning on every import.
        return result("no mail server" if unconfigured else "not sent", sentence)
    subject, text, body = alert_message(
        events,
        import_id,
        who,
        base=base_url or mail.dashboard_url(),
        clinic=clinic or mail.clinic_name(),
    )
    msg = mail.compose(subject=subject, sender=settings.sender, to=to, text=text, html=body)
    try:
        sent = mail.send(msg, to, settings)
    except mail.MailError as exc:
        _finish(store, import_id, "failed", str(exc))
        audit.log(
            store,
            user=who,
            role=None,
            action="alert-send",
            outcome="failed",
            object=f"import {import_id}",
            details={**details, "reason": str(exc)},
        )
        return result("not sent", f"The alert for import {import_id} was not sent: {exc}")
    _finish(store, import_id, "sent")
    refused = [r.username for r in people if r.email in sent.refused]
    audit.log(
        store,
        user=who,
        role=None,
        action="alert-send",
        outcome="ok" if not refused else "partly refused",
        object=f"import {import_id}",
        details={**details, "refused": refused},
    )
    said = f"Alert for import {import_id} sent to {len(sent.accepted)} of {len(to)} recipients."
    if sent.refused:
        said += " Refused: " + "; ".join(f"{k} ({v})" for k, v in sent.refused.items()) + "."
    return result("sent", said, sent.accepted)


def after_import(store: Store, result: object) -> AlertResult | None:
    """Alert on a committed side-effects import's serious events; never fail the import.

    Every failure is logged and, where the store still takes a row, audited; None when there
    was nothing to do or the attempt failed before a result.
    """
    import_id = getattr(result, "import_id", None)
    if getattr(result, "status", None) != "committed" or import_id is None:
        return None
    if getattr(result, "kind", None) != "side-effects":  # only reports can be serious
        return None
    try:
        done = alert_for_import(store, import_id)
    except Exception as exc:  # the import is committed: say why the alert failed, go on
        log.warning("The alert for import %s failed: %s", import_id, exc)
        try:
            audit.log(
                store,
                user=None,
                role=None,
                action="alert-send",
                outcome="failed",
                object=f"import {import_id}",
                details={"import_id": import_id, "reason": f"{type(exc).__name__}: {exc}"},
            )
        except Exception as again:  # the store itself refused: the log above is what remains
            log.warning("The failed alert for import %s was not audited: %s", import_id, again)
        return None
    if done.outcome == "not sent":
        log.warning(done.sentence)
    elif done.outcome == "sent":
        log.info(done.sentence)
    return done
