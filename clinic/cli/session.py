"""One command on one store: open it, run the handler, turn expected failures into a code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import duckdb

from clinic.cli.output import REFUSED, USAGE, CliError
from clinic.config import db_path
from clinic.store import Store, StoreBusy, StoreError, StoreLocked

Handler = Callable[[argparse.Namespace, Store], int]


def run(
    args: argparse.Namespace,
    handler: Handler,
    opener: Callable[[str | None], Store] | None = None,
) -> int:
    """Open the store --db names (else the default), run the handler, close the store.

    When a dashboard server holds the store the command is handed to it (clinic.cli.handover,
    clinic.service.handoff). The server runs it here with its own store as `opener`, which
    stays open.
    """
    try:
        store = (opener or Store)(getattr(args, "db", None))
    except StoreLocked as exc:
        if opener is None and hasattr(args, "handoff_argv"):
            from clinic.cli.handover import hand_over

            code = hand_over(args, db_path(getattr(args, "db", None)))
            if code is not None:
                return code
        print(f"clinic: {exc}", file=sys.stderr)
        return REFUSED
    except StoreError as exc:
        print(f"clinic: {exc}", file=sys.stderr)
        return USAGE
    try:
        return handler(args, store)
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
        if opener is None:
            store.close()
