"""Every way a process can stop (SIGTERM, SIGKILL, Ctrl-C), then a restart and more writes.

A process that holds the store and is stopped without a checkpoint leaves a write-ahead log that
the next start replays. Whatever the signal, the next import, price change and recorded side
effect must commit (issue: ids drawn from a sequence fell behind the largest id after a replay).
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import pytest

from clinic.ingest import import_file, record_side_effect
from clinic.store import Store

ROOT = Path(__file__).resolve().parents[2]
HERE = Path(__file__).resolve().parent
STOPS = {"SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT}

PRICES = b"Item,Kind,Price,Valid From\nSingle Session,treatment,150,2024-01-01\n"
APPTS_HEADER = "Booking ID,Date,Time,Customer ID,Therapist,Treatment,Status,Amount,Clinic\n"


def appointments(first: int, count: int) -> bytes:
    """An appointments export of `count` completed sessions numbered from `first`."""
    rows = "".join(
        f"S{n},{1 + n % 28:02d}/03/2025,10:00,C{n % 7},Dr B,Single Session,Completed,150,Ealing\n"
        for n in range(first, first + count)
    )
    return (APPTS_HEADER + rows).encode("utf-8")


def writes(store: Store, round_: int) -> list[int]:
    """An import on the staged path, a price change and a phoned side effect; their import ids.

    Each target table already holds rows, so every write first tries the one-pass load, which
    rolls back, and then commits on the staged path: the path whose id used to be lost.
    """
    done = [
        import_file(store, "appointments", appointments(100 * round_, 5), file_name="a.csv"),
        import_file(
            store,
            "prices",
            f"Item,Kind,Price,Valid From\nSingle Session,treatment,{150 + round_},"
            f"2025-0{round_ % 9 + 1}-02\n".encode(),
            file_name="price-change.csv",
        ),
        record_side_effect(
            store,
            {
                "appointment_id": f"S{100 * round_}",
                "reported_date": date(2025, 4, 1),
                "effect": "bruising",
                "severity": "mild",
            },
        ),  # fmt: skip
    ]
    for result in done:
        assert result.status == "committed", (result.kind, result.errors)
    return [r.import_id for r in done]


def seeded(db: Path) -> None:
    """A checkpointed store with rows in every table the writes touch."""
    store = Store(db)
    try:
        assert import_file(store, "prices", PRICES, file_name="p.csv").status == "committed"
        assert import_file(store, "appointments", appointments(1, 5)).status == "committed"
        first = record_side_effect(
            store, {"appointment_id": "S1", "reported_date": date(2025, 4, 1), "effect": "bruising"}
        )
        assert first.status == "committed", first.errors
    finally:
        store.close()


def hold_after_writes(db: str) -> None:
    """Child process: write as a running dashboard would, then wait to be stopped."""
    store = Store(db)
    writes(store, 1)
    print("ready", flush=True)
    time.sleep(600)


def assert_ids_unique(store: Store) -> None:
    """Every import has its own id."""
    assert store.rows("select count(*) - count(distinct import_id) from imports") == [(0,)]


@pytest.mark.parametrize("name", STOPS)
def test_writes_after_every_stop_of_a_process_holding_the_store(db_path, name):
    """A process that wrote and is then stopped by any signal leaves a store the next one writes.

    Failed before the fix for SIGTERM and SIGKILL: the restarted store said `Duplicate key
    "import_id: 4"` on its first write (Ctrl-C ran DuckDB's checkpoint on the way out).
    """
    seeded(db_path)
    child = subprocess.Popen(
        [sys.executable, "-c",
         f"import sys; sys.path.insert(0, {str(HERE)!r}); import test_stops; "
         f"test_stops.hold_after_writes({str(db_path)!r})"],
        cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)}, stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL, text=True,
    )  # fmt: skip
    try:
        assert child.stdout.readline().strip() == "ready"
        if name != "SIGINT":  # only a stop that skips DuckDB's checkpoint leaves the log
            assert db_path.with_name(db_path.name + ".wal").exists()
        child.send_signal(STOPS[name])
        child.wait(60)
    finally:
        child.kill()
        child.wait()
    store = Store(db_path)
    try:
        before = int(store.scalar("select max(import_id) from imports"))
        ids = writes(store, 2) + writes(store, 3)
        assert ids == list(range(before + 1, before + 7))
        assert_ids_unique(store)
    finally:
        store.close()


def test_the_retry_of_a_rolled_back_attempt_keeps_no_sequence(store):
    """The staged retry of a file the one-pass load rolled back commits under the next free id."""
    assert import_file(store, "prices", PRICES).status == "committed"
    # A repeated key: the one-pass load into the empty table rolls back, the staged path rejects.
    twice = appointments(1, 2) + b"S1,01/03/2025,10:00,C1,Dr B,Single Session,Completed,1,Ealing\n"
    rejected = import_file(store, "appointments", twice)
    assert (rejected.status, rejected.import_id) == ("rejected", 2)
    assert import_file(store, "appointments", appointments(1, 2)).import_id == 3
    assert store.rows("select count(*) from duckdb_sequences()") == [(0,)]
    assert_ids_unique(store)
