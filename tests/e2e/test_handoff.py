"""One owner of the store: with a real dashboard serving a demo store, every command handed to
it prints what the same command prints on an identical store that no server holds.

Two copies of one seeded demo store: `alone` (no server; the CLI opens it itself) and `served`
(a real `streamlit run` server holds it, so the CLI hands each command over). The same commands
run against both from each store's own folder (relative paths included); their stdout, stderr
and exit codes must match once the folder's name is put as <F>.
"""

from __future__ import annotations

import getpass
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_support import AS_OF, PASSWORD, USERS, VIEWPORT, e2e_conftest, login, open_page

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "data" / "samples" / "appointments_export.csv"


@dataclass(frozen=True)
class Copy:
    """One copy of the seeded store, in a folder of its own."""

    folder: Path

    @property
    def db(self) -> Path:
        """The store file."""
        return self.folder / "clinic.duckdb"

    def env(self) -> dict[str, str]:
        """The CLI's environment for this copy (its key files beside it)."""
        keep = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
        return {**keep, "CLINIC_DB": str(self.db), "CLINIC_AS_OF": AS_OF.isoformat(),
                "CLINIC_SYSLOG": "off", "PYTHONPATH": str(ROOT)}  # fmt: skip

    def cli(self, *args: str, stdin: str = "") -> tuple[int, str, str]:
        """(exit code, stdout, stderr) of `python -m clinic ARGS` run in this copy's folder,
        with the folder's name put as <F>."""
        done = subprocess.run(
            [sys.executable, "-m", "clinic", *args],
            cwd=self.folder,
            env=self.env(),
            input=stdin,
            capture_output=True,
            text=True,
            timeout=300,
        )
        where = str(self.folder)
        return done.returncode, done.stdout.replace(where, "<F>"), done.stderr.replace(where, "<F>")


@dataclass(frozen=True)
class Stores:
    """The two copies and the address of the server holding `served`."""

    alone: Copy
    served: Copy
    url: str


@pytest.fixture(scope="module")
def stores(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Stores]:
    """One seeded demo store twice; a real server holds the second copy."""
    conftest = e2e_conftest(request)
    alone = Copy(tmp_path_factory.mktemp("alone"))
    served = Copy(tmp_path_factory.mktemp("served"))
    with pytest.MonkeyPatch.context() as mp:
        for name, value in alone.env().items():
            mp.setenv(name, value)
        mp.delenv("CLINIC_KEY_FILE", raising=False)
        conftest._seed(alone.db)
    for path in alone.folder.iterdir():
        shutil.copy2(path, served.folder / path.name)
    server = conftest.Server(served.db, env=served.env())
    try:
        yield Stores(alone, served, server.url)
    finally:
        server.stop()


def _same(
    alone: Copy, served: Copy, *args: str, stdin: str = "", rows: bool = True
) -> tuple[int, str, str]:
    """Run a command on both copies; assert equal output and exit code; the served result.

    `rows=False`: a count of all rows may differ (the served store's audit trail also holds the
    handed-over commands and the browser's logins).
    """
    mine, handed = alone.cli(*args, stdin=stdin), served.cli(*args, stdin=stdin)
    if not rows:
        mine, handed = (
            (code, *(re.sub(r"\([\d,]+ rows\)", "(N rows)", text) for text in texts))
            for code, *texts in (mine, handed)
        )
    assert handed == mine, (args, mine, handed)
    return handed


def test_the_server_leaves_a_private_handoff_file_and_audits_as_the_caller(
    stores: Stores,
) -> None:
    """The handoff file is 0600 beside the store; a handed-over command is audited as the
    calling OS user, and a wrong secret is refused (exit 4) and audited too."""
    served = stores.served
    file = served.db.with_name(served.db.name + ".handoff")
    assert stat.S_IMODE(file.stat().st_mode) == 0o600
    info = json.loads(file.read_text())
    assert set(info) == {"port", "pid", "secret", "store"} and len(info["secret"]) == 64
    code, out, _err = served.cli("audit", "show", "--limit", "1", "--json")
    assert code == 0
    # The newest row is the one before this command's own (written after it ran).
    code, out, _err = served.cli("audit", "show", "--limit", "1", "--json")
    (row,) = json.loads(out)
    assert (row["action"], row["username"], row["object"]) == (
        "cli-handoff",
        getpass.getuser(),
        "audit show",
    ), row
    # A forged file (a wrong secret) is refused by the server, not run.
    saved = file.read_text()
    try:
        file.write_text(json.dumps({**info, "secret": "0" * 64}))
        code, out, err = served.cli("users", "list")
        assert (code, out) == (4, "") and "refused" in err, err
    finally:
        file.write_text(saved)
    code, out, _err = served.cli("audit", "show", "--limit", "1", "--json")
    (refused,) = json.loads(out)
    assert (refused["action"], refused["outcome"]) == ("cli-handoff", "refused"), refused


def test_commands_print_the_same_with_the_dashboard_serving(stores: Stores, browser: Any) -> None:
    """report, users, import (good and rejected), backup, restore into another file, export,
    audit verify: the same stdout, stderr and exit code as on the store nobody serves; the
    import shows on the dashboard at once."""
    alone, served = stores.alone, stores.served
    for args in (
        ("report", "revenue", "--by", "month", "--json"),
        ("report", "compliance", "--json"),
        ("report", "complications", "--by", "clinician"),
        ("users", "list", "--json"),
        ("users", "list"),
    ):
        assert _same(alone, served, *args)[0] == 0

    # A manager has the overview of a range before the demo data open in a browser.
    context = browser.new_context(viewport=VIEWPORT, base_url=stores.url)
    context.set_default_timeout(30_000)
    page = context.new_page()
    try:
        login(page, USERS["manager"], PASSWORD)
        view = "/overview?from=2024-01-01&to=2024-11-30"
        before = _sessions_tile(page, view)

        code, out, err = _same(alone, served, "import", "appointments", str(SAMPLE), "--json")
        assert code == 0 and json.loads(out)["inserted"] > 0, (out, err)

        # The next run of the page reads the new data version: the import shows at once.
        assert _sessions_tile(page, view) > before
    finally:
        context.close()

    for folder in (alone.folder, served.folder):
        (folder / "bad.csv").write_text(
            "Booking ID,Date,Time,Customer ID,Therapist,Treatment,Status,Amount,Clinic\n"
            "B-1,03/04/2025,10:00,C1,Dr A,No Such Service,Completed,120,Ealing\n",
            encoding="utf-8",
        )
    code, out, _err = _same(alone, served, "import", "appointments", "bad.csv", "--json")
    assert code == 3 and json.loads(out)["errors"], out
    assert _same(alone, served, "import", "appointments", "bad.csv")[0] == 3
    assert _same(alone, served, "import", "appointments", "missing.csv")[0] == 2
    assert _same(alone, served, "report", "revenue", "--by", "site", "--json")[0] == 0

    code, out, _err = _same(alone, served, "backup", "nightly")
    assert code == 0 and out.startswith("Backup written to <F>/nightly")
    assert (served.folder / "nightly" / "manifest.json").is_file()
    code, out, _err = _same(
        alone, served, "--db", "restored.duckdb", "restore", "nightly", rows=False
    )
    assert code == 0 and "restored.duckdb" in out
    assert _same(alone, served, "backup", "nightly")[0] == 2  # the folder exists: refused
    code, out, _err = _same(alone, served, "export", "complications", "--to", "2026-06-30")
    assert code == 0 and out.startswith("\ufeff")
    code, _out, _err = _same(
        alone, served, "users", "add", "newbie", "--role", "staff", stdin=PASSWORD + "\n"
    )
    assert code == 0
    assert _same(alone, served, "users", "add", "other", "--role", "staff")[0] == 2  # no stdin

    # The audit trail verifies on both; the served one also holds the handed-over commands.
    mine, handed = alone.cli("audit", "verify", "--json"), served.cli("audit", "verify", "--json")
    assert mine[0] == handed[0] == 0 and json.loads(mine[1])["ok"] and json.loads(handed[1])["ok"]
    assert json.loads(handed[1])["rows"] > json.loads(mine[1])["rows"]


def test_commands_that_make_no_sense_handed_over_are_refused(stores: Stores) -> None:
    """init and restore onto the served store: exit 4 with a sentence; the store unchanged."""
    served = stores.served
    code, out, err = served.cli("init")
    assert (code, out) == (4, "")
    assert err.startswith("clinic: init is not run through the dashboard server that holds "), err
    code, out, err = served.cli("restore", "nightly", "--force")
    assert (code, out) == (4, "") and "Stop the server first" in err, err
    assert served.cli("report", "revenue", "--json")[0] == 0


def _sessions_tile(page: Any, view: str) -> int:
    """The number on the Overview's "Treatment sessions" tile, the page opened afresh."""
    open_page(page, view)
    value = page.get_by_test_id("stMetric").filter(has_text="Treatment sessions")
    number = value.get_by_test_id("stMetricValue")
    number.wait_for()
    return int(number.inner_text().replace(",", ""))
