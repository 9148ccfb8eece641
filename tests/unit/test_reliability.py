"""Nothing lost: imports killed mid-way, readers during an import, busy writers, backups, limits.

Sizes: `make test` imports about 190k appointment rows per kill point; `make soak` (env
CLINIC_SOAK=1) imports about 480k rows and kills at more points.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import resource
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from clinic import audit, backup, cli, config, demo, metrics
from clinic.ingest import import_file, scan, textfile
from clinic.ingest.limits import check_limits, may_hold_long_line
from clinic.ingest.textfile import Unreadable
from clinic.store import Store, StoreBusy

ROOT = Path(__file__).resolve().parents[2]
SOAK = os.environ.get("CLINIC_SOAK") == "1"
SESSIONS = 200_000 if SOAK else 80_000
_CONTENT = (
    "appointment_id, appointment_date, start_time, patient_ref, clinician, item, kind, status,"
    " price_charged_gbp, site, vein_type, vein_diameter_mm, sclerosant, concentration_pct, form,"
    " volume_ml, treated_area, compression, funding"
)


def _snapshot(path: Path) -> tuple:
    """Open the store as the app would and return (appointments, committed imports, checksum)."""
    store = Store(path)
    try:
        return store.rows(
            "select (select count(*) from appointments),"
            " (select count(*) from imports where status = 'committed'),"
            f" (select coalesce(sum(hash({_CONTENT})::hugeint), 0)::varchar from appointments)"
        )[0]
    finally:
        store.close()


def _cli(args: list[str], env: dict[str, str]) -> subprocess.CompletedProcess:
    """Run `python -m clinic ARGS` to completion."""
    return subprocess.run(
        [sys.executable, "-m", "clinic", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )


@pytest.fixture(scope="module")
def big(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A large export, a 'before' store (prices + its first 2,000 rows) and a child env."""
    folder = tmp_path_factory.mktemp("big")
    env = dict(os.environ, CLINIC_KEY_FILE=str(folder / "k.key"), PYTHONPATH=str(ROOT))
    paths = demo.generate_exports(folder / "exports", SESSIONS, seed=11)
    head = folder / "first_rows.csv"
    with paths["appointments"].open(encoding="utf-8") as src:
        head.write_text("".join(next(src) for _ in range(2001)), encoding="utf-8")
    template = folder / "before.duckdb"
    for kind, file in (("prices", paths["prices"]), ("appointments", head)):
        done = _cli(["import", kind, str(file), "--db", str(template)], env)
        assert done.returncode == 0, done.stderr
    assert not template.with_name(template.name + ".wal").exists()
    rows = sum(1 for _ in paths["appointments"].open(encoding="utf-8")) - 1
    return {
        "folder": folder,
        "env": env,
        "file": paths["appointments"],
        "template": template,
        "rows": rows,
    }


def _import_cmd(big: dict, db: Path) -> list[str]:
    """The command line of the big import into db."""
    return [
        sys.executable,
        "-m",
        "clinic",
        "import",
        "appointments",
        str(big["file"]),
        "--db",
        str(db),
    ]


def _size(path: Path) -> int:
    """A file's size, or -1 when it does not exist (DuckDB may remove it meanwhile)."""
    try:
        return path.stat().st_size
    except FileNotFoundError:
        return -1


def _run_until(big: dict, db: Path, trigger: Callable[[float, int, int], bool]) -> int:
    """Run the big import, SIGKILL it when trigger(seconds, wal_size, db_size) says so."""
    wal = db.with_name(db.name + ".wal")
    proc = subprocess.Popen(
        _import_cmd(big, db),
        cwd=ROOT,
        env=big["env"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    started = time.perf_counter()
    while proc.poll() is None:
        if trigger(time.perf_counter() - started, _size(wal), _size(db)):
            proc.send_signal(signal.SIGKILL)
            break
        time.sleep(0.001)
    return proc.wait()


def _kill_points(seconds: float, size0: int) -> list[tuple[str, Callable]]:
    """Named triggers: fractions of a measured clean run, and file-growth / WAL events."""
    seen = {"wal": False, "last": -1}

    def after_commit(_t: float, wal: int, _s: int) -> bool:
        seen["wal"] = seen["wal"] or wal >= 0
        return seen["wal"] and wal < 0

    def checkpointing(_t: float, wal: int, size: int) -> bool:
        # The database file growing while the WAL exists: DuckDB is writing the commit out
        # (WAL, then its checkpoint into the file), the narrowest window there is.
        if wal < 0:
            seen["last"] = -1
            return False
        if seen["last"] < 0:
            seen["last"] = size
        return size > seen["last"]

    fractions = (0.1, 0.3, 0.5, 0.7, 0.9, 0.97) if SOAK else (0.1, 0.5)
    points: list[tuple[str, Callable]] = [
        (f"{f:.0%} of the run", lambda t, _w, _s, f=f: t >= f * seconds) for f in fractions
    ]
    points += [
        ("rows being written", lambda _t, _w, s: s > size0),
        ("commit (WAL present)", lambda _t, w, _s: w >= 0),
        ("checkpoint in progress", checkpointing),
        ("after the commit's checkpoint", after_commit),
    ]
    return points


def test_killed_import_leaves_before_or_after(big, tmp_path, capsys):
    """SIGKILL a big import at many points: the store reopens at before or after, never between."""
    before = _snapshot(big["template"])
    clean = tmp_path / "clean.duckdb"
    shutil.copy2(big["template"], clean)
    started = time.perf_counter()
    subprocess.run(
        _import_cmd(big, clean), cwd=ROOT, env=big["env"], check=True, capture_output=True
    )
    seconds = time.perf_counter() - started
    after = _snapshot(clean)
    assert after[0] == big["rows"] and after[1] == before[1] + 1 and after != before
    figures = []
    for name, trigger in _kill_points(seconds, big["template"].stat().st_size):
        db = tmp_path / f"killed-{len(figures)}.duckdb"
        shutil.copy2(big["template"], db)
        code = _run_until(big, db, trigger)
        state = _snapshot(db)
        assert state in (before, after), f"killed at {name}: the store holds a state between"
        outcome = "before" if state == before else "after"
        rerun = _cli(["import", "appointments", str(big["file"]), "--db", str(db)], big["env"])
        assert rerun.returncode == 0, rerun.stderr
        assert _snapshot(db)[0::2] == after[0::2]
        figures.append(f"{name}: exit {code}, store at {outcome}")
    with capsys.disabled():
        print(f"\n{big['rows']:,} rows, clean import {seconds:.1f} s; " + "; ".join(figures))
    assert any("store at before" in f for f in figures)


@pytest.fixture
def loaded(store: Store, tmp_path: Path) -> dict:
    """A store with prices and a first import, plus a bigger export to import next."""
    paths = demo.generate_exports(tmp_path / "exports", 10_000, seed=5)
    assert import_file(store, "prices", paths["prices"]).status == "committed"
    head = tmp_path / "first.csv"
    with paths["appointments"].open(encoding="utf-8") as src:
        head.write_text("".join(next(src) for _ in range(501)), encoding="utf-8")
    assert import_file(store, "appointments", head).status == "committed"
    return {"store": store, "file": paths["appointments"]}


def test_readers_see_before_or_after_during_an_import(loaded):
    """8 threads reading one Store while an import commits see only before or after totals."""
    store = loaded["store"]
    totals_sql = "select count(*), sum(price_charged_gbp), max(import_id) from appointments"
    before = store.rows(totals_sql)[0]
    seen: list[tuple] = []
    errors: list[BaseException] = []
    done = threading.Event()

    def reader() -> None:
        """Read totals (and a metric) in a loop until shortly after the import ends."""
        try:
            while not done.is_set():
                seen.append(store.rows(totals_sql)[0])
                metrics.revenue(store, metrics.Filters(), "site")
            seen.append(store.rows(totals_sql)[0])
        except BaseException as exc:  # noqa: BLE001 -- any failure of a reader fails the test
            errors.append(exc)

    threads = [threading.Thread(target=reader) for _ in range(8)]
    for t in threads:
        t.start()
    result = import_file(store, "appointments", loaded["file"])
    done.set()
    for t in threads:
        t.join()
    after = store.rows(totals_sql)[0]
    assert result.status == "committed" and after != before
    assert not errors, errors[:3]
    assert set(seen) <= {before, after}
    assert before in seen and after in seen


def _hold_writer(store: Store) -> tuple[threading.Event, threading.Thread]:
    """Start a thread holding the store's writer until the returned event is set."""
    held, release = threading.Event(), threading.Event()

    def hold() -> None:
        """Keep one write transaction open."""
        with store.writer():
            held.set()
            release.wait(30)

    thread = threading.Thread(target=hold)
    thread.start()
    assert held.wait(10)
    return release, thread


def test_second_import_is_busy(loaded):
    """While one import writes, a second gets StoreBusy and writes nothing."""
    store = loaded["store"]
    count = store.scalar("select count(*) from imports")
    release, thread = _hold_writer(store)
    try:
        with pytest.raises(StoreBusy, match="Another import is running"):
            import_file(store, "appointments", loaded["file"])
    finally:
        release.set()
        thread.join()
    assert store.scalar("select count(*) from imports") == count
    assert import_file(store, "appointments", loaded["file"]).status == "committed"


def test_cli_maps_busy_to_exit_4(loaded, monkeypatch, capsys):
    """The CLI turns StoreBusy into exit 4 and a sentence, without a traceback."""
    store = loaded["store"]
    release, thread = _hold_writer(store)
    # The CLI opens its own Store; hand it this real one, whose writer another thread holds.
    monkeypatch.setattr("clinic.cli.session.Store", lambda _path: store)
    # cli.main closes its store when done; this one is closed by its fixture after the release.
    monkeypatch.setattr(store, "close", lambda: None)
    try:
        code = cli.main(["import", "appointments", str(loaded["file"]), "--db", str(store.path)])
    finally:
        release.set()
        thread.join()
    err = capsys.readouterr().err
    assert code == cli.REFUSED
    assert "another import is running" in err.lower() and "Traceback" not in err


def test_cli_refuses_a_store_held_by_another_process(loaded):
    """A second process importing into a store this process holds exits 4 with a sentence."""
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    db = str(loaded["store"].path)
    done = _cli(["import", "appointments", str(loaded["file"]), "--db", db], env)
    assert done.returncode == cli.REFUSED
    assert "in use by another program" in done.stderr and "Traceback" not in done.stderr


def test_backup_restore_drill_of_a_demo_store(store, tmp_path, monkeypatch):
    """Back up a demo store, restore it elsewhere: every table has equal rows and checksum."""
    demo.fill(store, seed=3)
    folder = backup.backup(store, tmp_path / "backup")
    with store.cursor() as cur:
        original = backup._table_sums(cur)
    monkeypatch.setenv("CLINIC_KEY_FILE", str(tmp_path / "restored" / "key"))
    backup.restore(tmp_path / "restored" / "clinic.duckdb", folder)
    restored = Store(tmp_path / "restored" / "clinic.duckdb")
    try:
        with restored.cursor() as cur:
            copy = backup._table_sums(cur)
        assert audit.verify(restored).ok
    finally:
        restored.close()
    assert copy == original
    assert original["appointments"]["rows"] > 3000 and original["audit_log"]["rows"] > 0


def test_migration_keeps_a_pre_migration_backup(db_path, tmp_path, monkeypatch):
    """Opening a store at an older schema copies it to <name>.pre-NNN.bak before migrating."""
    Store(db_path).close()
    queries = tmp_path / "queries"
    shutil.copytree(config.QUERIES, queries)
    (queries / "schema" / "999_reliability_probe.sql").write_text(
        "create table reliability_probe (x integer);\n", encoding="utf-8"
    )
    monkeypatch.setattr("clinic.store.QUERIES", queries)
    old = Store(db_path)
    try:
        assert old.schema_version() == 999
    finally:
        old.close()
    bak = db_path.with_name(f"{db_path.name}.pre-999.bak")
    assert bak.is_file()
    monkeypatch.setattr("clinic.store.QUERIES", config.QUERIES)
    copy = Store(bak, read_only=True)
    try:
        assert copy.schema_version() < 999
        assert not copy.scalar(
            "select count(*) from information_schema.tables where table_name = 'reliability_probe'"
        )
    finally:
        copy.close()


# -- limits ------------------------------------------------------------------------------------
_HEAD = "Booking ID,Date,Customer ID,Therapist,Treatment,Status,Area\n"
_ROW = "B1,03/04/2025,C1,Dr A,Single Session,Completed,"


def _nothing_written(store: Store) -> tuple:
    """Counts that an refused import must not change."""
    return store.rows("select (select count(*) from appointments), (select count(*) from imports)")[
        0
    ]


def test_upload_size_limit(loaded, tmp_path, monkeypatch):
    """A file over CLINIC_MAX_UPLOAD_MB is refused with the limit named; nothing written."""
    store = loaded["store"]
    monkeypatch.setenv("CLINIC_MAX_UPLOAD_MB", "1")
    assert config.max_upload_mb() == 1
    counts = _nothing_written(store)
    result = import_file(store, "appointments", loaded["file"])  # about 3 MB
    assert result.status == "unreadable" and "1 MB limit" in result.errors[0].reason
    assert _nothing_written(store) == counts


def test_streamlit_upload_limit_matches_config(monkeypatch):
    """Streamlit's maxUploadSize equals the importer's default limit."""
    monkeypatch.delenv("CLINIC_MAX_UPLOAD_MB", raising=False)
    text = (ROOT / ".streamlit" / "config.toml").read_text(encoding="utf-8")
    assert f"maxUploadSize = {config.max_upload_mb()}" in text


@pytest.mark.parametrize(
    ("name", "content", "reason"),
    [
        ("one-megabyte cell", _HEAD + _ROW + "x" * (1 << 20) + "\n", "at most 32 KB"),
        ("million columns", ",".join(f"c{i}" for i in range(1_000_000)) + "\nx\n", "1,000,000"),
    ],
)
def test_oversized_files_are_refused_quickly(loaded, tmp_path, name, content, reason):
    """A 1 MB cell or a million-column header: a sentence within seconds, nothing written."""
    store = loaded["store"]
    path = tmp_path / "bad.csv"
    path.write_text(content, encoding="utf-8")
    counts = _nothing_written(store)
    started = time.perf_counter()
    result = import_file(store, "appointments", path)
    assert time.perf_counter() - started < 10, name
    assert result.status == "unreadable" and reason in result.errors[0].reason
    assert _nothing_written(store) == counts


def test_cli_refuses_a_million_columns_with_exit_2(tmp_path):
    """The CLI prints the reason and exits 2 (no traceback) for a too-wide file."""
    path = tmp_path / "wide.csv"
    path.write_text(",".join(f"c{i}" for i in range(1_000_000)) + "\n", encoding="utf-8")
    env = dict(os.environ, PYTHONPATH=str(ROOT))
    done = _cli(["import", "appointments", str(path), "--db", str(tmp_path / "w.duckdb")], env)
    assert done.returncode == cli.USAGE
    assert "columns" in done.stderr and "Traceback" not in done.stderr + done.stdout


@pytest.mark.parametrize(
    ("headers", "cell", "ok"),
    [
        (500, 32 * 1024, True),
        (501, 10, False),
        (7, 32 * 1024 + 1, False),
        (7, 40 * 1024, False),
    ],
)
def test_limit_edges(headers, cell, ok):
    """Exactly 500 columns and a 32 KB cell pass; one more column or byte is refused."""
    names = [f"h{i}" for i in range(headers)]
    data = (",".join(names) + "\n" + "a," + "é" * (cell // 2) + "x" * (cell % 2) + "\n").encode()
    if ok:
        check_limits(data, ",", names)
    else:
        with pytest.raises(Unreadable):
            check_limits(data, ",", names)


def test_long_line_prefilter_never_misses_a_long_line():
    """The quick slice test says "maybe" for every file whose longest line exceeds the limit."""
    rng = random.Random(7)
    for _ in range(2000):
        limit = rng.randint(2, 40)
        lengths = [rng.randint(0, 2 * limit) for _ in range(rng.randint(1, 6))]
        data = b"\n".join(b"x" * n for n in lengths) + (b"\n" if rng.random() < 0.5 else b"")
        if max(lengths) > limit:
            assert may_hold_long_line(data, limit), (limit, lengths)


def _mixed_line_endings(data: bytes | str) -> bool:
    """True when a file mixes CRLF, LF or CR line ends (only LF-only or CRLF-only are safe)."""
    cr, crlf, lf = ("\r", "\r\n", "\n") if isinstance(data, str) else (b"\r", b"\r\n", b"\n")
    if cr not in data:  # most exports have no CR at all: one memchr-speed scan and done
        return False
    n = data.count(cr)
    return not (data.count(crlf) == n == data.count(lf))


def test_chunked_scan_answers_as_the_whole_file_checks(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
):
    """Chunk by chunk, a big file's scan finds what the checks of the whole bytes find."""
    # Tiny chunks put CRLF pairs and long lines across chunk edges.
    rng = random.Random(11)
    path = tmp_path / "f.csv"
    for _ in range(1000):
        limit = rng.randint(8, 64)
        monkeypatch.setattr(textfile, "CHUNK", rng.randint(1, 64))
        # Lines ending all CRLF, all LF or either; now and then a NUL, a lone CR, a long line.
        ends = rng.choice([[b"\r\n"], [b"\n"], [b"\r\n", b"\n"]])
        sizes = [
            rng.randint(0, 3 * limit if rng.random() < 0.03 else limit // 4) for _ in range(12)
        ]
        lines = [bytes(rng.choices(b"x\x00\r", weights=[300, 1, 1], k=n)) for n in sizes]
        data = b"".join(line + rng.choice(ends) for line in lines)
        path.write_bytes(data)
        found = scan.scan_file(path, limit)
        assert found.sha256 == hashlib.sha256(data).hexdigest()
        assert found.binary == (b"\x00" in data)
        whole = _mixed_line_endings(data) or may_hold_long_line(data, limit)
        assert found.reread == whole, (limit, textfile.CHUNK, data)


def _file_size_limit(limit: int) -> Callable[[], None]:
    """A child-process hook: files may not grow past `limit` bytes (a full disk, for DuckDB)."""

    def apply() -> None:
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # fail the write instead of killing
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

    return apply


def test_full_disk_during_an_import_gives_a_sentence_and_keeps_the_store(big, tmp_path):
    """An import that cannot write its rows exits 2 with a sentence; the store stays as it was."""
    db = tmp_path / "full.duckdb"
    shutil.copy2(big["template"], db)
    before = _snapshot(db)
    done = subprocess.run(
        _import_cmd(big, db),
        cwd=ROOT,
        env=big["env"],
        capture_output=True,
        text=True,
        preexec_fn=_file_size_limit(db.stat().st_size + 64 * 1024),
    )
    assert done.returncode == 2, done.stderr
    assert "Traceback" not in done.stderr + done.stdout
    assert "try again" in done.stderr
    assert _snapshot(db) == before


_ENGINE_FAILS = """
import json, resource, signal, sys
from clinic.ingest import import_file
from clinic.store import Store, StoreFailed

store = Store(sys.argv[1])
prices = b"Item,Kind,Price,Valid From\\nSingle Session,treatment,150,2023-01-01\\n"
export = "\\n".join(
    ["Appointment ID,Date,Client ID,Clinician,Service,Status"]
    + [f"A{i},0{1 + i % 9}/03/2025,C{i},Dr X,Single Session,completed" for i in range(20000)]
).encode()
assert import_file(store, "prices", prices).status == "committed"
store.rows("checkpoint")
# The import's commit checkpoints (tiny threshold) and the file may not grow: DuckDB fails the
# checkpoint and invalidates the database instance.
store.rows("set checkpoint_threshold = '1kB'")
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
resource.setrlimit(resource.RLIMIT_FSIZE, (store.path.stat().st_size, resource.RLIM_INFINITY))
try:
    import_file(store, "appointments", export)
    failed = None
except StoreFailed as exc:
    failed = str(exc)
resource.setrlimit(resource.RLIMIT_FSIZE, (resource.RLIM_INFINITY, resource.RLIM_INFINITY))
after_failure = store.scalar("select count(*) from appointments")
retry = import_file(store, "appointments", export)
print(json.dumps({"failed": failed, "after_failure": after_failure, "retry": retry.status,
                  "rows": store.scalar("select count(*) from appointments")}))
"""


def test_store_reopens_after_the_engine_invalidates_it(tmp_path):
    """After DuckDB invalidates the database (a failed checkpoint), the same Store works again."""
    env = dict(os.environ, CLINIC_KEY_FILE=str(tmp_path / "k.key"), PYTHONPATH=str(ROOT))
    done = subprocess.run(
        [sys.executable, "-c", _ENGINE_FAILS, str(tmp_path / "s.duckdb")],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr
    out = json.loads(done.stdout.strip().splitlines()[-1])
    assert out["failed"] and "opens the store again" in out["failed"]
    assert out["after_failure"] in (0, 20000)  # before or after, never part of it
    assert out["retry"] == "committed" and out["rows"] == 20000
