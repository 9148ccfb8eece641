"""The append-only audit trail: who did what, when, with what outcome, chained by SHA-256.

Each row's `hash` is the SHA-256 of the previous row's hash and a canonical JSON of the row
itself (seq, logged_at, username, role, action, outcome, object, details), so editing, deleting
or reordering any row breaks the chain at that row and `verify` names it. Deleting the newest
rows cannot be told from a shorter trail by the chain alone; `verify` reports the row count so
it can be compared with a backup manifest.

Details carry identifiers and counts only, never clinical free text: `log` drops keys such as
"notes", "comment", "free_text" (and secrets such as "password" or "token") before writing, and
records which key names it dropped under "_dropped". Long string values are cut to 200
characters. No code path updates or deletes audit_log rows.
"""

from __future__ import annotations

import hashlib
import json
import threading
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from clinic import sql
from clinic.store import Store

GENESIS = "0" * 64
MAX_VALUE_CHARS = 200

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
    """The outcome of checking the hash chain."""

    ok: bool
    rows: int
    first_bad_seq: int | None
    reason: str


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
) -> str:
    """SHA-256 over the previous hash and a canonical serialisation of one row."""
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
    return hashlib.sha256((prev_hash + "\n" + canonical).encode("utf-8")).hexdigest()


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
    with _lock, store.cursor() as cur:
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
            seq, prev_hash = (last[0] + 1, last[1]) if last else (1, GENESIS)
            logged_at = _now()
            digest = _row_hash(
                prev_hash, seq, logged_at, user, role, action, outcome, object, details_json
            )
            cur.execute(
                "insert into audit_log (seq, logged_at, username, role, action, outcome, object,"
                " details, prev_hash, hash) values ($seq, $at, $user, $role, $action, $outcome,"
                " $object, $details, $prev, $hash)",
                {
                    "seq": seq,
                    "at": logged_at,
                    "user": user,
                    "role": role,
                    "action": action,
                    "outcome": outcome,
                    "object": object,
                    "details": details_json,
                    "prev": prev_hash,
                    "hash": digest,
                },
            )
            cur.commit()
        except BaseException:
            cur.rollback()
            raise


def verify(store: Store) -> VerifyResult:
    """Recompute the chain; report the first row that was edited, deleted or reordered."""
    text, params = sql.bind("audit_chain", {})
    chain = store.rows(text, params)
    expected_prev = GENESIS
    for expected_seq, row in enumerate(chain, start=1):
        seq, logged_at, username, role, action, outcome, object_, details, prev_hash, hash_ = row
        if seq != expected_seq:
            return VerifyResult(
                False,
                len(chain),
                seq,
                f"Audit row {seq} follows row {expected_seq - 1}: "
                f"row {expected_seq} is missing or was renumbered.",
            )
        if prev_hash != expected_prev:
            return VerifyResult(
                False,
                len(chain),
                seq,
                f"Audit row {seq} does not link to the row before it "
                "(a row was deleted, reordered or edited).",
            )
        digest = _row_hash(
            prev_hash, seq, logged_at, username, role, action, outcome, object_, details
        )
        if digest != hash_:
            return VerifyResult(
                False, len(chain), seq, f"Audit row {seq} was changed after it was written."
            )
        expected_prev = hash_
    return VerifyResult(True, len(chain), None, f"The audit trail is intact ({len(chain)} rows).")


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
