"""Load test: concurrent browser sessions click through their pages while staff import an export.

One real `streamlit run dashboard.py` serves a demo store (built like the e2e `app` fixture).
N worker threads, each with its own Playwright and Chromium (the sync API is not thread-safe),
log in as managers and auditors in turn and visit each of their pages R times; one more thread
logs in as staff and imports a generated appointments export of ROWS rows through the Upload
page, waiting for the result counts. A page visit is timed from the navigation until the run
has finished and every Plotly chart has drawn its SVG; each round asks for a different date
range, so visits are cold computations rather than st.cache_data hits.

An error is: a page showing an exception or "could not be computed", a page that does not
settle, or an upload that does not end in "Imported: ...".

    python -m bench.load                                   # 4 sessions x 2 rounds, 20,000 rows
    python -m bench.load --sessions 3 --rounds 1 --rows 2000
"""

from __future__ import annotations

import argparse
import csv
import importlib.util
import math
import os
import re
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
E2E = ROOT / "tests" / "e2e"
sys.path.insert(0, str(E2E))

import e2e_support as ui_wait  # noqa: E402  (the e2e tests' page actions and accounts)

from bench.pages import RANGES  # noqa: E402


def _harness() -> Any:
    """The e2e conftest module under its own name (under pytest, `conftest` may be another)."""
    name = "clinic_e2e_harness"
    if name not in sys.modules:
        spec = importlib.util.spec_from_file_location(name, E2E / "conftest.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
    return sys.modules[name]


# Which pages each viewing role clicks through (auth.PAGES_BY_ROLE, minus Upload).
ROLE_PAGES = {
    "manager": ("overview", "revenue", "follow-ups", "complications", "prices", "audit"),
    "auditor": ("overview", "complications", "records", "audit"),
}
TIMEOUT_MS = 120_000
UPLOAD_TIMEOUT_MS = 600_000
IMPORTED = re.compile(r"Imported: ([\d,]+) new, ([\d,]+) updated, ([\d,]+) unchanged\.")


@dataclass
class LoadResult:
    """What one load run measured: page times, errors and the upload's outcome."""

    sessions: int
    rounds: int
    rows: int
    page_times: list[float] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    upload_seconds: float | None = None
    upload_counts: tuple[int, int, int] | None = None  # new, updated, unchanged
    overlap_visits: int = 0  # page visits that started while the import was running

    def percentile(self, q: float) -> float:
        """The q-th percentile (0-100) of the page times, nearest rank; NaN without visits."""
        if not self.page_times:
            return float("nan")
        ordered = sorted(self.page_times)
        return ordered[max(0, math.ceil(q / 100 * len(ordered)) - 1)]

    def table(self) -> str:
        """The run as a Markdown table."""
        times = self.page_times or [float("nan")]
        counts = (
            "{:,} new, {:,} updated, {:,} unchanged".format(*self.upload_counts)
            if self.upload_counts
            else "failed"
        )
        upload = f"{self.upload_seconds:.1f}" if self.upload_seconds is not None else "n/a"
        rows = [
            ("browser sessions viewing pages (+1 staff uploading)", f"{self.sessions}"),
            ("rounds per session", f"{self.rounds}"),
            ("page visits", f"{len(self.page_times)}"),
            ("visits started while the import ran", f"{self.overlap_visits}"),
            ("errors", f"{len(self.errors)}"),
            ("median page time (s)", f"{statistics.median(times):.2f}"),
            ("p95 page time (s)", f"{self.percentile(95):.2f}"),
            ("max page time (s)", f"{max(times):.2f}"),
            (f"upload of {self.rows:,} appointment rows (s)", upload),
            ("upload result", counts),
        ]
        return "\n".join(["| measure | value |", "|---|---|"] + [f"| {k} | {v} |" for k, v in rows])


def write_export(folder: Path, rows: int, seed: int = 11) -> Path:
    """An appointments export of exactly `rows` rows, all new to the demo store (LD bookings)."""
    from clinic import demo

    # About 2.4 appointments per session: generate enough, keep the first `rows` lines.
    files = demo.generate_exports(folder / "gen", math.ceil(rows / 2) + 10, seed, end=ui_wait.AS_OF)
    out = folder / "load_appointments.csv"
    with (
        files["appointments"].open(newline="", encoding="utf-8") as src,
        out.open("w", newline="", encoding="utf-8") as dst,
    ):
        reader, writer = csv.reader(src), csv.writer(dst)
        writer.writerow(next(reader))
        for i, record in enumerate(reader):
            if i >= rows:
                break
            # Fresh booking IDs so every row is new and none collides with the demo's.
            record[0] = "LD" + record[0]
            writer.writerow(record)
    return out


@contextmanager
def demo_server(folder: Path) -> Iterator[Any]:
    """A real server on a demo store with the e2e accounts (as the e2e `app` fixture builds)."""
    e2e = _harness()
    db = folder / "clinic.duckdb"
    env = {
        "CLINIC_DB": str(db),
        "CLINIC_KEY_FILE": str(folder / "pseudonym.key"),
        "CLINIC_AS_OF": ui_wait.AS_OF.isoformat(),
        "CLINIC_LOCKOUT_ATTEMPTS": str(ui_wait.LOCKOUT_ATTEMPTS),
    }
    saved = {name: os.environ.get(name) for name in env}
    os.environ.update(env)
    try:
        e2e._seed(db)  # before the server starts: only one process may hold the DuckDB file
    finally:
        for name, value in saved.items():
            if value is None:
                os.environ.pop(name, None)
            else:
                os.environ[name] = value
    server = e2e.Server(db, env=env)
    try:
        yield server
    finally:
        server.stop()


@contextmanager
def _browser_context(base_url: str) -> Iterator[Any]:
    """This thread's own Playwright, Chromium and browser context."""
    from playwright.sync_api import sync_playwright

    e2e = _harness()
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS)
        try:
            context = browser.new_context(viewport=ui_wait.VIEWPORT, base_url=base_url)
            context.set_default_timeout(TIMEOUT_MS)
            yield context
            context.close()
        finally:
            browser.close()


def _page_errors(page: Any) -> list[str]:
    """What on the drawn page counts as an error."""
    found = []
    if page.get_by_test_id("stException").count():
        found.append("exception shown")
    if page.get_by_text("could not be computed").count():
        found.append("figures could not be computed")
    if page.get_by_text("You do not have access").count():
        found.append("access refused")
    return found


class _Run:
    """Shared state of one load run: the result, its lock, and whether the import is running."""

    def __init__(self, result: LoadResult) -> None:
        self.result = result
        self.lock = threading.Lock()
        self.importing = threading.Event()
        self.import_began = threading.Event()  # stays set; viewers start clicking on it

    def error(self, where: str, what: str) -> None:
        """Record one error."""
        with self.lock:
            self.result.errors.append(f"{where}: {what}")

    def visited(self, seconds: float, overlapped: bool) -> None:
        """Record one page visit's time."""
        with self.lock:
            self.result.page_times.append(seconds)
            self.result.overlap_visits += overlapped


def _viewer(run: _Run, base_url: str, index: int, rounds: int, start: threading.Barrier) -> None:
    """One manager or auditor session visiting each of their pages `rounds` times."""
    role = "manager" if index % 2 == 0 else "auditor"
    who = f"{role} session {index}"
    try:
        with _browser_context(base_url) as context:
            page = context.new_page()
            start.wait(timeout=300)
            ui_wait.login(page, ui_wait.USERS[role])
            ui_wait.settle(page, timeout=TIMEOUT_MS)
            # Start clicking when the Import button is pressed, so the visits overlap it.
            run.import_began.wait(timeout=TIMEOUT_MS / 1000)
            for r in range(rounds):
                # Sessions and rounds ask for different ranges: cold computations, as a
                # manager who changes the dates sees them.
                first, last = RANGES[(index + r) % len(RANGES)]
                for name in ROLE_PAGES[role]:
                    overlapped = run.importing.is_set()
                    began = time.perf_counter()
                    try:
                        page.goto(f"/{name}?from={first}&to={last}")
                        ui_wait.settle(page, timeout=TIMEOUT_MS)
                        ui_wait.wait_for_charts(page, timeout=TIMEOUT_MS)
                    except Exception as exc:  # a timeout: the page never settled
                        run.error(f"{who} /{name}", f"did not settle ({type(exc).__name__})")
                        continue
                    run.visited(time.perf_counter() - began, overlapped)
                    for problem in _page_errors(page):
                        run.error(f"{who} /{name}", problem)
    except Exception as exc:
        start.abort()  # the others stop waiting for a session that will never come
        run.error(who, f"session failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def _uploader(run: _Run, base_url: str, export: Path, start: threading.Barrier) -> None:
    """A staff session importing `export` through the Upload page and reading the counts."""
    try:
        with _browser_context(base_url) as context:
            page = context.new_page()
            start.wait(timeout=300)
            ui_wait.login(page, ui_wait.USERS["staff"], next="/upload")
            ui_wait.settle(page, timeout=TIMEOUT_MS)
            page.get_by_test_id("stSelectbox").filter(has_text="What does the file hold?").click()
            page.get_by_role("option", name="Appointments").click()
            ui_wait.settle(page, timeout=TIMEOUT_MS)
            page.get_by_test_id("stFileUploaderDropzoneInput").set_input_files(str(export))
            page.get_by_text(re.compile(r"No problems found in [\d,]+ rows")).wait_for()
            ui_wait.settle(page, timeout=TIMEOUT_MS)
            run.importing.set()
            run.import_began.set()
            began = time.perf_counter()
            page.get_by_role("button", name="Import", exact=True).click()
            outcome = page.get_by_text(IMPORTED)
            outcome.wait_for(timeout=UPLOAD_TIMEOUT_MS)
            run.result.upload_seconds = time.perf_counter() - began
            run.importing.clear()
            numbers = IMPORTED.search(outcome.inner_text())
            run.result.upload_counts = tuple(int(g.replace(",", "")) for g in numbers.groups())
            for problem in _page_errors(page):
                run.error("staff upload", problem)
    except Exception as exc:
        start.abort()
        run.importing.clear()
        run.import_began.set()  # viewers must not wait for an import that will not come
        run.error("staff upload", f"failed: {type(exc).__name__}: {str(exc).splitlines()[0]}")


def run_load(sessions: int = 4, rounds: int = 2, rows: int = 20_000) -> LoadResult:
    """Serve a demo store and run `sessions` viewers plus one uploader concurrently."""
    result = LoadResult(sessions=sessions, rounds=rounds, rows=rows)
    run = _Run(result)
    with tempfile.TemporaryDirectory(prefix="clinic-load-") as tmp:
        folder = Path(tmp)
        export = write_export(folder, rows)
        with demo_server(folder) as server:
            # Everyone logs in together once every browser is up, so the import and the
            # page visits overlap.
            start = threading.Barrier(sessions + 1)
            threads = [
                threading.Thread(target=_viewer, args=(run, server.url, i, rounds, start))
                for i in range(sessions)
            ]
            threads.append(
                threading.Thread(target=_uploader, args=(run, server.url, export, start))
            )
            for t in threads:
                t.start()
            for t in threads:
                t.join()
    return result


def main(argv: list[str]) -> int:
    """Run the load test and print its Markdown table; exit 1 when any error was seen."""
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__)
    parser.add_argument("--sessions", type=int, default=4, help="concurrent viewing sessions")
    parser.add_argument("--rounds", type=int, default=2, help="visits of each page per session")
    parser.add_argument("--rows", type=int, default=20_000, help="rows of the uploaded export")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    result = run_load(args.sessions, args.rounds, args.rows)
    print(f"\nLoad test ({time.perf_counter() - started:.0f} s wall-clock)")
    print(result.table())
    for error in result.errors:
        print(f"error: {error}")
    return 1 if result.errors else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
