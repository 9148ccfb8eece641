"""The command line: `python -m clinic COMMAND` (contract in docs/CONTRACTS.md)."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from datetime import date

from clinic import config
from clinic.store import Store, StoreBusy, StoreError, StoreLocked

OK, USAGE, REJECTED, REFUSED = 0, 2, 3, 4


class CliError(Exception):
    """A failure with a sentence for the user and an exit code from the contract."""

    def __init__(self, message: str, code: int = USAGE) -> None:
        super().__init__(message)
        self.code = code


def _date(text: str) -> date:
    """Parse a command-line date: ISO 2025-04-03 or UK 03/04/2025."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            from datetime import datetime

            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{text!r} is not a date (use 2025-04-03 or 03/04/2025)")


def _emit(args: argparse.Namespace, payload: object, table: Callable[[], str]) -> None:
    """Print one JSON document with --json, else a readable table."""
    if getattr(args, "json", False):
        json.dump(payload, sys.stdout, default=str, ensure_ascii=False)
        sys.stdout.write("\n")
    else:
        print(table())


# -- commands ----------------------------------------------------------------------------------
def cmd_init(args: argparse.Namespace, store: Store) -> int:
    """Create or migrate the store; --demo fills it with synthetic data."""
    config.pseudonym_key(store.path)
    accounts: dict[str, str] = {}
    if args.demo:
        from clinic import auth, demo

        print(demo.fill(store, seed=args.seed))
        accounts = auth.demo_accounts(store)
    print(f"Store ready: {store.path} (schema version {store.schema_version()})")
    if accounts:
        # Shown once (only the Argon2 hashes are kept; there are no default passwords), so they
        # come last, framed, where `make run` leaves them above the server's few lines.
        rule = "=" * 78
        print(f"\n{rule}\n  Demo accounts: one-time passwords, shown only now. Note them.\n")
        for name, password in accounts.items():
            print(f"    {name:<10} {password}")
        db = "" if store.path.resolve() == config.DEFAULT_DB.resolve() else f" --db {store.path}"
        print(
            "\n  Lost one? Stop the dashboard (Ctrl-C), then run\n"
            f"    .venv/bin/python -m clinic users reset-password NAME{db}\n"
            f"  and type a new password.\n{rule}"
        )
    return OK


COMMANDS: dict[str, Callable[[argparse.Namespace, Store], int]] = {"init": cmd_init}


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command of the contract."""
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--db", help="store path (default: $CLINIC_DB or data/clinic.duckdb)")
    parser = argparse.ArgumentParser(prog="clinic", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", parents=[common], help="create or migrate the store")
    p.add_argument("--demo", action="store_true", help="fill with two years of synthetic data")
    p.add_argument("--seed", type=int, default=7)

    # Each area registers its own commands, so their parsers and handlers live beside each other.
    from clinic import cli_admin, cli_import, cli_report

    for area in (cli_import, cli_report, cli_admin):
        COMMANDS.update(area.register(sub, common))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; map every failure to a sentence and an exit code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return USAGE if exc.code else OK
    try:
        store = Store(args.db)
    except StoreLocked as exc:
        print(f"clinic: {exc}", file=sys.stderr)
        return REFUSED
    except StoreError as exc:
        print(f"clinic: {exc}", file=sys.stderr)
        return USAGE
    try:
        return COMMANDS[args.command](args, store)
    except CliError as exc:
        print(f"clinic: {exc}", file=sys.stderr)
        return exc.code
    except StoreBusy as exc:
        print(f"clinic: {exc}", file=sys.stderr)
        return REFUSED
    except StoreError as exc:
        print(f"clinic: {exc}", file=sys.stderr)
        return USAGE
    finally:
        store.close()
