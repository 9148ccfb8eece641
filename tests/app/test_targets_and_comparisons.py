"""Targets, open complications, published bands and comparisons on screen, as people meet them."""

from __future__ import annotations

import json
from pathlib import Path

from clinic import targets
from clinic.store import open_store

QUERY = {"from": "2026-01-01", "to": "2026-06-30"}


def _captions(at) -> list[str]:
    """Every caption on the page."""
    return [c.value for c in at.caption]


def test_manager_sets_a_review_target_on_follow_ups(seeded: Path, open_app) -> None:
    """The slider is gone; the saved target shows in force, in the history, under the table
    and as a line on the chart; the store keeps it."""
    at = open_app("manager", "pages/follow-ups.py", QUERY)
    assert not at.slider
    at.selectbox(key="targets_compliance_measure").set_value("review_6w").run()
    at.number_input(key="targets_compliance_value:review_6w").set_value(85.0).run()
    at.button(key="targets_compliance_save").click().run()
    assert not at.exception
    assert "The target for six-week review is set to 85.0%." in [s.value for s in at.success]
    assert targets.current(open_store(seeded))["review_6w"].value == 0.85
    assert any("target at least 85%" in c for c in _captions(at))
    # One colon to a verdict: "Six-week review 73.5%, target at least 85%: not met".
    line = next(c for c in _captions(at) if "target at least 85%" in c)
    assert all(part.count(":") == 1 for part in line.split(" · ")), line
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [s["y0"] for s in chart["layout"]["shapes"]] == [0.85]


def test_overview_tiles_say_met_or_not(seeded: Path, open_app) -> None:
    """A 5% no-show target is met by 0 of 5 (0.0%); a 90% review target with nothing eligible
    has no rate to judge; an auditor reads them and gets no form."""
    store = open_store(seeded)
    targets.set_target(store, "no_show", 0.05, user="max", role="manager")
    targets.set_target(store, "review_6w", 0.9, user="max", role="manager")
    at = open_app("auditor", "pages/overview.py", QUERY)
    said = " ".join(_captions(at))
    assert "Target at most 5%: met" in said
    assert "Target at least 90%:" in said
    assert not [b for b in at.button if b.key and b.key.startswith("targets_")]


def test_staff_get_no_target_form(seeded: Path, open_app) -> None:
    """Staff see the call list only: no target form, no history."""
    at = open_app("staff", "pages/follow-ups.py")
    assert not [b for b in at.button if b.key and b.key.startswith("targets_")]


def test_attendance_targets_draw_on_the_monthly_chart(seeded: Path, open_app) -> None:
    """A cancellation target set on Attendance & retention is a line on the monthly chart."""
    at = open_app("admin", "pages/attendance.py", QUERY)
    at.selectbox(key="targets_attendance_measure").set_value("cancelled").run()
    at.number_input(key="targets_attendance_value:cancelled").set_value(10.0).run()
    at.button(key="targets_attendance_save").click().run()
    assert not at.exception
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [round(s["y0"], 3) for s in chart["layout"]["shapes"]] == [0.1]
    assert any("Target at most 10%" in c for c in _captions(at))


def _table(at, key: str):
    """The table drawn with this key."""
    return next(d.value for d in at.dataframe if d.proto.id and key in d.proto.id)


def test_complications_page_lists_open_reports_for_auditors(seeded: Path, open_app) -> None:
    """Both seeded reports are open: the DVT (serious) first; its session is A4."""
    at = open_app("auditor", "pages/complications.py", QUERY)
    assert not at.exception
    subheaders = [s.value for s in at.subheader]
    assert "Still open" in subheaders and "Time to resolution" in subheaders
    frames = [d.value for d in at.dataframe if "days_open" in d.value.columns]
    assert len(frames) == 1
    assert list(frames[0]["session_ref"]) == ["A4", "A1"]
    assert not [b for b in at.button if b.key and b.key.startswith("targets_")]


def test_records_open_only_reaches_the_url(seeded: Path, open_app) -> None:
    """Ticking "open only" writes open=yes into the link; both seeded reports are open."""
    at = open_app("auditor", "pages/records.py")
    assert at.checkbox(key="r_open").value is False
    at.checkbox(key="r_open").check().run()
    assert not at.exception
    assert at.query_params["open"] in ("yes", ["yes"])
    assert any("2 matching reports" in c.value for c in at.caption)


def test_complications_page_shows_published_bands_with_caveat(seeded: Path, open_app) -> None:
    """The bands table sits beside our rates with the per-patient/per-session caveat and the
    guideline's citation."""
    at = open_app("manager", "pages/complications.py", QUERY)
    assert not at.exception
    frames = [d.value for d in at.dataframe if "foam" in d.value.columns]
    assert len(frames) == 1
    dvt = frames[0].set_index("effect").loc["deep vein thrombosis"]
    assert (dvt["events"], dvt["eligible"]) == (1, 4)  # R2 of the 4 completed sessions
    said = " ".join(_captions(at))
    assert "per patient under active follow-up" in said
    assert "PMC8692296" in said and "Hautarzt 2021" in said


def test_tiles_compare_with_last_year_and_charts_draw_it(seeded: Path, open_app) -> None:
    """Jan-Jun 2026 has no data a year earlier: each tile says so; with all dates there is no
    last-year line at all (nothing to compare an open range with)."""
    at = open_app("manager", "pages/attendance.py", QUERY)
    assert not at.exception
    said = _captions(at)
    assert said.count("no figure for last year to compare") >= 6
    everything = open_app("manager", "pages/attendance.py", {"preset": "all"})
    assert not any("last year to compare" in c for c in _captions(everything))


def test_demo_charts_draw_last_year_faintly(demo_db: Path, open_app) -> None:
    """Two years of demo data: the monthly rates chart has last year's faint lines, and tiles
    say the change on last year in words."""
    at = open_app("manager", "pages/attendance.py")
    assert not at.exception
    chart = json.loads(at.get("plotly_chart")[0].proto.spec)
    assert [t for t in chart["data"] if t.get("legendgroup") == "last year"]
    assert any(c.endswith("on last year") for c in _captions(at))
