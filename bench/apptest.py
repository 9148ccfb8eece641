"""Page times through Streamlit's AppTest (no browser) on the stores bench.pages builds.

Each visit runs the dashboard as the page's bench role and switches to the page with a date range
in the URL not used before, after clearing st.cache_data, so every figure is computed cold. The time
is the page's script run (queries, frames, figures), without the network and the drawing that
bench.pages adds. Baseline in the same run: the same page on the smallest store.

    python -m bench.apptest                  # 10k, 1M and 10M sessions, 5 visits per page
    python -m bench.apptest --sizes 10000 1000000 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

import streamlit as st
from streamlit import logger
from streamlit.testing.v1 import AppTest

from bench.pages import AS_OF, PAGES, RANGES, USERS, VIEWS, build_store
from clinic.store import close_all

ROOT = Path(__file__).resolve().parents[1]


def page_times(db: Path, rounds: int) -> dict[str, float]:
    """Median seconds of each page's run over `rounds` cold visits on store `db`."""
    os.environ["CLINIC_DB"] = str(db)
    os.environ["CLINIC_KEY_FILE"] = str(db) + ".key"
    os.environ["CLINIC_AS_OF"] = AS_OF.isoformat()
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    try:
        for i in range(rounds):
            start, end = RANGES[i % len(RANGES)]
            for name, role in PAGES.items():
                at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=300)
                at.session_state["user"] = {"username": USERS[role], "role": role}
                path, extra = VIEWS.get(name, (name, {}))
                at.query_params.update({"from": start, "to": end, **extra})
                at.run()
                st.cache_data.clear()
                t0 = time.perf_counter()
                at.switch_page(f"pages/{path}.py").run()
                times[name].append(time.perf_counter() - t0)
                if at.exception:
                    raise SystemExit(f"{name} failed on {db.name}: {at.exception[0].message}")
                # A view's query must reach its widgets, or the time is of another view.
                for key, value in extra.items():
                    if at.selectbox(key=f"r_{key}").value != value:
                        raise SystemExit(f"{name}: {value!r} is not among the {key} options")
    finally:
        close_all()
    return {name: statistics.median(values) for name, values in times.items()}


def main(argv: list[str]) -> int:
    """Build (or reuse) the stores, time every page, print the table for docs/PERFORMANCE.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.apptest", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000, 10_000_000])
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args(argv)
    # Clearing caches outside a script run logs a warning each time: keep the output readable.
    logger.set_log_level("error")
    results = {n: page_times(build_store(n), args.rounds) for n in args.sizes}
    base, top = min(results), max(results)
    print(f"\nPage run in AppTest, median of {args.rounds} cold visits (s; ratio to {base:,})")
    print("| page | " + " | ".join(f"{n:,}" for n in results) + " | ratio largest/smallest |")
    print("|---|" + "---|" * (len(results) + 1))
    for name in PAGES:
        cells = " | ".join(f"{results[n][name]:.2f}" for n in results)
        print(f"| {name} | {cells} | {results[top][name] / results[base][name]:.2f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
