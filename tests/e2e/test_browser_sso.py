"""Single sign-on end to end: st.login against a local mock OIDC provider, roles by e-mail."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    AS_OF,
    PASSWORD,
    VIEWPORT,
    e2e_conftest,
    login,
    menu_titles,
    nav_links,
    settle,
)

from clinic import sso

oidc_provider_mock = pytest.importorskip("oidc_provider_mock")
# The mock provider (0.3.4) calls an Authlib server API that Authlib 1.9 deprecates.
pytestmark = pytest.mark.filterwarnings("ignore:get_jwt_config:DeprecationWarning")

AUDITOR_EMAIL = "jane.auditor@clinic.example"
STRANGER_EMAIL = "no.role@elsewhere.example"
LOCAL_STAFF = "ssostaff1"


@dataclass(frozen=True)
class SsoApp:
    """A dashboard server configured for SSO, its store and its mock identity provider."""

    url: str
    db: Path
    provider: str


def _seed(db: Path) -> None:
    """A demo store, one e-mail mapped to the auditor role and one local staff account."""
    from clinic import auth, demo
    from clinic.store import Store

    s = Store(db)
    try:
        demo.fill(s, seed=7, as_of=AS_OF)
        auth.set_sso_role(s, AUDITOR_EMAIL, "auditor")
        auth.add_user(s, LOCAL_STAFF, "staff", PASSWORD)
    finally:
        s.close()


def _secrets(path: Path, app_url: str, provider: str) -> None:
    """Write the server's [auth] secrets (a temporary file, never .streamlit/secrets.toml)."""
    path.write_text(
        "[auth]\n"
        f'redirect_uri = "{app_url}/oauth2callback"\n'
        f'cookie_secret = "{secrets.token_hex(32)}"\n'
        'client_id = "clinic-dashboard"\n'
        'client_secret = "e2e-client-secret"\n'
        f'server_metadata_url = "{provider}/.well-known/openid-configuration"\n'
        'client_kwargs = { scope = "openid email profile" }\n',
        encoding="utf-8",
    )


@pytest.fixture(scope="module")
def sso_app(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SsoApp]:
    """The mock provider on a free 127.0.0.1 port and a dashboard server that trusts it."""
    e2e = e2e_conftest(request)
    folder = tmp_path_factory.mktemp("sso-store")
    db = folder / "clinic.duckdb"
    secrets_file = folder / "secrets.toml"
    env = {
        "CLINIC_DB": str(db),
        "CLINIC_KEY_FILE": str(folder / "pseudonym.key"),
        "CLINIC_AS_OF": AS_OF.isoformat(),
        # Streamlit's `secrets.files` option: the repository keeps no secrets.toml.
        "STREAMLIT_SECRETS_FILES": str(secrets_file),
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            if name.startswith("CLINIC_"):
                mp.setenv(name, value)
        _seed(db)
    users = [
        oidc_provider_mock.User(sub=email, claims={"email": email, "name": name})
        for email, name in ((AUDITOR_EMAIL, "Jane Auditor"), (STRANGER_EMAIL, "No Role"))
    ]
    with oidc_provider_mock.run_server_in_thread(user_claims=users) as provider_server:
        provider = f"http://127.0.0.1:{provider_server.server_port}"
        # The redirect URI must name the server's port before it starts: choose it here.
        port = e2e.free_port()
        _secrets(secrets_file, f"http://127.0.0.1:{port}", provider)
        with pytest.MonkeyPatch.context() as mp:
            mp.setattr(e2e, "free_port", lambda: port)
            server = e2e.Server(db, env=env)
        try:
            yield SsoApp(url=server.url, db=db, provider=provider)
        finally:
            server.stop()


@pytest.fixture
def sso_page(browser: Any, sso_app: SsoApp) -> Iterator[Any]:
    """A tab in a fresh browser context (own cookies) addressed at the SSO server."""
    ctx = browser.new_context(viewport=VIEWPORT, base_url=sso_app.url)
    ctx.set_default_timeout(30_000)
    try:
        yield ctx.new_page()
    finally:
        ctx.close()


def _sso_login(page: Any, email: str, *, has_role: bool = True) -> None:
    """From the HTML login page, log in through the mock provider's form as `email`."""
    page.goto("/auth/login")
    page.get_by_test_id("sso-login").click()
    page.get_by_placeholder("sub").wait_for()  # the provider's authorisation form
    page.get_by_placeholder("sub").fill(email)
    with page.expect_navigation(url=lambda url: "/oauth2callback" not in url):
        page.get_by_role("button", name="Authorize").click()
    if has_role:
        settle(page)


def test_login_page_offers_sso(sso_page: Any) -> None:
    """The HTML login page links to the clinic's single sign-on when it is configured."""
    sso_page.goto("/auth/login")
    link = sso_page.get_by_test_id("sso-login")
    assert link.inner_text() == sso.BUTTON_LABEL
    assert link.get_attribute("href") == sso.START_PATH


def test_sso_auditor_sees_exactly_the_auditor_pages(sso_page: Any) -> None:
    """An e-mail mapped to auditor logs in at the provider and gets the auditor's menu."""
    _sso_login(sso_page, AUDITOR_EMAIL)
    assert nav_links(sso_page) == menu_titles("auditor")
    sidebar = sso_page.get_by_test_id("stSidebar").inner_text()
    assert f"Logged in as {AUDITOR_EMAIL} (auditor)" in sidebar
    assert sso_page.get_by_test_id("stException").count() == 0


def test_sso_logout_ends_the_identity(sso_page: Any) -> None:
    """Logging out clears Streamlit's identity cookie; the next page view asks for a login."""
    _sso_login(sso_page, AUDITOR_EMAIL)
    nav_links(sso_page)
    sso_page.get_by_role("button", name="Log out").click()
    sso_page.get_by_label("Username").wait_for()
    assert "/auth/login" in sso_page.url
    names = {c["name"] for c in sso_page.context.cookies()}
    assert not any(n.startswith(sso.IDENTITY_COOKIE) for n in names)


def test_sso_email_without_role_gets_no_data(sso_page: Any) -> None:
    """An identity whose e-mail has no role sees the no-role sentence and no Streamlit at all
    (no app, no websocket), and can log out."""
    _sso_login(sso_page, STRANGER_EMAIL, has_role=False)
    assert sso.NO_ROLE_MESSAGE in sso_page.get_by_role("alert").inner_text()
    assert sso_page.get_by_test_id("stApp").count() == 0
    for path in ("/overview", "/records"):
        response = sso_page.goto(path)
        assert response.status == 403 and sso.NO_ROLE_MESSAGE in sso_page.content().replace(
            "&#x27;", "'"
        )
    sso_page.get_by_role("button", name="Log out").click()
    sso_page.get_by_label("Username").wait_for()


def test_local_accounts_still_work_beside_sso(sso_page: Any) -> None:
    """With SSO configured, the local login form still logs a staff member in."""
    login(sso_page, LOCAL_STAFF)
    settle(sso_page)
    assert nav_links(sso_page) == menu_titles("staff")
