"""`users ...`, `audit verify|show`, `backup`, `restore` and `sso set`."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from clinic import audit, auth
from clinic import backup as backups
from clinic.cli.output import OK, REJECTED, USAGE, CliError, emit, table
from clinic.store import Store


def _password_from_stdin() -> str:
    """The first line of stdin, without its line ending (never echoed, never an argument)."""
    if sys.stdin is None:
        raise CliError("Give the password on standard input (first line).", USAGE)
    if sys.stdin.isatty():
        # Typed at a terminal (the README's way to recover a lost password): no echo on screen.
        line = getpass.getpass(
            f"New password (at least {auth.MIN_PASSWORD_CHARS} characters, not shown): "
        )
    else:
        line = sys.stdin.readline()
    password = line.rstrip("\r\n")
    if not password:
        raise CliError("Give the password on standard input (first line); none was read.", USAGE)
    return password


def _account_change(fn: Callable[[], object], done: str) -> int:
    """Run an account operation and say what it did; its refusals become a sentence, exit 2."""
    try:
        fn()
    except auth.AuthError as exc:
        raise CliError(str(exc), USAGE) from None
    print(done)
    return OK


def _none(value: object) -> object:
    """None for pandas' missing values, else the value."""
    return None if value is None or value != value else value


def _iso(value: object) -> str | None:
    """A UTC timestamp as ISO 8601 with a Z, or None when missing."""
    if value is None or value != value or str(value) == "NaT":
        return None
    return value.isoformat(timespec="seconds") + "Z"


def _records_table(records: list[dict], columns: list[str]) -> str:
    """A plain text table of some columns of records."""
    if not records:
        return "(none)"
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in records]
    return table(columns, cells)


def users_list(args: argparse.Namespace, store: Store) -> int:
    """users list [--json]."""
    records = [
        {
            "username": r.username,
            "role": r.role,
            "email": _none(r.email),
            "disabled": bool(r.disabled),
            "locked_until": _iso(r.locked_until),
            "created_at": _iso(r.created_at),
        }
        for r in auth.list_users(store).itertuples(index=False)
    ]
    emit(args, records, lambda: _records_table(records, ["username", "role", "email", "disabled"]))
    return OK


def users_add(args: argparse.Namespace, store: Store) -> int:
    """users add NAME --role ROLE [--email E] (password: first line of stdin)."""
    password = _password_from_stdin()
    return _account_change(
        lambda: auth.add_user(store, args.name, args.role, password, args.email),
        f"User {args.name} added with role {args.role}.",
    )


def users_disable(args: argparse.Namespace, store: Store) -> int:
    """users disable NAME."""
    return _account_change(
        lambda: auth.disable_user(store, args.name),
        f"User {args.name} disabled; their sessions have ended.",
    )


def users_enable(args: argparse.Namespace, store: Store) -> int:
    """users enable NAME."""
    return _account_change(lambda: auth.enable_user(store, args.name), f"User {args.name} enabled.")


def users_unlock(args: argparse.Namespace, store: Store) -> int:
    """users unlock NAME."""
    return _account_change(
        lambda: auth.unlock_user(store, args.name),
        f"User {args.name} unlocked: they can log in again.",
    )


def users_reset_password(args: argparse.Namespace, store: Store) -> int:
    """users reset-password NAME (password: first line of stdin)."""
    password = _password_from_stdin()
    return _account_change(
        lambda: auth.reset_password(store, args.name, password),
        f"Password of {args.name} reset; their sessions have ended.",
    )


def audit_verify(args: argparse.Namespace, store: Store) -> int:
    """audit verify [--json]: exit 0 intact, 3 broken."""
    result = audit.verify(store)
    payload = {
        "ok": result.ok,
        "rows": result.rows,
        "first_bad_seq": result.first_bad_seq,
        "reason": result.reason,
        "keyed_from": result.keyed_from,
        "anchored": result.anchored,
        "key_file": result.key_file,
        "anchor_file": result.anchor_file,
    }
    emit(args, payload, lambda: result.reason)
    return OK if result.ok else REJECTED


def audit_show(args: argparse.Namespace, store: Store) -> int:
    """audit show [--limit N] [--json]."""
    records = [
        {
            "seq": int(r.seq),
            "logged_at": _iso(r.logged_at),
            "username": _none(r.username),
            "role": _none(r.role),
            "action": r.action,
            "outcome": r.outcome,
            "object": _none(r.object),
            "details": _none(r.details),
        }
        for r in audit.entries(store, limit=args.limit).itertuples(index=False)
    ]
    columns = ["seq", "logged_at", "username", "action", "outcome", "object"]
    emit(args, records, lambda: _records_table(records, columns))
    return OK


def backup(args: argparse.Namespace, store: Store) -> int:
    """backup DIR."""
    try:
        folder = backups.backup(store, args.dir)
    except backups.BackupError as exc:
        raise CliError(str(exc), USAGE) from None
    print(f"Backup written to {folder} (keep it private: it holds the pseudonymisation key).")
    return OK


def restore(args: argparse.Namespace, store: Store) -> int:
    """restore DIR [--force] into the store named by --db."""
    target = store.path
    # The CLI opened (and maybe created) the target; DuckDB must let go of it first.
    store.close()
    try:
        result = backups.restore(target, args.dir, force=args.force)
    except backups.BackupError as exc:
        raise CliError(str(exc), USAGE) from None
    print(result.message)
    return OK


def sso_set(args: argparse.Namespace, store: Store) -> int:
    """sso set EMAIL ROLE."""
    return _account_change(
        lambda: auth.set_sso_role(store, args.email, args.role),
        f"{args.email} will sign in as {args.role}.",
    )
