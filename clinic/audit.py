"""The append-only audit trail: who did what, when, with what outcome, chained by an HMAC.

Each row's `hash` is an HMAC-SHA-256, keyed by the audit key (a file beside the store, 0600,
never in the database, like the pseudonymisation key: config.audit_key), of the previous row's
hash and a canonical JSON of the row itself (seq, logged_at, username, role, action, outcome,
object, details). Keyed hashes carry the prefix "hmac-sha256:". So editing, deleting or
reordering any row breaks the chain at that row, and without the key the chain cannot be
recomputed. Rows written before the key existed (plain SHA-256, no prefix) still verify: the
first keyed row is the switch-over (an "audit-chain-keyed" row on a store that had plain rows)
and every later row must be keyed.

Every write also appends "seq hash" to the anchor file beside the store and sends it to the
system log (config: CLINIC_SYSLOG). `verify` checks the chain, then that every anchored row is
in the table with its anchored hash: deleting the newest rows, or all of them, or rewriting
rows even with the key, is found unless the anchor file (and the system log) are rewritten too.

Details carry identifiers and counts only, never clinical free text: `log` drops keys such as
"notes", "comment", "free_text" (and secrets such as "password" or "token") before writing, and
records which key names it dropped under "_dropped". Long string values are cut to 200
characters. No code path updates or deletes audit_log rows.

Over 400 lines: writing a row and verifying the trail share the row's canonical form, the key and
the anchor file; apart, each would need the other's internals. Much of it is verify's sentences.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from clinic import config, sql
from clinic.store import Store

if TYPE_CHECKING:  # pandas loads with the first DataFrame fetched: an import needs none
    import pandas as pd

GENESIS = "0" * 64
MAX_VALUE_CHARS = 200
KEYED = "hmac-sha256:"
SWITCH_ACTION = "audit-chain-keyed"
_ANCHOR_HEADER = "# clinic audit anchor: the sequence number and hash of each audit row\n"
log_ = logging.getLogger(__name__)

# Key names whose values may be clinical free text or secrets: never written to the trail.
FORBIDDEN_KEYS = frozenset(
    {
        "notes",
        "note",
        "comment",
        "comments",
        "free_text",
        "freetext",
        "text",
        "description",
        "body",
        "password",
        "token",
        "secret",
    }
)

# Our own lock, not store.writer(): page views and logins must never wait for an import.
_lock = threading.Lock()


@dataclass(frozen=True)
class VerifyResult:
    """The outcome of checking the hash chain and the anchor, and what was checked."""

    ok: bool
    rows: int
    first_bad_seq: int | None
    reason: str
    keyed_from: int | None = None  # the first row chained by the key (None: no keyed row)
    anchored: int = 0  # rows found in the anchor file, each compared with the table
    key_file: str | None = None
    anchor_file: str | None = None


def _now() -> datetime:
    """The current UTC time, naive, at microsecond precision (what a DuckDB TIMESTAMP keeps)."""
    return datetime.now(UTC).replace(tzinfo=None)


def _clean(details: dict | None) -> str | None:
    """Canonical JSON of details without forbidden keys; None when there is nothing left."""
    if not details:
        return None

    def scrub(value: object) -> object:
        if isinstance(value, dict):
            kept = {}
            dropped = []
            for key, inner in value.items():
                if str(key).strip().lower() in FORBIDDEN_KEYS:
                    dropped.append(str(key))
                else:
                    kept[str(key)] = scrub(inner)
            if dropped:
                kept["_dropped"] = sorted(dropped)
            return kept
        if isinstance(value, list | tuple | set | frozenset):
            items = [scrub(v) for v in value]
            return sorted(items, key=str) if isinstance(value, set | frozenset) else items
        if value is None or isinstance(value, bool | int | float):
            return value
        text = str(value)
        return text if len(text) <= MAX_VALUE_CHARS else text[:MAX_VALUE_CHARS] + "..."

    cleaned = scrub(dict(details))
    return json.dumps(cleaned, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def _row_hash(
    prev_hash: str,
    seq: int,
    logged_at: datetime,
    username: str | None,
    role: str | None,
    action: str,
    outcome: str,
    object_: str | None,
    details: str | None,
    key: bytes | None = None,
) -> str:
    """The hash of one row: HMAC-SHA-256 with `key` (prefixed), plain SHA-256 without one."""
    canonical = json.dumps(
        [
            seq,
            logged_at.isoformat(timespec="microseconds"),
            username,
            role,
            action,
            outcome,
            object_,
            details,
        ],
        separators=(",", ":"),
        ensure_ascii=False,
    )
    message = (prev_hash + "\n" + canonical).encode("utf-8")
    if key is None:
        return hashlib.sha256(message).hexdigest()
    return KEYED + hmac.new(key, message, hashlib.sha256).hexdigest()


@contextmanager
def paused() -> Iterator[None]:
    """No audit row is written meanwhile (a backup copies the trail and its anchor as one)."""
    with _lock:
        yield


def _insert(
    cur, key: bytes, prev: str, seq: int, user, role, action, outcome, object_, details
) -> str:
    """Insert one keyed row after `prev`; its hash."""
    logged_at = _now()
    digest = _row_hash(prev, seq, logged_at, user, role, action, outcome, object_, details, key)
    sql.run(
        cur,
        "audit_log_add",
        seq=seq,
        at=logged_at,
        user=user,
        role=role,
        action=action,
        outcome=outcome,
        object=object_,
        details=details,
        prev=prev,
        hash=digest,
    )
    return digest


def _anchor(store: Store, written: list[tuple[int, str]]) -> None:
    """Append the rows just committed to the anchor file and send them to the system log."""
    path = config.audit_anchor_path(store.path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
        with os.fdopen(fd, "a", encoding="ascii") as fh:
            if fh.tell() == 0:
                fh.write(_ANCHOR_HEADER)
            fh.writelines(f"{seq} {digest}\n" for seq, digest in written)
    except OSError:  # the row is committed; verify will say the anchor lags behind
        log_.exception("the audit anchor %s could not be written", path)
    syslog = _syslog()
    for seq, digest in written:
        syslog.info("clinic audit %s seq=%d hash=%s", store.path.name, seq, digest)


_syslog_logger: logging.Logger | None = None


def _syslog() -> logging.Logger:
    """A logger to the system log (CLINIC_SYSLOG: a socket path, host:port, or 'off')."""
    global _syslog_logger
    if _syslog_logger is None:
        logger = logging.getLogger("clinic.audit.anchor")
        logger.handlers.clear()  # set up again (another CLINIC_SYSLOG): one handler only
        logger.propagate = False
        logger.setLevel(logging.INFO)
        target = os.environ.get("CLINIC_SYSLOG", "/dev/log")
        address: str | tuple[str, int] | None = None
        if ":" in target:
            host, port = target.rsplit(":", 1)
            address = (host, int(port))
        elif target != "off" and Path(target).exists():
            address = target
        if address is not None:
            try:
                handler = logging.handlers.SysLogHandler(
                    address=address, facility=logging.handlers.SysLogHandler.LOG_AUTH
                )
                handler.setFormatter(logging.Formatter("clinic-audit: %(message)s"))
                logger.addHandler(handler)
            except OSError:  # no system log here: the anchor file still holds every row
                log_.warning("the system log at %s cannot be reached", target)
        _syslog_logger = logger
    return _syslog_logger


def log(
    store: Store,
    *,
    user: str | None,
    role: str | None,
    action: str,
    outcome: str,
    object: str | None = None,  # noqa: A002 - the contract's name for the thing acted on
    details: dict | None = None,
) -> None:
    """Append one row to the audit trail in its own short transaction.

    Without a role, the user's account role is recorded, so callers that know only the user
    (the importer, the command line) still leave a row that says in which role it was done.
    """
    details_json = _clean(details)
    key = config.audit_key(store.path)
    with _lock:
        with store.cursor() as cur:
            cur.begin()
            try:
                if role is None and user is not None:
                    found = cur.execute(
                        "select role from accounts where username = $user", {"user": user}
                    ).fetchone()
                    role = found[0] if found else None
                last = cur.execute(
                    "select seq, hash from audit_log order by seq desc limit 1"
                ).fetchone()
                seq, prev = (last[0] + 1, last[1]) if last else (1, GENESIS)
                written = []
                if last and not prev.startswith(KEYED):
                    # The first keyed row of a store with plain rows: mark the switch-over.
                    switch = {"plain_rows": last[0]}
                    prev = _insert(
                        cur,
                        key,
                        prev,
                        seq,
                        None,
                        None,
                        SWITCH_ACTION,
                        "ok",
                        None,
                        _clean(switch),
                    )
                    written.append((seq, prev))
                    seq += 1
                digest = _insert(
                    cur, key, prev, seq, user, role, action, outcome, object, details_json
                )
                written.append((seq, digest))
                cur.commit()
            except BaseException:
                cur.rollback()
                raise
        _anchor(store, written)


def _anchored(path: Path) -> Iterator[tuple[int, str]]:
    """The (seq, hash) lines of an anchor file, read line by line."""
    with path.open(encoding="ascii", errors="replace") as fh:
        for line in fh:
            parts = line.split()
            if len(parts) == 2 and parts[0].isdigit():
                yield int(parts[0]), parts[1]


def verify(store: Store) -> VerifyResult:
    """Check the chain (keyed after the switch-over) and every anchored row; say what was."""
    text, params = sql.bind("audit_chain", {})
    chain = store.rows(text, params)
    key_path = config.audit_key_path(store.path)
    anchor_path = config.audit_anchor_path(store.path)
    key = config.audit_key(store.path, create=False)
    n = len(chain)
    checked = {"key_file": str(key_path), "anchor_file": str(anchor_path)}

    def bad(seq: int | None, reason: str, keyed_from: int | None = None) -> VerifyResult:
        return VerifyResult(False, n, seq, reason, keyed_from, **checked)

    expected_prev = GENESIS
    keyed_from: int | None = None
    for expected_seq, row in enumerate(chain, start=1):
        seq, logged_at, username, role, action, outcome, object_, details, prev_hash, hash_ = row
        if seq != expected_seq:
            return bad(
                seq,
                f"Audit row {seq} follows row {expected_seq - 1}: "
                f"row {expected_seq} is missing or was renumbered.",
            )
        if prev_hash != expected_prev:
            return bad(
                seq,
                f"Audit row {seq} does not link to the row before it "
                "(a row was deleted, reordered or edited).",
            )
        keyed = hash_.startswith(KEYED)
        if keyed and key is None:
            return bad(seq, f"Audit row {seq} is keyed but the audit key {key_path} is missing.")
        if keyed_from is not None and not keyed:
            return bad(
                seq,
                f"Audit row {seq} is not keyed though row {keyed_from} and later ones are: it "
                "was rewritten without the key.",
            )
        if keyed and keyed_from is None:
            keyed_from = seq
        parts = (prev_hash, seq, logged_at, username, role, action, outcome, object_, details)
        if _row_hash(*parts, key=key if keyed else None) != hash_:
            return bad(seq, f"Audit row {seq} was changed after it was written.", keyed_from)
        expected_prev = hash_
    hashes = {row[0]: row[9] for row in chain}
    anchored = 0
    last_anchored = 0
    if anchor_path.exists():
        for seq, digest in _anchored(anchor_path):
            anchored += 1
            last_anchored = max(last_anchored, seq)
            if seq not in hashes:
                return bad(
                    seq,
                    f"The trail ends at row {n} but the anchor file {anchor_path} records row "
                    f"{seq}: rows were deleted.",
                    keyed_from,
                )
            if hashes[seq] != digest:
                return bad(
                    seq,
                    f"Audit row {seq} differs from the hash anchored in {anchor_path} when it was "
                    "written: the trail was rewritten (with the key, or from a copy).",
                    keyed_from,
                )
    elif key is not None or keyed_from is not None:
        return bad(
            None,
            f"The anchor file {anchor_path} is missing though the trail is keyed: it was "
            "deleted, or the store was moved without it.",
            keyed_from,
        )
    return VerifyResult(
        True,
        n,
        None,
        _checked(n, keyed_from, anchored, last_anchored, checked),
        keyed_from,
        anchored,
        **checked,
    )


def _checked(
    n: int, keyed_from: int | None, anchored: int, last_anchored: int, files: dict[str, str]
) -> str:
    """The sentence of an intact trail: how many rows, how each part is chained, the anchor."""
    if n == 0:
        return "The audit trail is intact (0 rows)."
    parts = [f"The audit trail is intact: {n:,} rows."]
    if keyed_from is None:
        parts.append(f"Rows 1-{n:,} are chained by plain SHA-256 (written before the audit key).")
    else:
        if keyed_from > 1:
            parts.append(
                f"Rows 1-{keyed_from - 1:,} are chained by plain SHA-256 (written before the key)."
            )
        parts.append(
            f"Rows {keyed_from:,}-{n:,} are chained by HMAC-SHA-256 with the key in "
            f"{files['key_file']}."
        )
    if anchored:
        parts.append(
            f"All {anchored:,} rows recorded in {files['anchor_file']} match, up to row "
            f"{last_anchored:,}."
        )
        if last_anchored < n:
            parts.append(
                f"Rows {last_anchored + 1:,}-{n:,} are not in the anchor file yet (it could not "
                "be written, or the process stopped just after the commit)."
            )
    return " ".join(parts)


def entries(
    store: Store,
    *,
    start: datetime | None = None,
    end: datetime | None = None,
    user: str | None = None,
    action: str | None = None,
    limit: int = 500,
) -> pd.DataFrame:
    """The newest audit rows first, filtered by UTC time range [start, end), user and action."""
    return store.query(
        "audit_entries",
        start=start,
        end=end,
        user=user,
        action=action,
        limit=max(0, int(limit)),
    )
