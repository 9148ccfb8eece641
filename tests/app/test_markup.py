"""Text from a URL, a file or a user is shown as text: never a link, an image or markup."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from streamlit.testing.v1 import AppTest

from clinic import ingest
from clinic.store import open_store

# The link: a phishing link and a tracking image that survive the login's next=.
PAYLOAD = (
    "[Session expired - log in again](https://evil.example/login) "
    "![t](http://127.0.0.1:8698/track.png)"
)
HOSTILE_NAME = "<a href=https://evil.example/>Dr Evil</a>"
ROOT = Path(__file__).resolve().parents[2]
REFUSED = "The link named a {} this store does not have: showing every {}."


def _markdown_shown(at: AppTest) -> list[str]:
    """The markdown source of every text element a page drew (captions, alerts, labels...)."""
    texts = [
        e.value
        for kind in ("caption", "markdown", "info", "warning", "error", "success")
        for e in getattr(at, kind)
    ]
    texts += [w.label for w in (*at.selectbox, *at.checkbox, *at.text_input)]
    texts += [m.label for m in at.metric] + [m.proto.help for m in at.metric]
    return [str(t) for t in texts]


# An unescaped markdown link or image to a URL, or a raw HTML link or image of the payloads.
LIVE = re.compile(
    r"(?<!\\)\]\(\s*(https?:|//)|(?<!\\)<(a|img)\b[^>]*(evil\.example|:8698)", re.IGNORECASE
)


def _assert_inert(texts: list[str]) -> None:
    """No text holds a live markdown link or image, or raw HTML of the payloads."""
    for text in texts:
        assert not LIVE.search(text), text


@pytest.mark.parametrize("name", ["site", "clinician"])
@pytest.mark.parametrize("role", ["manager", "auditor"])
def test_a_link_in_the_url_is_refused_with_a_sentence(seeded: Path, open_app, role, name):
    """?site= or ?clinician= naming no site or clinician of the store is refused, not shown."""
    at = open_app(role, None, {name: PAYLOAD})  # lands on the role's first page, Overview
    assert not at.exception
    assert at.selectbox(key=f"f_{name}").value == "All"
    assert REFUSED.format(name, name) in [w.value for w in at.sidebar.warning]
    _assert_inert(_markdown_shown(at))
    assert name not in at.query_params  # the refused value leaves the address bar too
    at.switch_page("pages/complications.py").run()
    _assert_inert(_markdown_shown(at))


def test_a_known_value_in_the_url_still_filters(seeded: Path, open_app):
    """A site the store holds is taken from the URL without a warning."""
    at = open_app("manager", "pages/overview.py", {"site": "Ealing"})
    assert at.selectbox(key="f_site").value == "Ealing" and not at.warning


def test_a_link_in_the_records_url_is_refused(seeded: Path):
    """Complication records opened on an unknown ?clinician= refuse it with the same sentence."""
    at = AppTest.from_file(str(ROOT / "pages" / "records.py"), default_timeout=60)
    at.session_state["_viewer"] = {"username": "auditor", "role": "auditor"}
    at.query_params["clinician"] = PAYLOAD
    at.run()
    assert not at.exception
    assert at.selectbox(key="r_clinician").value == "All"
    assert REFUSED.format("clinician", "clinician") in [w.value for w in at.warning]
    _assert_inert(_markdown_shown(at))


@pytest.fixture
def hostile(seeded: Path) -> Path:
    """The seeded store plus two sessions of a clinician and site imported with markup names."""
    export = (
        "Booking ID,Date,Customer ID,Therapist,Treatment,Status,Clinic\n"
        f'H-1,05/05/2026,C9,"{HOSTILE_NAME}",Single Session,Completed,"{HOSTILE_NAME}"\n'
        f'H-2,06/05/2026,C8,"{HOSTILE_NAME}",Single Session,Completed,"{HOSTILE_NAME}"\n'
    ).encode()
    result = ingest.import_file(open_store(seeded), "appointments", export, file_name="h.csv")
    assert result.status == "committed", result
    return seeded


@pytest.mark.parametrize("page", ["pages/revenue.py", "pages/complications.py"])
def test_names_from_a_file_are_text_in_charts(hostile: Path, open_app, page):
    """A clinician or site imported as `<a href=...>` is an escaped label in every chart."""
    at = open_app("manager", page, {"from": "2026-01-01", "to": "2026-06-30"})
    assert not at.exception
    specs = [json.loads(c.proto.spec) for c in at.get("plotly_chart")]
    assert specs
    text = json.dumps(specs)
    assert "<a href" not in text and "<a " not in text
    if page == "pages/revenue.py":
        assert "&lt;a href=https://evil.example/&gt;Dr Evil&lt;/a&gt;" in text


def test_the_chosen_hostile_name_is_text_in_captions(hostile: Path, open_app):
    """Choosing that clinician in the filter shows its name escaped in the page's caption."""
    at = open_app("manager", "pages/revenue.py")
    at.selectbox(key="f_clinician").set_value(HOSTILE_NAME).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any("Dr Evil" in c for c in captions)
    _assert_inert(_markdown_shown(at))


def test_file_headers_are_text_in_the_preview(empty: Path, open_app):
    """Column headers of an uploaded file are listed escaped (ignored and dropped columns)."""
    export = (
        b"Booking ID,Date,Customer ID,Therapist,Treatment,Status,"
        b"[Click me](https://evil.example/x),![t](http://127.0.0.1:8698/t.png)\n"
        b"B-1,03/04/2026,C1,Dr Ames,Single Session,Completed,a,b\n"
    )
    at = open_app("manager", "pages/upload.py")
    at.selectbox(key="u_kind").set_value("appointments").run()
    at.file_uploader(key="u_file").set_value(("export.csv", export, "text/csv")).run()
    assert not at.exception
    captions = [c.value for c in at.caption]
    assert any(c.startswith("Ignored columns:") and "Click me" in c for c in captions), captions
    _assert_inert(_markdown_shown(at))
