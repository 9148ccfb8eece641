"""Bearer tokens of the HTTP API (/api/v1): made once, kept only as a hash, revocable.

A token is `clinic_` and 43 URL-safe characters (256 random bits); the store keeps its SHA-256
(migration 150), so a copy of the store lets nobody call the API. Each token has a role of the
role matrix (clinic.roles). Making and revoking one is audited.
"""

from __future__ import annotations

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime

from clinic import audit, sql
from clinic.roles import ROLES
from clinic.store import Store

PREFIX = "clinic_"
_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$")


class TokenError(ValueError):
    """A token that cannot be made or revoked; the message is a sentence."""


@dataclass(frozen=True)
class Token:
    """The name and role of a live token."""

    name: str
    role: str


def _now() -> datetime:
    """Now in UTC, as the store keeps times (naive)."""
    return datetime.now(UTC).replace(tzinfo=None)


def digest(token: str) -> str:
    """The hex SHA-256 the store keeps of a token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def add(store: Store, name: str, role: str, *, by: str | None = None) -> str:
    """Make a token NAME with ROLE; return it (the only time it is seen)."""
    if not _NAME.match(name):
        raise TokenError(
            f"{name!r} is not a token name: use letters, digits, '.', '_' or '-' (at most 64)."
        )
    if role not in ROLES:
        raise TokenError(f"{role!r} is not a role: use one of {', '.join(ROLES)}.")
    token = PREFIX + secrets.token_urlsafe(32)
    with store.writer(wait=True, data=False) as cur:
        if cur.execute("select 1 from api_tokens where name = $n", {"n": name}).fetchone():
            raise TokenError(
                f"There is already a token named {name} (a revoked one keeps its name); "
                "choose another name."
            )
        text, params = sql.bind(
            "tokens_add",
            {
                "name": name,
                "role": role,
                "token_sha256": digest(token),
                "created_by": by,
                "at": _now(),
            },
        )
        cur.execute(text, params)
    audit.log(
        store,
        user=by,
        role=None,
        action="token-add",
        outcome="ok",
        object=name,
        details={"role": role},
    )
    return token


def revoke(store: Store, name: str, *, by: str | None = None) -> str:
    """Revoke the live token NAME; its role. Refuses an unknown or already revoked name."""
    text, params = sql.bind("tokens_revoke", {"name": name, "at": _now()})
    with store.writer(wait=True, data=False) as cur:
        found = cur.execute(text, params).fetchone()
    if found is None:
        raise TokenError(f"There is no live token named {name}.")
    audit.log(store, user=by, role=None, action="token-revoke", outcome="ok", object=name)
    return found[1]


def listed(store: Store) -> list[dict]:
    """Every token (live and revoked) without its hash, oldest first."""
    df = store.query("tokens_list")
    return [
        {k: (None if v is None or v != v else v) for k, v in row.items()}
        for row in df.to_dict("records")
    ]


def check(store: Store, token: str | None) -> Token | None:
    """The live token a bearer token is, else None (missing, wrong or revoked)."""
    if not token or not token.startswith(PREFIX) or len(token) > 200:
        return None
    text, params = sql.bind("tokens_find", {"token_sha256": digest(token)})
    found = store.rows(text, params)
    if not found:
        return None
    name, role = found[0]
    return Token(name, role)
