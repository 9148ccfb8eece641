"""Downloads: files offered to one browser session, built, made spreadsheet-safe and audited
when fetched from /download/<id>, refused to anyone else and ended with the session."""

from __future__ import annotations

import hmac
import logging
import re
import secrets
import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import quote

from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from clinic.store import StoreError
from clinic.web.pages import notice, page
from clinic.web.sessions import DOWNLOAD_PREFIX, Hooks, StoreGetter, request_user, session_key

log = logging.getLogger(__name__)
CSV = "text/csv; charset=utf-8"


@dataclass(frozen=True)
class _Offer:
    """A file offered to one browser session, built when fetched."""

    owner: str
    key: str
    file_name: str
    build: Callable[[], bytes]
    media_type: str = CSV


class Downloads:
    """Files offered for download: each id belongs to the session it was offered to.

    A page run offers its downloads again (same id for the same session and button), so the
    table stays as small as the open pages; the oldest offers go beyond `limit`, and logout
    ends a session's offers at once.
    """

    def __init__(self, limit: int = 2000) -> None:
        """An empty table of at most `limit` offers."""
        self._lock = threading.Lock()
        self._limit = limit
        self._offers: OrderedDict[str, _Offer] = OrderedDict()
        self._ids: dict[tuple[str, str], str] = {}

    def offer(
        self,
        owner: str,
        key: str,
        file_name: str,
        build: Callable[[], bytes],
        media_type: str = CSV,
    ) -> str:
        """Offer a file to the session `owner` (a session_key) for button `key`; its URL."""
        with self._lock:
            found = self._ids.get((owner, key)) or secrets.token_urlsafe(24)
            self._ids[(owner, key)] = found
            self._offers[found] = _Offer(owner, key, file_name, build, media_type)
            self._offers.move_to_end(found)
            while len(self._offers) > self._limit:
                _gone, old = self._offers.popitem(last=False)
                self._ids.pop((old.owner, old.key), None)
        return DOWNLOAD_PREFIX + found

    def claim(self, download_id: str, owner: str | None) -> _Offer | None:
        """The offer behind an id when `owner` is the session it was made for, else None."""
        with self._lock:
            found = self._offers.get(download_id)
        if found is None or not owner or not hmac.compare_digest(found.owner, owner):
            return None
        return found

    def end(self, owner: str | None) -> int:
        """Withdraw every offer of a session (at logout); how many there were."""
        if not owner:
            return 0
        with self._lock:
            gone = [i for i, o in self._offers.items() if o.owner == owner]
            for found in gone:
                offer = self._offers.pop(found)
                self._ids.pop((offer.owner, offer.key), None)
        return len(gone)


DOWNLOADS = Downloads()

_SAFE_FILE_NAME = re.compile(r"^[A-Za-z0-9._ -]{1,120}$")


def _disposition(file_name: str) -> str:
    """A Content-Disposition header naming the file, whatever its characters."""
    if _SAFE_FILE_NAME.match(file_name):
        return f'attachment; filename="{file_name}"'
    return f"attachment; filename*=utf-8''{quote(file_name, safe='')}"


def route(get_store: StoreGetter, hooks: Hooks) -> Route:
    """The route /download/<id>."""

    async def download(request: Request) -> Response:
        """The file behind an id, to the browser session it was offered to; a sentence else."""
        try:
            user, _claims = await run_in_threadpool(
                request_user, get_store(), request.cookies, hooks
            )
        except StoreError:
            user = None
        offer = None
        if user is not None:
            offer = DOWNLOADS.claim(request.path_params["id"], session_key(request.cookies))
        if offer is None:
            return page(
                notice(
                    "This download has ended (it belongs to the browser session that opened the"
                    " page, and ends with it). Log in and download it from the page again.",
                    request.cookies,
                ),
                404,
                "Download",
            )
        try:
            data = await run_in_threadpool(offer.build)
        except Exception:  # noqa: BLE001 - a sentence, never a traceback
            log.exception("download %s failed", offer.file_name)
            return page(
                notice("The file could not be made; try again, or tell the administrator."),
                500,
                "Download",
            )
        return Response(
            data,
            media_type=offer.media_type,
            headers={
                "Content-Disposition": _disposition(offer.file_name),
                "Cache-Control": "no-store",
            },
        )

    return Route(DOWNLOAD_PREFIX + "{id}", download, methods=["GET"])
