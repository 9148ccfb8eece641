"""Commands of the command line: users, audit, backup, restore, sso (see clinic.cli)."""

from __future__ import annotations

import argparse
import getpass
import sys
from collections.abc import Callable

from clinic import audit, auth, backup
from clinic.cli import OK, REJECTED, USAGE, CliError, _emit
from clinic.store import Store

Handler = Callable[[argparse.Namespace, Store], int]


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


def _auth_call(fn: Callable[[], object]) -> object:
    """Run an account operation; its refusals become a sentence and exit code 2."""
    try:
        return fn()
    except auth.AuthError as exc:
        raise CliError(str(exc), USAGE) from None


def cmd_users(args: argparse.Namespace, store: Store) -> int:
    """users add|list|disable|enable|unlock|reset-password."""
    action = args.users_command
    if action == "list":
        users = auth.list_users(store)
        records = [
            {
                "username": r.username,
                "role": r.role,
                "email": _none(r.email),
                "disabled": bool(r.disabled),
                "locked_until": _iso(r.locked_until),
                "created_at": _iso(r.created_at),
            }
            for r in users.itertuples(index=False)
        ]
        _emit(args, records, lambda: _table(records, ["username", "role", "email", "disabled"]))
        return OK
    if action == "add":
        password = _password_from_stdin()
        _auth_call(lambda: auth.add_user(store, args.name, args.role, password, args.email))
        print(f"User {args.name} added with role {args.role}.")
    elif action == "disable":
        _auth_call(lambda: auth.disable_user(store, args.name))
        print(f"User {args.name} disabled; their sessions have ended.")
    elif action == "enable":
        _auth_call(lambda: auth.enable_user(store, args.name))
        print(f"User {args.name} enabled.")
    elif action == "unlock":
        _auth_call(lambda: auth.unlock_user(store, args.name))
        print(f"User {args.name} unlocked: they can log in again.")
    elif action == "reset-password":
        password = _password_from_stdin()
        _auth_call(lambda: auth.reset_password(store, args.name, password))
        print(f"Password of {args.name} reset; their sessions have ended.")
    return OK


def cmd_audit(args: argparse.Namespace, store: Store) -> int:
    """audit verify|show."""
    if args.audit_command == "verify":
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
        _emit(args, payload, lambda: result.reason)
        return OK if result.ok else REJECTED
    rows = audit.entries(store, limit=args.limit)
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
        for r in rows.itertuples(index=False)
    ]
    _emit(
        args,
        records,
        lambda: _table(records, ["seq", "logged_at", "username", "action", "outcome", "object"]),
    )
    return OK


def cmd_backup(args: argparse.Namespace, store: Store) -> int:
    """backup DIR."""
    try:
        folder = backup.backup(store, args.dir)
    except backup.BackupError as exc:
        raise CliError(str(exc), USAGE) from None
    print(f"Backup written to {folder} (keep it private: it holds the pseudonymisation key).")
    return OK


def cmd_restore(args: argparse.Namespace, store: Store) -> int:
    """restore DIR [--force] into the store named by --db."""
    target = store.path
    # The CLI opened (and maybe created) the target; DuckDB must let go of it first.
    store.close()
    try:
        result = backup.restore(target, args.dir, force=args.force)
    except backup.BackupError as exc:
        raise CliError(str(exc), USAGE) from None
    print(result.message)
    return OK


def cmd_sso(args: argparse.Namespace, store: Store) -> int:
    """sso set EMAIL ROLE."""
    _auth_call(lambda: auth.set_sso_role(store, args.email, args.role))
    print(f"{args.email} will sign in as {args.role}.")
    return OK


def _none(value: object) -> object:
    """None for pandas' missing values, else the value."""
    return None if value is None or value != value else value


def _iso(value: object) -> str | None:
    """A UTC timestamp as ISO 8601 with a Z, or None when missing."""
    if value is None or value != value or str(value) == "NaT":
        return None
    return value.isoformat(timespec="seconds") + "Z"


def _table(records: list[dict], columns: list[str]) -> str:
    """A plain text table of some columns of records."""
    if not records:
        return "(none)"
    cells = [[("" if r.get(c) is None else str(r.get(c))) for c in columns] for r in records]
    widths = [max(len(c), *(len(row[i]) for row in cells)) for i, c in enumerate(columns)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(columns, widths, strict=True))]
    lines += ["  ".join(v.ljust(w) for v, w in zip(row, widths, strict=True)) for row in cells]
    return "\n".join(line.rstrip() for line in lines)


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> dict[str, Handler]:
    """Add this area's subcommands; return their handlers by command name."""
    users = sub.add_parser("users", parents=[common], help="manage accounts")
    users_sub = users.add_subparsers(dest="users_command", required=True)
    p = users_sub.add_parser(
        "add", parents=[common], help="add an account (password: first line of stdin)"
    )
    p.add_argument("name")
    p.add_argument("--role", required=True, choices=auth.ROLES)
    p.add_argument("--email")
    p = users_sub.add_parser("list", parents=[common], help="list accounts")
    p.add_argument("--json", action="store_true")
    for name, text in (
        ("disable", "refuse further logins and end sessions"),
        ("enable", "allow a disabled account again"),
        ("unlock", "clear a lockout after failed logins (e.g. a locked-out admin)"),
        ("reset-password", "set a new password (first line of stdin)"),
    ):
        p = users_sub.add_parser(name, parents=[common], help=text)
        p.add_argument("name")

    aud = sub.add_parser("audit", parents=[common], help="check or show the audit trail")
    aud_sub = aud.add_subparsers(dest="audit_command", required=True)
    p = aud_sub.add_parser(
        "verify", parents=[common], help="check the keyed chain and its anchor (exit 3 broken)"
    )
    p.add_argument("--json", action="store_true")
    p = aud_sub.add_parser("show", parents=[common], help="the newest audit rows")
    p.add_argument("--limit", type=int, default=50)
    p.add_argument("--json", action="store_true")

    p = sub.add_parser("backup", parents=[common], help="back up the store into a new folder")
    p.add_argument("dir")
    p = sub.add_parser("restore", parents=[common], help="restore a backup into the --db store")
    p.add_argument("dir")
    p.add_argument("--force", action="store_true", help="replace a store that holds data")

    sso = sub.add_parser("sso", parents=[common], help="single-sign-on roles")
    sso_sub = sso.add_subparsers(dest="sso_command", required=True)
    p = sso_sub.add_parser("set", parents=[common], help="grant a role to an e-mail address")
    p.add_argument("email")
    p.add_argument("role", choices=auth.ROLES)

    return {
        "users": cmd_users,
        "audit": cmd_audit,
        "backup": cmd_backup,
        "restore": cmd_restore,
        "sso": cmd_sso,
    }
