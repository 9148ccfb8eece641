"""The Upload page's two ways in (a file, the phone form) e-mail a serious event at once.

The page runs in AppTest on a real store; the mail goes to a real SMTP server on loopback.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic import audit, auth
from clinic.store import open_store
from tests.unit import notify_support as ns

SERIOUS = (
    b"Session ID,Report Date,Complication,Severity,Needs Medical Attention,Notes\n"
    b"A7,2026-06-01,pulmonary embolism,severe,Yes,Mrs Example rang from 07700 900123\n"
)


@pytest.fixture
def mailing(seeded: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[ns.Smtp]:
    """A loopback SMTP server the environment names, a manager, an auditor and a staff
    account with addresses."""
    store = open_store(seeded)
    for name, role in (("mia", "manager"), ("aud", "auditor"), ("sam", "staff")):
        auth.add_user(store, name, role, ns.PASSWORD, f"{name}@clinic.test")
    for smtp in ns.serve():
        ns.mail_env(monkeypatch, smtp.settings.port)
        yield smtp


def _recipients(smtp: ns.Smtp) -> list[set[str]]:
    """The envelope recipients of each message received."""
    return [set(m["X-RcptTo"].split(", ")) for m in smtp.messages]


def test_an_uploaded_serious_event_is_mailed_once(seeded: Path, mailing, open_app) -> None:
    """A side-effects file with a serious report, imported on the page by staff: one mail to the
    manager and the auditor (not staff), with what, when and the booking; no note."""
    at = open_app("staff", "pages/upload.py")
    at.selectbox(key="u_kind").set_value("side-effects").run()
    at.file_uploader(key="u_file").set_value(("effects.csv", SERIOUS, "text/csv")).run()
    at.button(key="u_import").click().run()
    assert not at.exception
    assert any("Imported: 1 new" in s.value for s in at.success)
    assert _recipients(mailing) == [{"mia@clinic.test", "aud@clinic.test"}]
    text = ns.text_of(mailing.messages[0])
    assert "pulmonary embolism (severe)" in text and "booking reference A7" in text
    assert "reported 01/06/2026" in text
    assert "Example" not in text and "07700" not in text
    trail = audit.entries(open_store(seeded), action="alert-send")
    assert list(trail["outcome"]) == ["ok"]


def test_a_serious_event_recorded_by_phone_is_mailed(seeded: Path, mailing, open_app) -> None:
    """The phone form: a deep vein thrombosis after A7 is mailed to manager and auditor."""
    at = open_app("staff", "pages/upload.py")
    at.text_input(key="se_appointment").input("A7")
    at.selectbox(key="se_effect").set_value("deep vein thrombosis")
    at.button(key="se_submit").click().run()
    assert not at.exception
    assert any("deep vein thrombosis" in s.value for s in at.success)
    assert _recipients(mailing) == [{"mia@clinic.test", "aud@clinic.test"}]
    assert "booking reference A7" in ns.text_of(mailing.messages[0])
