"""Who is looking: the login, the viewer, the pages a role may open, and what they do (audit).

Every page begins with `user = session.require("<its key>")`: a page hidden from a role still
opens by URL, so each page checks the role itself. Every write passes session.role() to the
domain, which checks it again.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import streamlit as st

from clinic import audit as audit_trail
from clinic import auth, sso, web
from clinic.store import Store
from clinic.ui.cached import store
from clinic.ui.say import plain, quietly

log = logging.getLogger(__name__)


ACCESS_MESSAGE = "You do not have access to this page."
ENTRY_SCRIPT = "dashboard.py"  # the script `streamlit run` serves, which draws the navigation


# (key, title, file, url_path, icon): the navigation, in order; who may open which is
# auth.PAGES_BY_ROLE.
PAGES: tuple[tuple[str, str, str, str, str], ...] = (
    ("overview", "Overview", "pages/overview.py", "overview", ":material/dashboard:"),
    ("revenue", "Revenue", "pages/revenue.py", "revenue", ":material/payments:"),
    ("follow-ups", "Follow-ups", "pages/follow-ups.py", "follow-ups", ":material/event:"),
    ("attendance", "Attendance & retention", "pages/attendance.py", "attendance",
     ":material/event_available:"),
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
        from streamlit.runtime.scriptrunner import get_script_run_ctx
    except ImportError:  # a future Streamlit without the legacy mode
        return
    # The entry script sets the viewer before any page runs, so a session without one was
    # served a page file alone. That is decided per run, not by the process-wide switch: when
    # two first visitors come at once, the first flips the switch while the second's run is
    # already in the legacy mode, and the second must rerun too (it saw "no access" before).
    # A session that holds a viewer never reruns here (that would swallow button clicks), nor
    # does a page file run as the main script itself (AppTest), which has no entry to go to.
    if "_viewer" in st.session_state:
        return
    ctx = get_script_run_ctx()
    if ctx is None or Path(ctx.main_script_path).name != ENTRY_SCRIPT:
        return
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


def _record(
    s: Store, who: Viewer, action: str, outcome: str, object: str | None, details: dict[str, Any]
) -> None:
    """Append to the audit trail as `who`; a failure is logged, never shown."""
    quietly(
        lambda: audit_trail.log(
            s,
            user=who.username,
            role=who.role,
            action=action,
            outcome=outcome,
            object=object,
            details=details or None,
        ),
        "audit log",
    )


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


def username() -> str | None:
    """The viewer's user name, recorded with imports and changes."""
    who = viewer()
    return who.username if who else None


def role() -> str:
    """The viewer's role, which every write passes to the domain to be checked there.

    Never None (None is the command line's trusted role): without a viewer it is a role no page
    grants, so the write is refused.
    """
    who = viewer()
    return who.role if who else "nobody"


def actor() -> auth.User | None:
    """The viewer as an auth.User, for account changes that audit who made them."""
    who = viewer()
    return auth.User(who.username, who.role, who.email) if who else None
