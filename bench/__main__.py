"""`python -m bench [NAME ...]`: run the named benchmarks (default: all) one after another."""

from __future__ import annotations

import importlib
import sys

SUITES = (
    "ingest",
    "metrics",
    "pages",
    "apptest",
    "load",
    "sweep",
    "snapshot",
    "login",
    "hostile",
    "notify",
    "vendors",
)


def main(argv: list[str]) -> int:
    """Run each suite's own main() with no arguments (its defaults are the reported run)."""
    for name in argv or SUITES:
        print(f"== bench.{name}", flush=True)
        importlib.import_module(f"bench.{name}").main([])
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
