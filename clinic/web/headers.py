"""Security headers on every response: the Content-Security-Policy of Streamlit's pages (its
inline scripts allowed by hash), no framing, no sniffing, same-origin referrers."""

from __future__ import annotations

import base64
import hashlib

from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send


def csp_hash(text: str) -> str:
    """A CSP source expression allowing exactly this inline script or style."""
    digest = base64.b64encode(hashlib.sha256(text.encode("utf-8")).digest()).decode("ascii")
    return f"'sha256-{digest}'"


def app_csp(script_hashes: tuple[str, ...] = ()) -> str:
    """The policy of Streamlit's pages: only this site's scripts (and the inline ones named by
    hash), images and connections; CSS-in-JS needs inline styles; no plugins, no foreign forms.
    """
    # WebAssembly (Arrow tables) needs 'wasm-unsafe-eval', which allows no JavaScript eval.
    scripts = " ".join(("'self'", "'wasm-unsafe-eval'", *script_hashes))
    return (
        f"default-src 'self'; script-src {scripts}; style-src 'self' 'unsafe-inline';"
        " img-src 'self' data: blob:; font-src 'self' data:; connect-src 'self';"
        " worker-src 'self' blob:; object-src 'none'; base-uri 'self'; form-action 'self';"
        " frame-ancestors 'none'"
    )


SECURITY_HEADERS = {
    "Content-Security-Policy": app_csp(),
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
}


# -- middleware --------------------------------------------------------------------------------
class SecurityHeadersMiddleware:
    """Add the security headers to every HTTP response (Streamlit's included)."""

    def __init__(self, app: ASGIApp, csp: str | None = None) -> None:
        """Wrap the next ASGI app; `csp` is the policy of responses that set none."""
        self.app = app
        self.headers = {**SECURITY_HEADERS, "Content-Security-Policy": csp or app_csp()}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Pass the request on; add headers to the response start message."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    current = headers.get(name)
                    if current is None:
                        headers[name] = value
                    elif name == "Content-Security-Policy" and "frame-ancestors" not in current:
                        headers[name] = f"{current}; frame-ancestors 'none'"
            await send(message)

        await self.app(scope, receive, send_with_headers)
