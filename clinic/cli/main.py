"""Run one command: stop signals, parsing, then the command's own modules, loaded by name."""

from __future__ import annotations

import importlib
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager

from clinic.cli.commands import build_parser
from clinic.cli.output import OK, USAGE

# A command stopped by Ctrl-C or SIGTERM exits as a shell reports a process those signals end.
STOPPED = {signal.SIGINT: 130, signal.SIGTERM: 143}


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
    return guarded(lambda: _main(argv))


def guarded(command: Callable[[], int]) -> int:
    """Run a command; map every failure and stop signal to a sentence and an exit code.

    The dashboard server runs a handed-over command through here too (clinic.service.handoff),
    in a thread of its own, where no signal handler is set.
    """
    with _stoppable() as received:
        try:
            code = command()
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


def load(name: str) -> Callable:
    """The function "package.module:function" names, its module imported now.

    The one place the command line imports late: a command's modules (and the store, DuckDB)
    load only once it is known which command runs, never for `--help` or a usage error.
    """
    module, _, function = name.partition(":")
    return getattr(importlib.import_module(module), function)


def _main(argv: Sequence[str] | None) -> int:
    """Parse one command line, then run its command on the store it names."""
    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return USAGE if exc.code else OK
    # The command line as given: handed to the dashboard server when it holds the store.
    args.handoff_argv = list(sys.argv[1:] if argv is None else argv)
    return load("clinic.cli.session:run")(args, load(args.run))
