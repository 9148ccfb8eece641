"""A read-only snapshot of a large store for other server processes (docs/SCALING.md).

DuckDB lets one process hold a file read-write and no other open it, but any number of
processes may read a file nobody writes. So beyond what one server holds, the owner publishes
a snapshot: it copies every table into a new file (COPY FROM DATABASE, one consistent read of
the store) and renames it into place; other server processes open the snapshot read-only and
answer the managers' pages from it. Measured here on bench.pages' SQL-built store: the
publish two ways (every table copied by SQL; the checkpointed file copied while no write can
start), the snapshot's size, one reader's open and Overview figures, and several readers at
once (each in its own process).

    python -m bench.snapshot                      # 10,000,000 sessions, 1 then 4 readers
    python -m bench.snapshot --size 1000000 --readers 1 2 4
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from bench import pages
from clinic.store import Store

ROOT = Path(__file__).resolve().parents[1]

# One reader process: open the snapshot read-only and compute the Overview's figures.
READER = """
import json, sys, time
from datetime import date
t0 = time.perf_counter()
from clinic import metrics
from clinic.scope import Filters
from clinic.store import Store
t1 = time.perf_counter()
store = Store(sys.argv[1], read_only=True)
t2 = time.perf_counter()
f = Filters(start=date(2025, 1, 1), end=date(2026, 1, 1))
metrics.kpis(store, f, date(2026, 11, 25))
metrics.monthly_series(store, f)
t3 = time.perf_counter()
print(json.dumps({"imports_s": t1 - t0, "open_s": t2 - t1, "overview_s": t3 - t2}))
"""


def publish_tables(store: Store, target: Path) -> float:
    """Copy every table of `store` into a new file renamed to `target`; seconds taken."""
    partial = target.with_name(target.name + ".partial")
    partial.unlink(missing_ok=True)
    began = time.perf_counter()
    with store.cursor() as cur:
        source = cur.execute("select current_database()").fetchone()[0]
        cur.execute(f"attach '{partial}' as snapshot")  # a path of ours, not user input
        try:
            cur.execute(f'copy from database "{source}" to snapshot')
        finally:
            cur.execute("detach snapshot")
    partial.rename(target)  # readers see the old snapshot or the new one, never half of one
    return time.perf_counter() - began


def publish_file(store: Store, target: Path) -> float:
    """Checkpoint the store and copy its file under the owner's write lock; seconds taken."""
    # Every import and bulk write takes the write lock (Store.writer), and only those and a
    # checkpoint write the file itself; the small commits that skip the lock (audit rows, login
    # sessions, alert claims) go to the .wal file, far below the size that would checkpoint
    # on its own. So the checkpointed file is a whole, consistent store. Measured with no
    # server or reader running: under live load a CHECKPOINT can fail while another
    # transaction is open, and an owner publishing for real would retry it.
    partial = target.with_name(target.name + ".partial")
    began = time.perf_counter()
    with store._write_lock, store.cursor() as cur:  # noqa: SLF001 - the bench plays the owner
        cur.execute("checkpoint")
        shutil.copyfile(store.path, partial)
    partial.rename(target)
    return time.perf_counter() - began


def readers(snapshot: Path, n: int) -> list[dict[str, float]]:
    """`n` reader processes started together; each one's timings."""
    procs = [
        subprocess.Popen(
            [sys.executable, "-c", READER, str(snapshot)],
            cwd=ROOT,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(n)
    ]
    return [json.loads(p.communicate()[0]) for p in procs]


def main(argv: list[str]) -> int:
    """Build (or reuse) the store, publish a snapshot, open it with readers; print the table."""
    parser = argparse.ArgumentParser(prog="python -m bench.snapshot", description=__doc__)
    parser.add_argument("--size", type=int, default=10_000_000)
    parser.add_argument("--readers", type=int, nargs="+", default=[1, 4])
    args = parser.parse_args(argv)
    db = pages.build_store(args.size, sql=True)
    with tempfile.TemporaryDirectory(prefix="clinic-snapshot-", dir=db.parent) as tmp:
        target = Path(tmp) / "snapshot.duckdb"
        store = Store(db)
        try:
            for how, publish in (("COPY FROM DATABASE", publish_tables), ("file", publish_file)):
                seconds = [publish(store, target) for _ in range(3)]
                print(
                    f"| publish ({how}), median of 3 | {statistics.median(seconds):.1f} s | "
                    f"rounds {', '.join(f'{s:.1f}' for s in seconds)} | "
                    f"{target.stat().st_size / 1e6:,.0f} MB |"
                )
        finally:
            store.close()
        print(f"Store: {args.size:,} sessions, {db.stat().st_size / 1e6:,.0f} MB")
        for n in args.readers:
            runs = readers(target, n)
            for key in ("imports_s", "open_s", "overview_s"):
                values = [r[key] for r in runs]
                print(
                    f"| {n} reader(s): {key} | median {statistics.median(values):.2f} | "
                    f"max {max(values):.2f} |"
                )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
