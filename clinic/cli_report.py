"""Commands of the command line: report (registered by clinic.cli.build_parser)."""

from __future__ import annotations

import argparse
from collections.abc import Callable

from clinic.store import Store

Handler = Callable[[argparse.Namespace, Store], int]


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> dict[str, Handler]:
    """Add this area's subcommands; return their handlers by command name."""
    return {}
