"""How pages show values: import counts, UK times, sales, partial months and stable colours."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from chartspec import legend_colours, traces, values, when

from clinic import charts, formats, metrics
from clinic.store import open_store
from clinic.ui import widgets

# The seeded store's figures are for 30/06/2026; 20/05/2026 cuts May short.
PARTIAL_MAY = {"from": "2026-01-01", "to": "2026-05-20"}


def _chart(at, title: str) -> dict:
    """The spec of the chart with this title."""
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        if spec["layout"]["title"]["text"] == title:
            return spec
    raise AssertionError(f"no chart titled {title!r}")


@pytest.mark.parametrize(
    ("role", "page"), [("manager", "pages/upload.py"), ("auditor", "pages/audit.py")]
)
def test_import_counts_are_numbers_and_times_are_uk(
    seeded: Path, open_app, role: str, page: str
) -> None:
    """ "Updated" is a count (never 01/01/1970); started/finished read dd/mm/yyyy hh:mm, UK time."""
    at = open_app(role, page)
    imports = next(d for d in at.dataframe if "updated" in d.value.columns)
    config = json.loads(imports.proto.columns)
    for count in ("rows_read", "inserted", "updated", "unchanged", "rejected"):
        assert config[count]["type_config"] == {"type": "number", "format": formats.TABLE_COUNT}
    for stamp in ("started_at", "finished_at"):
        assert config[stamp]["type_config"] == {
            "type": "datetime",
            "format": formats.TABLE_TIME,
            "timezone": "Europe/London",
        }
    assert str(imports.value["started_at"].dt.tz) == "Europe/London"


def test_revenue_tables_count_sales_not_sessions(seeded: Path, open_app) -> None:
    """Revenue counts appointments and sock sales together, so the column says "Sales"."""
    at = open_app("manager", "pages/revenue.py", PARTIAL_MAY)
    for frame in at.dataframe:
        config = json.loads(frame.proto.columns)
        if "sessions" in config:
            assert config["sessions"]["label"] == "Sales"
            assert "sock" in config["sessions"]["help"]
        for name, column in config.items():
            if name.endswith("_gbp"):
                assert column["type_config"]["format"] == "£%,.2f"


def test_compliance_tables_say_measures_in_words(seeded: Path, open_app) -> None:
    """The compliance table and the call list say "Six-week review", never review_6w."""
    at = open_app("manager", "pages/follow-ups.py", PARTIAL_MAY)
    summary = next(d.value for d in at.dataframe if "measure" in d.value.columns)
    assert list(summary["measure"]) == [formats.label(m) for m in metrics.MEASURES]


def test_sparklines_leave_the_partial_month_out(seeded: Path, open_app) -> None:
    """Up to 20/05/2026 the tiles' sparklines stop at March and the caption names May."""
    at = open_app("manager", "pages/overview.py", PARTIAL_MAY)
    lines = {m.label: list(m.proto.chart_data) for m in at.metric}
    assert lines["Treatment sessions"] == [1.0, 1.0, 1.0]  # Jan, Feb, Mar; May (A7) left out
    assert lines["Revenue"] == [145.0, 110.0, 100.0]
    assert "May 2026 (01/05/2026 to 20/05/2026) is left out" in at.caption[-1].value
    whole = open_app("manager", "pages/overview.py", {"from": "2026-01-01", "to": "2026-05-31"})
    assert [m.proto.chart_data for m in whole.metric][0] == [1.0, 1.0, 1.0, 1.0]
    assert "Sparklines show whole months." in whole.caption[-1].value
    # Up to 20/04/2026 April is partial, but the seeded clinic has no April: nothing left out.
    april = open_app("manager", "pages/overview.py", {"from": "2026-01-01", "to": "2026-04-20"})
    assert "Sparklines show whole months." in april.caption[-1].value


def test_revenue_tile_is_rounded_and_says_so(seeded: Path, open_app) -> None:
    """The revenue tile reads £485 (whole pounds) and its help says it is rounded."""
    at = open_app("manager", "pages/overview.py", {"from": "2026-01-01", "to": "2026-06-30"})
    tile = next(m for m in at.metric if m.label == "Revenue")
    assert tile.value == "£485"
    assert "Rounded to the pound" in tile.proto.help


def test_pchart_marks_the_partial_month(seeded: Path, open_app) -> None:
    """On Complications the p-chart draws May apart and names it in its subtitle."""
    at = open_app("manager", "pages/complications.py", PARTIAL_MAY)
    spec = _chart(at, "p-chart of the monthly rate")
    partial = next(t for t in traces(spec) if t.get("name") == "partial month")
    assert [when(x) for x in values(partial["x"])] == [when("2026-05-01")]
    assert "May 2026: 01/05/2026 to 20/05/2026" in spec["layout"]["title"]["subtitle"]["text"]


def test_revenue_colours_do_not_move_with_the_filters(seeded: Path, open_app) -> None:
    """Filtering out an item leaves the others' colours as they were (the fixed colour map)."""
    every = legend_colours(
        _chart(
            open_app("manager", "pages/revenue.py", PARTIAL_MAY), "Monthly revenue by session type"
        )
    )
    chelsea = legend_colours(
        _chart(
            open_app("manager", "pages/revenue.py", {**PARTIAL_MAY, "site": "Chelsea"}),
            "Monthly revenue by session type",
        )
    )
    assert set(chelsea) < set(every)
    assert {name: every[name] for name in chelsea} == chelsea
    assert every == {name: charts.SERIES_COLOURS[name] for name in every}


def test_audit_days_are_uk_days(seeded: Path, open_app) -> None:
    """Filtering the trail on 01/07/2026 means the UK day: 23:30 UTC on 30/06 is 00:30 on it."""
    with open_store(seeded).writer() as cur:
        late = ((900, "2026-06-30 22:30:00", "late"), (901, "2026-06-30 23:30:00", "owl"))
        for seq, at, user in late:
            cur.execute(
                "insert into audit_log (seq, logged_at, username, action, outcome, prev_hash,"
                " hash) values ($seq, $at, $user, 'login', 'ok', 'x', 'y')",
                {"seq": seq, "at": at, "user": user},
            )
    at = open_app("auditor", "pages/audit.py")
    at.date_input(key="a_from").set_value(date(2026, 7, 1))
    at.date_input(key="a_to").set_value(date(2026, 7, 1)).run()
    trail = next(d.value for d in at.dataframe if "logged_at" in d.value.columns)
    assert list(trail["username"]) == ["owl"]
    assert formats.timestamp(trail["logged_at"].iloc[0]) == "01/07/2026 00:30"


def test_sparkline_skips_a_month_without_sessions(seeded: Path, open_app) -> None:
    """A month with a sock sale but no session has no complication rate: Overview still draws."""
    with open_store(seeded).writer() as cur:
        cur.execute(
            "insert into appointments (appointment_id, appointment_date, patient_ref, clinician,"
            " item, kind, status, site, funding, import_id, first_import_id) values ('A8',"
            " '2026-04-10', 'p3', 'Dr Ames', 'Compression Socks', 'product', 'completed',"
            " 'Ealing', 'self-pay', 1, 1)"
        )
    at = open_app("manager", "pages/overview.py", {"from": "2026-01-01", "to": "2026-05-31"})
    assert not at.exception
    lines = {m.label: list(m.proto.chart_data) for m in at.metric}
    assert len(lines["Complication rate"]) == 4  # Jan, Feb, Mar, May: April has no rate


def test_account_and_price_headers_read_as_words() -> None:
    """Tables say "SSO only" and "Duration (min)", never "Sso only" or "Duration min"."""
    frame = pd.DataFrame({"sso_only": [False], "duration_min": [30]})
    config = widgets.money_columns(frame)
    assert config["sso_only"]["label"] == "SSO only"
    assert config["duration_min"]["label"] == "Duration (min)"


def test_revenue_by_funding_says_fundings_in_words(seeded: Path, open_app) -> None:
    """Grouped by funding, the revenue table reads "Self-pay" (as the filter does), not a code."""
    at = open_app("manager", "pages/revenue.py", PARTIAL_MAY, state={"revenue_by": "funding"})
    table = next(d.value for d in at.dataframe if "funding" in d.value.columns)
    assert list(table["funding"]) == ["Self-pay"]


@pytest.mark.parametrize(("role", "pointed"), [("manager", False), ("auditor", True)])
def test_complications_point_to_records_only_for_roles_that_open_it(
    seeded: Path, open_app, role: str, pointed: bool
) -> None:
    """A manager (no Complication records page) is not sent there; an auditor is."""
    at = open_app(role, "pages/complications.py", PARTIAL_MAY)
    assert not at.exception
    said = " ".join(c.value for c in at.caption)
    assert ("Complication records" in said) is pointed
