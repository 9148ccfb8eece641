"""Every page for every role, on a seeded and an empty store, through Streamlit's AppTest."""

from __future__ import annotations

import ast
import contextlib
import io
import json
import re
from datetime import date
from pathlib import Path

import pandas as pd
import pytest
from screen import screen_problems
from streamlit.testing.v1 import AppTest

from clinic import auth, cli, formats, metrics
from clinic.store import open_store
from clinic.ui import session, widgets

ROOT = Path(__file__).resolve().parents[2]

CASES = [(role, page[2]) for role in auth.ROLES for page in session.pages_for(role)]
FORBIDDEN = [
    (role, p[2]) for role in auth.ROLES for p in session.PAGES if not session.can(role, p[0])
]


def _no_errors(at: AppTest) -> None:
    """Fail when a run raised or showed an error box."""
    assert not at.exception, [e.value for e in at.exception]
    assert not [e.value for e in at.error], [e.value for e in at.error]


@pytest.mark.parametrize(("role", "page"), CASES)
def test_page_runs_on_seeded_store(seeded: Path, open_app, role: str, page: str) -> None:
    """Each page a role may open runs without an error and reads right (tests/screen.py)."""
    at = open_app(role, page)
    _no_errors(at)
    assert screen_problems(at) == []


@pytest.mark.parametrize(("role", "page"), CASES)
def test_page_runs_on_demo_store(demo_db: Path, open_app, role: str, page: str) -> None:
    """Each page a role may open runs without an error and reads right on the demo store."""
    at = open_app(role, page)
    _no_errors(at)
    assert screen_problems(at) == []


@pytest.mark.parametrize(("role", "page"), CASES)
def test_page_runs_on_empty_store(empty: Path, open_app, role: str, page: str) -> None:
    """Each page a role may open runs without an exception or error on an empty store."""
    _no_errors(open_app(role, page))


@pytest.mark.parametrize("role", auth.ROLES)
def test_every_page_checks_the_role(seeded: Path, open_app, role: str) -> None:
    """Each page opens for the roles of the matrix; for the others it shows only the message."""
    for key, _title, file, _url, _icon in session.PAGES:
        at = open_app(role, file)
        assert not at.exception, (role, key)
        denied = [e.value for e in at.error] == [session.ACCESS_MESSAGE]
        assert denied is not session.can(role, key), (role, key)
        if denied:
            assert not at.get("plotly_chart") and not at.dataframe and not at.metric


def test_menu_has_every_page_of_the_role_matrix() -> None:
    """The menu lists exactly the pages of auth's role matrix, in the contract's order."""
    assert tuple(p[0] for p in session.PAGES) == auth.PAGES


def test_titles_and_url_paths() -> None:
    """Page titles and URL paths are the ones the contract names."""
    assert [(p[1], p[3]) for p in session.PAGES] == [
        ("Overview", "overview"),
        ("Revenue", "revenue"),
        ("Follow-ups", "follow-ups"),
        ("Attendance & retention", "attendance"),
        ("Complications", "complications"),
        ("Complication records", "records"),
        ("Upload", "upload"),
        ("Prices", "prices"),
        ("Audit trail", "audit"),
        ("Accounts", "accounts"),
    ]


@pytest.mark.parametrize(("role", "page"), FORBIDDEN)
def test_forbidden_page_shows_access_message(seeded: Path, role: str, page: str) -> None:
    """Opening a page the role may not see shows the access message and no data."""
    at = AppTest.from_file(str(ROOT / page), default_timeout=60)
    at.session_state["user"] = {"username": f"x-{role}", "role": role}
    at.run()
    assert not at.exception
    assert [e.value for e in at.error] == [session.ACCESS_MESSAGE]
    assert not at.get("plotly_chart")
    assert not at.dataframe
    assert not at.metric


def test_staff_follow_ups_show_only_the_call_list(seeded: Path, open_app) -> None:
    """Staff see the call list on Follow-ups and no compliance charts or rates."""
    at = open_app("staff", "pages/follow-ups.py")
    assert not at.get("plotly_chart")
    assert not at.slider
    assert "Call list" in at.subheader[0].value


def test_auditor_overview_has_no_revenue(seeded: Path, open_app) -> None:
    """Auditors get the Overview tiles without revenue; managers get all six."""
    assert [m.label for m in open_app("auditor", "pages/overview.py").metric] == [
        "Treatment sessions",
        "Six-week review attended",
        "Complication rate",
        "No-show rate",
        "New patients",
    ]
    assert len(open_app("manager", "pages/overview.py").metric) == 6


def test_filter_change_reaches_url(seeded: Path, open_app) -> None:
    """Choosing a site and a preset writes them into the query string."""
    at = open_app("manager", "pages/revenue.py")
    at.selectbox(key="f_site").set_value("Ealing").run()
    at.selectbox(key="f_preset").set_value("year_to_date").run()
    assert at.query_params["site"] in ("Ealing", ["Ealing"])
    assert at.query_params["preset"] in ("year_to_date", ["year_to_date"])


def test_url_sets_filters(seeded: Path, open_app) -> None:
    """A link with ?from=&to=&site= opens with those filters chosen."""
    at = open_app(
        "manager", "pages/revenue.py", {"from": "2026-02-01", "to": "2026-03-31", "site": "Chelsea"}
    )
    assert at.selectbox(key="f_preset").value == "custom"
    assert at.date_input(key="f_from").value == date(2026, 2, 1)
    assert at.date_input(key="f_to").value == date(2026, 3, 31)
    assert at.selectbox(key="f_site").value == "Chelsea"


def _frame_with(at: AppTest, columns: list[str]) -> pd.DataFrame:
    """The first table on the page whose columns are exactly `columns`."""
    for frame in at.dataframe:
        if list(frame.value.columns) == columns:
            return frame.value
    raise AssertionError(f"no table with columns {columns}")


QUERY = {"from": "2026-01-01", "to": "2026-06-30"}
F = metrics.Filters(start=date(2026, 1, 1), end=date(2026, 6, 30))


def test_revenue_numbers_equal_metrics(seeded: Path, open_app) -> None:
    """The Revenue table equals metrics.revenue (months shown as dates) and the total of £485."""
    at = open_app("manager", "pages/revenue.py", QUERY)
    shown = _frame_with(at, ["month", "sessions", "revenue_gbp"])
    expected = widgets.displayed(metrics.revenue(open_store(seeded), F, "month"))
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)
    # 120 + socks 25 + charged 110 + 100 + 130 (the price rose on 01/03/2026); cancelled = 0.
    assert shown["revenue_gbp"].sum() == pytest.approx(485.0)


def test_follow_up_numbers_equal_metrics(seeded: Path, open_app) -> None:
    """The compliance summary equals metrics.compliance (measures in words), same filters."""
    at = open_app("manager", "pages/follow-ups.py", QUERY)
    expected = widgets.displayed(
        metrics.compliance(open_store(seeded), F, date.fromisoformat("2026-06-30"))
    )
    shown = _frame_with(at, list(expected.columns))
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)


def test_complication_numbers_equal_metrics(seeded: Path, open_app) -> None:
    """The overall complication rate equals metrics and the hand count: 2 of 4 sessions."""
    at = open_app("manager", "pages/complications.py", QUERY)
    expected = metrics.complications(open_store(seeded), F)
    shown = _frame_with(at, list(expected.columns))
    pd.testing.assert_frame_equal(shown.reset_index(drop=True), expected, check_dtype=False)
    assert (int(shown["eligible"][0]), int(shown["events"][0])) == (4, 2)
    charts = at.get("plotly_chart")
    assert len(charts) == 6
    funnel = json.loads(charts[4].proto.spec)
    names = {trace.get("name") for trace in funnel["data"]}
    assert {"95% limits", "99.8% limits", "within 95% limits", "beyond 95% limits"} <= names


def test_serious_toggle_narrows_rates(seeded: Path, open_app) -> None:
    """With "serious only" on, the overall rate counts only the DVT report: 1 of 4."""
    at = open_app("manager", "pages/complications.py", QUERY)
    at.toggle(key="serious_only").set_value(True).run()
    shown = _frame_with(at, ["eligible", "events", "rate", "ci_low", "ci_high"])
    assert (int(shown["eligible"][0]), int(shown["events"][0])) == (4, 1)


FIGURE_PAGES = ("overview", "revenue", "follow-ups", "complications")


@pytest.mark.parametrize(
    ("role", "page"), [(r, p) for r, p in CASES if Path(p).stem in FIGURE_PAGES]
)
@pytest.mark.parametrize(
    ("query", "period"),
    [
        ({"preset": "all"}, "all dates in the store (10/01/2026 to 05/05/2026)"),
        (QUERY, "01/01/2026 to 30/06/2026"),
        ({**QUERY, "site": "Ealing"}, "01/01/2026 to 30/06/2026, site Ealing"),
    ],
)
def test_figure_pages_state_their_range_and_as_of_date(
    seeded: Path, open_app, role: str, page: str, query: dict, period: str
) -> None:
    """Every page with figures captions the dates they cover and the date they are as of."""
    at = open_app(role, page, query)
    _no_errors(at)
    captions = [c.value for c in at.caption]
    assert f"{period}, as of 30/06/2026" in captions, captions


def test_records_state_reported_range_and_as_of_date(seeded: Path, open_app) -> None:
    """Complication records say which reported dates they hold and the as-of date."""
    at = open_app("auditor", "pages/records.py")
    assert at.caption[-1].value.endswith("· all reported dates, as of 30/06/2026")
    at = open_app("auditor", "pages/records.py", {"from": "2026-02-01", "to": "2026-02-28"})
    assert at.caption[-1].value.endswith("· 01/02/2026 to 28/02/2026, as of 30/06/2026")


def test_records_notes_are_plain_text(seeded: Path, open_app) -> None:
    """Notes with markup are shown as table text, never rendered as markdown or HTML."""
    at = open_app("auditor", "pages/records.py")
    _no_errors(at)
    assert "2 matching reports" in at.caption[-1].value
    assert not [m for m in at.markdown if "<b>" in m.value]
    notes = next(d.value for d in at.dataframe if "notes" in d.value.columns)["notes"]
    assert "=HYPERLINK(x) <b>a</b>" in set(notes)


def test_records_link_opens_a_reported_date_range(seeded: Path, open_app) -> None:
    """?from=&to= seed the reported-date filter: February alone holds R2 only."""
    at = open_app("auditor", "pages/records.py", {"from": "2026-02-01", "to": "2026-02-28"})
    _no_errors(at)
    assert "1 matching report " in at.caption[-1].value
    assert (at.date_input(key="r_from").value, at.date_input(key="r_to").value) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )
    shown = next(d.value for d in at.dataframe if "report_id" in d.value.columns)
    assert shown["report_id"].tolist() == ["R2"]


def test_records_link_opens_a_clinician(seeded: Path, open_app) -> None:
    """?clinician= seeds the clinician filter: Dr Brook's sessions hold R2 only."""
    at = open_app("auditor", "pages/records.py", {"clinician": "Dr Brook"})
    _no_errors(at)
    assert at.selectbox(key="r_clinician").value == "Dr Brook"
    assert "1 matching report " in at.caption[-1].value
    shown = next(d.value for d in at.dataframe if "report_id" in d.value.columns)
    assert shown["report_id"].tolist() == ["R2"]
    unknown = open_app("auditor", "pages/records.py", {"clinician": "Dr Nobody"})
    assert unknown.selectbox(key="r_clinician").value == "All"
    assert "2 matching reports" in unknown.caption[-1].value


def test_records_pages_and_a_page_past_the_end(seeded: Path, open_app) -> None:
    """62 reports: page 2 holds the last 12; a page the filters no longer have shows page 1."""
    with open_store(seeded).writer() as cur:
        cur.execute(
            "insert into side_effects (report_id, appointment_id, reported_date, effect,"
            " severity, import_id, first_import_id)"
            " select 'X' || lpad(i::varchar, 2, '0'), 'A1', date '2025-06-01' + i::int,"
            " 'bruising', 'mild', 1, 1 from range(60) t(i)"
        )
    for asked, shown, rows in ((2, 2, 12), (5, 1, 50)):
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.session_state["user"] = {"username": "auditor", "role": "auditor"}
        at.run()
        at.session_state["r_page"] = asked
        at.switch_page("pages/records.py").run()
        _no_errors(at)
        assert f"62 matching reports · page {shown} of 2" in at.caption[-1].value
        table = next(d.value for d in at.dataframe if "report_id" in d.value.columns)
        assert len(table) == rows


def test_records_view_is_audited(seeded: Path, open_app) -> None:
    """Opening the records logs one view with the filter used, for the auditor by name."""
    open_app("auditor", "pages/records.py")
    rows = open_store(seeded).rows(
        "select username, role, action from audit_log where action = 'view_complication_records'"
    )
    assert rows == [("auditor", "auditor", "view_complication_records")]


PAGE_FILES = sorted((ROOT / "pages").glob("*.py"))
FORBIDDEN_TEXT = re.compile(
    r"\b(select\s.+\sfrom|insert\s+into|update\s+\w+\s+set|delete\s+from)\b", re.I | re.S
)
RESHAPING = {"groupby", "pivot", "pivot_table", "merge", "melt", "join", "concat", "stack",
             "unstack", "agg", "aggregate", "apply", "crosstab", "resample"}  # fmt: skip


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_are_thin(path: Path) -> None:
    """Pages hold no duckdb import, no SQL text and no pandas reshaping."""
    text = path.read_text(encoding="utf-8")
    tree = ast.parse(text)
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module)])
    }
    assert not imported & {"duckdb", "pandas", "sqlite3"}
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant)]
    assert not [s for s in strings if isinstance(s, str) and FORBIDDEN_TEXT.search(s)]
    calls = {
        n.func.attr
        for n in ast.walk(tree)
        if isinstance(n, ast.Call) and isinstance(n.func, ast.Attribute)
    }
    assert not calls & RESHAPING
    assert "unsafe_allow_html" not in text


def test_every_page_checks_its_role_first() -> None:
    """Each page's first statement after imports is `user = session.require("<its key>")`."""
    for key, _title, file, _url, _icon in session.PAGES:
        tree = ast.parse((ROOT / file).read_text(encoding="utf-8"))
        body = [n for n in tree.body if not isinstance(n, ast.Import | ast.ImportFrom | ast.Expr)]
        assert ast.unparse(body[0]) == f"user = session.require({key!r})", file


def _report(db: Path, *args: str) -> pd.DataFrame:
    """`clinic report ... --json` for the same store and dates, run in this process."""
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        code = cli.main(
            [
                "report",
                *args,
                "--db",
                str(db),
                "--from",
                "2026-01-01",
                "--to",
                "2026-06-30",
                "--json",
            ]
        )
    assert code == 0
    return pd.DataFrame(json.loads(out.getvalue()))


@pytest.mark.parametrize(
    ("page", "args", "columns"),
    [
        ("pages/revenue.py", ["revenue", "--by", "month"], ["month", "sessions", "revenue_gbp"]),
        (
            "pages/follow-ups.py",
            ["compliance", "--as-of", "2026-06-30"],
            ["measure", "eligible", "met", "rate", "ci_low", "ci_high"],
        ),
        (
            "pages/complications.py",
            ["complications"],
            ["eligible", "events", "rate", "ci_low", "ci_high"],
        ),
        (
            "pages/attendance.py",
            ["attendance"],
            ["measure", "eligible", "events", "rate", "ci_low", "ci_high"],
        ),
    ],
)
def test_page_numbers_equal_clinic_report(seeded: Path, open_app, page, args, columns) -> None:
    """The table a manager sees equals `clinic report --json` (as shown) for the same filters."""
    shown = _frame_with(open_app("manager", page, QUERY), columns).reset_index(drop=True)
    reported = widgets.displayed(_report(seeded, *args)[columns])
    pd.testing.assert_frame_equal(shown, reported, check_dtype=False, atol=1e-9)


def _tiles(at: AppTest) -> dict[str, str]:
    """Every tile on the page: its title and the value it shows."""
    return {m.label: m.value for m in at.metric}


def test_attendance_page_equals_clinic_report(seeded: Path, open_app) -> None:
    """The tiles equal `clinic report attendance|retention --json` for the same range and date:
    no-shows 0 of 5, cancellations 1 of 6 (A6); p1 and p2 eligible for continuation, p2 met
    (second session on day 28); new p1 p2 p3, returning p2; £485 over 3 patients."""
    at = open_app("manager", "pages/attendance.py", QUERY)
    tiles = _tiles(at)
    rates = _report(seeded, "attendance").set_index("measure")
    assert tiles["No-show rate"] == widgets.percent(rates.loc["no_show", "rate"]) == "0.0%"
    assert tiles["Cancellation rate"] == widgets.percent(rates.loc["cancelled", "rate"])
    assert tiles["Cancelled late"] == formats.EMPTY
    assert any(c.value.startswith("Not recorded") for c in at.caption)
    kept = {r["measure"]: r for r in _report(seeded, "retention", "--as-of", "2026-06-30").to_dict(
        "records")}  # fmt: skip
    assert tiles["Course continued"] == widgets.percent(kept["course_continuation"]["rate"])
    assert (kept["course_continuation"]["eligible"], kept["course_continuation"]["met"]) == (2, 1)
    assert tiles["New patients"] == f"{int(kept['new_patients']['patients']):,}" == "3"
    assert tiles["Returning patients"] == f"{int(kept['returning_patients']['patients']):,}" == "1"
    assert (
        tiles["Revenue per patient"]
        == "£161.67"
        == formats.money(kept["revenue_per_patient"]["per_patient_gbp"])
    )


def test_overview_has_no_show_and_new_patient_tiles(seeded: Path, open_app) -> None:
    """Overview shows the no-show rate and new patients of the range (0.0% and 3)."""
    tiles = _tiles(open_app("manager", "pages/overview.py", QUERY))
    assert (tiles["No-show rate"], tiles["New patients"]) == ("0.0%", "3")
