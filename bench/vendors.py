"""Time a booking system's export through its profile against the same rows in our own format.

A Fresha-shaped appointments list of --rows rows (names only, no client id, the month-name
date-times and slots of a real export) is rewritten in SQL and imported
(clinic.ingest.vendor_import); the same rows written in our own format go to the importer as
they are. Each into a fresh store holding the sample price list, median of --rounds.
"""

from __future__ import annotations

import argparse
import csv
import os
import statistics
import tempfile
import time
from datetime import datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
FRESHA = ROOT / "data" / "samples" / "vendors" / "fresha_appointments.csv"
PRICES = ROOT / "data" / "samples" / "price_list.csv"
OURS = ["Booking ID", "Date", "Time", "Client ID", "Therapist", "Treatment", "Status", "Amount",
        "Location"]  # fmt: skip


# Fresha's words as our format says them (the profile's own table).
_STATUS = {"New": "booked", "Confirmed": "booked", "Arrived": "booked", "Started": "booked",
           "Completed": "completed", "Cancelled": "cancelled", "No Show": "no-show"}  # fmt: skip


def write_files(folder: Path, rows: int) -> tuple[Path, Path]:
    """The Fresha-shaped export and the same rows in our format."""
    with FRESHA.open(encoding="utf-8", newline="") as fh:
        sample = list(csv.reader(fh))
    vendor, ours = folder / "fresha.csv", folder / "ours.csv"
    with (
        vendor.open("w", newline="", encoding="utf-8") as fv,
        ours.open("w", newline="", encoding="utf-8") as fo,
    ):
        wv, wo = csv.writer(fv), csv.writer(fo)
        wv.writerow(sample[0])
        wo.writerow(OURS)
        for i in range(rows):
            r = list(sample[1 + i % (len(sample) - 1)])
            r[0], r[1] = f"F-{i}", f"Client {i // 3}"
            wv.writerow(r)
            day = datetime.strptime(r[5].split(", ")[0], "%d %b %Y").strftime("%d/%m/%Y")
            start, status = r[10].split("-")[0][:5], _STATUS[r[3]]
            wo.writerow([r[0], day, start, f"C{i // 3}", r[2], r[8], status, r[14], r[13]])
    return vendor, ours


def once(path: Path, vendor: bool) -> float:
    """Seconds to import one file into a fresh store (the price list first, not timed)."""
    from clinic.ingest import import_file
    from clinic.ingest.vendor_import import import_export
    from clinic.store import Store

    with tempfile.TemporaryDirectory() as tmp:
        os.environ["CLINIC_KEY_FILE"] = str(Path(tmp) / "key")
        store = Store(Path(tmp) / "b.duckdb")
        try:
            import_file(store, "prices", PRICES)
            start = time.perf_counter()
            done = (import_export if vendor else import_file)(store, "appointments", path)
            took = time.perf_counter() - start
            status = done.status
        finally:
            store.close()
    if status != "committed":
        raise RuntimeError(f"{path.name} was not imported: {status}")
    return took


def main(argv: list[str] | None = None) -> int:
    """Print the median seconds of both imports and their ratio."""
    parser = argparse.ArgumentParser(prog="python -m bench.vendors", description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        vendor, ours = write_files(Path(tmp), args.rows)
        times: dict[str, list[float]] = {"vendor": [], "ours": []}
        for _ in range(args.rounds):
            times["vendor"].append(once(vendor, True))
            times["ours"].append(once(ours, False))
    v, o = (statistics.median(times[k]) for k in ("vendor", "ours"))
    print(f"{args.rows:,} rows, median of {args.rounds} alternating rounds")
    for label, key, median in (("through its profile", "vendor", v), ("in our format", "ours", o)):
        rounds = ", ".join(f"{t:.2f}" for t in times[key])
        print(f"{label:>20}: {median:.2f} s ({rounds})")
    print(f"ratio {v / o:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
