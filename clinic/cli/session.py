"""One command on one store: open it, run the handler, turn expected failures into a code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable

import duckdb

from clinic.cli.output import REFUSED, USAGE, CliError
from clinic.store import Store, StoreBusy, StoreError, StoreLocked

Handler = Callable[[argparse.Namespace, Store], int]


def run(args: argparse.Namespace, handler: Handler) -> int:
    """Open the store --db names (else the default), run the handler, close the store."""
    try:
        store = Store(getattr(args, "db", None))
    except StoreLocked as exc:
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
        store.close()
