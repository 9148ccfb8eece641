"""A real `streamlit run` server stopped by every signal, started again, and written to.

SIGTERM and Ctrl-C let an import in flight commit or roll back, then checkpoint and close the
store (the server log says which); kill -9 leaves the log for the next start to replay. Either
way the next start imports, saves a price and records a side effect.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from e2e_support import AS_OF, PASSWORD, ROOT, VIEWPORT, e2e_conftest, login, settle, upload

from clinic.store import Store

SIGNALS = {"SIGTERM": signal.SIGTERM, "SIGKILL": signal.SIGKILL, "SIGINT": signal.SIGINT}
MANAGER = "manager1"
CLOSED = "checkpointed and closed"
PRICES = (
    "Service,Category,Price,Effective From,Duration\n"
    "Single Session,treatment,£150.00,01/01/2024,30 min\n"
    "6 Week Review,follow-up,£0.00,01/01/2024,15 min\n"
)


def _appointments(path: Path, first: int, count: int) -> Path:
    """An export of `count` completed sessions numbered from `first`, written to path."""
    rows = "".join(
        f"R{n},{1 + n % 28:02d}/10/2026,10:00,C{n % 9},Dr Amara Patel,Single Session,Completed,"
        "150,Ealing\n"
        for n in range(first, first + count)
    )
    path.write_text(
        "Booking ID,Date,Time,Customer ID,Therapist,Treatment,Status,Amount,Clinic\n" + rows,
        encoding="utf-8",
    )
    return path


def _env(folder: Path, **extra: str) -> dict[str, str]:
    """The server's settings for a store in folder."""
    return {
        "CLINIC_DB": str(folder / "clinic.duckdb"),
        "CLINIC_KEY_FILE": str(folder / "pseudonym.key"),
        "CLINIC_AS_OF": AS_OF.isoformat(),
        **extra,
    }


def _cli(args: list[str], env: dict[str, str]) -> None:
    """Run `python -m clinic ARGS`, which must succeed."""
    done = subprocess.run(
        [sys.executable, "-m", "clinic", *args],
        cwd=ROOT,
        env={**os.environ, **env},
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr


def _seed(folder: Path, env: dict[str, str], appointments: Path) -> None:
    """A store with prices, appointments, a side effect and a manager account; checkpointed."""
    db = env["CLINIC_DB"]
    prices = folder / "prices.csv"
    prices.write_text(PRICES, encoding="utf-8")
    _cli(["--db", db, "import", "prices", str(prices)], env)
    _cli(["--db", db, "import", "appointments", str(appointments)], env)
    report = folder / "report.csv"
    report.write_text(
        "Report ID,Session ID,Report Date,Complication,Severity\nE1,R1,05/10/2026,bruise,mild\n",
        encoding="utf-8",
    )
    _cli(["--db", db, "import", "side-effects", str(report)], env)
    add = subprocess.run(
        [sys.executable, "-m", "clinic", "--db", db, "users", "add", MANAGER, "--role", "manager"],
        cwd=ROOT,
        env={**os.environ, **env},
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
    )
    assert add.returncode == 0, add.stderr


def _state(db: Path) -> tuple:
    """(appointments, committed imports, a checksum of the appointments) of a stopped store."""
    store = Store(db)
    try:
        return store.rows(
            "select (select count(*) from appointments),"
            " (select count(*) from imports where status = 'committed'),"
            " (select coalesce(sum(hash(appointment_id, appointment_date, status,"
            " price_charged_gbp))::hugeint, 0)::varchar from appointments)"
        )[0]
    finally:
        store.close()


def _page(browser: Any, url: str) -> Any:
    """A tab in a fresh browser context addressed at url."""
    ctx = browser.new_context(viewport=VIEWPORT, base_url=url)
    ctx.set_default_timeout(60_000)
    return ctx.new_page()


def _write_everything(browser: Any, url: str, folder: Path, round_: int) -> None:
    """As the manager: upload new sessions, record a side effect, save a new price."""
    page = _page(browser, url)
    try:
        login(page, MANAGER, next="/upload")
        upload(page, _appointments(folder / f"round-{round_}.csv", 100 * round_, 5))
        page.get_by_text("Imported: 5 new, 0 updated, 0 unchanged.").wait_for()
        assert page.get_by_test_id("stException").count() == 0

        page.get_by_role("tab", name="Record a side effect").click()
        page.get_by_label("Appointment ID of the session").fill(f"R{100 * round_}")
        page.get_by_test_id("stSelectbox").filter(has_text="Effect").click()
        page.get_by_role("option", name="bruising", exact=True).click()
        page.get_by_test_id("stTextArea").locator("textarea").fill(f"stop test {round_}")
        page.get_by_role("button", name="Record side effect").click()
        success = page.get_by_test_id("stAlertContentSuccess")
        success.filter(has_text="Recorded: a new report").wait_for()

        page.goto("/prices")
        settle(page)
        page.get_by_test_id("stSelectbox").filter(has_text="Item").click()
        page.get_by_role("option", name="Single Session", exact=True).click()
        settle(page)
        page.get_by_label("Price (£)").fill(str(150 + round_))
        # A new date each round, so each price is a new row (the month is the as-of date's).
        page.get_by_role("spinbutton", name="day, From").click()
        page.keyboard.type(f"{round_:02d}")
        page.keyboard.press("Tab")
        settle(page)
        page.get_by_role("button", name="Save price").click()
        page.get_by_text("Saved: Single Session at").wait_for()
        assert page.get_by_test_id("stException").count() == 0
    finally:
        page.context.close()


def _assert_written(db: Path, rounds: list[int]) -> None:
    """Every round's upload, side effect and price are in the store, each import with its id."""
    store = Store(db)
    try:
        for r in rounds:
            assert (
                store.scalar(
                    "select count(*) from appointments where appointment_id = $a",
                    {"a": f"R{100 * r}"},
                )
                == 1
            )
            assert (
                store.scalar(
                    "select count(*) from side_effects where notes = $n", {"n": f"stop test {r}"}
                )
                == 1
            )
            assert (
                store.scalar(
                    "select count(*) from prices where item = 'Single Session' and price_gbp = $p",
                    {"p": 150 + r},
                )
                == 1
            )
        assert store.rows("select count(*) - count(distinct import_id) from imports") == [(0,)]
    finally:
        store.close()


def _stop(server: Any, sig: signal.Signals, timeout: float = 120) -> str:
    """Send sig to the server, wait for it to end, and return its log."""
    server.proc.send_signal(sig)
    server.proc.wait(timeout)
    server.stop()  # closes the log
    return server.log.read_text(encoding="utf-8", errors="replace")


@pytest.mark.parametrize("name", SIGNALS)
def test_server_stopped_by_every_signal_then_written_to(request, browser, tmp_path, name):
    """Write through the pages, stop the server with the signal, start it again, write again.

    Failed before the fix for SIGTERM and SIGKILL: after the restart the upload said "The
    import failed and nothing was written" (a duplicate import id after the log replay).
    """
    e2e = e2e_conftest(request)
    env = _env(tmp_path)
    db = Path(env["CLINIC_DB"])
    _seed(tmp_path, env, _appointments(tmp_path / "first.csv", 1, 5))
    server = e2e.Server(db, env=env)
    try:
        _write_everything(browser, server.url, tmp_path, 1)
    finally:
        log = _stop(server, SIGNALS[name])
    wal = db.with_name(db.name + ".wal")
    if name == "SIGKILL":
        assert wal.exists()  # the restart has a log to replay: the case that used to break
    else:
        assert f"{CLOSED} (no import was running)" in log, log[-2000:]
        assert not wal.exists()
    server = e2e.Server(db, env=env)
    try:
        _write_everything(browser, server.url, tmp_path, 2)
    finally:
        log = _stop(server, signal.SIGTERM)
    assert CLOSED in log
    _assert_written(db, [1, 2])


@pytest.fixture(scope="module")
def big_export(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """An export of about 190k rows, a store holding its first rows, and that store's states."""
    from clinic import demo

    folder = tmp_path_factory.mktemp("stop-big")
    env = _env(folder)
    paths = demo.generate_exports(folder / "exports", 80_000, seed=3, end=AS_OF)
    head = folder / "head.csv"
    with paths["appointments"].open(encoding="utf-8") as src:
        head.write_text("".join(next(src) for _ in range(2001)), encoding="utf-8")
    db = Path(env["CLINIC_DB"])
    _cli(["--db", str(db), "import", "prices", str(paths["prices"])], env)
    _cli(["--db", str(db), "import", "appointments", str(head)], env)
    add = subprocess.run(
        [
            sys.executable,
            "-m",
            "clinic",
            "--db",
            str(db),
            "users",
            "add",
            MANAGER,
            "--role",
            "manager",
        ],
        cwd=ROOT,
        env={**os.environ, **env},
        input=PASSWORD + "\n",
        capture_output=True,
        text=True,
    )
    assert add.returncode == 0, add.stderr
    after = folder / "after.duckdb"
    after.write_bytes(db.read_bytes())
    _cli(["--db", str(after), "import", "appointments", str(paths["appointments"])], env)
    return {
        "folder": folder,
        "db": db,
        "file": paths["appointments"],
        "before": _state(db),
        "after": _state(after),
    }


@pytest.mark.parametrize("wait", [0, 300], ids=["roll back at once", "let it finish"])
def test_sigterm_during_an_upload_leaves_before_or_after(
    request, browser, big_export, tmp_path, wait
):
    """SIGTERM while a big upload imports: the store ends before or after it, never between,
    checkpointed (no log left); given time, the import finishes; the next start imports.

    Failed before the fix: the server died at once and left its log for the next start.
    """
    e2e = e2e_conftest(request)
    env = _env(tmp_path, CLINIC_STOP_WAIT_SECONDS=str(wait))
    db = Path(env["CLINIC_DB"])
    db.write_bytes(big_export["db"].read_bytes())
    server = e2e.Server(db, env=env)
    page = _page(browser, server.url)
    try:
        login(page, MANAGER, next="/upload")
        upload(page, big_export["file"])
        # Past "Starting the import": the importer itself has begun (reading the file).
        page.get_by_test_id("stProgress").filter(has_not_text="Starting the import").wait_for()
    finally:
        log = _stop(server, signal.SIGTERM)
        page.context.close()
    assert CLOSED in log, log[-2000:]
    assert not db.with_name(db.name + ".wal").exists()
    state = _state(db)
    if wait:
        assert "the import in flight finished first" in log, log[-2000:]
        assert state == big_export["after"]
        store = Store(db)
        try:  # finished means audited too: the server closed the store after the audit entry
            assert (
                store.scalar(
                    "select count(*) from audit_log a join imports i on a.object = 'import:'"
                    " || i.import_id where i.file_name = $f and a.outcome = 'committed'",
                    {"f": big_export["file"].name},
                )
                == 1
            )
        finally:
            store.close()
    else:
        assert state in (big_export["before"], big_export["after"])
        if "interrupted and rolled back" in log:
            assert state == big_export["before"]
    server = e2e.Server(db, env=env)
    try:
        _write_everything(browser, server.url, tmp_path, 3)
    finally:
        _stop(server, signal.SIGTERM)
    _assert_written(db, [3])
