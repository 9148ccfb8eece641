"""A client of Streamlit's own websocket protocol: what a script (an attacker's, or the load
bench's many sessions) does instead of a browser. Logs in through the form's route, opens
`/_stcore/stream` with the session cookie, asks for a page's script run and reads the run."""

from __future__ import annotations

import http.client
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit

from streamlit.proto.BackMsg_pb2 import BackMsg
from streamlit.proto.ForwardMsg_pb2 import ForwardMsg
from websockets.sync.client import ClientConnection, connect

from clinic import web

# What on a page counts as an error (the same words the browser load test looks for).
ERROR_WORDS = ("could not be computed", "You do not have access")


def request(
    url: str, method: str, path: str, headers: dict[str, str] | None = None, body: bytes = b""
) -> tuple[int, http.client.HTTPMessage, bytes]:
    """One HTTP request to the server at `url`, redirects not followed."""
    parts = urlsplit(url)
    conn = http.client.HTTPConnection(parts.hostname, parts.port, timeout=60)
    try:
        conn.request(method, path, body=body or None, headers=headers or {})
        resp = conn.getresponse()
        return resp.status, resp.msg, resp.read()
    finally:
        conn.close()


def session_cookie(url: str, user: str, password: str) -> str:
    """Log in through the HTML form's route; the `clinic_session=...` cookie pair."""
    form = urlencode({"username": user, "password": password, "next": "/"})
    status, headers, _ = request(
        url,
        "POST",
        "/auth/login",
        {"Content-Type": "application/x-www-form-urlencoded"},
        form.encode(),
    )
    if status != 303:
        raise RuntimeError(f"login of {user} answered {status}")
    [cookie] = [c for c in headers.get_all("Set-Cookie") if c.startswith(web.COOKIE + "=")]
    return cookie.split(";")[0]


def xsrf_token(url: str) -> str:
    """The XSRF token Streamlit's health check hands to anyone."""
    _, headers, _ = request(url, "GET", "/_stcore/health")
    [cookie] = [c for c in headers.get_all("Set-Cookie") if c.startswith("_streamlit_xsrf=")]
    return cookie.split(";")[0].split("=", 1)[1]


def _rerun(page: str, query: str) -> bytes:
    """The message a browser sends to run `page` with `query` (as after a navigation)."""
    run = BackMsg()
    run.rerun_script.query_string = query
    run.rerun_script.page_script_hash = ""
    run.rerun_script.page_name = page
    return run.SerializeToString()


@contextmanager
def stream(
    url: str, cookie: str = "", page: str = "", query: str = ""
) -> Iterator[tuple[ClientConnection, str, str]]:
    """Open /_stcore/stream and ask for a script run, as the issue's attacker did.

    Yields (the socket, Streamlit's session id, the cookie header used); raises
    websockets' InvalidStatus when the handshake is refused.
    """
    token = xsrf_token(url)
    cookies = "; ".join(filter(None, [f"_streamlit_xsrf={token}", cookie]))
    with connect(
        f"ws://{urlsplit(url).netloc}/_stcore/stream",
        subprotocols=["streamlit", token],
        additional_headers={"Cookie": cookies, "Origin": url},
        open_timeout=60,
        max_size=None,
    ) as ws:
        ws.send(_rerun(page, query))
        while True:
            message = ForwardMsg()
            message.ParseFromString(ws.recv(timeout=60))
            if message.HasField("new_session"):
                yield ws, message.new_session.initialize.session_id, cookies
                return


@dataclass
class Visit:
    """One page's script run as a browser would receive it."""

    seconds: float
    elements: dict[str, int] = field(default_factory=dict)  # element type -> how many
    errors: list[str] = field(default_factory=list)


def _texts(element) -> str:
    """The words an element shows, for the error check (markdown, alerts, captions)."""
    kind = element.WhichOneof("type")
    if kind == "markdown":
        return element.markdown.body
    if kind == "alert":
        return element.alert.body
    return ""


def visit(url: str, cookie: str, page: str, query: str = "", timeout: float = 120) -> Visit:
    """Open `page` with `query` in a new session (a navigation) and read its run to the end.

    The time runs from the XSRF request before the handshake to the end of the run: every
    element and chart the page sends has arrived (a browser then draws them on the user's PC).
    """
    began = time.perf_counter()
    result = Visit(0.0)
    with stream(url, cookie, page, query) as (ws, _session, _cookies):
        finished = None
        while True:
            message = ForwardMsg()
            message.ParseFromString(ws.recv(timeout=timeout))
            kind = message.WhichOneof("type")
            if kind == "delta" and message.delta.WhichOneof("type") == "new_element":
                element = message.delta.new_element
                name = element.WhichOneof("type")
                result.elements[name] = result.elements.get(name, 0) + 1
                if name == "exception":
                    result.errors.append("exception shown")
                result.errors += [w for w in ERROR_WORDS if w in _texts(element)]
            elif kind == "page_not_found":
                result.errors.append("page not found")
            elif kind == "script_finished":
                # A run that ends early for a rerun (st.rerun) is followed by that rerun.
                early = message.script_finished == ForwardMsg.FINISHED_EARLY_FOR_RERUN
                finished = None if early else message.script_finished
            elif (
                kind == "session_status_changed"
                and not message.session_status_changed.script_is_running
                and finished is not None
            ):
                break
    if finished != ForwardMsg.FINISHED_SUCCESSFULLY:
        result.errors.append(f"the run ended with status {finished}")
    result.seconds = time.perf_counter() - began
    return result
