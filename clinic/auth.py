"""Accounts, roles, Argon2id passwords, lockout, web sessions and the role matrix.

Account and session writes use their own short transactions under this module's lock, not
`store.writer()`: that is the import lock, and a login must never wait for (or fail because of)
a running import. They do not bump `data_version` either: accounts are not clinical data.

Settings (environment): CLINIC_LOCKOUT_ATTEMPTS (default 5 failures in a row lock an account),
CLINIC_LOCKOUT_MINUTES (default 15), CLINIC_IDLE_MINUTES (default 30: a web session unused for
longer ends).

A refused login gets one sentence whatever the reason (unknown name, wrong password, locked
account), so the login form tells nobody which accounts exist; the audit trail keeps the reason.
A locked-out administrator gets back in with `python -m clinic users unlock NAME` (or
`users reset-password NAME`, which also clears the lock).

Over 400 lines: accounts, logins and web sessions share one lock, one short-transaction helper
and the account row; the role matrix already lives in clinic.roles.
"""

from __future__ import annotations

import hashlib
import os
import secrets
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import TYPE_CHECKING

import duckdb
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError

from clinic import audit, sql

# The role matrix lives in clinic.roles (light: the CLI's parser offers the roles); callers
# keep saying auth.can, auth.ROLES ...
from clinic.roles import AUDIT_SCOPE as AUDIT_SCOPE
from clinic.roles import FOLLOWUPS_CALL_LIST_ONLY as FOLLOWUPS_CALL_LIST_ONLY
from clinic.roles import PAGES as PAGES
from clinic.roles import PAGES_BY_ROLE as PAGES_BY_ROLE
from clinic.roles import ROLES as ROLES
from clinic.roles import WRITE_PAGE as WRITE_PAGE
from clinic.roles import NotAllowed as NotAllowed
from clinic.roles import can as can
from clinic.roles import check_write as check_write
from clinic.store import Store

if TYPE_CHECKING:  # pandas loads with the first DataFrame fetched: an import needs none
    import pandas as pd

MIN_PASSWORD_CHARS = 10
MAX_PASSWORD_CHARS = 1024
# zxcvbn's score (0-4) a password must reach: 3 is "safely unguessable" against an online
# attack and a slow-hash offline one; common, breached-style and keyboard passwords score 0-2.
MIN_PASSWORD_SCORE = 3
# zxcvbn reads at most this many characters (its own limit; the time it takes grows with length).
_SCORED_CHARS = 72
# The one answer to every refused login (NIST 800-63B: do not say which part was wrong).
REFUSED = (
    "The user name or password is not right, or the account is locked for a while after"
    " repeated failures."
)

_hasher = PasswordHasher()  # Argon2id with argon2-cffi's current recommended parameters
_lock = threading.Lock()
_dummy_hash: str | None = None


class AuthError(ValueError):
    """An account operation that cannot be done; the message is a sentence for the user."""


class PasswordPolicyError(AuthError):
    """A password that does not meet the policy."""


@dataclass(frozen=True)
class User:
    """A logged-in person: who they are and what role they act in."""

    username: str
    role: str
    email: str | None = None


@dataclass(frozen=True)
class AuthResult:
    """The outcome of a login: the user, or None with a sentence saying why not."""

    user: User | None
    reason: str

    def __bool__(self) -> bool:
        """True when the login succeeded."""
        return self.user is not None


def _setting(name: str, default: int) -> int:
    """A positive integer setting from the environment."""
    try:
        value = int(os.environ.get(name, default))
    except ValueError:
        return default
    return value if value > 0 else default


def lockout_attempts() -> int:
    """Failures in a row that lock an account (env CLINIC_LOCKOUT_ATTEMPTS, default 5)."""
    return _setting("CLINIC_LOCKOUT_ATTEMPTS", 5)


def lockout_minutes() -> int:
    """How long a locked account stays locked (env CLINIC_LOCKOUT_MINUTES, default 15)."""
    return _setting("CLINIC_LOCKOUT_MINUTES", 15)


def idle_minutes() -> int:
    """Idle time after which a web session ends (env CLINIC_IDLE_MINUTES, default 30)."""
    return _setting("CLINIC_IDLE_MINUTES", 30)


def _now() -> datetime:
    """The current UTC time, naive (the store keeps UTC without a zone)."""
    return datetime.now(UTC).replace(tzinfo=None)


@contextmanager
def _tx(store: Store) -> Iterator[duckdb.DuckDBPyConnection]:
    """One short transaction on a fresh cursor under this module's lock."""
    with _lock, store.cursor() as cur:
        cur.begin()
        try:
            yield cur
            cur.commit()
        except BaseException:
            cur.rollback()
            raise


def _actor(actor: User | None) -> tuple[str, str | None]:
    """Who to name in the audit trail for an account change (the CLI when no user)."""
    return (actor.username, actor.role) if actor else ("cli", None)


def _check_actor(store: Store, actor: User | None) -> None:
    """Refuse (and audit) an account change by a user whose role may not manage accounts."""
    try:
        check_write(actor.role if actor else None, "accounts")
    except NotAllowed:
        who, role = _actor(actor)
        audit.log(store, user=who, role=role, action="account-change", outcome="refused")
        raise


def _log_change(
    store: Store, actor: User | None, action: str, obj: str, details: dict | None = None
) -> None:
    """Audit an account change made by `actor` (the command line when None)."""
    who, role = _actor(actor)
    audit.log(store, user=who, role=role, action=action, outcome="ok", object=obj, details=details)


def check_password(password: str, context: tuple[str | None, ...] = ()) -> None:
    """Raise PasswordPolicyError unless the password is long enough and hard to guess.

    `context` (the user name, the e-mail) counts as guessable: "ann-clinic-2024" for ann is weak.
    """
    if len(password) < MIN_PASSWORD_CHARS:
        raise PasswordPolicyError(
            f"The password is too short: use at least {MIN_PASSWORD_CHARS} characters."
        )
    if len(password) > MAX_PASSWORD_CHARS:
        raise PasswordPolicyError(
            f"The password is too long: use at most {MAX_PASSWORD_CHARS} characters."
        )
    # Imported here: its word lists cost ~70 ms that every command (an import, a report) paid.
    from zxcvbn import zxcvbn

    words = [w for w in context if w]
    found = zxcvbn(password[:_SCORED_CHARS], user_inputs=words, max_length=_SCORED_CHARS)
    if found["score"] < MIN_PASSWORD_SCORE:
        why = found["feedback"].get("warning") or "It follows a pattern that is easy to guess."
        why = why[0].lower() + why[1:].rstrip(".")
        raise PasswordPolicyError(
            f"This password is too easy to guess: {why}. Use a longer phrase of three or four"
            " unrelated words."
        )


def _check_role(role: str) -> None:
    """Raise AuthError unless the role is one of ROLES."""
    if role not in ROLES:
        raise AuthError(f"Unknown role {role!r}: use one of {', '.join(ROLES)}.")


def _check_name(name: str) -> str:
    """A trimmed user name, or AuthError when it is empty or unreasonable."""
    name = (name or "").strip()
    if not name or len(name) > 64 or any(c.isspace() or not c.isprintable() for c in name):
        raise AuthError("A user name must be 1 to 64 characters without spaces.")
    return name


def _account(cur: duckdb.DuckDBPyConnection, name: str) -> tuple | None:
    """(username, role, password_hash, email, disabled, failed_logins, locked_until) or None."""
    return cur.execute(
        "select username, role, password_hash, email, disabled, failed_logins, locked_until"
        " from accounts where username = $name",
        {"name": name},
    ).fetchone()


# -- accounts ----------------------------------------------------------------------------------
def add_user(
    store: Store,
    name: str,
    role: str,
    password: str,
    email: str | None = None,
    *,
    actor: User | None = None,
) -> User:
    """Create a local account with an Argon2id password hash."""
    _check_actor(store, actor)
    name = _check_name(name)
    _check_role(role)
    check_password(password, (name, email))
    digest = _hasher.hash(password)
    with _tx(store) as cur:
        if _account(cur, name):
            raise AuthError(f"A user called {name!r} already exists.")
        sql.run(cur, "accounts_add", name=name, role=role, hash=digest, email=email, at=_now())
    _log_change(store, actor, "account-add", name, {"role": role})
    return User(name, role, email)


def list_users(store: Store) -> pd.DataFrame:
    """Every account without its password hash, by user name."""
    return store.query("auth_users")


def _set_disabled(store: Store, name: str, disabled: bool, actor: User | None) -> None:
    """Disable or enable an account; disabling also ends its web sessions."""
    _check_actor(store, actor)
    with _tx(store) as cur:
        if not _account(cur, name):
            raise AuthError(f"There is no user called {name!r}.")
        sql.run(cur, "accounts_set_disabled", name=name, disabled=disabled)
        if disabled:
            _end_sessions(cur, name)
    _log_change(store, actor, "account-disable" if disabled else "account-enable", name)


def disable_user(store: Store, name: str, *, actor: User | None = None) -> None:
    """Refuse all further logins of an account and end its sessions."""
    _set_disabled(store, name, True, actor)


def enable_user(store: Store, name: str, *, actor: User | None = None) -> None:
    """Allow a disabled account to log in again (also clears a lockout)."""
    _set_disabled(store, name, False, actor)


def reset_password(store: Store, name: str, password: str, *, actor: User | None = None) -> None:
    """Set a new password, clear a lockout and end the account's sessions."""
    _check_actor(store, actor)
    check_password(password, (name,))
    digest = _hasher.hash(password)
    with _tx(store) as cur:
        if not _account(cur, name):
            raise AuthError(f"There is no user called {name!r}.")
        sql.run(cur, "accounts_reset_password", name=name, hash=digest)
        _end_sessions(cur, name)
    _log_change(store, actor, "account-reset-password", name)


def unlock_user(store: Store, name: str, *, actor: User | None = None) -> None:
    """Clear an account's lockout and failure count (a locked-out admin's way back in)."""
    with _tx(store) as cur:
        if not _account(cur, name):
            raise AuthError(f"There is no user called {name!r}.")
        sql.run(cur, "accounts_unlock", name=name)
    _log_change(store, actor, "account-unlock", name)


def set_role(store: Store, name: str, role: str, *, actor: User | None = None) -> None:
    """Change an account's role; its open sessions stop working at their next request."""
    _check_actor(store, actor)
    _check_role(role)
    with _tx(store) as cur:
        if not _account(cur, name):
            raise AuthError(f"There is no user called {name!r}.")
        sql.run(cur, "accounts_set_role", name=name, role=role)
    _log_change(store, actor, "account-role", name, {"role": role})


def demo_accounts(store: Store) -> dict[str, str]:
    """For the demo store only: one account per role with a random password, returned once."""
    created = {}
    existing = set(list_users(store)["username"])
    for role in ROLES:
        if role in existing:
            continue
        password = secrets.token_urlsafe(12)
        add_user(store, role, role, password)
        created[role] = password
    return created


# -- logging in --------------------------------------------------------------------------------
def _dummy() -> str:
    """A hash to verify against for unknown users, so they take as long as known ones."""
    global _dummy_hash
    if _dummy_hash is None:
        _dummy_hash = _hasher.hash(secrets.token_urlsafe(16))
    return _dummy_hash


def _verify(stored: str | None, password: str) -> bool:
    """Whether the password matches the stored Argon2 hash (False for no hash)."""
    try:
        return _hasher.verify(stored or _dummy(), password) and stored is not None
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


def authenticate(store: Store, name: str, password: str) -> AuthResult:
    """Check a user name and password; count failures and lock the account after too many."""
    name = (name or "").strip()
    now = _now()
    with store.cursor() as cur:
        found = _account(cur, name) if name else None
    if found is None:
        _verify(None, password or "")
        audit.log(
            store,
            user=name[:64] or None,
            role=None,
            action="login",
            outcome="failed",
            details={"why": "unknown-user"},
        )
        return AuthResult(None, REFUSED)
    username, role, stored, email, disabled, _failed, locked_until = found
    if locked_until is not None and locked_until > now:
        _verify(None, password or "")
        audit.log(
            store, user=username, role=role, action="login", outcome="locked", object=username
        )
        return AuthResult(None, REFUSED)
    ok = _verify(stored, password or "")
    if ok and disabled:
        audit.log(
            store,
            user=username,
            role=role,
            action="login",
            outcome="failed",
            object=username,
            details={"why": "disabled"},
        )
        return AuthResult(None, "This account is disabled; ask an administrator.")
    if ok:
        with _tx(store) as cur:
            sql.run(cur, "accounts_unlock", name=username)
            if _hasher.check_needs_rehash(stored):
                sql.run(cur, "accounts_rehash", name=username, hash=_hasher.hash(password))
        audit.log(store, user=username, role=role, action="login", outcome="ok", object=username)
        return AuthResult(User(username, role, email), "")
    with _tx(store) as cur:
        failed = sql.run(cur, "accounts_count_failure", name=username).fetchone()[0]
        lock_until = None
        if failed >= lockout_attempts():
            lock_until = now + timedelta(minutes=lockout_minutes())
            sql.run(cur, "accounts_lock", name=username, until=lock_until)
    audit.log(
        store,
        user=username,
        role=role,
        action="login",
        outcome="failed",
        object=username,
        details={"why": "password", "failures": failed},
    )
    if lock_until is not None:
        audit.log(
            store,
            user=username,
            role=role,
            action="lockout",
            outcome="ok",
            object=username,
            details={"minutes": lockout_minutes(), "until": lock_until.isoformat()},
        )
    return AuthResult(None, REFUSED)


# -- web sessions ------------------------------------------------------------------------------
def _token_hash(token: str) -> str:
    """The SHA-256 of a session token: all the store ever keeps of it."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def create_session(store: Store, username: str) -> str:
    """Start a web session for an account; return the token for the cookie (shown once)."""
    token = secrets.token_urlsafe(32)
    now = _now()
    with _tx(store) as cur:
        found = _account(cur, username)
        if found is None or found[4]:
            raise AuthError(f"There is no active user called {username!r}.")
        sql.run(
            cur, "web_sessions_add", hash=_token_hash(token), name=username, role=found[1], at=now
        )
    return token


def user_for_session(store: Store, token: str | None) -> User | None:
    """The user of a live session (and mark it used), else None; stale sessions are revoked."""
    if not token or len(token) > 200:
        return None
    digest = _token_hash(token)
    now = _now()
    ended = None
    with _tx(store) as cur:
        found = cur.execute(
            "select s.username, s.role, s.last_seen_at, s.revoked_at, a.role, a.email, a.disabled"
            " from web_sessions s left join accounts a on a.username = s.username"
            " where s.token_sha256 = $h",
            {"h": digest},
        ).fetchone()
        if found is None:
            return None
        username, session_role, last_seen, revoked, role, email, disabled = found
        if revoked is not None:
            return None
        if last_seen < now - timedelta(minutes=idle_minutes()):
            ended = "idle"
        elif role is None or disabled:
            ended = "disabled"
        elif role != session_role:
            ended = "role-changed"
        sql.run(cur, "web_sessions_revoke" if ended else "web_sessions_seen", hash=digest, at=now)
    if ended:
        audit.log(
            store,
            user=username,
            role=session_role,
            action="session-end",
            outcome="ok",
            object=username,
            details={"why": ended},
        )
        return None
    return User(username, role, email)


def revoke_session(store: Store, token: str | None) -> User | None:
    """End one web session (logout); return whose it was, or None when it was not live."""
    if not token or len(token) > 200:
        return None
    digest = _token_hash(token)
    with _tx(store) as cur:
        found = sql.run(cur, "web_sessions_revoke", hash=digest, at=_now()).fetchone()
    if found is None:
        return None
    audit.log(store, user=found[0], role=found[1], action="logout", outcome="ok", object=found[0])
    return User(found[0], found[1])


def _end_sessions(cur: duckdb.DuckDBPyConnection, name: str) -> int:
    """Inside a transaction: mark every live web session of an account ended; how many."""
    return len(sql.run(cur, "web_sessions_end_all", name=name, at=_now()).fetchall())


def revoke_user_sessions(store: Store, name: str, *, actor: User | None = None) -> int:
    """End every live web session of an account; return how many were ended."""
    _check_actor(store, actor)
    with _tx(store) as cur:
        ended = _end_sessions(cur, name)
    _log_change(store, actor, "sessions-revoke", name, {"sessions": ended})
    return ended


# -- single sign-on ----------------------------------------------------------------------------
def role_for_email(store: Store, email: str | None) -> str | None:
    """The role granted to a single-sign-on e-mail address, or None."""
    if not email:
        return None
    found = store.scalar(
        "select role from sso_roles where email = $email", {"email": email.strip().lower()}
    )
    return str(found) if found else None


def set_sso_role(store: Store, email: str, role: str, *, actor: User | None = None) -> None:
    """Grant (or change) the role of a single-sign-on e-mail address."""
    _check_actor(store, actor)
    _check_role(role)
    email = (email or "").strip().lower()
    if "@" not in email:
        raise AuthError(f"{email!r} is not an e-mail address.")
    with _tx(store) as cur:
        sql.run(cur, "sso_roles_set", email=email, role=role, at=_now())
    _log_change(store, actor, "sso-role", email, {"role": role})
