"""Streamlit glue: roles and pages, the shared filters, cached data, downloads, sentences.

With clinic/ui_server.py (what the web gate asks Streamlit's runtime), the only module of
`clinic` that imports Streamlit; pages call these helpers and the domain functions, and draw
figures from clinic.charts.
"""

from __future__ import annotations

import calendar
import dataclasses
import hashlib
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

from clinic import audit as audit_trail
from clinic import auth, charts, config, demo, export, formats, ingest, metrics, sso, stats, web
from clinic.ingest import mapping as ingest_mapping
from clinic.store import Store, StoreError, open_store
from clinic.words import count, pounds, were

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

# Who sees money on Overview: the roles that may open Revenue (staff must not, docs/CONTRACTS.md).
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
UK_DATE = formats.TABLE_DAY  # date_input takes the same tokens as table columns
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


def page_title(key: str, role: str) -> str:
    """A page's name for a role, the same in the menu and on the page.

    Managers and staff see only imports on the audit page, so it is "Imports" to them.
    """
    if key == "audit" and role not in AUDIT_ROLES:
        return "Imports"
    return next(p[1] for p in PAGES if p[0] == key)


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
        st.markdown(web.logout_form_html(st.context.cookies), unsafe_allow_html=True)
        st.stop()
    sso.record_login(store(), user, login_id)
    return _viewer_from(user)


def _login_prompt() -> None:
    """Say the session has ended and link to the login page, returning here afterwards."""
    sso_on = sso_enabled()
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
    """Who is logged in, and the logout button (a POST carrying this session's token)."""
    st.sidebar.caption(f"Logged in as **{plain(user.username)}** ({user.role})")
    # Our own form: a fixed action, a hex token and a fixed label.
    st.sidebar.markdown(web.logout_form_html(st.context.cookies), unsafe_allow_html=True)


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
# What Streamlit's markdown (captions, alerts, labels) could read as markup, a link, an image,
# LaTeX, a directive or an icon: every ASCII punctuation mark, escaped.
_MARKUP = re.compile(r"([!-/:-@\[-`{-~])")


def plain(text: object) -> str:
    """Text shown literally by Streamlit's markdown: markup characters backslash-escaped.

    Every name, header, value or message that came from a user, a file or a URL goes through
    this before it reaches a caption, an alert or a label.
    """
    return _MARKUP.sub(r"\\\1", str(text))


def _shown(
    action: Callable[[], Any],
    failure: str,
    sentences: tuple[type[Exception], ...],
    what: str = "action",
) -> Any:
    """Run an action; show an exception of `sentences` as its own text, any other as `failure`."""
    try:
        return action()
    except sentences as exc:  # these carry a sentence written for the user (values included)
        st.error(plain(exc) if str(exc) else failure)
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
    return config.as_of()


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
        # Twelve whole months ending today: from the day after the same date a year earlier
        # (a year before 29/02 is 28/02), so 05/12/2026 gives 06/12/2025 to 05/12/2026.
        last_day = calendar.monthrange(today.year - 1, today.month)[1]
        year_ago = today.replace(year=today.year - 1, day=min(today.day, last_day))
        return year_ago + timedelta(days=1), today
    return None, None


def read_day(text: str) -> date:
    """A date typed or linked: ISO 2025-04-03 or UK 03/04/2025 (3 April, never read as US)."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, "%d/%m/%Y").date()  # raises ValueError if neither


def _parse_day(text: Any) -> date | None:
    """A date from the URL (ISO or UK), or None when absent or unreadable."""
    try:
        return read_day(str(text)) if text else None
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
        if state[f"f_{name}"] not in choices:
            # A link naming a site or clinician the store does not hold is refused, not shown.
            state[f"f_{name}"] = state["_filters"][f"f_{name}"] = ALL
            side.warning(link_refused(name))
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


def describe(f: metrics.Filters | metrics.RecordFilter) -> str:
    """The range, filters and as-of date of a page's figures (its caption; names escaped)."""
    if isinstance(f, metrics.RecordFilter):  # reported dates, picked on the page itself
        period = metrics.Filters(start=f.start, end=f.end)
        return metrics.describe_period(period, as_of(), None, what="reported dates")
    # Site and clinician names come from files or the URL: shown literally, never as markdown.
    named = dataclasses.replace(
        f, **{k: plain(v) for k, v in (("site", f.site), ("clinician", f.clinician)) if v}
    )
    return metrics.describe_period(named, as_of(), data("date_bounds") or (None, None))


# -- tables and downloads -----------------------------------------------------------------------
COLUMN_LABELS = {
    "ci_low": "95% CI low",
    "ci_high": "95% CI high",
    "list_gbp": "List price",
    "price_gbp": "Price",
    "session_type": "Session type",
}
RATE_COLUMNS = frozenset({"rate", "ci_low", "ci_high", "realisation", "overall_rate"})
DAY_COLUMNS = frozenset({"date", "valid_from", "valid_to", "window_opens", "window_closes"})
CODE_COLUMNS = ("measure", "check")  # internal codes, shown in words
SALES_HELP = "Appointments and product sales that earned revenue: one sock sale counts as one."


def _is_day(name: str, values: pd.Series) -> bool:
    """Whether a column holds calendar days (not timestamps, and never a count like `updated`)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return name in DAY_COLUMNS or name.endswith("_date")
    sample = values.dropna()
    return len(sample) > 0 and all(
        isinstance(v, date) and not isinstance(v, datetime) for v in sample.head(20)
    )


def displayed(df: pd.DataFrame) -> pd.DataFrame:
    """A table's values as people read them: months as dates, timestamps in UK time, words.

    The numbers are untouched (their format is the column_config's), so tables still sort.
    """
    out = df.copy()
    for col in out.columns:
        name, values = str(col), out[col]
        if name == "month":
            out[col] = [None if pd.isna(v) else formats.month_start(v) for v in values]
        elif name in CODE_COLUMNS:
            out[col] = [v if pd.isna(v) else formats.label(v) for v in values]
        elif pd.api.types.is_datetime64_any_dtype(values) and not _is_day(name, values):
            stamps = values if values.dt.tz is not None else values.dt.tz_localize("UTC")
            out[col] = stamps.dt.tz_convert(formats.UK)
    return out


def money_columns(df: pd.DataFrame) -> dict[str, Any]:
    """column_config for a displayed() frame: £ with thousands, %, UK days, months and times."""
    config_: dict[str, Any] = {}
    sales = "sessions" in df.columns and any(str(c).endswith("_gbp") for c in df.columns)
    for col in df.columns:
        name, values = str(col), df[col]
        label = COLUMN_LABELS.get(name) or formats.label(name.removesuffix("_gbp"))
        if name.endswith("_gbp"):
            config_[name] = st.column_config.NumberColumn(label, format=formats.TABLE_MONEY)
        elif name in RATE_COLUMNS:
            config_[name] = st.column_config.NumberColumn(label, format="percent")
        elif name == "sessions" and sales:
            config_[name] = st.column_config.NumberColumn(
                "Sales", format=formats.TABLE_COUNT, help=SALES_HELP
            )
        elif name == "month":
            config_[name] = st.column_config.DateColumn(label, format=formats.TABLE_MONTH)
        elif _is_day(name, values):
            config_[name] = st.column_config.DateColumn(label, format=formats.TABLE_DAY)
        elif pd.api.types.is_datetime64_any_dtype(values):
            config_[name] = st.column_config.DatetimeColumn(
                label, format=formats.TABLE_TIME, timezone=str(formats.UK)
            )
        elif pd.api.types.is_integer_dtype(values) and not (name.endswith("id") or name == "seq"):
            config_[name] = st.column_config.NumberColumn(label, format=formats.TABLE_COUNT)
        else:
            config_[name] = st.column_config.Column(label)
    return config_


def table(df: pd.DataFrame | None, key: str, empty_message: str, **kwargs: Any) -> None:
    """A read-only table with £, % and UK-date formats, empty cells blank (not "None"), and an
    empty state that says what to do."""
    if is_empty(df):
        st.info(empty_message)
        return
    shown = displayed(df)
    config_ = {**money_columns(shown), **kwargs.pop("column_config", {})}
    options = {"placeholder": formats.EMPTY, **kwargs}
    st.dataframe(shown, key=key, hide_index=True, width="stretch", column_config=config_, **options)


# A reason is read whole: the other columns are narrow, so the grid fits the page without
# scrolling sideways; the reason column takes the rest (at least 400 px, ~70 characters a line)
# and its text wraps over as many lines as the longest reason needs (Streamlit wraps cell text
# only in rows taller than 64 px; every row has the same height).
REASON_CHARS_PER_LINE = 70
LINE_PX = 21
WRAPPING_ROW_PX = 65
PROBLEMS_MAX_PX = 720  # taller grids scroll inside


def problems_table(problems: pd.DataFrame, key: str) -> None:
    """Import problems (line, column, value, reason) with every reason readable in full."""
    longest = int(problems["reason"].fillna("").str.len().max()) if len(problems) else 0
    lines = min(max(1, -(-longest // REASON_CHARS_PER_LINE)), 12)
    row = max(WRAPPING_ROW_PX, LINE_PX * lines + 16) if lines > 1 else None
    table(
        problems, key, "No problems.", row_height=row,
        # Tall rows: show as many as fit the cap, not the ten of Streamlit's default height.
        height=min(36 + len(problems) * row + 2, PROBLEMS_MAX_PX) if row else "auto",
        column_config={
            "line": st.column_config.NumberColumn("Line", width="small"),
            "column": st.column_config.TextColumn("Column", width=140),
            "value": st.column_config.TextColumn("Value", width=160),
            "reason": st.column_config.TextColumn("Reason", width="large"),
        },
    )  # fmt: skip


@dataclass(frozen=True)
class Export:
    """What a download holds (built when fetched) and how the audit trail names it."""

    build: Callable[[], pd.DataFrame]
    action: str = "export"
    details: dict[str, Any] = field(default_factory=dict)


def download(
    label: str,
    df: pd.DataFrame | Callable[[], pd.DataFrame] | Export | None,
    file_name: str,
    key: str,
) -> None:
    """A link to the Excel-safe CSV of a frame (or of what a function builds), for this session.

    The only way data leaves the dashboard (the tables' own CSV toolbar is switched off in
    .streamlit/config.toml): the file is offered to this browser session alone (clinic.web
    serves /download/<id> only to it, while it lasts), built when fetched, made safe for
    spreadsheets by export.safe_csv and recorded in the audit trail before a byte is sent.
    """
    if df is None:
        return
    wanted = df if isinstance(df, Export) else Export(df if callable(df) else lambda: df)
    owner = web.session_key(st.context.cookies)
    if owner is None:  # no browser session (AppTest): nothing could fetch the file
        return
    # The download is fetched outside the page's run: take the store and the viewer now.
    s = store()
    who = viewer()

    def build() -> bytes:
        if who is None:
            raise PermissionError("a download without a viewer")
        frame = wanted.build()
        data = export.safe_csv(frame)
        # Audited before it is sent: if the trail cannot be written, nothing leaves.
        audit_trail.log(
            s, user=who.username, role=who.role, action=wanted.action, outcome="ok",
            object=file_name, details={**wanted.details, "rows": len(frame),
                                       "sha256": hashlib.sha256(data).hexdigest()},
        )  # fmt: skip
        return data

    url = web.DOWNLOADS.offer(owner, key, file_name, build)
    st.markdown(web.download_link_html(url, label), unsafe_allow_html=True)  # our own link


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
    effect = result.price_effect
    audit(
        "price_change", result.status, object=item.strip(), kind=kind,
        price_gbp=round(float(price), 2), valid_from=valid_from.isoformat(),
        import_id=result.import_id,
        revalued_appointments=effect.appointments if effect else 0,
        revenue_change_gbp=effect.change_gbp if effect else 0.0,
    )  # fmt: skip
    return result


PRICE_KINDS = ("treatment", "follow-up", "product")


@dataclass(frozen=True)
class PriceNow:
    """An item's kind (its latest price row's), price in force today and duration."""

    kind: str
    price_gbp: float
    duration_min: int | None


def price_now(prices: pd.DataFrame | None, item: str | None) -> PriceNow | None:
    """Where the Change a price form starts for an item; None for a new item (no defaults)."""
    if is_empty(prices) or not item:
        return None
    rows = prices[prices["item"] == item]  # newest first (prices_timeline)
    if rows.empty:
        return None
    current = rows[rows["current"].fillna(False).astype(bool)]
    row = (current if not current.empty else rows).iloc[0]
    duration = row["duration_min"]
    return PriceNow(
        str(rows.iloc[0]["kind"]), float(row["price_gbp"]),
        None if pd.isna(duration) else int(duration),
    )  # fmt: skip


def kind_index(now: PriceNow | None) -> int | None:
    """The Kind box starts at the item's own kind; a new item's kind is chosen, never assumed."""
    return PRICE_KINDS.index(now.kind) if now and now.kind in PRICE_KINDS else None


def revaluation_sentence(effect: ingest.PriceEffect, done: bool) -> str:
    """What a price change does to past revenue, before (done=False) or after saving it."""
    if not effect.appointments:
        return (
            "No past revenue changed." if done
            else "Saving this re-values no past appointment: revenue stays as it is."
        )  # fmt: skip
    what = f"{count(effect.appointments, 'past appointment')} without a charged price"
    way = "up" if effect.change_gbp > 0 else "down"
    amounts = f"{pounds(abs(effect.change_gbp))} (from {pounds(effect.before_gbp)} to " + (
        f"{pounds(effect.after_gbp)})"
    )
    if done:
        return f"Re-valued {what}: revenue went {way} by {amounts}."
    return f"Saving this re-values {what}: revenue goes {way} by {amounts}."


KIND_COUNTS_AS = {
    "treatment": "treatment sessions",
    "follow-up": "follow-up visits",
    "product": "product sales",
}


def kind_change_sentence(item: str, before: str, after: str) -> str:
    """Why changing an item's kind needs a confirmation."""
    return (
        f"{plain(item)} is a {before} today. Saved as a {after}, its appointments imported from "
        f"now on count as {KIND_COUNTS_AS.get(after, after)} in every figure; those already "
        "stored keep their kind."
    )


def say_price_effect(effect: ingest.PriceEffect | None) -> None:
    """Before saving prices: the kind changes to confirm and the re-valuation of past revenue."""
    if effect is None:
        return
    for item, before, after in effect.kind_changes:
        st.warning(kind_change_sentence(item, before, after), icon=":material/swap_horiz:")
    say = st.warning if effect.appointments else st.info
    say(revaluation_sentence(effect, done=False), icon=":material/payments:")


def kind_change_confirmed(effect: ingest.PriceEffect | None, key: str) -> bool:
    """True when nothing changes kind, else whether the user ticked that they mean it."""
    if effect is None or not effect.kind_changes:
        return True
    changes = "; ".join(f"{plain(i)} from {b} to {a}" for i, b, a in effect.kind_changes)
    return st.checkbox(f"Yes, change the kind of {changes}", key=key)


def price_preview(
    item: str | None,
    kind: str | None,
    price: float | None,
    valid_from: date | None,
    duration_min: int | None = None,
) -> ingest.PriceEffect | None:
    """Check a price change without saving it and say what saving it would do; None (with
    what is missing said) when it cannot be saved as it stands."""
    missing = [
        what for what, value in (("an item", item), ("its kind", kind), ("a price", price),
                                 ("the date it applies from", valid_from))
        if value is None or value == ""
    ]  # fmt: skip
    if missing:
        listed = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
        st.caption(f"To save a price, give {listed}.")
        return None
    found = preview(
        "prices", price_csv(item, kind, price, valid_from, duration_min), "price-change.csv", None
    )
    if found is None:
        return None
    for problem in found.problems:
        st.error(f"{label(problem.column) if problem.column else 'Price'}: {problem.reason}")
    if found.problems:
        return None
    say_price_effect(found.price_effect)
    return found.price_effect


def save_price(
    item: str, kind: str, price: float, valid_from: date, duration_min: int | None = None
) -> None:
    """Save a price change; the page then runs again, saying what the save re-valued."""
    result = attempt(
        lambda: add_price(item, kind, price, valid_from, duration_min),
        "The price could not be saved.",
    )
    if result is None:
        return
    if result.status != "committed" or result.price_effect is None:
        show_result(result)
        return
    effect = result.price_effect
    said = [f"Saved: {plain(item.strip())} at {pounds(price)} from {valid_from:%d/%m/%Y}."]
    said += [f"{plain(i)} is now a {a}." for i, _b, a in effect.kind_changes]
    said.append(revaluation_sentence(effect, done=True))
    restart_form({}, " ".join(said))


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


def partial(f: metrics.Filters) -> dict[date, tuple[date, date]]:
    """Months the filters' dates cover only in part (figures stop at the as-of date)."""
    today = as_of()
    return charts.partial_months(f.start, min(f.end, today) if f.end else today)


def spark(series: pd.DataFrame | None, column: str, f: metrics.Filters) -> list[float] | None:
    """A KPI sparkline's monthly values, whole months only; None when too little to draw.

    A partial month would dip at the end of the line and read as a change, and a sparkline
    cannot mark it, so it is left out (spark_note says which).
    """
    if is_empty(series) or column not in series:
        return None
    cut = {f"{m:%Y-%m}" for m in partial(f)}
    whole = series[~series["month"].astype(str).isin(cut)]
    values = [None if pd.isna(v) else float(v) for v in whole[column]]
    return values if len(values) >= 2 else None


def spark_note(series: pd.DataFrame | None, f: metrics.Filters) -> str:
    """The sentence under the tiles that names the partial months the sparklines leave out."""
    shown = set() if is_empty(series) else set(series["month"].astype(str))
    cut = {m: days for m, days in partial(f).items() if f"{m:%Y-%m}" in shown}
    if not cut:
        return "Sparklines show whole months."
    left = ", ".join(
        f"{formats.month(m)} ({formats.day(a)} to {formats.day(b)})"
        for m, (a, b) in sorted(cut.items())
    )
    return f"Sparklines show whole months only: {left} {'is' if len(cut) == 1 else 'are'} left out."


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
    return formats.label(name)


def percent(rate: float | None) -> str:
    """A fraction as a percentage for a KPI tile; a dash when there is no denominator."""
    return formats.percent(rate)


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


# The records filters a link carries: URL name -> (what it is called, the options it names, or
# None for a date). The notes text stays out of URLs as it stays out of the audit trail.
def link_refused(what: str) -> str:
    """Why a filter value from a link was not applied (the value itself is never echoed)."""
    return f"The link named a {what} this store does not have: showing every {what}."


RECORD_LINK: dict[str, tuple[str, str | None]] = {
    "from": ("reported-from date", None),
    "to": ("reported-to date", None),
    "effect": ("effect", "effects"),
    "severity": ("severity", "severities"),
    "serious": ("seriousness", "serious"),
    "clinician": ("clinician", "clinicians"),
    "sclerosant": ("sclerosant", "sclerosants"),
    "form": ("form", "forms"),
    "vein_type": ("vein type", "vein_types"),
}
SERIOUS_CHOICES = [ALL, "Serious", "Not serious"]
# Streamlit 1.67's date box applies a typed date when focus leaves it, never on Enter (its
# field buffers the typing until blur; measured in Chromium): say so where dates are typed.
TYPED_DATE_HELP = (
    "A typed date applies when you leave its box (Tab, or a click elsewhere); Enter does not "
    "apply it."
)
_SERIOUS_IN_URL = {"yes": "Serious", "no": "Not serious"}
_SHOWN_AS_TYPED = re.compile(r"[\d/.\- ]{1,20}")  # echoed only if no markdown can hide in it


@dataclass(frozen=True)
class RecordLink:
    """The records filters a link (the page's URL) asks for, and what it asked for in vain."""

    values: dict[str, Any]
    refused: list[str]

    def day(self, name: str) -> date | None:
        """The linked date of `from` or `to`, if readable."""
        return self.values.get(name)

    def index(self, name: str, choices: list[str]) -> int:
        """Where the linked value of `name` is among `choices` (0, "All", if none)."""
        value = self.values.get(name)
        return choices.index(value) if value in choices else 0


def record_link(opts: dict[str, list[str]]) -> RecordLink:
    """The records filters of the page's URL: dates ISO or UK (03/04/2025 = 3 April), choices
    among the records' own values; anything unreadable or unknown is refused with a sentence."""
    values: dict[str, Any] = {}
    refused: list[str] = []
    for name, (what, listed) in RECORD_LINK.items():
        text = st.query_params.get(name)
        if not text:
            continue
        if listed is None:
            try:
                values[name] = read_day(text)
            except ValueError:
                shown = f" {text}" if _SHOWN_AS_TYPED.fullmatch(text) else ""
                refused.append(
                    f"The link's {what}{shown} is not a date, so it is not applied: write dates "
                    "as dd/mm/yyyy (03/04/2025 is 3 April 2025) or 2025-04-03."
                )
            continue
        choice = _SERIOUS_IN_URL.get(text) if name == "serious" else text
        if choice in (SERIOUS_CHOICES if name == "serious" else opts.get(listed, [])):
            values[name] = choice
        else:
            # Never echoed: link text must not reach a markdown renderer.
            refused.append(link_refused(what))
    return RecordLink(values, refused)


def record_select(
    container: Any, title: str, name: str, link: RecordLink, opts: dict[str, list[str]], key: str
) -> str:
    """A records filter's select box ("All" and the records' own values), as the link set it."""
    listed = RECORD_LINK[name][1]
    choices = SERIOUS_CHOICES if name == "serious" else [ALL, *opts.get(listed or "", [])]
    return container.selectbox(title, choices, link.index(name, choices), key=key)


def keep_records_in_url(chosen: dict[str, Any]) -> None:
    """Write the records filters into the URL (dates ISO), so a reload or a link keeps them."""
    named = {"from": chosen.get("start"), "to": chosen.get("end")}
    named |= {n: chosen.get(n) for n in RECORD_LINK if n not in ("from", "to")}
    wanted = {}
    for name, value in named.items():
        if value is None:
            continue
        if name == "serious":
            value = "yes" if value else "no"
        wanted[name] = value.isoformat() if isinstance(value, date) else str(value)
    if st.query_params.to_dict() != wanted:
        st.query_params.from_dict(wanted)


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


def records_export(r: metrics.RecordFilter, chosen: dict[str, Any], total: int) -> Export:
    """Every row matching the record filter, built when downloaded; audited with its filter."""
    s = store()

    def build() -> pd.DataFrame:
        return metrics.complication_records(s, r, limit=None, offset=0)[0]

    return Export(build, "export_complication_records", {"filter": filter_text(chosen)})


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
            "Required columns are missing: " + ", ".join(map(plain, p.missing_required))
            + ". Map a column of the file to each of them above."
        )  # fmt: skip
    if p.ignored:
        st.caption("Ignored columns: " + ", ".join(map(plain, p.ignored)))
    if p.dropped:
        st.caption("Identifying columns dropped, never stored: " + ", ".join(map(plain, p.dropped)))
    st.subheader("First rows")
    if not is_empty(p.sample):
        table(p.sample, "u_sample", "")
    show_warnings(p.warnings, "u_warnings")
    problems = problems_frame(p.problems)
    rows = p.rows_read
    if problems.empty:
        st.success(f"No problems found in {count(rows, 'row')}." if rows else "No problems found.")
        say_price_effect(p.price_effect)
        return
    total = max(p.problem_count, len(problems))
    listed = "" if total == len(problems) else f" (the first {len(problems) - 1:,} are listed)"
    st.error(
        f"{count(total, 'problem')} must be fixed before this file can be imported{listed}; "
        "nothing has been written."
    )
    problems_table(problems, "u_problems")
    download("Download the problems (CSV)", problems, "import-problems.csv", key="u_problems_csv")


def show_warnings(warnings: list[ingest.Problem], key: str) -> None:
    """Values an import keeps as written but someone should look at (hidden characters)."""
    if not warnings:
        return
    verb = "holds" if len(warnings) == 1 else "hold"
    st.warning(
        f"{count(len(warnings), 'value')} {verb} invisible or direction-changing characters: "
        "they can show as a different name from the one stored. Check them in the source system.",
        icon=":material/visibility_off:",
    )
    problems_table(problems_frame(warnings), key)


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
    held: list[BaseException] = []

    def progress(fraction: float, message: str) -> None:
        # Streamlit stops or reruns a script at its next drawing call when the browser goes away,
        # the server stops or the user clicks: the import must not end half-way for that. It
        # goes on without its bar (a stopping server waits for it) and the request follows.
        if not held:
            try:
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)
            except (StopException, RerunException) as exc:
                held.append(exc)

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
    if held:
        raise held[0]
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
        effect = result.price_effect
        if effect is not None:
            for item, _before, after in effect.kind_changes:
                st.info(f"{plain(item)} is now a {after}.")
            (st.warning if effect.appointments else st.info)(revaluation_sentence(effect, True))
        show_warnings(result.warnings, "u_result_warnings")
    else:
        rejected = f"{count(result.rejected, 'row')} {were(result.rejected)} rejected"
        st.error(f"Nothing was imported ({result.status}): {rejected}.")
        errors = problems_frame(result.errors)
        if not errors.empty:
            problems_table(errors, "u_result_errors")
    table(result_frame(result), "u_result", "")


SEVERITIES = ("mild", "moderate", "severe")
NO_EFFECT = "Choose the effect the patient reported."


def record_side_effect(**fields: Any) -> ingest.ImportResult | None:
    """Record a side effect reported by phone; says whether it was new, already there or updated."""
    user = _username()
    clean = {k: v for k, v in fields.items() if v not in (None, "")}
    if not clean.get("appointment_id"):
        st.error("Give the appointment ID of the treatment session the side effect follows.")
        return None
    if not clean.get("effect"):
        st.error(NO_EFFECT)
        return None
    clean["reported_by"] = user
    result = attempt(
        lambda: ingest.record_side_effect(store(), clean, user=user, role=_role()),
        "The side effect could not be recorded; check the appointment ID and try again.",
    )
    if result is None:
        return None
    if result.status != "committed":
        for problem in result.errors:
            st.error(f"{plain(problem.column or 'Report')}: {plain(problem.reason)}")
        return result
    # One report per session, effect and reported date: sending it again finds that one.
    what = f"{clean['effect']} after session {plain(clean['appointment_id'])}"
    if result.inserted:
        st.success(f"Recorded: a new report of {what}.")
    elif result.updated:
        st.success(f"Already recorded, now updated: the report of {what} holds these details.")
    else:
        st.info(f"Already recorded: the report of {what} has these details; nothing changed.")
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
            # The trail shows UK time, so its days are UK days: 01/07 begins at 23:00 UTC.
            start=formats.utc_start_of(start) if start else None,
            end=formats.utc_start_of(end + timedelta(days=1)) if end else None,
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


ROLE_DUTIES = {
    "staff": "uploads exports, records side effects, sees the call list",
    "auditor": "reads complication records and the audit trail, changes nothing",
    "manager": "revenue, compliance and complications; edits prices",
    "admin": "everything, including accounts",
}
# The Add account form's fields and their empty values.
ACCOUNT_FIELDS = {"acc_name": "", "acc_role": None, "acc_email": "", "acc_password": ""}
NO_ROLE = "Choose a role for the new account: the smallest one that lets them do their work."


def add_account(name: str, role: str | None, password: str, email: str | None) -> bool:
    """Create an account (True); a missing role or the policy's refusal is shown as a sentence."""
    if role is None:
        st.error(NO_ROLE)
        return False
    done = attempt(
        lambda: auth.add_user(store(), name.strip(), role, password, email or None, actor=_actor()),
        "The account could not be created.",
    )
    if done is None:
        return False
    restart_form(ACCOUNT_FIELDS, f"Account {plain(name.strip())} created with role {role}.")
    return True


def restart_form(empty: dict[str, Any], message: str) -> None:
    """Run the page again (fresh tables) saying `message` once, with the fields of `empty` set
    to those values (by say_done, before they are drawn: a drawn widget's value is fixed)."""
    st.session_state["_done"] = (message, empty)
    st.rerun()


def say_done() -> None:
    """Say what restart_form left for this run and empty its fields; call it before the form.

    Set, not deleted: the browser keeps a form's values unless the server sends new ones.
    """
    message, empty = st.session_state.pop("_done", (None, {}))
    for key, value in empty.items():
        st.session_state[key] = value
    if message:
        st.success(message)


def set_account_disabled(name: str, disabled: bool) -> None:
    """Disable (ending its sessions) or re-enable an account."""
    change = auth.disable_user if disabled else auth.enable_user
    done = attempt(
        lambda: change(store(), name, actor=_actor()) or True, "The account could not be changed."
    )
    if done:
        st.success(f"Account {plain(name)} {'disabled' if disabled else 'enabled'}.")


def usernames(accounts: pd.DataFrame | None) -> list[str]:
    """The user names of an accounts table."""
    return [] if is_empty(accounts) else [str(u) for u in accounts["username"]]


def chart(fig: Any, key: str, container: Any = None) -> None:
    """Draw a clinic.charts figure in our own template (not Streamlit's theme), full width."""
    fig = charts.inert(fig)  # names from files never become links or markup in a chart
    (container or st).plotly_chart(
        fig, key=key, theme=None, width="stretch", config={"displaylogo": False}
    )
