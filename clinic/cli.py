"""The command line: `python -m clinic COMMAND` (contract in docs/CONTRACTS.md)."""

from __future__ import annotations

import argparse
import json
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from datetime import date

import duckdb

from clinic import config
from clinic.store import Store, StoreBusy, StoreError, StoreLocked

OK, USAGE, REJECTED, REFUSED = 0, 2, 3, 4
# A command stopped by Ctrl-C or SIGTERM exits as a shell reports a process those signals end.
STOPPED = {signal.SIGINT: 130, signal.SIGTERM: 143}
# Options every command takes before or after its name: `clinic --db X init` = `clinic init --db X`.
GLOBAL_OPTIONS = {"db": "store path (default: $CLINIC_DB or data/clinic.duckdb)"}


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


class _Subcommands(argparse._SubParsersAction):
    """A subcommand that keeps a global option given before it and refuses a second, other one.

    argparse copies every option of a subcommand over the caller's, its defaults included, so
    `clinic --db OTHER init` acted on the default store. Global options have no default at any
    level (SUPPRESS): the one given wins, and two different ones are an error (exit 2).
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Sequence[str],
        option_string: str | None = None,
    ) -> None:
        given = {k: v for k, v in vars(namespace).items() if k in GLOBAL_OPTIONS}
        super().__call__(parser, namespace, values, option_string)
        for key, before in given.items():
            after = getattr(namespace, key)
            if after != before:
                raise argparse.ArgumentError(
                    None, f"--{key} is given twice ({before} and {after}); give it once."
                )


class _Parser(argparse.ArgumentParser):
    """An argument parser whose subcommands (at every depth) are _Subcommands."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Subcommands)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command of the contract."""
    common = argparse.ArgumentParser(add_help=False)
    for name, text in GLOBAL_OPTIONS.items():
        common.add_argument(f"--{name}", default=argparse.SUPPRESS, help=text)
    parser = _Parser(prog="clinic", description=__doc__, parents=[common])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("init", parents=[common], help="create or migrate the store")
    p.add_argument("--demo", action="store_true", help="fill with two years of synthetic data")
    p.add_argument("--seed", type=int, default=7)

    # Each area registers its own commands, so their parsers and handlers live beside each other.
    from clinic import cli_admin, cli_import, cli_report

    for area in (cli_import, cli_report, cli_admin):
        COMMANDS.update(area.register(sub, common))
    return parser


class Stopped(BaseException):
    """A stop signal (SIGTERM, Ctrl-C) arrived while a command was running."""


@contextmanager
def _stoppable() -> Iterator[list[int]]:
    """Turn SIGTERM and Ctrl-C into Stopped in the main thread; the list records which came.

    DuckDB checks for signals while a query runs and answers with "Query interrupted" instead
    of the handler's exception, so the caller asks the list, not the exception's type. The open
    write transaction rolls back either way. A second signal ends the process at once: the
    store's log still holds only committed work.
    """
    received: list[int] = []

    def stop(signum: int, _frame: object) -> None:
        if received:
            os.write(2, b"clinic: stopped again; exiting without waiting.\n")
            os._exit(STOPPED[signum])
        received.append(signum)
        raise Stopped(signum)

    if threading.current_thread() is not threading.main_thread():
        yield received
        return
    previous = {sig: signal.signal(sig, stop) for sig in STOPPED}
    try:
        yield received
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: Sequence[str] | None = None) -> int:
    """Run one command; map every failure and stop signal to a sentence and an exit code."""
    with _stoppable() as received:
        try:
            code = _main(argv)
        except Exception as exc:
            if not received:
                first = (str(exc).splitlines() or [""])[0]
                print(
                    f"clinic: the command failed ({type(exc).__name__}: {first}); the store "
                    "keeps its last committed state and nothing of this command's unfinished "
                    "changes.",
                    file=sys.stderr,
                )
                return USAGE
        except Stopped:
            pass
        if received:
            name = signal.Signals(received[0]).name
            print(
                f"clinic: stopped by {name} before the command finished. The store keeps "
                "everything committed before the stop; an import that had not committed was "
                "rolled back and wrote nothing.",
                file=sys.stderr,
            )
            return STOPPED[received[0]]
        return code


def _main(argv: Sequence[str] | None) -> int:
    """Parse and run one command; the failures it expects become a sentence and a code."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:
        return USAGE if exc.code else OK
    try:
        store = Store(getattr(args, "db", None))
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
    except duckdb.Error as exc:
        print(
            f"clinic: the clinic store {store.path} could not complete the command "
            f"({str(exc).splitlines()[0]}); nothing of its unfinished changes was written.",
            file=sys.stderr,
        )
        return USAGE
    finally:
        store.close()
