"""Browser tests: a real `streamlit run` server on a free port, driven by Debian's Chromium."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from e2e_support import (
    AS_OF,
    HOSTILE_NOTES,
    LOCKOUT_ATTEMPTS,
    LOCKOUT_USER,
    PASSWORD,
    TYPO_USER,
    USERS,
    VIEWPORT,
    wait_for_app,
)

__all__ = ["wait_for_app"]  # kept importable from here for older tests

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "tests" / "e2e" / "artifacts"
CHROMIUM = os.environ.get("CLINIC_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark everything under tests/e2e as e2e so `-m 'not e2e'` skips the browser."""
    for item in items:
        if "/e2e/" in str(item.fspath):
            item.add_marker(pytest.mark.e2e)


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Server:
    """A real Streamlit server for one store, stopped when the test session ends."""

    def __init__(self, db: Path, env: dict[str, str] | None = None) -> None:
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = ARTIFACTS / f"server-{self.port}.log"
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        full_env = {**os.environ, "CLINIC_DB": str(db), **(env or {})}
        self._log = self.log.open("wb")
        self.proc = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "streamlit",
                "run",
                "dashboard.py",
                "--server.headless",
                "true",
                "--server.port",
                str(self.port),
                "--server.address",
                "127.0.0.1",
                "--server.fileWatcherType",
                "none",
            ],
            cwd=ROOT,
            env=full_env,
            stdout=self._log,
            stderr=subprocess.STDOUT,
        )
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"streamlit exited early; see {self.log}")
            try:
                urllib.request.urlopen(f"{self.url}/_stcore/health", timeout=1)
                return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"streamlit did not answer within 60 s; see {self.log}")

    def stop(self) -> None:
        """Stop the server and close its log."""
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self._log.close()


@pytest.fixture(scope="session")
def browser() -> Iterator[object]:
    """Debian's Chromium under Playwright (never a downloaded browser build)."""
    if not shutil.which(CHROMIUM) and not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium package")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


# -- the shared demo store and server ----------------------------------------------------------
@dataclass(frozen=True)
class App:
    """The running server of the test session and what was seeded into its store."""

    server: Server
    db: Path

    @property
    def url(self) -> str:
        """The server's base URL."""
        return self.server.url


def _seed(db: Path) -> None:
    """Fill a demo store, add one account per role (and one to lock out), add hostile notes."""
    from clinic import auth, demo, ingest
    from clinic.store import Store

    s = Store(db)
    try:
        demo.fill(s, seed=7, as_of=AS_OF)
        for role, name in USERS.items():
            auth.add_user(s, name, role, PASSWORD)
        auth.add_user(s, LOCKOUT_USER, "staff", PASSWORD)
        auth.add_user(s, TYPO_USER, "staff", PASSWORD)
        sessions = s.rows(
            "select appointment_id, appointment_date from appointments"
            " where kind = 'treatment' and status = 'completed'"
            " and appointment_date between $start and $end order by appointment_id limit $n",
            {
                "start": AS_OF - timedelta(days=200),
                "end": AS_OF - timedelta(days=30),
                "n": len(HOSTILE_NOTES),
            },
        )
        for (appointment, day), note in zip(sessions, HOSTILE_NOTES, strict=True):
            result = ingest.record_side_effect(
                s,
                {
                    "appointment_id": appointment,
                    "reported_date": day + timedelta(days=3),
                    "effect": "bruising",
                    "severity": "mild",
                    "notes": note,
                },
                user="e2e",
            )
            assert result.status == "committed", result
    finally:
        s.close()


@pytest.fixture(scope="session")
def app(tmp_path_factory: pytest.TempPathFactory) -> Iterator[App]:
    """One demo store and one Streamlit server for the whole e2e session."""
    folder = tmp_path_factory.mktemp("e2e-store")
    db = folder / "clinic.duckdb"
    env = {
        "CLINIC_DB": str(db),
        "CLINIC_KEY_FILE": str(folder / "pseudonym.key"),
        "CLINIC_AS_OF": AS_OF.isoformat(),
        "CLINIC_LOCKOUT_ATTEMPTS": str(LOCKOUT_ATTEMPTS),
    }
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        _seed(db)  # before the server starts: only one process may hold the DuckDB file
    server = Server(db, env=env)
    try:
        yield App(server=server, db=db)
    finally:
        server.stop()


@pytest.fixture
def context(browser: Any, app: App) -> Iterator[Any]:
    """A fresh browser context (own cookies) per test, 1400x900, addressed at the server."""
    ctx = browser.new_context(viewport=VIEWPORT, base_url=app.url, accept_downloads=True)
    ctx.set_default_timeout(30_000)
    try:
        yield ctx
    finally:
        ctx.close()


@pytest.fixture
def page(context: Any) -> Any:
    """A tab in the test's own browser context."""
    return context.new_page()
