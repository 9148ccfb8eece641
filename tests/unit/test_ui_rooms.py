"""The pure parts of the dashboard's rooms (clinic/ui/): the metric-call cache key, tiles,
tables, the upload flow's frames and sentences, the price form, accounts and who sees what."""

from __future__ import annotations

from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from clinic import auth, ingest, metrics
from clinic.scope import Filters
from clinic.ui import admin, cached, say, session, upload, widgets

ROOT = Path(__file__).resolve().parents[2]
F = Filters(start=date(2026, 1, 1), end=date(2026, 6, 30))


# -- cached: the key of a metric call ------------------------------------------------------------
def test_call_key_names_the_function_its_arguments_and_the_data_version() -> None:
    """Two metrics, two argument lists, two data versions or two stores: four different keys."""
    key = cached.call_key(metrics.revenue, (F, "month"), {}, 7, "/s.duckdb")
    assert key.startswith("clinic.metrics.revenue(")
    assert key == cached.call_key(metrics.revenue, (F, "month"), {}, 7, "/s.duckdb")
    others = [
        cached.call_key(metrics.revenue_monthly, (F, "month"), {}, 7, "/s.duckdb"),
        cached.call_key(metrics.revenue, (Filters(funding="nhs"), "month"), {}, 7, "/s.duckdb"),
        cached.call_key(metrics.revenue, (F, "site"), {}, 7, "/s.duckdb"),
        cached.call_key(metrics.revenue, (F, "month"), {}, 8, "/s.duckdb"),
        cached.call_key(metrics.revenue, (F, "month"), {}, 7, "/t.duckdb"),
    ]
    assert len({key, *others}) == 6


def test_keyword_order_does_not_change_the_key() -> None:
    """serious=True, by=None is the same call as by=None, serious=True."""
    one = cached.call_key(metrics.complications, (F,), {"by": None, "serious": True}, 1, "p")
    two = cached.call_key(metrics.complications, (F,), {"serious": True, "by": None}, 1, "p")
    assert one == two


@pytest.mark.parametrize(
    "fn",
    ["complications", len, lambda s: s, metrics._query, auth.list_users],
    ids=["a name", "a builtin", "a lambda", "a private helper", "another module"],
)
def test_only_a_metric_function_itself_is_accepted(fn) -> None:
    """A name, a lambda or a function outside clinic.metrics' public ones is refused."""
    with pytest.raises(TypeError):
        cached.call_key(fn, (F,), {}, 1, "p")


def test_pages_pass_metric_functions_not_names() -> None:
    """No page calls cached.data with a string (every call can be followed to its metric)."""
    for page in (ROOT / "pages").glob("*.py"):
        assert 'cached.data("' not in page.read_text(encoding="utf-8"), page


def test_is_empty() -> None:
    """None and a frame without rows are empty; a frame with a row is not."""
    assert cached.is_empty(None) and cached.is_empty(pd.DataFrame())
    assert not cached.is_empty(pd.DataFrame({"a": [1]}))


# -- widgets -------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("now", "before", "points", "expected"),
    [
        (112.0, 100.0, False, "+12%"),
        (90.0, 100.0, False, "-10%"),
        (5.0, 0.0, False, None),  # no change against nothing
        (None, 100.0, False, None),
        (100.0, float("nan"), False, None),
        (0.815, 0.80, True, "+1.5 pp"),
        (0.70, 0.80, True, "-10.0 pp"),
        (0.5, 0.0, True, "+50.0 pp"),
    ],
)
def test_delta(now, before, points, expected) -> None:
    """The change on a KPI tile: percent of the earlier value, or percentage points of a rate."""
    assert widgets.delta(now, before, points) == expected


def test_percent_and_label() -> None:
    """Rates as percentages (a dash without a denominator); names in words."""
    assert widgets.percent(0.7344) == "73.4%"
    assert widgets.percent(None) == "–"
    assert widgets.label("vein_type") == "Vein type"
    assert widgets.label("review_6w") == "Six-week review"


def test_displayed_shows_months_as_dates_and_codes_in_words() -> None:
    """Months become their first day, measures words, timestamps UK time; numbers untouched."""
    frame = pd.DataFrame(
        {
            "month": ["2026-07"],
            "measure": ["check_2w"],
            "logged_at": [datetime(2026, 7, 1, 23, 30)],
            "revenue_gbp": [1234.5],
        }
    )
    shown = widgets.displayed(frame)
    assert shown.loc[0, "month"] == date(2026, 7, 1)
    assert shown.loc[0, "measure"] == "Two-week check (varicose)"
    assert str(shown.loc[0, "logged_at"]) == "2026-07-02 00:30:00+01:00"
    assert shown.loc[0, "revenue_gbp"] == 1234.5


# -- say -----------------------------------------------------------------------------------------
def test_plain_escapes_every_markup_character() -> None:
    """Links, emphasis, HTML and LaTeX are escaped; letters, digits and spaces are not."""
    assert say.plain("[x](y) *b* <i> $z$") == r"\[x\]\(y\) \*b\* \<i\> \$z\$"
    assert say.plain("Dr Ann Lee 2") == "Dr Ann Lee 2"


# -- upload --------------------------------------------------------------------------------------
def test_mapping_round_trip() -> None:
    """The mapping editor's frame reads back as the same mapping (blank = ignored)."""
    mapping = {"Booking Ref": "appointment_id", "Notes": None, "Date": "appointment_date"}
    frame = upload.mapping_frame(mapping)
    assert frame["column"].tolist() == ["appointment_id", "", "appointment_date"]
    assert upload.mapping_from(frame) == mapping


def test_problems_and_result_frames() -> None:
    """Problems as a four-column table; a result's counts as one row."""
    problems = [ingest.Problem(3, "price", "12,0", "not an amount")]
    assert upload.problems_frame(problems).to_dict("records") == [
        {"line": 3, "column": "price", "value": "12,0", "reason": "not an amount"}
    ]
    result = ingest.ImportResult(4, "prices", "p.csv", "abc", rows_read=2, inserted=1, updated=1)
    assert upload.result_frame(result).iloc[0].to_dict() == {
        "import_id": 4, "status": "committed", "rows_read": 2, "inserted": 1, "updated": 1,
        "unchanged": 0, "rejected": 0,
    }  # fmt: skip


def test_undoable_lists_committed_imports_only() -> None:
    """Only committed imports can be undone."""
    history = pd.DataFrame({"import_id": [3, 2, 1], "status": ["rejected", "committed", "undone"]})
    assert upload.undoable(history) == [2]
    assert upload.undoable(None) == []


def test_import_kinds_follow_the_role() -> None:
    """Staff import appointments and side effects, not the price list; managers all three."""
    assert "prices" not in upload.import_kinds("staff")
    assert upload.import_kinds("manager") == list(ingest.KINDS)


def test_revaluation_sentences_use_one_money_format() -> None:
    """What a price change does to past revenue, before and after, in £ with separators."""
    effect = ingest.PriceEffect(2, 1000.0, 1234.5, 234.5)
    assert upload.revaluation_sentence(effect, done=False) == (
        "Saving this re-values 2 past appointments without a charged price: revenue goes up by "
        "£234.50 (from £1,000.00 to £1,234.50)."
    )
    nothing = ingest.PriceEffect(0, 0.0, 0.0, 0.0)
    assert upload.revaluation_sentence(nothing, done=True) == "No past revenue changed."


# -- admin ---------------------------------------------------------------------------------------
PRICES = pd.DataFrame(
    {
        "item": ["Socks", "Socks", "Single Session"],
        "kind": ["product", "product", "treatment"],
        "price_gbp": [25.0, 20.0, 165.0],
        "duration_min": [None, None, 30],
        "current": [False, True, True],
    }
)


def test_price_now_starts_the_form_from_the_price_in_force() -> None:
    """The form starts at the current price and the latest kind; a new item has no defaults."""
    assert admin.price_now(PRICES, "Socks") == admin.PriceNow("product", 20.0, None)
    assert admin.price_now(PRICES, "Single Session") == admin.PriceNow("treatment", 165.0, 30)
    assert admin.price_now(PRICES, "New thing") is None
    assert admin.kind_index(admin.price_now(PRICES, "Socks")) == admin.PRICE_KINDS.index("product")
    assert admin.kind_index(None) is None
    assert admin.items_of(PRICES) == ["Single Session", "Socks"]


def test_price_csv_is_a_one_row_prices_export() -> None:
    """A price change made on screen is imported as the one-row export staff would upload."""
    text = admin.price_csv(" Socks ", "product", 22.5, date(2026, 3, 1)).decode()
    assert text.splitlines() == [
        "item,kind,price,valid_from,duration_min",
        "Socks,product,22.50,2026-03-01,",
    ]


def test_usernames() -> None:
    """The user names of an accounts table, or none."""
    assert admin.usernames(pd.DataFrame({"username": ["ann", "bob"]})) == ["ann", "bob"]
    assert admin.usernames(None) == []


# -- session -------------------------------------------------------------------------------------
def test_page_titles_and_menus_follow_the_roles() -> None:
    """The audit page is "Imports" to those who see only imports; each role's menu in order."""
    assert session.page_title("audit", "manager") == "Imports"
    assert session.page_title("audit", "auditor") == "Audit trail"
    assert [p[0] for p in session.pages_for("staff")] == ["follow-ups", "upload", "audit"]
    for role in auth.ROLES:
        assert all(session.can(role, p[0]) for p in session.pages_for(role))


def test_imports_owner() -> None:
    """Staff see their own imports; the others every import."""
    assert session.imports_owner(session.Viewer("ann", "staff")) == "ann"
    assert session.imports_owner(session.Viewer("max", "manager")) is None


def test_viewer_from_refuses_an_unknown_role() -> None:
    """A login without a valid role is no viewer."""
    assert session._viewer_from({"username": "x", "role": "root"}) is None
    assert session._viewer_from({"username": "x", "role": "staff"}) == session.Viewer("x", "staff")
