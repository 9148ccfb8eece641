"""The drop folder (CLINIC_INBOX) of a real server: good files to done/ with their report, bad
ones to failed/ with every problem, a half-written file not taken early, nothing imported twice
after a restart, and the Upload page showing managers what came through."""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from e2e_support import AS_OF, PASSWORD, USERS, VIEWPORT, e2e_conftest, login, open_page

ROOT = Path(__file__).resolve().parents[2]
SAMPLES = ROOT / "data" / "samples"
SETTLE = 3  # CLINIC_INBOX_SETTLE_SECONDS of the test's server


@dataclass
class Dropped:
    """A served store with a drop folder, and how to start its server again."""

    db: Path
    inbox: Path
    env: dict[str, str]
    start: Callable[[], Any]
    server: Any

    def restart(self) -> None:
        """Stop the server (SIGTERM) and start a new one on the same store and folder."""
        self.server.stop()
        self.server = self.start()


def _wait_for(find: Callable[[], Any], what: str, seconds: float = 180) -> Any:
    """Poll until find() gives something; fail naming what was awaited (generous: a loaded CI
    machine settles, imports and moves files slowly)."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = find()
        if found:
            return found
        time.sleep(0.3)
    raise AssertionError(f"no {what} within {seconds} s")


def _landed(inbox: Path, where: str, name: str) -> Callable[[], list[Path]]:
    """A finder for the files called *-NAME in done/ or failed/."""
    return lambda: sorted((inbox / where).glob(f"*-{name}"))


@pytest.fixture(scope="module")
def dropped(request: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Dropped]:
    """A seeded demo store served with a drop folder."""
    conftest = e2e_conftest(request)
    folder = tmp_path_factory.mktemp("inbox")
    db, inbox = folder / "clinic.duckdb", folder / "inbox"
    keep = {k: v for k, v in os.environ.items() if not k.startswith("CLINIC_")}
    env = {**keep, "CLINIC_DB": str(db), "CLINIC_AS_OF": AS_OF.isoformat(),
           "CLINIC_SYSLOG": "off", "CLINIC_INBOX": str(inbox),
           "CLINIC_INBOX_SETTLE_SECONDS": str(SETTLE)}  # fmt: skip
    with pytest.MonkeyPatch.context() as mp:
        for name, value in env.items():
            mp.setenv(name, value)
        mp.delenv("CLINIC_KEY_FILE", raising=False)
        conftest._seed(db)

    def start() -> Any:
        return conftest.Server(db, env=env)

    made = Dropped(db, inbox, env, start, start())
    try:
        yield made
    finally:
        made.server.stop()


def test_good_and_bad_files_land_in_done_and_failed_with_their_reports(dropped: Dropped) -> None:
    """A good export in its kind's subfolder commits; a file of the top folder is matched by its
    header; a rejected one lands in failed/ with every problem; an unknown header fails too."""
    inbox = dropped.inbox
    assert {p.name for p in inbox.iterdir()} >= {"appointments", "side-effects", "prices",
                                                "done", "failed"}  # fmt: skip
    (inbox / "appointments" / "nightly.csv").write_bytes(
        (SAMPLES / "appointments_export.csv").read_bytes()
    )
    (inbox / "effects.csv").write_bytes((SAMPLES / "side_effects_export.csv").read_bytes())
    bad = "Booking ID,Date,Time,Customer ID,Therapist,Treatment,Status,Amount,Clinic\n" + "".join(
        f"X-{n},31/02/2025,10:00,C{n},Dr A,No Such Service,Completed,120,Ealing\n" for n in range(7)
    )
    (inbox / "appointments" / "bad.csv").write_text(bad, encoding="utf-8")
    (inbox / "mystery.csv").write_text("colour,shape\nred,round\n", encoding="utf-8")

    (good,) = _wait_for(_landed(inbox, "done", "nightly.csv"), "nightly.csv in done/")
    report = json.loads(good.with_name(good.name + ".json").read_text())
    assert report["status"] == "committed" and report["rows_read"] == 375 and not report["errors"]
    assert not (inbox / "appointments" / "nightly.csv").exists()
    (effects,) = _wait_for(_landed(inbox, "done", "effects.csv"), "effects.csv in done/")
    assert json.loads(effects.with_name(effects.name + ".json").read_text())["kind"] == (
        "side-effects"
    )
    (failed,) = _wait_for(_landed(inbox, "failed", "bad.csv"), "bad.csv in failed/")
    report = json.loads(failed.with_name(failed.name + ".json").read_text())
    assert report["status"] == "rejected" and report["inserted"] == 0
    assert {e["line"] for e in report["errors"]} == set(range(2, 9)), report["errors"]
    (mystery,) = _wait_for(_landed(inbox, "failed", "mystery.csv"), "mystery.csv in failed/")
    reason = json.loads(mystery.with_name(mystery.name + ".json").read_text())["errors"][0]
    assert "appointments/, side-effects/ or prices/" in reason["reason"]


def test_a_file_still_being_written_is_not_taken_early(dropped: Dropped) -> None:
    """A file written in pieces, pausing less than the settle time, is taken whole once it
    stops changing; a `.part` file is never taken until it is renamed into place."""
    inbox = dropped.inbox
    # Not the whole sample (already imported: that content would be a duplicate).
    lines = (SAMPLES / "appointments_export.csv").read_bytes().splitlines(keepends=True)[:-5]
    target = inbox / "appointments" / "slow.csv"
    with target.open("wb") as out:
        for start in range(0, len(lines), 60):
            out.write(b"".join(lines[start : start + 60]))
            out.flush()
            time.sleep(SETTLE / 3)
            assert target.exists() and not _landed(inbox, "done", "slow.csv")()
    (done,) = _wait_for(_landed(inbox, "done", "slow.csv"), "slow.csv in done/")
    report = json.loads(done.with_name(done.name + ".json").read_text())
    assert report["status"] == "committed" and report["rows_read"] == len(lines) - 1, (
        report
    )  # every row, not the first pieces

    part = inbox / "prices" / "list.csv.part"
    part.write_bytes((SAMPLES / "price_list.csv").read_bytes())
    time.sleep(SETTLE * 2 + 2)
    assert part.exists() and not _landed(inbox, "done", "list.csv")()
    part.rename(inbox / "prices" / "list.csv")
    _wait_for(_landed(inbox, "done", "list.csv"), "list.csv in done/")


def test_nothing_is_imported_twice_after_a_restart(dropped: Dropped) -> None:
    """Content already imported from the folder, dropped again across a restart, moves to done/
    as a duplicate naming the import; a file left while the server was down is taken at start."""
    inbox = dropped.inbox
    first = _wait_for(_landed(inbox, "done", "nightly.csv"), "nightly.csv in done/")[0]
    import_id = json.loads(first.with_name(first.name + ".json").read_text())["import_id"]
    dropped.server.stop()
    (inbox / "appointments" / "again.csv").write_bytes(
        (SAMPLES / "appointments_export.csv").read_bytes()
    )
    header, rest = (SAMPLES / "price_list.csv").read_bytes().split(b"\n", 1)
    # The same prices with the header in lower case: new content, the same meaning.
    (inbox / "prices" / "while-down.csv").write_bytes(header.lower() + b"\n" + rest)
    dropped.server = dropped.start()
    (again,) = _wait_for(_landed(inbox, "done", "again.csv"), "again.csv in done/")
    report = json.loads(again.with_name(again.name + ".json").read_text())
    assert report["status"] == "duplicate" and report["duplicate_of"] == import_id, report
    (down,) = _wait_for(_landed(inbox, "done", "while-down.csv"), "while-down.csv in done/")
    assert json.loads(down.with_name(down.name + ".json").read_text())["status"] == "committed"


def test_managers_see_the_drop_folder_on_the_upload_page(dropped: Dropped, browser: Any) -> None:
    """The Upload page's history shows a manager the drop folder's files; staff do not see it."""
    _wait_for(_landed(dropped.inbox, "failed", "bad.csv"), "bad.csv in failed/")
    for role, shown in (("manager", True), ("staff", False)):
        context = browser.new_context(viewport=VIEWPORT, base_url=dropped.server.url)
        context.set_default_timeout(30_000)
        page = context.new_page()
        try:
            login(page, USERS[role], PASSWORD)
            open_page(page, "/upload")
            page.get_by_role("tab", name="Import history").click()
            page.get_by_text("Imports", exact=True).or_(
                page.get_by_text("No imports yet.")
            ).first.wait_for()
            heading = page.get_by_role("heading", name="Drop folder")
            assert heading.count() == (1 if shown else 0)
            if shown:
                page.get_by_test_id("stDataFrame").first.wait_for()
                assert page.get_by_text("Nothing has come through").count() == 0
            page.screenshot(path=str(ROOT / "tests" / "e2e" / "artifacts" / f"inbox-{role}.png"))
        finally:
            context.close()
