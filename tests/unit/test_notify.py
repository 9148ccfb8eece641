"""The digest, alerts and the governance pack, sent to a real SMTP server on loopback.

The store is two synthetic years imported from vendor exports by the real importer (built once,
copied for each test); the messages are read back from aiosmtpd as a mail client would.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import pandas as pd
import pytest

from clinic import attendance, audit, formats, metrics, targets
from clinic.ingest import import_file, record_side_effect
from clinic.notify import alerts, digest, recipients
from clinic.store import Store
from tests.unit import notify_support as ns

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture
def template(notify_template) -> tuple[Path, dict[str, Path]]:
    """The store every test starts from (tests/unit/conftest.py), and its exports."""
    return notify_template


@pytest.fixture
def store(template, tmp_path: Path) -> Iterator[Store]:
    """A private copy of the template store, open."""
    s = Store(ns.copy_store(template[0], tmp_path))
    yield s
    s.close()


@pytest.fixture
def smtpd() -> Iterator[ns.Smtp]:
    """A plain SMTP server on loopback that keeps what it receives."""
    yield from ns.serve()


def _by_role(messages) -> dict[str, object]:
    """Received messages keyed by the role named in their footer."""
    found = {}
    for msg in messages:
        text = msg.get_body(("plain",)).get_content()
        role = re.search(r"accounts with the (\w+) role", text).group(1)
        found[role] = msg
    return found


# -- periods --------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kind", "as_of", "start", "end"),
    [
        ("week", date(2026, 11, 30), date(2026, 11, 23), date(2026, 11, 29)),  # Monday
        ("week", date(2026, 11, 29), date(2026, 11, 16), date(2026, 11, 22)),  # Sunday: not over
        ("week", date(2026, 12, 2), date(2026, 11, 23), date(2026, 11, 29)),
        ("month", date(2026, 12, 1), date(2026, 11, 1), date(2026, 11, 30)),
        ("month", date(2026, 11, 30), date(2026, 10, 1), date(2026, 10, 31)),
        ("month", date(2026, 3, 15), date(2026, 2, 1), date(2026, 2, 28)),
    ],
)
def test_period_is_the_last_complete_week_or_month(kind, as_of, start, end) -> None:
    """A digest as of a date covers the last complete Monday-Sunday week or calendar month."""
    p = digest.period_for(kind, as_of)
    assert (p.start, p.end) == (start, end)


def test_previous_and_last_year_periods() -> None:
    """Weeks compare with the week before and 52 weeks back (a Monday); months with months."""
    week = digest.period_for("week", date(2026, 11, 30))
    assert (week.previous().start, week.previous().end) == (date(2026, 11, 16), date(2026, 11, 22))
    assert week.last_year().start == date(2025, 11, 24) and week.last_year().start.weekday() == 0
    month = digest.month_period("2026-03")
    assert (month.previous().start, month.previous().end) == (date(2026, 2, 1), date(2026, 2, 28))
    assert (month.last_year().start, month.last_year().end) == (date(2025, 3, 1), date(2025, 3, 31))


# -- the digest -----------------------------------------------------------------------------------
def test_digest_goes_to_each_role_with_its_parts_only(store, template, smtpd) -> None:
    """One message per role to its enabled accounts with an address; staff get no revenue;
    figures equal metrics; every image is attached and referenced; no patient value anywhere."""
    people = recipients.accounts(store)
    assert {r.username for r in people} == {"mia", "max", "sam", "aud", "ada"}
    done = digest.send_digests(store, "week", ns.AS_OF, people, smtpd.settings, user="cron")
    assert all(not d.refused for d in done)
    got = _by_role(smtpd.messages)
    assert set(got) == {"admin", "auditor", "manager", "staff"}
    envelope = {role: set(m["X-RcptTo"].split(", ")) for role, m in got.items()}
    assert envelope == {
        "manager": {"mia@clinic.test", "max@clinic.test"},
        "staff": {"sam@clinic.test"},
        "auditor": {"aud@clinic.test"},
        "admin": {"ada@clinic.test"},
    }
    p = digest.period_for("week", ns.AS_OF)
    k = metrics.kpis(store, p.filters(), ns.AS_OF)
    review = metrics.compliance(store, digest.reviews_closing(p), ns.AS_OF).iloc[0]
    manager = got["manager"].get_body(("html",)).get_content()
    assert formats.money(k["revenue_gbp"], pence=False) in manager
    said = got["manager"].get_body(("plain",)).get_content()
    assert f"- Treatment sessions: {k['sessions']:,} | " in said
    rate = k["complication_rate"]
    assert (
        f"{formats.percent(rate['rate'])} ({rate['events']:,} of {rate['eligible']:,})" in manager
    )
    assert (
        f"{formats.percent(review['rate'])} ({int(review['met']):,} of {int(review['eligible']):,})"
        in manager
    )
    staff = ns.text_of(got["staff"])
    assert "Revenue" not in staff and "£" not in staff and "Complication rate" not in staff
    assert "reviews due or overdue" in staff
    auditor = ns.text_of(got["auditor"])
    assert "Revenue" not in auditor and "Complication rate" in auditor
    assert "Six-week review" not in auditor  # compliance rates are the Follow-ups page's
    for role, msg in got.items():
        html = msg.get_body(("html",)).get_content()
        pictures = [p for p in msg.walk() if p.get_content_type() == "image/png"]
        cids = {p["Content-ID"].strip("<>") for p in pictures}
        assert cids == set(re.findall(r'src="cid:([^"]+)"', html)), role
        assert all(p.get_content()[:8] == b"\x89PNG\r\n\x1a\n" for p in pictures)
        # each chart is a link to its page, on the chart's dates
        assert all(re.search(rf'<a href="[^"]+"><img src="cid:{re.escape(c)}"', html) for c in cids)
    assert len([p for p in got["manager"].walk() if p.get_content_type() == "image/png"]) == 2
    assert not [p for p in got["staff"].walk() if p.get_content_type() == "image/png"]
    secrets = ns.identifying_values(template[1], store)
    assert len(secrets) > 1000
    for msg in got.values():
        text = ns.text_of(msg)
        assert not [s for s in secrets if s in text]
    trail = audit.entries(store, action="digest-send")
    assert sorted(trail["outcome"]) == ["ok"] * 4


def test_digest_figures_equal_the_reports(store, template) -> None:
    """The tiles equal `clinic report ... --json` for the same dates, run as a user would."""
    figs = digest.build_digest(store, "month", ns.AS_OF, "manager", draw=False).figures
    store.close()
    db = str(store.path)
    p = digest.period_for("month", ns.AS_OF)

    def report(*args: str) -> list[dict]:
        done = subprocess.run(
            [sys.executable, "-m", "clinic", "report", *args, "--json", "--db", db],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
        return json.loads(done.stdout)

    for when, period in (("now", p), ("previous", p.previous()), ("last_year", p.last_year())):
        span = ("--from", period.start.isoformat(), "--to", period.end.isoformat())
        tile = figs["tiles"][when]
        revenue = report("revenue", *span, "--by", "month")
        assert round(sum(r["revenue_gbp"] for r in revenue), 2) == tile["revenue_gbp"]
        comp = report("complications", *span)[0]
        assert tile["sessions"] == comp["eligible"]
        assert tile["complication_rate"] == {
            "eligible": comp["eligible"], "events": comp["events"], "rate": comp["rate"]
        }  # fmt: skip
        closing = digest.reviews_closing(period)
        review = next(
            r
            for r in report(
                "compliance",
                "--from",
                closing.start.isoformat(),
                "--to",
                closing.end.isoformat(),
                "--as-of",
                ns.AS_OF.isoformat(),
            )
            if r["measure"] == "review_6w"
        )
        assert tile["review_6w"] == {
            "eligible": review["eligible"], "events": review["met"], "rate": review["rate"]
        }  # fmt: skip


def test_a_week_without_imports_says_so_at_the_top(store) -> None:
    """No export imported in the week: the first thing said is that, not the zeros."""
    # The template's imports ran today, after AS_OF: as of AS_OF there were none at all.
    d = digest.build_digest(store, "week", ns.AS_OF, "manager", draw=False)
    assert d.subject.startswith("No new data: ")
    body = d.html.split("<body", 1)[1]
    first = re.search(r"<p[^>]*>([^<]+)</p>", body).group(1)
    assert first.startswith(
        "No export was imported in or since the week of 23/11/2026 to 29/11/2026"
    )
    assert "missing data, not a quiet period" in first
    assert d.text.startswith("!! No export was imported")
    fresh = {k["kind"]: k for k in d.figures["freshness"]["kinds"]}
    assert fresh["appointments"]["last_import"] is None and fresh["appointments"]["warning"]


def test_imports_in_the_week_lift_the_warning_and_age_is_counted(store) -> None:
    """An appointments import in the week: no banner; an export 9 days old is a warning."""
    ns.set_import_time(store, "appointments", "2026-11-27 10:00:00")
    ns.set_import_time(store, "side-effects", "2026-11-21 10:00:00")  # 9 days before AS_OF
    d = digest.build_digest(store, "week", ns.AS_OF, "manager", draw=False)
    assert not d.subject.startswith("No new data")
    assert "No export was imported" not in d.html
    fresh = {k["kind"]: k for k in d.figures["freshness"]["kinds"]}
    assert fresh["appointments"] == {
        "kind": "appointments", "last_import": "2026-11-27", "days_since": 3,
        "imports_since_start": 1, "warning": False,
    }  # fmt: skip
    assert fresh["side-effects"]["days_since"] == 9 and fresh["side-effects"]["warning"]
    assert "Side-effect reports: last imported 21/11/2026 (9 days ago) - warning" in d.text


def test_an_import_after_the_period_still_brought_its_data(store) -> None:
    """The week's appointments imported the day after it ended: no "no new data" banner (the
    figures hold the week), while the week itself saw no import."""
    ns.set_import_time(store, "appointments", "2026-11-30 09:00:00")  # AS_OF, after the week
    d = digest.build_digest(store, "week", ns.AS_OF, "manager", draw=False)
    assert not d.subject.startswith("No new data")
    assert "No export was imported" not in d.html


def test_digest_written_to_a_file_holds_its_images(store, tmp_path) -> None:
    """--out writes one role's digest with the charts inside, to open in a browser."""
    d = digest.build_digest(store, "month", ns.AS_OF, "manager")
    page = d.standalone_html()
    assert "cid:" not in page and page.count("data:image/png;base64,") == 2


# -- alerts ---------------------------------------------------------------------------------------
def _serious_export(store: Store, folder: Path, effect: str, notes: str) -> Path:
    """A side-effects export with one new report on an existing completed session."""
    booking = store.scalar(
        "select appointment_id from appointments where kind = 'treatment'"
        " and status = 'completed' order by appointment_date desc, appointment_id limit 1"
    )
    path = folder / f"{effect.replace(' ', '-')}.csv"
    path.write_text(
        "Session ID,Report Date,Complication,Severity,Needs Medical Attention,Notes\n"
        f"{booking},2026-11-29,{effect},severe,Yes,{notes}\n",
        encoding="utf-8",
    )
    return path


@pytest.fixture
def mailing(smtpd, monkeypatch) -> ns.Smtp:
    """The environment's mail settings point at the loopback server, as a clinic's would."""
    ns.mail_env(monkeypatch, smtpd.settings.port)
    return smtpd


def test_an_import_with_a_serious_event_alerts_managers_and_auditors_once(
    store, mailing, tmp_path
) -> None:
    """The import itself sends what, when and which booking, to managers and auditors only,
    once: asking again or importing the same file again sends nothing more."""
    notes = "Mrs Jane Example phoned from 07700 900123"
    path = _serious_export(store, tmp_path, "deep vein thrombosis", notes)
    result = import_file(store, "side-effects", path, user="sam")
    assert result.status == "committed"
    booking = path.read_text().splitlines()[1].split(",")[0]
    assert len(mailing.messages) == 1
    msg = mailing.messages[0]
    assert set(msg["X-RcptTo"].split(", ")) == {
        "mia@clinic.test",
        "max@clinic.test",
        "aud@clinic.test",
    }
    text = ns.text_of(msg)
    assert "deep vein thrombosis (severe)" in text and f"booking reference {booking}" in text
    assert "reported 29/11/2026" in text and "needed medical attention" in text
    assert "Jane" not in text and "07700" not in text and "phoned" not in text
    again = alerts.alert_for_import(store, result.import_id)
    assert again.outcome == "already alerted" and len(mailing.messages) == 1
    assert alerts.alert_state(store, result.import_id) == "sent"
    same = import_file(store, "side-effects", path, user="sam")
    assert same.status == "committed" and same.unchanged == 1
    assert len(mailing.messages) == 1
    # newest first; older rows are the template's own imports, made with no mail server
    trail = audit.entries(store, action="alert-send")
    assert list(trail["outcome"]).count("ok") == 1 and trail["outcome"].iloc[0] == "ok"
    assert booking in trail["details"].iloc[0] and notes not in trail["details"].iloc[0]


def test_a_side_effect_recorded_on_screen_alerts_too(store, mailing) -> None:
    """The phone form's path (record_side_effect) sends the alert as an import does."""
    booking = store.scalar(
        "select appointment_id from appointments where kind = 'treatment'"
        " and status = 'completed' order by appointment_date desc, appointment_id limit 1"
    )
    result = record_side_effect(
        store,
        {
            "appointment_id": booking,
            "reported_date": date(2026, 11, 29),
            "effect": "pulmonary embolism",
            "severity": "severe",
            "medical_attention": True,
        },
        user="sam",
        role="staff",
    )
    assert result.status == "committed"
    [msg] = mailing.messages
    assert f"booking reference {booking}" in ns.text_of(msg)
    assert "pulmonary embolism" in msg["Subject"]


def test_an_import_without_a_serious_event_sends_nothing(store, mailing, tmp_path) -> None:
    """Bruising is not serious: nothing is sent or recorded."""
    path = _serious_export(store, tmp_path, "bruising", "fine")
    path.write_text(path.read_text().replace(",severe,Yes,", ",mild,No,"), encoding="utf-8")
    before = len(audit.entries(store, action="alert-send"))
    result = import_file(store, "side-effects", path, user="sam")
    assert result.status == "committed" and not mailing.messages
    assert alerts.alert_state(store, result.import_id) is None
    assert len(audit.entries(store, action="alert-send")) == before


def test_a_failed_alert_never_fails_the_import_and_is_sent_on_retry(
    store, smtpd, tmp_path, monkeypatch, caplog
) -> None:
    """A server that refuses the connection: the import commits, the failure is logged and
    audited, and a later call sends it."""
    ns.mail_env(monkeypatch, ns.free_port())  # nothing listens there
    path = _serious_export(store, tmp_path, "pulmonary embolism", "x")
    result = import_file(store, "side-effects", path)
    assert result.status == "committed" and result.inserted == 1
    assert alerts.alert_state(store, result.import_id) == "failed"
    assert "refused the connection" in caplog.text
    retry = alerts.alert_for_import(store, result.import_id, settings=smtpd.settings)
    assert retry.outcome == "sent" and len(smtpd.messages) == 1
    assert list(audit.entries(store, action="alert-send")["outcome"])[:2] == ["ok", "failed"]


def test_without_a_mail_server_the_import_stands_and_the_trail_says_why(
    store, tmp_path, monkeypatch
) -> None:
    """No CLINIC_SMTP_HOST: nothing is sent, the audit trail says why, the import stands."""
    monkeypatch.delenv("CLINIC_SMTP_HOST", raising=False)
    result = import_file(
        store,
        "side-effects",
        _serious_export(store, tmp_path, "nerve damage", "x"),
    )
    assert result.status == "committed"
    assert alerts.alert_state(store, result.import_id) is None  # a later call may send it
    trail = audit.entries(store, action="alert-send")
    assert (
        trail["outcome"].iloc[0] == "not sent" and str(result.import_id) in trail["object"].iloc[0]
    )
    assert "no mail server is configured" in trail["details"].iloc[0]


def test_months_without_a_signal_are_not_called_signals() -> None:
    """A chart with one signal leaves the other months' signal missing (NaN once pandas makes
    the column text): those are not signals, in the digest or the pack ("nan" was listed)."""
    from clinic.notify import pack

    chart = pd.DataFrame(
        {
            "month": [date(2026, 8, 1), date(2026, 9, 1), date(2026, 10, 1)],
            "events": [6, 7, 3],
            "eligible": [89, 97, 104],
            "rate": [6 / 89, 7 / 97, 3 / 104],
            "centre": [0.028] * 3,
            "signal": ["2 of 3 near limit", "2 of 3 near limit", None],
        }
    )
    found = digest.recent_signals(chart)
    assert [s["month"] for s in found] == ["2026-08", "2026-09"]
    said = pack._signals_text(chart)
    assert "Oct 2026" not in said and "nan" not in said


def test_targets_missed_in_the_period_are_listed_with_the_reports_rates(store) -> None:
    """A target the period's rate misses is listed, with the rate `report ... --json` gives for
    the same sessions; a met target is not; attendance reaches managers, never staff."""
    p = digest.period_for("month", ns.AS_OF)
    f = metrics.Filters(start=p.start, end=p.end)
    no_show = next(r for r in attendance.summary(store, f) if r["measure"] == "no_show")
    complication = metrics.complications(store, f)["rate"].iloc[0]
    assert no_show["rate"] and complication > 0  # the fixture has both in the month
    for measure, value in (("no_show", no_show["rate"] / 2), ("complication_rate", 1.0)):
        targets.set_target(store, measure, value, user="m", role="manager")
    figs = digest.figures(store, p, ns.AS_OF)
    assert [m["measure"] for m in figs["off_target"]] == ["no_show"]
    missed = figs["off_target"][0]
    assert missed["rate"] == pytest.approx(no_show["rate"]) and missed["part"] == "attendance"
    assert formats.percent(no_show["rate"]) in missed["sentence"]
    assert digest.for_role(figs, "manager")["off_target"] == [missed]
    assert digest.for_role(figs, "staff")["off_target"] == []


def test_measures_off_target_reach_the_roles_that_read_them(store) -> None:
    """The seam issue 20's targets use: an off-target measure is listed, near the top, to the
    roles that may read its part (revenue: never staff, nor auditors)."""
    p = digest.period_for("week", ns.AS_OF)
    figs = digest.figures(store, p, ns.AS_OF)
    assert figs["off_target"] == []  # no targets yet
    figs["off_target"] = [
        {"measure": "revenue_gbp", "part": "revenue", "sentence": "Revenue is below target."},
        {"measure": "review_6w", "part": "compliance", "sentence": "Reviews are below 80%."},
    ]
    said = {}
    for role in ("manager", "staff", "auditor"):
        mine = digest.for_role(figs, role)
        _subject, body, text = digest.render(
            mine, role, p, ns.AS_OF, base="http://x", clinic="C", cids={}
        )
        said[role] = text
        assert ("Measures off target" in body) is (role == "manager")
    assert "Revenue is below target." in said["manager"] and "Reviews are below" in said["manager"]
    assert "target" not in said["staff"] and "target" not in said["auditor"]
