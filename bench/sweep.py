"""How many concurrent sessions one server holds: a sweep of growing numbers of sessions.

Each session logs in (managers and auditors in turn) and visits each of its role's pages
ROUNDS times, pausing a think time between pages (5 s by default, drawn at random between half
and one and a half of it: a manager who glances at each page; `--think 0` is everyone clicking
as fast as the server answers). A session is a client of
Streamlit's own websocket protocol (tests/e2e/protocol.py), not a Chromium: the server
does exactly what a browser's navigation makes it do (a new session, the page's script run,
every element and chart sent), while the drawing, which happens on each user's own machine,
stays off the two cores the server has here. Every visit asks for a date range no visit of
the run asked before (cold computations, not st.cache_data hits).

The baseline is one session of each role alone (each page's median of 5 visits). A number
of sessions holds when every page's p95 is within 2 s and within 1.5x its baseline median and
no visit failed; past the first number that does not, the sweep goes on while every p95 stays
within 2 s and no visit fails (how far the absolute limit alone goes). Beside each number: the
server's CPU (share of one core over the stage) and its resident memory (peak of samples
every 0.2 s and the process's high-water mark).

    python -m bench.sweep                                  # demo store, think 5 s, 1 to 32 sessions
    python -m bench.sweep --think 0 --levels 1 2 3 4
    python -m bench.sweep --size 1000000                   # a bench.pages store (SQL-built)
"""

from __future__ import annotations

import argparse
import itertools
import math
import os
import random
import statistics
import sys
import tempfile
import threading
import time
from contextlib import ExitStack
from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests" / "e2e"))

import protocol  # noqa: E402  (the e2e tests' client of Streamlit's protocol)

from bench import load, pages  # noqa: E402
from bench.load import ROLE_PAGES as _BROWSER_PAGES  # noqa: E402

# bench.load's pages per role, with the attendance page managers have now.
ROLE_PAGES = {**_BROWSER_PAGES, "manager": (*_BROWSER_PAGES["manager"], "attendance")}
P95_LIMIT_S = 2.0
BASELINE_FACTOR = 1.5
BASELINE_ROUNDS = 5
_TICKS = os.sysconf("SC_CLK_TCK")
_VISITS = itertools.count()  # next() on it is atomic: every visit of every thread its own range
_FIRST = date(2024, 6, 1)


def _cpu_seconds(pid: int) -> float:
    """User plus system CPU seconds a process has used so far."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / _TICKS


def p95(times: list[float]) -> float:
    """The 95th percentile by nearest rank (the largest of fewer than 20 times)."""
    ordered = sorted(times)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


@dataclass
class Stage:
    """One number of concurrent sessions and what the server did under it."""

    sessions: int
    times: dict[str, list[float]] = field(default_factory=dict)  # page -> visit seconds
    errors: list[str] = field(default_factory=list)
    wall_s: float = 0.0
    server_cpu_s: float = 0.0
    rss_peak_mb: float = 0.0
    client_cpu_s: float = 0.0

    def record(self, page: str, seconds: float) -> None:
        """One visit's time (list.append is atomic under the GIL)."""
        self.times.setdefault(page, []).append(seconds)

    @property
    def cpu_share(self) -> float:
        """The server's CPU over the stage as a share of one core (2.0 = both cores busy)."""
        return self.server_cpu_s / self.wall_s if self.wall_s else float("nan")

    def verdict(self, baseline: dict[str, float]) -> tuple[list[str], list[str]]:
        """(failed visits and p95s over 2 s, p95s over 1.5x alone): both empty, it holds."""
        hard, relative = list(self.errors[:5]), []
        for page, times in sorted(self.times.items()):
            worst = p95(times)
            if worst > P95_LIMIT_S:
                hard.append(f"{page}: p95 {worst:.2f} s > {P95_LIMIT_S} s")
            if worst > BASELINE_FACTOR * baseline[page]:
                relative.append(f"{page}: p95 {worst:.2f} s > 1.5 x {baseline[page]:.2f} s")
        return hard, relative


def dates() -> str:
    """A date range no visit of this run asked for (a repeat would be an st.cache_data hit)."""
    # About a year of the demo store's data, its start moved a day per visit.
    k = next(_VISITS)
    first = _FIRST + timedelta(days=k % 400)
    return f"from={first}&to={first + timedelta(days=365 + k // 400)}"


def _session(stage: Stage, url: str, cookie: str, role: str, rounds: int, think: float) -> None:
    """One logged-in session visiting its role's pages, each page with new dates."""
    for _ in range(rounds):
        for page in ROLE_PAGES[role]:
            if think:
                time.sleep(think * random.uniform(0.5, 1.5))
            try:
                seen = protocol.visit(url, cookie, page, dates())
            except Exception as exc:  # a refused or broken socket, a run that never ended
                stage.errors.append(f"{role} /{page}: {type(exc).__name__}: {exc}")
                continue
            stage.record(page, seen.seconds)
            stage.errors += [f"{role} /{page}: {e}" for e in seen.errors]


def run_stage(
    server, cookies: dict[str, list[str]], n: int, rounds: int, think: float, roles=None
) -> Stage:
    """`n` sessions at once (managers and auditors in turn, or `roles`); the server measured."""
    stage = Stage(n)
    roles = roles or ["manager" if i % 2 == 0 else "auditor" for i in range(n)]
    pid = server.proc.pid
    done = threading.Event()

    def sample() -> None:
        while not done.wait(0.2):
            stage.rss_peak_mb = max(stage.rss_peak_mb, pages.memory_mb(pid, "VmRSS"))

    threads = [
        threading.Thread(
            target=_session,
            args=(stage, server.url, cookies[role][i // 2], role, rounds, think),
        )
        for i, role in enumerate(roles)
    ]
    monitor = threading.Thread(target=sample)
    cpu_before, client_before = _cpu_seconds(pid), time.process_time()
    began = time.perf_counter()
    monitor.start()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stage.wall_s = time.perf_counter() - began
    stage.server_cpu_s = _cpu_seconds(pid) - cpu_before
    stage.client_cpu_s = time.process_time() - client_before
    done.set()
    monitor.join()
    return stage


def sweep(server, users: dict[str, str], password: str, levels, rounds, think) -> dict:
    """The baseline, then one stage per number of sessions while every p95 is within 2 s."""
    most = max(levels)
    cookies = {
        role: [
            protocol.session_cookie(server.url, users[role], password)
            for _ in range(math.ceil(most / 2))
        ]
        for role in ROLE_PAGES
    }
    # Warm the server's imports and caches of code (not of data: every visit asks new dates).
    warm = run_stage(server, cookies, 2, 1, 0)
    # One session alone needs no think time to be alone; more rounds steady its medians.
    alone = [run_stage(server, cookies, 1, BASELINE_ROUNDS, 0, [role]) for role in ROLE_PAGES]
    failed = warm.errors + [e for stage in alone for e in stage.errors]
    if failed:
        raise SystemExit("the sessions alone failed: " + "; ".join(failed[:5]))
    pooled: dict[str, list[float]] = {}  # a page both roles open: both roles' visits
    for stage in alone:
        for page, times in stage.times.items():
            pooled.setdefault(page, []).extend(times)
    baseline = {page: statistics.median(times) for page, times in pooled.items()}
    # Past the first number over 1.5x, the sweep goes on while every p95 is within 2 s: how
    # far the absolute limit alone would take the server is worth knowing too.
    stages, held, held_2s = [], 0, 0
    for n in levels:
        stage = run_stage(server, cookies, n, rounds, think)
        hard, relative = stage.verdict(baseline)
        stages.append((stage, hard + relative))
        print(_line(stage, hard + relative), flush=True)
        if hard:
            break
        held_2s = n
    for stage, why in stages:  # held: this number and every one below it met both limits
        if why:
            break
        held = stage.sessions
    return {
        "baseline": baseline,
        "alone": alone,
        "stages": stages,
        "held": held,
        "held_2s": held_2s,
    }


def _line(stage: Stage, why: list[str]) -> str:
    """A stage as one Markdown table row."""
    every = [t for times in stage.times.values() for t in times] or [float("nan")]
    worst = max(stage.times, key=lambda p: p95(stage.times[p])) if stage.times else "-"
    return (
        f"| {stage.sessions} | {len(every)} | {statistics.median(every):.2f} | "
        f"{p95(every):.2f} | {worst} {p95(stage.times.get(worst, every)):.2f} | "
        f"{stage.cpu_share:.2f} | {stage.rss_peak_mb:.0f} | {stage.client_cpu_s:.1f} | "
        f"{'holds' if not why else '; '.join(why)} |"
    )


def main(argv: list[str]) -> int:
    """Run the sweep on a demo store (or a bench.pages store) and print the tables."""
    parser = argparse.ArgumentParser(prog="python -m bench.sweep", description=__doc__)
    parser.add_argument("--levels", type=int, nargs="+", default=[1, 2, 4, 6, 8, 12, 16, 24, 32])
    parser.add_argument("--rounds", type=int, default=3, help="visits of each page per session")
    parser.add_argument("--think", type=float, default=5.0, help="mean seconds between pages")
    parser.add_argument("--size", type=int, help="serve bench.pages' SQL-built store of N sessions")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    with ExitStack() as stack:
        if args.size:
            db = pages.with_accounts(pages.build_store(args.size, sql=True))
            server = stack.enter_context(pages.served(db))
            users, password, store = pages.USERS, pages.PASSWORD, f"{args.size:,} sessions"
        else:
            folder = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="clinic-sweep-")))
            server = stack.enter_context(load.demo_server(folder))
            users, password = load.ui_wait.USERS, load.ui_wait.PASSWORD
            store = "the demo store (3,000 sessions over two years)"
        print(f"Sweep on {store}, think {args.think:g} s, {args.rounds} rounds per session")
        print(
            "| sessions | visits | median s | p95 s | slowest page's p95 s | server CPU "
            "(cores) | server RSS peak MB | client CPU s | verdict |"
        )
        print("|---:|---:|---:|---:|---|---:|---:|---:|---|")
        result = sweep(server, users, password, args.levels, args.rounds, args.think)
        hwm = pages.memory_mb(server.proc.pid)
    print("\nOne session alone, median per page (s)")
    for page, seconds in result["baseline"].items():
        print(f"| {page} | {seconds:.2f} |")
    print(
        f"\nHeld: {result['held']} concurrent sessions within both limits, "
        f"{result['held_2s']} within 2 s alone (server high-water mark {hwm:.0f} MB; "
        f"{time.perf_counter() - started:.0f} s wall-clock)"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
