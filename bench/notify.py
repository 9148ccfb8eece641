"""Time the digest and the governance pack on the synthetic stores of bench/metrics.py.

Per store size: the check every side-effects import runs for serious events, the digest's
figures (three periods' tiles, two control charts, serious events, freshness), a digest for
every role with its chart images, the pack's figures, and the whole PDF. Images are drawn by a
kept headless Chromium, started once before the timings (its start is timed on its own).
Medians of 3 runs after a warm-up.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from datetime import date
from pathlib import Path

from bench.metrics import build, median_ms
from clinic import auth, charts
from clinic.notify import alerts, digest, images, pack

SIZES = (10_000, 1_000_000)
AS_OF = date(2025, 12, 1)  # the bench stores' sessions run from 2024-01-01 to late 2025
MONTH = "2025-11"


def main(argv: list[str] | None = None) -> int:
    """Build each store size and print the time of each step of the digest and the pack."""
    parser = argparse.ArgumentParser(prog="python -m bench.notify")
    parser.add_argument("--sizes", type=int, nargs="*", help="override the sizes")
    args = parser.parse_args(argv)
    t0 = time.perf_counter()
    images.png(charts.empty("warm-up"))
    print(f"headless browser start and first image: {time.perf_counter() - t0:.2f} s")
    steps = {
        # what every side-effects import now adds after its commit when it brings nothing serious
        "alert check of one import": lambda s: alerts.serious_in_import(s, 1),
        "digest figures (month)": lambda s: digest.figures(
            s, digest.period_for("month", AS_OF), AS_OF
        ),
        "digests of 4 roles, images": lambda s: digest.build_digests(
            s, "month", AS_OF, list(auth.ROLES)
        ),
        "pack figures": lambda s: pack.pack_figures(s, MONTH, AS_OF),
        "pack PDF (4 pages, 4 charts)": lambda s: pack.build_pack(s, MONTH, AS_OF),
    }
    print(f"{'sessions':>10}  {'step':<30} {'ms':>9}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in tuple(args.sizes) if args.sizes else SIZES:
            store, _seconds = build(Path(tmp) / f"notify{n}.duckdb", n)
            for name, fn in steps.items():
                ms = median_ms(lambda fn=fn, s=store: fn(s), repeat=3)
                print(f"{n:>10,}  {name:<30} {ms:>9.1f}", flush=True)
            store.close()
    images.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
