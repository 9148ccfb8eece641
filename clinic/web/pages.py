"""Our own HTML: the login, logout and notice pages (no script, one style block allowed by
hash) and the links and forms Streamlit's pages show (log in, log out, download)."""

from __future__ import annotations

import html
from collections.abc import Mapping

from starlette.responses import HTMLResponse

from clinic import sso
from clinic.web.headers import csp_hash
from clinic.web.sessions import (
    LOGIN_PATH,
    LOGOUT_PATH,
    credential,
    login_url,
    logout_token,
    safe_next,
)

# Our own pages (login, logout, notices) load nothing: their one style block is allowed by hash.
_STYLE = """
 body { font-family: system-ui, sans-serif; background: #f6f7f9; margin: 0; }
 main { max-width: 22rem; margin: 12vh auto; background: #fff; padding: 2rem;
        border-radius: 0.5rem; box-shadow: 0 1px 4px rgba(0,0,0,.1); }
 h1 { font-size: 1.4rem; margin-top: 0; }
 label { display: block; margin-top: 1rem; font-weight: 600; }
 input { width: 100%; box-sizing: border-box; padding: .5rem; margin-top: .25rem;
         font-size: 1rem; }
 button { margin-top: 1.5rem; padding: .6rem 1.2rem; font-size: 1rem; cursor: pointer; }
 .demo { background: #e8f1fa; padding: .6rem; border-radius: .25rem; }
 .error { color: #a40000; background: #fdecea; padding: .6rem; border-radius: .25rem; }
"""


PAGE_CSP = (
    f"default-src 'none'; style-src {csp_hash(_STYLE)}; img-src 'self'; form-action 'self';"
    " base-uri 'none'; frame-ancestors 'none'"
)


def login_link_html(next_path: str | None = None, text: str = "Log in") -> str:
    """An HTML link to the login page that opens in the same tab (for st.markdown)."""
    return (
        f'<a href="{html.escape(login_url(next_path), quote=True)}" target="_self">'
        f"{html.escape(text)}</a>"
    )


# Our buttons and links inside Streamlit's pages look like its secondary buttons.
_BUTTON_STYLE = (
    "display:inline-block;padding:.35rem .8rem;border:1px solid rgba(49,51,63,.2);"
    "border-radius:.5rem;background:#fff;color:inherit;font:inherit;cursor:pointer;"
    "text-decoration:none"
)


def logout_form_html(
    cookies: Mapping[str, str], text: str = "Log out", *, styled: bool = True
) -> str:
    """A one-button form that logs this browser session out (POST, with its token).

    `styled` for Streamlit's pages; our own pages style buttons from their style block (their
    CSP allows no style attributes).
    """
    style = f' style="{_BUTTON_STYLE}"' if styled else ""
    return (
        f'<form method="post" action="{LOGOUT_PATH}" data-testid="logout-form">'
        f'<input type="hidden" name="token" value="{logout_token(cookies)}">'
        f'<button type="submit"{style}>{html.escape(text)}</button></form>'
    )


def download_link_html(url: str, label: str) -> str:
    """A link that fetches a download offered by Downloads.offer, in the same tab."""
    return (
        f'<a href="{html.escape(url, quote=True)}" target="_self" data-testid="clinic-download"'
        f' style="{_BUTTON_STYLE}">&#11015; {html.escape(label)}</a>'
    )


_SHELL = """<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title} - Clinic dashboard</title>
<link rel="icon" href="/favicon.png">
<style>{style}</style>
</head>
<body>
<main>
<h1>Clinic dashboard</h1>
{body}
</main>
</body>
</html>
"""

_LOGIN_FORM = """{demo}{message}
<form method="post" action="{action}" data-testid="login-form">
<label for="username">Username</label>
<input id="username" name="username" autocomplete="username" required autofocus
 value="{username}">
<label for="password">Password</label>
<input id="password" name="password" type="password" autocomplete="current-password" required>
<input type="hidden" name="next" value="{next}">
<button type="submit">Log in</button>
</form>
{sso}"""

_DEMO_NOTE = (
    '<p class="demo" role="note">Demo store: synthetic data, no real patients. The one-time '
    "passwords of the demo accounts were printed in the terminal that created it.</p>"
)

_SSO_LINK = '<p><a href="{href}" data-testid="sso-login">{text}</a></p>'


def alert(message: str) -> str:
    """A message paragraph (escaped) announced to screen readers."""
    return f'<p class="error" role="alert">{html.escape(message)}</p>' if message else ""


def _shell(title: str, body: str) -> str:
    """One of our pages around an already-escaped body."""
    return _SHELL.format(title=html.escape(title), style=_STYLE, body=body)


def page(body: str, status: int = 200, title: str = "Log in", **headers: str) -> HTMLResponse:
    """An HTMLResponse of our own page with its strict Content-Security-Policy."""
    return HTMLResponse(
        _shell(title, body),
        status_code=status,
        headers={"Content-Security-Policy": PAGE_CSP, "Cache-Control": "no-store", **headers},
    )


def login_page(
    next_path: str = "/",
    message: str = "",
    username: str = "",
    *,
    demo: bool = False,
    sso_link: bool = False,
) -> str:
    """The HTML of the login form (fields "Username" and "Password", button "Log in")."""
    return _shell("Log in", login_body(next_path, message, username, demo, sso_link))


def login_body(next_path: str, message: str, username: str, demo: bool, sso_link: bool) -> str:
    """The login form's part of the page."""
    return _LOGIN_FORM.format(
        demo=_DEMO_NOTE if demo else "",
        sso=_SSO_LINK.format(href=sso.START_PATH, text=html.escape(sso.BUTTON_LABEL))
        if sso_link
        else "",
        action=LOGIN_PATH,
        message=alert(message),
        username=html.escape(username, quote=True),
        next=html.escape(safe_next(next_path), quote=True),
    )


def notice(message: str, cookies: Mapping[str, str] | None = None) -> str:
    """A page body with a sentence and, for a browser session, its logout button."""
    form = logout_form_html(cookies, styled=False) if cookies and credential(cookies) else ""
    link = f'<p><a href="{LOGIN_PATH}">Go to the login page</a></p>' if not form else ""
    return alert(message) + form + link
