"""Page times in a real browser, server memory and cold start, on stores of growing size.

For each size the store is built through the real import path (clinic.demo.generate_exports,
then clinic.ingest.import_file), a real `streamlit run dashboard.py` serves it, and Debian's
Chromium (Playwright) logs in as a manager, an auditor and an admin and opens every page each
role has. A page's time runs from the navigation until its script run has finished and every
Plotly chart has drawn its SVG. Each visit asks for a different date range (reported dates on
the records page), so no visit is served from st.cache_data: these are cold computations.

Baselines in the same run: the same page on the smallest store (ratio), the server's peak
memory with an empty store, and the cold start of a one-chart Streamlit page.

    python -m bench.pages                  # 10k, 1M and 10M sessions, 9 visits per page
    python -m bench.pages --sizes 10000 100000 1000000 10000000
    python -m bench.pages --sql --sizes 10000 10000000   # stores built with SQL (minutes)
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from contextlib import contextmanager
from datetime import date
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests" / "e2e"))

import conftest as e2e  # noqa: E402  (the e2e tests' real-server harness)
import e2e_support as ui_wait  # noqa: E402

from clinic import auth, demo, ingest  # noqa: E402
from clinic.store import Store  # noqa: E402

AS_OF = date(2026, 11, 25)
PASSWORD = "bench-password-1"
# Every page and the role that opens it in the bench; each role is one bench account.
PAGES = {
    "overview": "manager",
    "revenue": "manager",
    "follow-ups": "manager",
    "attendance": "manager",
    "complications": "manager",
    "upload": "manager",
    "prices": "manager",
    "audit": "manager",
    "records": "auditor",
    "records by clinician": "auditor",
    "accounts": "admin",
}
# Views that are a page with more in the query string. The records of one clinician take the
# session-filter path (the dimensions the facts keep per report), which dates alone never do.
VIEWS = {"records by clinician": ("records", {"clinician": demo.OUTLIER_CLINICIAN})}
USERS = {"manager": "bench", "auditor": "bench-auditor", "admin": "bench-admin"}
# Rotating ranges: each visit of a page misses the cache (same length, different dates).
RANGES = [(f"{y}-{m:02d}-01", f"{y + 1}-{m:02d}-01") for y in (2024, 2025) for m in (1, 4, 7)]
OUT = ROOT / "bench" / "out"


def build_store(n_sessions: int, sql: bool = False) -> Path:
    """A store of `n_sessions` treatment sessions built through the importer (cached on disk).

    `sql`: built by bench.metrics' SQL generator instead (10M sessions in about a minute
    rather than most of an hour through CSV exports and the importer).
    """
    path = OUT / f"pages-{'sql-' if sql else ''}{n_sessions}.duckdb"
    if path.exists():
        return path
    OUT.mkdir(parents=True, exist_ok=True)
    if sql:
        from bench.metrics import build

        partial = path.with_name(path.name + ".partial")
        for stale in path.parent.glob(partial.name + "*"):
            stale.unlink()
        store, _ = build(partial, n_sessions)
        store.close()
        partial.rename(path)
        return path
    # A chain's decade arrives as one file here; staff would split it under the upload limit.
    os.environ["CLINIC_MAX_UPLOAD_MB"] = "4096"
    partial = path.with_name(path.name + ".partial")
    for stale in path.parent.glob(partial.name + "*"):
        stale.unlink()
    with tempfile.TemporaryDirectory() as tmp:
        files = demo.generate_exports(Path(tmp), n_sessions, seed=7, end=AS_OF)
        store = Store(partial)
        for kind in ("prices", "appointments", "side-effects"):
            result = ingest.import_file(store, kind, files[kind], user="bench")
            if result.status != "committed":
                raise SystemExit(f"{kind} import failed: {result.errors[:3]}")
        store.close()
    # Only a complete store gets the cached name; the key file travels with it.
    partial.with_name(partial.name + ".key").rename(path.with_name(path.name + ".key"))
    partial.rename(path)
    return path


def empty_store() -> Path:
    """A migrated store with only the bench accounts."""
    OUT.mkdir(parents=True, exist_ok=True)
    return with_accounts(OUT / "pages-empty.duckdb")


def with_accounts(path: Path) -> Path:
    """The store at `path` with one bench account per role (added when missing)."""
    store = Store(path)
    try:
        have = set(auth.list_users(store)["username"])
        for role, name in USERS.items():
            if name not in have:
                auth.add_user(store, name, role, PASSWORD)
    finally:
        store.close()
    return path


def memory_mb(pid: int, name: str = "VmHWM") -> float:
    """A memory line of /proc/PID/status in MB: VmHWM the peak resident set, VmRSS the current."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(name + ":"):
            return int(line.split()[1]) / 1024
    return float("nan")


@contextmanager
def served(db: Path):
    """A real dashboard server on `db` for the duration of the block."""
    server = e2e.Server(db, env={"CLINIC_AS_OF": AS_OF.isoformat()})
    try:
        yield server
    finally:
        server.stop()


def visit(page, url: str) -> float:
    """Seconds from navigation until the run has finished and every chart is drawn."""
    start = time.perf_counter()
    page.goto(url)
    ui_wait.settle(page, timeout=120_000)
    ui_wait.wait_for_charts(page, timeout=120_000)
    return time.perf_counter() - start


def page_times(browser, server, rounds: int) -> dict[str, float]:
    """Median time per page over `rounds` visits, each with a date range not seen before."""
    times: dict[str, list[float]] = {name: [] for name in PAGES}
    for role, user in USERS.items():
        context = browser.new_context(viewport={"width": 1400, "height": 900}, base_url=server.url)
        page = context.new_page()
        ui_wait.login(page, user, PASSWORD)
        ui_wait.settle(page, timeout=120_000)
        for i in range(rounds):
            start, end = RANGES[i % len(RANGES)]
            for name in (p for p, r in PAGES.items() if r == role):
                path, extra = VIEWS.get(name, (name, {}))
                query = urlencode({"from": start, "to": end, **extra})
                times[name].append(visit(page, f"/{path}?{query}"))
        context.close()
    return {name: statistics.median(values) for name, values in times.items()}


def cold_start(browser, db: Path | None) -> float:
    """Seconds from `streamlit run` until the first page has drawn (one-chart page if no db)."""
    start = time.perf_counter()
    if db is None:
        port = e2e.free_port()
        proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "bench/one_chart.py",
                "--server.headless",
                "true",
                "--server.port",
                str(port),
                "--server.address",
                "127.0.0.1",
            ],
            cwd=ROOT,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        url = f"http://127.0.0.1:{port}"
        while True:
            try:
                urllib.request.urlopen(f"{url}/_stcore/health", timeout=1)
                break
            except OSError:
                time.sleep(0.05)
        page = browser.new_page()
        page.goto(url)
        ui_wait.settle(page)
        ui_wait.wait_for_charts(page, at_least=1)
        elapsed = time.perf_counter() - start
        page.close()
        proc.terminate()
        proc.wait(10)
        return elapsed
    with served(db) as server:
        context = browser.new_context(base_url=server.url)
        page = context.new_page()
        ui_wait.login(page, USERS["manager"], PASSWORD)
        ui_wait.settle(page, timeout=120_000)
        ui_wait.wait_for_charts(page, timeout=120_000)
        elapsed = time.perf_counter() - start
        context.close()
        return elapsed


def main(argv: list[str]) -> int:
    """Build the stores, measure, and print the tables for docs/PERFORMANCE.md."""
    parser = argparse.ArgumentParser(prog="python -m bench.pages", description=__doc__)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10_000, 1_000_000, 10_000_000])
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument(
        "--sql", action="store_true", help="build the stores with SQL, not through the importer"
    )
    args = parser.parse_args(argv)

    from playwright.sync_api import sync_playwright

    stores = {n: with_accounts(build_store(n, args.sql)) for n in args.sizes}
    results: dict[int, dict[str, float]] = {}
    memory: dict[str, float] = {}
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=e2e.CHROMIUM, args=e2e.CHROMIUM_ARGS)
        with served(empty_store()) as server:
            page_times(browser, server, 1)
            memory["empty"] = memory_mb(server.proc.pid)
        for n, db in stores.items():
            with served(db) as server:
                results[n] = page_times(browser, server, args.rounds)
                memory[f"{n:,}"] = memory_mb(server.proc.pid)
        starts = {
            "one-chart page": statistics.median(cold_start(browser, None) for _ in range(3)),
            "dashboard (smallest store)": statistics.median(
                cold_start(browser, stores[min(stores)]) for _ in range(3)
            ),
        }
        save_plot(browser, results, ROOT / "docs" / "page-times.png")
        browser.close()

    base = min(results)
    print(f"\nPage time in Chromium, median of {args.rounds} cold visits (s; ratio to {base:,})")
    print("| page | " + " | ".join(f"{n:,}" for n in results) + " | ratio largest/smallest |")
    print("|---|" + "---|" * (len(results) + 1))
    for name in PAGES:
        cells = " | ".join(f"{results[n][name]:.2f}" for n in results)
        ratio = results[max(results)][name] / results[base][name]
        print(f"| {name} | {cells} | {ratio:.2f} |")
    print("\nServer peak memory after visiting every page (MB)")
    for label, mb in memory.items():
        print(f"| {label} | {mb:.0f} | {mb / memory['empty']:.2f}x empty |")
    print("\nCold start to the first drawn page (s)")
    for label, seconds in starts.items():
        print(f"| {label} | {seconds:.2f} | {seconds / starts['one-chart page']:.2f}x |")
    return 0


def save_plot(browser, results: dict[int, dict[str, float]], path: Path) -> None:
    """Page time against store size as a PNG: a Plotly figure drawn by the same Chromium."""
    import plotly.graph_objects as go

    sizes = sorted(results)
    fig = go.Figure(
        [
            go.Scatter(x=sizes, y=[results[n][p] for n in sizes], name=p, mode="lines+markers")
            for p in PAGES
        ]
    )
    fig.update_layout(
        title="Page time in Chromium by store size (median of cold visits)",
        xaxis={"title": "treatment sessions in the store", "type": "log"},
        yaxis={"title": "seconds", "rangemode": "tozero"},
        width=900,
        height=500,
        template="plotly_white",
    )
    page = browser.new_page(viewport={"width": 900, "height": 500})
    page.set_content(fig.to_html(include_plotlyjs=True, full_html=True))
    page.wait_for_selector(".main-svg")
    page.screenshot(path=str(path))
    page.close()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
