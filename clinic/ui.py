"""Streamlit glue: roles and pages, the shared filters, cached data, downloads, sentences.

The only module of `clinic` that imports Streamlit; pages call these helpers and the domain
functions, and draw figures from clinic.charts.
"""

from __future__ import annotations

import calendar
import logging
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st

from clinic import audit as audit_trail
from clinic import auth, config, demo, export, ingest, metrics, sso, stats, web
from clinic.charts import MEASURE_LABELS
from clinic.ingest import mapping as ingest_mapping
from clinic.store import Store, StoreError, open_store

log = logging.getLogger(__name__)

ACCESS_MESSAGE = "You do not have access to this page."

# (key, title, file, url_path, icon): the navigation, in order; who may open which is
# auth.PAGES_BY_ROLE.
PAGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("overview", "Overview", "pages/overview.py", "overview", ":material/dashboard:"),
    ("revenue", "Revenue", "pages/revenue.py", "revenue", ":material/payments:"),
    ("follow-ups", "Follow-ups", "pages/follow-ups.py", "follow-ups", ":material/event:"),
    ("complications", "Complications", "pages/complications.py", "complications",
     ":material/monitoring:"),
    ("records", "Complication records", "pages/records.py", "records", ":material/table:"),
    ("upload", "Upload", "pages/upload.py", "upload", ":material/upload_file:"),
    ("prices", "Prices", "pages/prices.py", "prices", ":material/sell:"),
    ("audit", "Audit trail", "pages/audit.py", "audit", ":material/history:"),
    ("accounts", "Accounts", "pages/accounts.py", "accounts", ":material/group:"),
)  # fmt: skip

# Who sees money on Overview: the roles that may open Revenue (staff must not, DOMAIN.md).
REVENUE_ROLES = frozenset(r for r in auth.ROLES if auth.can(r, "revenue"))
# Who sees the compliance charts on Follow-ups (the others get the call list only).
COMPLIANCE_ROLES = (
    frozenset(r for r in auth.ROLES if auth.can(r, "follow-ups")) - auth.FOLLOWUPS_CALL_LIST_ONLY
)
# Who reads the full audit trail; the others see the imports only.
AUDIT_ROLES = frozenset(r for r, scope in auth.AUDIT_SCOPE.items() if scope == "all")

PRESETS = {
    "this_month": "This month",
    "last_month": "Last month",
    "quarter_to_date": "Quarter to date",
    "year_to_date": "Year to date",
    "last_12_months": "Last 12 months",
    "all": "All dates",
    "custom": "Custom",
}
DEFAULT_PRESET = "last_12_months"
ALL = "All"
UK_DATE = "DD/MM/YYYY"
REVENUE_BY = ("month", "session_type", "clinician", "site", "funding")
FIGURES_FAILURE = (
    "These figures could not be computed. Try a different date range; if it persists, "
    "tell the administrator (the details are in the server log)."
)


# -- who is looking -----------------------------------------------------------------------------
@dataclass(frozen=True)
class Viewer:
    """The person using this browser session."""

    username: str
    role: str
    email: str | None = None


def can(role: str, page: str) -> bool:
    """Whether a role may open a page (auth's role matrix)."""
    return auth.can(role, page)


def pages_for(role: str) -> list[tuple[str, str, str, str, str]]:
    """The navigation entries of a role, in menu order."""
    return [p for p in PAGES if can(role, p[0])]


def imports_owner(user: Viewer) -> str | None:
    """Whose imports a user sees: only their own if the role's audit scope says so, else all."""
    return user.username if auth.AUDIT_SCOPE.get(user.role) == "own-imports" else None


def _viewer_from(value: Any) -> Viewer | None:
    """A Viewer from a login object, a dict or a Viewer; None when it names no valid role."""
    if value is None:
        return None
    get = value.get if isinstance(value, dict) else lambda k, d=None: getattr(value, k, d)
    role = get("role")
    if role not in auth.ROLES:
        return None
    return Viewer(username=str(get("username") or role), role=role, email=get("email"))


def current_user() -> Viewer:
    """The logged-in user from the session cookie; stops the run with a login link otherwise.

    The cookie is checked on every run, so logout (in any tab), an idle timeout or a disabled
    account ends access at the next interaction. AppTest has no cookies: tests put the user in
    `st.session_state["user"]`, which no widget of the app can write.
    """
    cookies = st.context.cookies
    if isinstance(cookies.get(web.COOKIE), str):
        found = _viewer_from(web.user_from_cookies(store(), cookies))
    else:
        found = _viewer_from(st.session_state.get("user"))
    if found is None:
        found = _sso_viewer()
    if found is None:
        st.session_state.pop("_viewer", None)
        _login_prompt()
    st.session_state["_viewer"] = found
    return found


def sso_enabled() -> bool:
    """Whether SSO is configured in Streamlit's secrets and Authlib is installed."""
    try:
        from streamlit.auth_util import get_secrets_auth_section, is_authlib_installed

        return is_authlib_installed() and sso.is_configured(get_secrets_auth_section())
    except Exception:  # unreadable secrets: SSO is simply off, local logins still work
        log.warning("single sign-on settings could not be read", exc_info=True)
        return False


def _sso_viewer() -> Viewer | None:
    """The single-sign-on user (role from the e-mail table); stops with a sentence if no role."""
    if not sso_enabled() or not st.user.get("is_logged_in"):
        return None
    claims = st.user.to_dict()
    login_id = str(claims.get("iat") or claims.get("sub") or "")
    user = sso.user_for(store(), claims)
    if user is None:
        sso.record_refusal(store(), sso.email_of(claims) or claims.get("email"), login_id)
        st.session_state.pop("_viewer", None)
        st.title("Vein clinic analytics")
        st.error(sso.NO_ROLE_MESSAGE)
        st.markdown(web.logout_link_html(), unsafe_allow_html=True)  # our own static link
        st.stop()
    sso.record_login(store(), user, login_id)
    return _viewer_from(user)


def _login_prompt() -> None:
    """Say the session has ended and link to the login page, returning here afterwards."""
    sso_on = sso_enabled()
    if sso_on and st.query_params.get(sso.QUERY_PARAM) == "1":
        st.login()  # the HTML login page's SSO link lands here (/?sso=1)
        st.stop()
    url = st.context.url or "/"
    parts = urlsplit(url)
    here = parts.path + (f"?{parts.query}" if parts.query else "")
    st.title("Vein clinic analytics")
    st.info("Please log in to continue (your session may have ended).")
    st.markdown(web.login_link_html(here), unsafe_allow_html=True)  # our own static link
    if sso_on and st.button(sso.BUTTON_LABEL, key="sso_login"):
        st.login()
    st.stop()


def account_sidebar(user: Viewer) -> None:
    """Who is logged in, and the logout link."""
    st.sidebar.caption(f"Logged in as **{user.username}** ({user.role})")
    st.sidebar.markdown(web.logout_link_html(), unsafe_allow_html=True)  # our own static link


def viewer() -> Viewer | None:
    """The viewer the entry script resolved for this run."""
    return _viewer_from(st.session_state.get("_viewer"))


def _recover_from_pages_folder_mode() -> None:
    """Rerun through dashboard.py when Streamlit ran a page file on its own.

    A fresh server whose first visitor opens a deep link (/revenue) runs pages/revenue.py in
    Streamlit's legacy `pages/` folder mode, skipping the entry script (no login, no role
    navigation). dashboard.py's st.navigation switches that mode off for the process; until it
    has run once, flip the same switch and rerun so the entry script takes over.
    """
    try:
        from streamlit.runtime.pages_manager import PagesManager
    except ImportError:  # a future Streamlit without the legacy mode
        return
    # A session the entry script has served already holds a viewer; only a brand-new session
    # opened on a deep link lacks one (rerunning otherwise would swallow button clicks).
    if PagesManager.uses_pages_directory and "_viewer" not in st.session_state:
        PagesManager.uses_pages_directory = False
        st.rerun()


def require(page: str) -> Viewer:
    """Stop the page with the access message unless the viewer's role may open it."""
    _recover_from_pages_folder_mode()
    who = viewer()
    if who is None or not can(who.role, page):
        st.error(ACCESS_MESSAGE, icon=":material/block:")
        st.stop()
    return who


# -- the store, cached data and sentences instead of tracebacks ---------------------------------
def _shown(
    action: Callable[[], Any],
    failure: str,
    sentences: tuple[type[Exception], ...],
    what: str = "action",
) -> Any:
    """Run an action; show an exception of `sentences` as its own text, any other as `failure`."""
    try:
        return action()
    except sentences as exc:  # these carry a sentence written for the user
        st.error(str(exc) or failure)
    except Exception:  # noqa: BLE001 - a page shows a sentence, never a traceback
        log.exception("%s failed", what)
        st.error(failure)
    return None


def _quietly(action: Callable[[], Any], what: str) -> Any:
    """Run a side task that must never fail the page (audit, a notice); None when it fails."""
    try:
        return action()
    except Exception:  # noqa: BLE001 - the page still answers; the log has the details
        log.exception("%s failed", what)
        return None


def attempt(
    action: Callable[[], Any], failure: str, sentences: tuple[type[Exception], ...] = ()
) -> Any:
    """Run an action; show its own sentence (or `failure`) instead of a traceback; None then.

    Store errors, value errors and the exception types in `sentences` carry a sentence meant
    for the user; anything else is logged and replaced by `failure`.
    """
    return _shown(
        action, failure, (StoreError, ValueError, LookupError, PermissionError, *sentences)
    )


@st.cache_resource(show_spinner=False)
def _store_at(path: str) -> Store:
    """The process-wide store for a path (DuckDB wants one instance per process)."""
    return open_store(path)


def store() -> Store:
    """The store named by CLINIC_DB (else the default path); stops the page with a sentence."""
    found = _shown(
        lambda: _store_at(str(config.db_path())),
        "The data store could not be opened; tell the administrator.",
        (StoreError,),
        "opening the store",
    )
    if found is None:
        st.stop()
    return found


@st.cache_data(show_spinner=False, max_entries=1024)
def _cached(name: str, key: str, version: int, path: str, _args: tuple, _kwargs: dict) -> Any:
    """One metrics call, cached on (name, arguments, data version, store path)."""
    return getattr(metrics, name)(open_store(path), *_args, **_kwargs)


def data(name: str, *args: Any, **kwargs: Any) -> Any:
    """metrics.<name>(store, *args, **kwargs), cached until the data changes; None on failure.

    The key holds the arguments' repr (Filters is a frozen dataclass, so its repr is stable)
    and the store's data version, so a new upload shows at once and nothing else recomputes.
    """
    s = store()
    key = repr((args, sorted(kwargs.items())))
    return _shown(
        lambda: _cached(name, key, s.data_version(), str(s.path), args, kwargs),
        FIGURES_FAILURE,
        (StoreError,),
        f"metrics.{name}",
    )


def as_of() -> date:
    """The date figures are computed for: env CLINIC_AS_OF (tests, demos) else today."""
    text = os.environ.get("CLINIC_AS_OF")
    return date.fromisoformat(text) if text else date.today()


def is_empty(df: Any) -> bool:
    """True when a result is missing or has no rows."""
    return df is None or (isinstance(df, pd.DataFrame) and df.empty)


def demo_notice() -> None:
    """Say so when the store holds synthetic demo data."""
    s = store()
    if _quietly(lambda: demo.is_demo(s), "demo check"):
        st.sidebar.info(
            "Demo data: synthetic sessions, not real patients.", icon=":material/science:"
        )


# -- shared filters -----------------------------------------------------------------------------
def _add_months(day: date, months: int) -> date:
    """The first of the month `months` after (or before) the month of `day`."""
    index = day.year * 12 + day.month - 1 + months
    return date(index // 12, index % 12 + 1, 1)


def preset_range(preset: str, today: date) -> tuple[date | None, date | None]:
    """The inclusive (start, end) of a named date preset; (None, None) for all dates."""
    if preset == "this_month":
        return today.replace(day=1), today
    if preset == "last_month":
        start = _add_months(today, -1)
        return start, start.replace(day=calendar.monthrange(start.year, start.month)[1])
    if preset == "quarter_to_date":
        return date(today.year, 3 * ((today.month - 1) // 3) + 1, 1), today
    if preset == "year_to_date":
        return date(today.year, 1, 1), today
    if preset == "last_12_months":
        return _add_months(today, -11), today
    return None, None


def _parse_day(text: Any) -> date | None:
    """An ISO date from the URL, or None when absent or malformed."""
    try:
        return date.fromisoformat(str(text)) if text else None
    except ValueError:
        return None


def _state_from_url(params: Any) -> dict[str, Any]:
    """Filter widget values from a query string (?preset=... or ?from=..&to=..&site=..)."""
    start, end = _parse_day(params.get("from")), _parse_day(params.get("to"))
    preset = params.get("preset")
    if preset not in PRESETS:
        preset = "custom" if (start or end) else DEFAULT_PRESET
    today = as_of()
    if preset == "custom":
        first, last = preset_range(DEFAULT_PRESET, today)
        start, end = start or first, end or last
    return {
        "f_preset": preset,
        "f_from": start or preset_range(DEFAULT_PRESET, today)[0],
        "f_to": end or today,
        "f_site": params.get("site") or ALL,
        "f_clinician": params.get("clinician") or ALL,
    }


def _url_from(values: dict[str, Any]) -> dict[str, str]:
    """The query string of the current filters (only what differs from the defaults)."""
    url: dict[str, str] = {}
    if values["f_preset"] == "custom":
        url["from"] = values["f_from"].isoformat()
        url["to"] = values["f_to"].isoformat()
    elif values["f_preset"] != DEFAULT_PRESET:
        url["preset"] = values["f_preset"]
    for key, name in (("f_site", "site"), ("f_clinician", "clinician")):
        if values[key] != ALL:
            url[name] = values[key]
    return url


def filters(*, site: bool = True, clinician: bool = True) -> metrics.Filters:
    """The sidebar filters (dates, site, clinician) as a metrics.Filters, mirrored in the URL."""
    state = st.session_state
    # Widgets lose their state on pages that do not draw them; a shadow copy survives, and the
    # URL seeds it on the first run so that a shared link reproduces the view.
    if "_filters" not in state:
        state["_filters"] = _state_from_url(st.query_params)
    for key, value in state["_filters"].items():
        # Re-assigning turns a widget value into session state, which survives page switches.
        state[key] = state.get(key, value)
    opts = options()
    side = st.sidebar
    side.subheader("Filters")
    side.selectbox("Dates", list(PRESETS), format_func=PRESETS.__getitem__, key="f_preset")
    if state["f_preset"] == "custom":
        side.date_input("From", key="f_from", format=UK_DATE)
        side.date_input("To", key="f_to", format=UK_DATE)
        start, end = state["f_from"], state["f_to"]
    else:
        start, end = preset_range(state["f_preset"], as_of())
    pickers = ((site, "site", "Site"), (clinician, "clinician", "Clinician"))
    for shown, name, title in pickers:
        if not shown:
            continue
        choices = [ALL, *opts.get(f"{name}s", [])]
        if state[f"f_{name}"] not in choices:  # a linked value the data does not hold (yet)
            choices.append(state[f"f_{name}"])
        side.selectbox(title, choices, key=f"f_{name}")
    values = {k: state.get(k, v) for k, v in state["_filters"].items()}
    state["_filters"] = values
    wanted = _url_from(values)
    if dict(st.query_params.to_dict()) != wanted:
        st.query_params.from_dict(wanted)
    if start and end and start > end:
        st.sidebar.warning("The start date is after the end date: swap them.")
        start, end = end, start
    picked = {
        name: values[f"f_{name}"] if shown and values[f"f_{name}"] != ALL else None
        for shown, name, _title in pickers
    }
    return metrics.Filters(start=start, end=end, **picked)


def options() -> dict[str, list[str]]:
    """Choice lists for the filters (sites, clinicians, effects ...), cached; {} on failure."""
    return data("options") or {}


def describe(f: metrics.Filters) -> str:
    """A one-line description of the filters, UK dates."""
    fmt = "%d/%m/%Y"
    span = f"{f.start:{fmt}} to {f.end:{fmt}}" if f.start and f.end else "all dates"
    extra = [x for x in (f.site, f.clinician) if x]
    return span + (" · " + " · ".join(extra) if extra else "")


# -- tables and downloads -----------------------------------------------------------------------
COLUMN_LABELS = {"ci_low": "95% CI low", "ci_high": "95% CI high", "rate": "Rate", "met": "Met"}


def money_columns(df: pd.DataFrame) -> dict[str, Any]:
    """column_config for a frame: £ for *_gbp, percent for rates, UK dates for dates."""
    config_: dict[str, Any] = {}
    for col in df.columns:
        name = str(col)
        label = COLUMN_LABELS.get(name) or name.replace("_gbp", "").replace("_", " ").capitalize()
        if name.endswith("_gbp"):
            config_[name] = st.column_config.NumberColumn(label + " (£)", format="£%.2f")
        elif name in {"rate", "ci_low", "ci_high", "realisation", "overall_rate"}:
            config_[name] = st.column_config.NumberColumn(label, format="percent")
        elif "date" in name or name in {"window_opens", "window_closes", "valid_from"}:
            config_[name] = st.column_config.DateColumn(label, format="DD/MM/YYYY")
        else:
            config_[name] = st.column_config.Column(label)
    return config_


def table(df: pd.DataFrame | None, key: str, empty_message: str, **kwargs: Any) -> None:
    """A read-only table with £, % and UK-date formats; an empty state that says what to do."""
    if is_empty(df):
        st.info(empty_message)
        return
    st.dataframe(
        df, key=key, hide_index=True, width="stretch", column_config=money_columns(df), **kwargs
    )


def download(
    label: str, df: pd.DataFrame | Callable[[], pd.DataFrame] | None, file_name: str, key: str
) -> None:
    """An Excel-safe CSV download button (deferred when given a function that builds the frame)."""
    if df is None:
        return
    payload: Any = (lambda: export.safe_csv(df())) if callable(df) else export.safe_csv(df)
    st.download_button(
        label, data=payload, file_name=file_name, mime="text/csv", key=key,
        icon=":material/download:", on_click="ignore",
    )  # fmt: skip


def _record(
    s: Store, who: Viewer, action: str, outcome: str, object: str | None, details: dict[str, Any]
) -> None:
    """Append to the audit trail as `who`; a failure is logged, never shown."""
    _quietly(
        lambda: audit_trail.log(
            s, user=who.username, role=who.role, action=action, outcome=outcome, object=object,
            details=details or None,
        ),
        "audit log",
    )  # fmt: skip


def audit(action: str, outcome: str = "ok", object: str | None = None, **details: Any) -> None:
    """Append to the audit trail as the viewer (never fails the page)."""
    who = viewer()
    if who is not None:
        _record(store(), who, action, outcome, object, details)


def audit_once(action: str, object: str | None = None, **details: Any) -> None:
    """Log a view or a filter once per distinct (action, details) in this browser session."""
    marker = repr((action, object, sorted(details.items())))
    seen = st.session_state.setdefault("_audited", set())
    if marker not in seen:
        seen.add(marker)
        audit(action, "ok", object, **details)


def _username() -> str | None:
    """The viewer's user name, recorded with imports and changes."""
    who = viewer()
    return who.username if who else None


def _role() -> str:
    """The viewer's role, which every write passes to the domain to be checked there.

    Never None (None is the command line's trusted role): without a viewer it is a role no page
    grants, so the write is refused.
    """
    who = viewer()
    return who.role if who else "nobody"


def import_kinds(role: str) -> list[str]:
    """The kinds of export a role may import (staff: not the price list)."""
    return [k for k in ingest.KINDS if auth.can(role, auth.WRITE_PAGE[k])]


# -- small domain helpers the pages need (no SQL, no reshaping in pages) -------------------------
def imports(user: str | None = None, limit: int = 200) -> pd.DataFrame | None:
    """The import history, newest first; only `user`'s imports when given."""
    s = store()
    return attempt(
        lambda: s.query("imports_recent", user_name=user, row_limit=limit),
        "The import history could not be read.",
    )


def price_list() -> pd.DataFrame | None:
    """Every price with its history; `current` marks the price in force today."""
    s = store()
    return attempt(
        lambda: s.query("prices_timeline", today=as_of()), "The price list could not be read."
    )


def price_csv(
    item: str, kind: str, price: float, valid_from: date, duration_min: int | None = None
) -> bytes:
    """A one-row prices export, as staff would upload it, for a price change made on screen."""
    frame = pd.DataFrame(
        [{
            "item": item.strip(),
            "kind": kind,
            "price": f"{price:.2f}",
            "valid_from": valid_from.isoformat(),
            "duration_min": "" if duration_min is None else str(duration_min),
        }]
    )  # fmt: skip
    return frame.to_csv(index=False).encode("utf-8")


def add_price(
    item: str, kind: str, price: float, valid_from: date, duration_min: int | None = None
) -> ingest.ImportResult:
    """Record a new price from a date through the importer, and audit it as a price change."""
    if not item.strip():
        raise ValueError("Give the item a name.")
    if price < 0:
        raise ValueError("A price cannot be negative.")
    result = ingest.import_file(
        store(), "prices", price_csv(item, kind, price, valid_from, duration_min),
        file_name="price-change.csv", user=_username(), role=_role(),
    )  # fmt: skip
    audit(
        "price_change", result.status, object=item.strip(),
        price_gbp=round(float(price), 2), valid_from=valid_from.isoformat(),
        import_id=result.import_id,
    )  # fmt: skip
    return result


def problems_frame(problems: list[ingest.Problem]) -> pd.DataFrame:
    """Import problems (line, column, value, reason) as a table."""
    rows = [p.to_json() for p in problems]
    return pd.DataFrame(rows, columns=["line", "column", "value", "reason"])


def mapping_frame(mapping: dict[str, str | None]) -> pd.DataFrame:
    """The detected header -> canonical column mapping as an editable table."""
    return pd.DataFrame({"header": list(mapping), "column": [v or "" for v in mapping.values()]})


def mapping_from(frame: pd.DataFrame) -> dict[str, str | None]:
    """The mapping a user edited, back as {header: canonical or None (ignore)}."""
    return {
        str(h): (str(c) if isinstance(c, str) and c else None)
        for h, c in zip(frame["header"], frame["column"], strict=True)
    }


def result_frame(result: ingest.ImportResult) -> pd.DataFrame:
    """An import result's counts as a one-row table."""
    fields = ("import_id", "status", "rows_read", "inserted", "updated", "unchanged", "rejected")
    return pd.DataFrame([{f: getattr(result, f) for f in fields}])


def spark(series: pd.DataFrame | None, column: str) -> list[float] | None:
    """A KPI sparkline's values (monthly), None when there is too little to draw."""
    if is_empty(series) or column not in series or len(series) < 2:
        return None
    return [None if pd.isna(v) else float(v) for v in series[column]]


def delta(now: float | None, before: float | None, percent_points: bool = False) -> str | None:
    """The change against the previous period as text ("+12%" or "+1.5 pp"), None if unknown."""
    if now is None or before is None or pd.isna(now) or pd.isna(before):
        return None
    if percent_points:
        return f"{(now - before) * 100:+.1f} pp"
    if before == 0:
        return None
    return f"{(now - before) / before:+.0%}"


def tile(
    container: Any,
    title: str,
    value: str,
    now: float | None,
    before: float | None,
    *,
    percent_points: bool = False,
    **kwargs: Any,
) -> None:
    """A bordered KPI tile with its change against the previous period."""
    container.metric(title, value, delta=delta(now, before, percent_points), border=True, **kwargs)


def label(name: str | None) -> str:
    """A column or measure name as people say it."""
    if name is None:
        return ""
    return MEASURE_LABELS.get(name, name.replace("_", " ").capitalize())


def percent(rate: float | None) -> str:
    """A fraction as a percentage for a KPI tile; a dash when there is no denominator."""
    return "–" if rate is None or pd.isna(rate) else f"{rate:.1%}"


def previous(f: metrics.Filters) -> metrics.Filters | None:
    """The period of the same length just before the filters' dates (None for all dates)."""
    if f.start is None or f.end is None:
        return None
    return metrics.previous_period(f)


def funnel_limits(funnel: pd.DataFrame | None) -> pd.DataFrame | None:
    """The 95%/99.8% limit curves for a funnel frame, up to a little past its largest group."""
    if is_empty(funnel) or pd.isna(funnel["overall_rate"].iloc[0]):
        return None
    n_max = max(int(funnel["eligible"].max() * 1.15), 10)
    # Without limits the chart still shows the clinicians' points.
    return _quietly(
        lambda: stats.funnel_curve(float(funnel["overall_rate"].iloc[0]), n_max), "funnel limits"
    )


def url_day(name: str) -> date | None:
    """A day from the page's query string (?from=2025-01-31), or None."""
    return _parse_day(st.query_params.get(name))


def url_index(name: str, choices: list[str]) -> int:
    """Where the query string's value for `name` is among `choices` (0, the first, if not)."""
    value = st.query_params.get(name)
    return choices.index(value) if value in choices else 0


def record_choice(**widgets: Any) -> dict[str, Any]:
    """Record-filter fields from the page's widgets ("All", blank text and no date become None)."""
    chosen = {k: (None if v in (ALL, "", None) else v) for k, v in widgets.items()}
    serious = chosen.get("serious")
    chosen["serious"] = None if serious is None else serious == "Serious"
    if chosen.get("text"):
        chosen["text"] = chosen["text"].strip() or None
    return chosen


def records_filter(**chosen: Any) -> metrics.RecordFilter:
    """A metrics.RecordFilter from the fields record_choice returned."""
    return metrics.RecordFilter(**chosen)


def filter_text(chosen: dict[str, Any]) -> str:
    """The filters used, for the audit trail (identifiers only; the notes text is withheld)."""
    parts = [
        f"{k}={'<text>' if k == 'text' else v}" for k, v in sorted(chosen.items()) if v is not None
    ]
    return ", ".join(parts) or "none"


def records_export(
    r: metrics.RecordFilter, chosen: dict[str, Any], total: int
) -> Callable[[], pd.DataFrame]:
    """A deferred export of every row matching the record filter; logs the export when run."""
    # The download runs outside the page's run: take the store and the viewer now.
    s = store()
    who = viewer()

    def build() -> pd.DataFrame:
        frame, count = metrics.complication_records(s, r, limit=None, offset=0)
        if who is not None:
            details = {"filter": filter_text(chosen), "rows": int(count)}
            _record(s, who, "export_complication_records", "ok", None, details)
        return frame

    return build


def max_upload_mb() -> int:
    """The largest upload accepted, in megabytes."""
    return config.max_upload_mb()


def mapping_columns(kind: str) -> dict[str, Any]:
    """column_config of the mapping editor: a fixed header, a choice of canonical columns."""
    return {
        "header": st.column_config.TextColumn("Column in the file"),
        "column": st.column_config.SelectboxColumn(
            "Means", options=["", *ingest_mapping.columns(kind)], required=False
        ),
    }


def preview(
    kind: str,
    content: bytes,
    file_name: str,
    source: str | None,
    mapping: dict[str, str | None] | None = None,
) -> ingest.Preview | None:
    """ingest.preview of an uploaded file; None (with a sentence shown) when it cannot be read."""
    return attempt(
        lambda: ingest.preview(
            store(), kind, content, file_name, mapping=mapping, source_system=source or None
        ),
        "The file could not be read: save it as CSV (UTF-8) or XLSX and try again.",
    )


def blocked(p: ingest.Preview | None) -> bool:
    """Whether the import must wait: no preview, problems, or required columns missing."""
    return p is None or bool(p.problems or p.missing_required)


def show_preview(p: ingest.Preview | None) -> None:
    """The preview: missing and ignored columns, the first rows, and every problem found."""
    if p is None:  # preview() has already said why
        return
    if p.missing_required:
        st.error(
            "Required columns are missing: " + ", ".join(p.missing_required)
            + ". Map a column of the file to each of them above."
        )  # fmt: skip
    if p.ignored:
        st.caption("Ignored columns: " + ", ".join(map(str, p.ignored)))
    if p.dropped:
        st.caption("Identifying columns dropped, never stored: " + ", ".join(map(str, p.dropped)))
    st.subheader("First rows")
    if not is_empty(p.sample):
        st.dataframe(p.sample, key="u_sample", hide_index=True)
    show_warnings(p.warnings, "u_warnings")
    problems = problems_frame(p.problems)
    rows = p.rows_read
    if problems.empty:
        st.success(f"No problems found in {rows:,} rows." if rows else "No problems found.")
        return
    total = max(p.problem_count, len(problems))
    listed = "" if total == len(problems) else f" (the first {len(problems) - 1:,} are listed)"
    st.error(
        f"{total:,} problems must be fixed before this file can be imported{listed}; "
        "nothing has been written."
    )
    st.dataframe(problems, key="u_problems", hide_index=True)
    download("Download the problems (CSV)", problems, "import-problems.csv", key="u_problems_csv")


def show_warnings(warnings: list[ingest.Problem], key: str) -> None:
    """Values an import keeps as written but someone should look at (hidden characters)."""
    if not warnings:
        return
    st.warning(
        f"{len(warnings):,} value(s) hold invisible or direction-changing characters: they can "
        "show as a different name from the one stored. Check them in the source system.",
        icon=":material/visibility_off:",
    )
    st.dataframe(problems_frame(warnings), key=key, hide_index=True)


def save_mapping(source: str, kind: str, mapping: dict[str, str | None]) -> None:
    """Save a column mapping for a source system; a failure is shown as a sentence."""
    attempt(
        lambda: ingest.save_mapping(store(), source, kind, mapping),
        "The mapping could not be saved.",
    )


def run_import(
    kind: str, content: bytes, file_name: str, mapping: dict[str, str | None], source: str | None
) -> ingest.ImportResult | None:
    """Import a file with a progress bar; the result, or None with a sentence on failure."""
    user = _username()
    bar = st.progress(0.0, text="Starting the import")

    def progress(fraction: float, message: str) -> None:
        bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)

    result = attempt(
        lambda: ingest.import_file(
            store(),
            kind,
            content,
            file_name=file_name,
            user=user,
            mapping=mapping,
            source_system=source or None,
            progress=progress,
            role=_role(),
        ),  # fmt: skip
        "The import failed and nothing was written; try again, or tell the administrator.",
    )
    bar.empty()
    return result


def show_result(result: ingest.ImportResult | None) -> None:
    """The outcome of an import as a sentence and its counts."""
    if result is None:
        return
    if result.status == "committed":
        st.success(
            f"Imported: {result.inserted:,} new, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged."
        )
        show_warnings(result.warnings, "u_result_warnings")
    else:
        st.error(f"Nothing was imported ({result.status}): {result.rejected:,} rows were rejected.")
        errors = problems_frame(result.errors)
        if not errors.empty:
            st.dataframe(errors, key="u_result_errors", hide_index=True)
    st.dataframe(result_frame(result), key="u_result", hide_index=True)


def record_side_effect(**fields: Any) -> ingest.ImportResult | None:
    """Record a side effect reported by phone; shows the outcome as a sentence."""
    user = _username()
    clean = {k: v for k, v in fields.items() if v not in (None, "")}
    if not clean.get("appointment_id"):
        st.error("Give the appointment ID of the treatment session the side effect follows.")
        return None
    clean["reported_by"] = user
    result = attempt(
        lambda: ingest.record_side_effect(store(), clean, user=user, role=_role()),
        "The side effect could not be recorded; check the appointment ID and try again.",
    )
    if result is not None:
        if result.status == "committed":
            st.success("The side effect has been recorded.")
        else:
            for problem in result.errors:
                st.error(f"{problem.column or 'Report'}: {problem.reason}")
    return result


def undoable(history: pd.DataFrame | None) -> list[int]:
    """The ids of committed imports in a history table (candidates for undo)."""
    if is_empty(history):
        return []
    return [int(i) for i in history.loc[history["status"] == "committed", "import_id"]]


def undo(import_id: int) -> None:
    """Undo one import; a refusal is shown as its own sentence."""
    user = _username()
    done = attempt(
        lambda: ingest.undo(store(), int(import_id), user=user, role=_role()),
        "The import could not be undone.",
        sentences=(ingest.UndoRefused,),
    )
    if done is not None:
        st.success(f"Import {import_id} has been undone.")


def items_of(prices: pd.DataFrame | None) -> list[str]:
    """The distinct items of the price list, alphabetically."""
    return [] if is_empty(prices) else sorted(prices["item"].dropna().unique().tolist())


def audit_entries(
    start: date | None, end: date | None, user: str | None, action: str | None
) -> pd.DataFrame | None:
    """Audit rows between two UK dates (inclusive), for a user and an action; None on failure."""
    return attempt(
        lambda: audit_trail.entries(
            store(),
            start=datetime.combine(start, datetime.min.time()) if start else None,
            end=datetime.combine(end + timedelta(days=1), datetime.min.time()) if end else None,
            user=(user or "").strip() or None,
            action=(action or "").strip() or None,
        ),
        "The audit trail could not be read.",
    )


def accounts() -> pd.DataFrame | None:
    """The accounts (no password hashes); None with a sentence when they cannot be read."""
    return attempt(lambda: auth.list_users(store()), "The accounts could not be read.")


def _actor() -> auth.User | None:
    """The viewer as an auth.User, for account changes that audit who made them."""
    who = viewer()
    return auth.User(who.username, who.role, who.email) if who else None


def add_account(name: str, role: str, password: str, email: str | None) -> None:
    """Create an account; the policy's refusal is shown as its sentence."""
    done = attempt(
        lambda: auth.add_user(store(), name.strip(), role, password, email or None, actor=_actor()),
        "The account could not be created.",
    )
    if done is not None:
        st.success(f"Account {name.strip()} created with role {role}.")


def set_account_disabled(name: str, disabled: bool) -> None:
    """Disable (ending its sessions) or re-enable an account."""
    change = auth.disable_user if disabled else auth.enable_user
    done = attempt(
        lambda: change(store(), name, actor=_actor()) or True, "The account could not be changed."
    )
    if done:
        st.success(f"Account {name} {'disabled' if disabled else 'enabled'}.")


def usernames(accounts: pd.DataFrame | None) -> list[str]:
    """The user names of an accounts table."""
    return [] if is_empty(accounts) else [str(u) for u in accounts["username"]]


def chart(fig: Any, key: str, container: Any = None) -> None:
    """Draw a clinic.charts figure in our own template (not Streamlit's theme), full width."""
    (container or st).plotly_chart(
        fig, key=key, theme=None, width="stretch", config={"displaylogo": False}
    )
