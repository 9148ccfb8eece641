"""`tokens add|list|revoke`: bearer tokens of the HTTP API (docs/API.md)."""

from __future__ import annotations

import argparse
import getpass

from clinic import tokens
from clinic.cli.output import OK, USAGE, CliError, emit, print_json, table
from clinic.store import Store


def _who() -> str | None:
    """The OS user running the command (recorded as the token's maker)."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers
        return None


def add(args: argparse.Namespace, store: Store) -> int:
    """tokens add NAME --role ROLE [--json]: the token, shown only now."""
    try:
        token = tokens.add(store, args.name, args.role, by=_who())
    except tokens.TokenError as exc:
        raise CliError(str(exc), USAGE) from None
    if args.json:
        print_json({"name": args.name, "role": args.role, "token": token})
    else:
        print(f"Token {args.name} ({args.role}), shown only now; keep it secret:\n{token}")
    return OK


def listed(args: argparse.Namespace, store: Store) -> int:
    """tokens list [--json]: every token's name, role and dates (never the token)."""
    records = [
        {
            k: (v.isoformat(timespec="seconds") + "Z" if hasattr(v, "isoformat") else v)
            for k, v in row.items()
        }
        for row in tokens.listed(store)
    ]

    def render() -> str:
        if not records:
            return "(none)"
        columns = ["name", "role", "created_at", "revoked_at"]
        cells = [["" if r[c] is None else str(r[c]) for c in columns] for r in records]
        return table(columns, cells)

    emit(args, records, render)
    return OK


def revoke(args: argparse.Namespace, store: Store) -> int:
    """tokens revoke NAME: calls with it are refused (401) from now on."""
    try:
        tokens.revoke(store, args.name, by=_who())
    except tokens.TokenError as exc:
        raise CliError(str(exc), USAGE) from None
    print(f"Token {args.name} revoked: calls with it are refused from now on.")
    return OK
