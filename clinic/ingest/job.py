"""The import job: open the file, stage or load it in one write transaction, audit the outcome.

All or nothing: the one-pass load (write.load_direct) serves a clean file into an empty table;
anything else is staged (stage.stage), checked and upserted, or refused with every problem.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from clinic import audit, auth, facts, sql
from clinic.ingest import headers
from clinic.ingest.problems import as_lists
from clinic.ingest.reader import file_sha256, open_export
from clinic.ingest.renumber import Renumbered
from clinic.ingest.results import ImportResult, Problem
from clinic.ingest.saved_mappings import load_mapping
from clinic.ingest.stage import Broken, NotUtf8, Progress, prepare, renumbered, stage
from clinic.ingest.textfile import Reread, TextFile, Unreadable
from clinic.ingest.write import (
    NotClean,
    load_direct,
    next_import_id,
    now,
    price_effect,
    record_import,
    upsert,
)
from clinic.notify.alerts import after_import
from clinic.store import as_task

KINDS = headers.KINDS


def audit_event(
    store, user: str | None, action: str, outcome: str, obj: str | None, details: dict
) -> None:
    """Append one row to the audit trail (the command line or the UI's user; no role here)."""
    audit.log(
        store, user=user, role=None, action=action, outcome=outcome, object=obj, details=details
    )


def _unreadable(
    store, kind: str, name: str, source, user: str | None, exc: Exception
) -> ImportResult:
    """The result (and audit entry) of a file that cannot be read at all."""
    result = ImportResult(None, kind, name, "", status="unreadable")
    if isinstance(source, bytes):
        result.file_sha256 = hashlib.sha256(source).hexdigest()
    elif Path(source).is_file():
        result.file_sha256 = file_sha256(Path(source))
    result.errors = [Problem(None, None, None, str(exc))]
    result.problem_count = 1
    audit_event(store, user, "import", "unreadable", None, _details(result))
    return result


@as_task
def run_import(
    store,
    kind: str,
    source: str | Path | bytes,
    *,
    file_name: str | None = None,
    user: str | None = None,
    mapping: dict[str, str | None] | None = None,
    source_system: str | None = None,
    progress: Progress | None = None,
    record_kind: str | None = None,
    role: str | None = None,
    file_sha256: str | None = None,
) -> ImportResult:
    """Import one export all-or-nothing; see clinic.ingest.import_file.

    `file_sha256` is the digest recorded for the file when `source` is a rewrite of it (a booking
    system's export in our format): the imports table and the audit name the file the user gave.
    """
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    try:
        auth.check_write(role, record_kind or kind)
    except auth.NotAllowed:
        details = {"kind": record_kind or kind, "file_name": file_name}
        audit.log(store, user=user, role=role, action="import", outcome="refused", details=details)
        raise
    report = progress or (lambda _f, _m: None)
    name = file_name or ("upload" if isinstance(source, bytes) else Path(source).name)
    report(0.0, "opening the file")
    try:
        text = open_export(source, name)
    except Unreadable as exc:
        return _unreadable(store, kind, name, source, user, exc)
    job = None
    try:
        saved = load_mapping(store, source_system, kind) if source_system else None
        m = headers.detect(kind, text.headers, mapping, saved)
        recorded = record_kind or kind
        job = _Job(store, kind, text, m, name, user, source_system, recorded, report, file_sha256)
        result = _attempts(job, source, mapping, saved)
        report(1.0, "done")
    except Unreadable as exc:
        return _unreadable(store, kind, name, source, user, exc)
    finally:
        (job.text if job else text).close()  # _attempts closes each file it replaces
    where = f"import:{result.import_id}"
    audit_event(store, user, "import", result.status, where, _details(result))
    # Here, not in a caller: every path (a file, a side effect typed in, a booking system's export
    # through its profile) ends in this function, and each must alert.
    after_import(store, result)  # serious events e-mailed at once; never fails the import
    return result


def _attempts(job: _Job, source, mapping: dict | None, saved: dict | None) -> ImportResult:
    """Import the file as it is; when that rolled back, read it whole (as Windows-1252 when
    DuckDB met bytes that are not UTF-8) and start over: at most three attempts."""
    # A file read whole raises no Reread, one decoded as Windows-1252 no NotUtf8.
    for _attempt in range(3):  # as it is, read whole, read whole as Windows-1252
        try:
            return _import_direct_or_staged(job)
        except (Reread, NotUtf8) as exc:
            first = job.text.sha256
            job.text.close()
            cp1252 = isinstance(exc, NotUtf8)
            job.text = open_export(source, job.file_name, cp1252=cp1252, whole=True)
            if job.text.sha256 != first:  # rewritten meanwhile: its new bytes may well be UTF-8
                raise Unreadable(
                    "The file changed while it was being imported: import it again once the "
                    "export has finished writing."
                ) from None
            job.mapping = headers.detect(job.kind, job.text.headers, mapping, saved)
    raise Unreadable("The file could not be read the same way twice: export it again.")


@dataclass
class _Job:
    """One import attempt: the store, the file and its mapping, who and what for."""

    store: object
    kind: str
    text: TextFile
    mapping: headers.Mapping
    file_name: str
    user: str | None
    source: str | None
    record_kind: str
    report: Progress
    given_sha256: str | None = None  # the original file's, when `text` is its rewrite
    started: datetime = field(default_factory=now)

    @property
    def sha256(self) -> str:
        """The digest the import records: of the file the user gave."""
        return self.given_sha256 or self.text.sha256


def _import_direct_or_staged(job: _Job) -> ImportResult:
    """The one-pass import when it can serve, else the staged one."""
    result = None
    # A price list is small, and the staged path tells what it re-values before writing it.
    direct = job.kind != "prices"
    if direct and not job.mapping.missing(job.kind) and not job.mapping.duplicates:
        result = _import_direct(job)
    return result if result is not None else _import_staged(job)


def _import_direct(job: _Job) -> ImportResult | None:
    """The one-pass import into an empty table; None when the staged path must run instead."""
    job.report(0.1, "reading, checking and writing the rows")
    try:
        with job.store.writer() as cur:
            import_id = next_import_id(cur)
            prepare(cur)
            inserted = load_direct(cur, job.kind, job.text, job.mapping, job.store.path, import_id)
            result = ImportResult(
                import_id, job.kind, job.file_name, job.sha256, inserted, inserted
            )
            _record(cur, result, job)
            job.report(0.8, "updating the figures")
            facts.refresh_import(cur, job.kind, import_id)
    except NotClean:
        return None
    return result


def _import_staged(job: _Job) -> ImportResult:
    """Stage, check and upsert a file in one write transaction (rejected files write no rows)."""
    try:
        return _staged_once(job, None)
    except Broken:  # rolled back; Python reads the file record by record, then again
        return _staged_once(job, renumbered(job.text))


def _staged_once(job: _Job, numbered: Renumbered | None) -> ImportResult:
    """One transaction of _import_staged: from the file, or from its renumbered copy."""
    kind = job.kind
    with job.store.writer() as cur:
        import_id = next_import_id(cur)
        staged = stage(cur, kind, job.text, job.mapping, job.store.path, job.report, numbered)
        result = ImportResult(
            import_id, kind, job.file_name, job.sha256, rows_read=staged.rows_read
        )
        result.warnings = staged.warnings
        if staged.problems:
            result.status = "rejected"
            result.errors = staged.problems
            result.problem_count = staged.total
            result.rejected = staged.rejected
            _record(cur, result, job)
            # The listed problems only (and the count of the rest): a bounded number of rows.
            sql.run(cur, "import_rejects_add", import_id=import_id, **as_lists(staged.problems))
        else:
            job.report(0.7, "writing the rows")
            if kind == "prices":
                result.price_effect = price_effect(cur)
            result.inserted, result.updated, result.unchanged = upsert(cur, kind, import_id)
            _record(cur, result, job)
        # Derived metric facts follow the rows in the same transaction (clinic/facts.py).
        facts.refresh_import(cur, kind, import_id)
    return result


def _details(result: ImportResult) -> dict:
    """The identifiers and counts an audit entry keeps (never row contents)."""
    return {
        "kind": result.kind,
        "file_name": result.file_name,
        "file_sha256": result.file_sha256,
        "counts": {
            "rows_read": result.rows_read,
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
        },
        **({"warnings": len(result.warnings)} if result.warnings else {}),
    }


def _record(cur, result: ImportResult, job: _Job) -> None:
    """Insert the imports row of this attempt."""
    record_import(
        cur, result, kind=job.record_kind, user=job.user, source=job.source, started=job.started
    )
