"""The HTTP API under /api/v1 (docs/API.md): imports, reports, backups and health, for
integrations, with bearer tokens (clinic.tokens) instead of the browser's session cookie.

- `POST /api/v1/imports/{kind}`: the file as the body (or the `file` part of a multipart form);
  200 with the `import --json` report, 422 with it when the file is rejected or unreadable;
- `GET /api/v1/reports/{name}`: the command line's `report NAME --json`, run by the same
  parser and handler (clinic.service.handoff.run_command, handed in by dashboard.py), so
  the shapes cannot drift; query parameters are its options (`from`, `to`, `site`,
  `clinician`, `funding`, `by`, `as_of`, `serious`);
- `POST /api/v1/backups`: a backup into a new folder under CLINIC_BACKUP_DIR (default: the
  folder `backups` beside the store); 201 with its path;
- `GET /api/v1/health`: the store reachable, its schema version, the last import.

401 for a missing, wrong or revoked token (and failed tokens are limited per address with the
`limits` library, 429 past the limit); 403 for a role without the right (the role matrix of
clinic.roles: an import of a kind needs the page that writes it, a report the page that shows
it, a backup the admin). Every call is audited (`api`), refused ones too.
"""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from limits import RateLimitItem, parse_many, storage, strategies
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from clinic import audit, config, roles, sql, tokens
from clinic.store import Store, StoreBusy, StoreError
from clinic.web.sessions import StoreGetter

PREFIX = "/api/v1"
# Report name -> the page whose roles may read it (the command line's reports).
REPORT_PAGES = {"revenue": "revenue", "compliance": "follow-ups", "complications": "complications"}
# Query parameters of a report -> the command line's option (flags have no value).
REPORT_OPTIONS = {
    "from": "--from",
    "to": "--to",
    "site": "--site",
    "clinician": "--clinician",
    "funding": "--funding",
    "by": "--by",
    "as_of": "--as-of",
}
REPORT_FLAGS = {"serious": "--serious"}
_TRUE = ("1", "true", "yes")


def failure_limits() -> list[RateLimitItem]:
    """Failed tokens allowed per address (env CLINIC_API_FAILURES, default 20/15 minutes)."""
    text = os.environ.get("CLINIC_API_FAILURES") or "20/15 minutes"
    try:
        return parse_many(text)
    except ValueError:
        return parse_many("20/15 minutes")


def backup_dir(store: Store) -> Path:
    """Where API backups go: env CLINIC_BACKUP_DIR, else `backups` beside the store."""
    env = os.environ.get("CLINIC_BACKUP_DIR")
    return Path(env) if env else store.path.parent / "backups"


def _error(status: int, message: str, **headers: str) -> JSONResponse:
    """A JSON error: {"error": sentence}."""
    return JSONResponse({"error": message}, status_code=status, headers=headers or None)


def routes(get_store: StoreGetter, run_command: Callable[..., Any] | None = None) -> list[Route]:
    """The /api/v1 routes, and a catch-all that answers 404 for any other path below it.

    `run_command` runs a command line on the served store (clinic.service.handoff.run_command,
    given by the doors), so a report is the command line's own JSON."""
    limiter = strategies.MovingWindowRateLimiter(storage.MemoryStorage())
    rules = failure_limits()

    def where(request: Request) -> str:
        return request.client.host if request.client else "unknown"

    def audited(request: Request, who: tokens.Token | None, status: int, **details: Any) -> None:
        """One audit row for an API call (in the thread pool: the store is blocking)."""
        audit.log(
            get_store(),
            user=f"api:{who.name}" if who else None,
            role=who.role if who else None,
            action="api",
            outcome=str(status),
            object=f"{request.method} {request.url.path}",
            details={"address": where(request), **details},
        )

    async def authorised(request: Request) -> tuple[tokens.Token | None, Response | None]:
        """(the caller's token, None), or (None, the 401/429 answer), audited when refused."""
        address = where(request)
        waits = [
            limiter.get_window_stats(rule, "api", address).reset_time - time.time()
            for rule in rules
            if not limiter.test(rule, "api", address)
        ]
        if waits:
            wait = str(max(1, int(max(waits)) + 1))
            await run_in_threadpool(audited, request, None, 429, reason="too many failed tokens")
            return None, _error(
                429,
                "Too many failed tokens from this address; wait and retry.",
                **{"Retry-After": wait},
            )
        header = request.headers.get("authorization", "")
        scheme, _, token = header.partition(" ")
        found = None
        if scheme.lower() == "bearer":
            found = await run_in_threadpool(tokens.check, get_store(), token.strip())
        if found is None:
            for rule in rules:
                limiter.hit(rule, "api", address)
            reason = "no bearer token" if not header else "a wrong or revoked token"
            await run_in_threadpool(audited, request, None, 401, reason=reason)
            return None, _error(
                401,
                "Send a valid API token: Authorization: Bearer TOKEN.",
                **{"WWW-Authenticate": 'Bearer realm="clinic"'},
            )
        return found, None

    async def refused(request: Request, who: tokens.Token, what: str) -> Response:
        await run_in_threadpool(audited, request, who, 403)
        return _error(403, f"A token with the role {who.role} may not {what}.")

    async def imports(request: Request) -> Response:
        who, answer = await authorised(request)
        if who is None:
            return answer
        kind = request.path_params["kind"]
        if kind not in roles.WRITE_PAGE or kind in ("manual", "accounts"):
            await run_in_threadpool(audited, request, who, 404)
            return _error(404, f"{kind} is not a kind: use appointments, side-effects or prices.")
        if not roles.can(who.role, roles.WRITE_PAGE[kind]):
            return await refused(request, who, f"import {kind}")
        received = await _receive_file(request)
        if isinstance(received, Response):
            await run_in_threadpool(audited, request, who, received.status_code)
            return received
        path, name = received
        try:
            result = await run_in_threadpool(_import, get_store(), kind, path, name, who)
        except StoreBusy as exc:
            await run_in_threadpool(audited, request, who, 409)
            return _error(409, str(exc))
        except StoreError as exc:
            return _error(503, str(exc))
        finally:
            path.unlink(missing_ok=True)
            path.parent.rmdir()
        status = 200 if result.status == "committed" else 422
        await run_in_threadpool(audited, request, who, status, import_id=result.result.import_id)
        return JSONResponse(result.to_json(), status_code=status)

    async def reports(request: Request) -> Response:
        who, answer = await authorised(request)
        if who is None:
            return answer
        name = request.path_params["name"]
        page = REPORT_PAGES.get(name)
        if page is None:
            await run_in_threadpool(audited, request, who, 404)
            return _error(404, f"There is no report {name}: use {', '.join(REPORT_PAGES)}.")
        if not roles.can(who.role, page) or (
            name == "compliance" and who.role in roles.FOLLOWUPS_CALL_LIST_ONLY
        ):
            return await refused(request, who, f"read the {name} report")
        argv = ["report", name, "--json"]
        for key, value in request.query_params.multi_items():
            if key in REPORT_OPTIONS:
                argv += [REPORT_OPTIONS[key], value]
            elif key in REPORT_FLAGS:
                argv += [REPORT_FLAGS[key]] if value.lower() in _TRUE else []
            else:
                await run_in_threadpool(audited, request, who, 400)
                known = ", ".join([*REPORT_OPTIONS, *REPORT_FLAGS])
                return _error(400, f"{key} is not a parameter of reports: use {known}.")
        if run_command is None:
            return _error(503, "Reports are not served by this server.")
        store = get_store()
        code, out, err, _words = await run_in_threadpool(
            run_command, store.path, argv, user=f"api:{who.name}"
        )
        if code != 0:
            await run_in_threadpool(audited, request, who, 400)
            lines = err.decode("utf-8", "replace").strip().splitlines()
            return _error(400, (lines[-1] if lines else "").removeprefix("clinic: "))
        await run_in_threadpool(audited, request, who, 200, query=dict(request.query_params))
        return Response(out, media_type="application/json")

    async def backups(request: Request) -> Response:
        who, answer = await authorised(request)
        if who is None:
            return answer
        if who.role != "admin":
            return await refused(request, who, "make a backup")
        from clinic import backup

        store = get_store()
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
        target = backup_dir(store) / stamp
        try:
            target.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            folder = await run_in_threadpool(backup.backup, store, target)
        except (OSError, StoreError) as exc:
            await run_in_threadpool(audited, request, who, 500)
            return _error(500, f"The backup could not be written: {exc}")
        await run_in_threadpool(audited, request, who, 201, folder=str(folder))
        return JSONResponse({"folder": str(folder)}, status_code=201)

    async def health(request: Request) -> Response:
        who, answer = await authorised(request)
        if who is None:
            return answer
        try:
            body = await run_in_threadpool(_health, get_store())
        except StoreError as exc:
            return JSONResponse({"store": "unreachable", "error": str(exc)}, status_code=503)
        await run_in_threadpool(audited, request, who, 200)
        return JSONResponse(body)

    async def unknown(request: Request) -> Response:
        return _error(404, f"There is no {request.url.path} in the API (docs/API.md).")

    return [
        Route(f"{PREFIX}/imports/{{kind}}", imports, methods=["POST"]),
        Route(f"{PREFIX}/reports/{{name}}", reports, methods=["GET"]),
        Route(f"{PREFIX}/backups", backups, methods=["POST"]),
        Route(f"{PREFIX}/health", health, methods=["GET"]),
        Route(f"{PREFIX}/{{rest:path}}", unknown),
        Route(PREFIX, unknown),
    ]


def _import(store: Store, kind: str, path: Path, name: str, who: tokens.Token) -> Any:
    """Import one received file as the token's role (the role matrix applies again), through
    its booking system's profile as the command line does, so the report is `import --json`'s."""
    from clinic.ingest.vendor_import import import_export

    return import_export(store, kind, path, file_name=name, user=f"api:{who.name}", role=who.role)


def _health(store: Store) -> dict:
    """Store reachable, schema version, the last import."""
    text, params = sql.bind("api_last_import")
    found = store.rows(text, params)
    names = ("import_id", "kind", "file_name", "status", "started_at", "finished_at")
    last = None
    if found:
        values = [v.isoformat() + "Z" if isinstance(v, datetime) else v for v in found[0]]
        last = dict(zip(names, values, strict=True))
    return {"store": "ok", "schema_version": store.schema_version(), "last_import": last}


async def _receive_file(request: Request) -> tuple[Path, str] | Response:
    """The uploaded file in a private temporary file, with its name; or the error answer.

    The body (raw, or a multipart form's `file` part) is streamed to disk, never held whole,
    and refused past CLINIC_MAX_UPLOAD_MB.
    """
    limit = config.max_upload_mb() * 1024 * 1024
    declared = request.headers.get("content-length")
    if declared and declared.isdigit() and int(declared) > limit + 1024 * 1024:
        return _error(413, f"The file is larger than the limit of {config.max_upload_mb()} MB.")
    folder = Path(tempfile.mkdtemp(prefix="clinic-api-"))
    if request.headers.get("content-type", "").startswith("multipart/form-data"):
        try:
            form = await request.form(max_files=1, max_fields=5, max_part_size=1024 * 1024)
        except Exception:  # malformed form: a sentence, not a traceback
            folder.rmdir()
            return _error(400, "The multipart form could not be read.")
        part = form.get("file")
        if part is None or isinstance(part, str):
            folder.rmdir()
            return _error(400, "Send the file as the body, or as the form's `file` part.")
        name = Path(part.filename or "upload").name or "upload"
        path = folder / "upload"
        size = 0
        with path.open("wb") as out:
            while chunk := await part.read(1 << 20):
                size += len(chunk)
                if size > limit:
                    break
                out.write(chunk)
        await form.close()
    else:
        name = Path(request.query_params.get("filename") or "upload").name or "upload"
        path = folder / "upload"
        size = 0
        with path.open("wb") as out:
            async for chunk in request.stream():
                size += len(chunk)
                if size > limit:
                    break
                out.write(chunk)
    if size > limit:
        path.unlink(missing_ok=True)
        folder.rmdir()
        return _error(413, f"The file is larger than the limit of {config.max_upload_mb()} MB.")
    return path, name
