"""The drop folder: exports a booking system's schedule or an SFTP upload leaves in CLINIC_INBOX
are imported by the server that holds the store (docs/RELIABILITY.md, "The drop folder").

- The kind comes from the subfolder (`appointments/`, `side-effects/`, `prices/`); a file left
  in the folder itself is matched by its header against each kind's columns, and one that fits
  none, or more than one, fails with a sentence saying to use a subfolder. Files waiting
  together are taken prices first, then appointments, then side effects (what a later kind
  refers to comes first), the folder's own files last, each oldest first.
- A file still being written is not taken. watchfiles reports a file as soon as it appears and
  on every write, so the watcher only notes it; the file is taken once its size and modification
  time have not changed for CLINIC_INBOX_SETTLE_SECONDS (default 5) and it opens. A writer that
  can should write under a hidden or temporary name (`.name`, `name.part`, `name.tmp`) and
  rename it into place when done: such names are never taken, and the rename is picked up at
  once (after the settle time).
- The file then moves to `done/` (committed) or `failed/` (rejected, unreadable, unknown kind)
  as `YYYY-MM-DDTHHMMSSZ-NAME`, with the `import --json` report beside it as `...NAME.json`
  (written before the move, so a report never lacks its file's record).
- Nothing is imported twice, across restarts too: the SHA-256 of every file is recorded
  (migration 151) and content that already committed from the drop folder moves to `done/` as
  a duplicate naming that import.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from clinic import sql
from clinic.ingest.vendor_import import import_export
from clinic.store import Store, StoreBusy, StoreError

log = logging.getLogger(__name__)

USER = "inbox"
# In the order files are taken when several wait: what a later kind refers to comes first.
KINDS = ("prices", "appointments", "side-effects")
DONE, FAILED = "done", "failed"
# Names a writer uses while it writes (never taken; rename into place when done).
IN_PROGRESS = (".part", ".partial", ".tmp", ".crdownload", ".filepart", ".swp")


def folder() -> Path | None:
    """The drop folder: env CLINIC_INBOX, or None (no drop folder)."""
    text = os.environ.get("CLINIC_INBOX")
    return Path(text) if text else None


def settle_seconds() -> float:
    """How long a file must stay unchanged before it is taken (CLINIC_INBOX_SETTLE_SECONDS)."""
    return float(os.environ.get("CLINIC_INBOX_SETTLE_SECONDS", "5"))


def in_progress(name: str) -> bool:
    """Whether a file name is one a writer uses while it writes (hidden or temporary)."""
    return name.startswith((".", "~")) or name.lower().endswith(IN_PROGRESS)


def kind_of_header(path: Path) -> str | None:
    """The one kind whose required columns the file's header has, else None."""
    from clinic.ingest.headers import detect
    from clinic.ingest.reader import open_export
    from clinic.ingest.textfile import Unreadable

    try:
        text = open_export(path, path.name)
    except Unreadable:
        return None
    try:
        fits = [k for k in KINDS if not detect(k, text.headers).missing(k)]
    finally:
        text.close()
    return fits[0] if len(fits) == 1 else None


def _sha256(path: Path) -> str:
    """The file's SHA-256, read in pieces."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        while piece := fh.read(1 << 20):
            digest.update(piece)
    return digest.hexdigest()


class Inbox:
    """Watch one drop folder and import what settles in it, one file at a time."""

    def __init__(self, root: Path, get_store: Callable[[], Store]) -> None:
        """Prepare the folder (its kind subfolders, done/ and failed/); start() watches it."""
        self.root = root.resolve()
        self.get_store = get_store
        self.settle = settle_seconds()
        for name in (*KINDS, DONE, FAILED):
            (self.root / name).mkdir(parents=True, exist_ok=True)
        self._seen: dict[Path, tuple[int, int, float]] = {}  # path -> size, mtime, since
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Watch the folder in a thread of its own."""
        self._thread = threading.Thread(target=self._watch, name="clinic-inbox", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Stop watching. An import in flight is the store's to wait for or roll back (Store.
        shutdown); its file stays in the folder and is taken again at the next start."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=2)

    def _watch(self) -> None:
        """Scan at start (files left while the server was down), then at every change and
        every second (a settling file has no further event to wake the watcher)."""
        from watchfiles import watch

        def outside_done(_change: object, path: str) -> bool:
            parts = Path(path).relative_to(self.root).parts
            return bool(parts) and parts[0] not in (DONE, FAILED)

        self.scan()
        for _changes in watch(
            self.root,
            watch_filter=outside_done,
            stop_event=self._stop,
            rust_timeout=1000,
            yield_on_timeout=True,
            debounce=200,
        ):
            try:
                self.scan()
            except Exception:  # one bad moment (a disk error) must not end the watcher
                log.exception("the drop folder %s could not be scanned", self.root)

    def candidates(self) -> list[tuple[Path, str | None]]:
        """(file, kind from its subfolder or None) for every file waiting in the folder: the
        subfolders' in the order of KINDS, then the folder's own, each oldest first."""
        found = []
        for where, kind in [*((self.root / k, k) for k in KINDS), (self.root, None)]:
            try:
                entries = list(os.scandir(where))
            except OSError:
                continue
            entries.sort(key=lambda e: (e.stat(follow_symlinks=False).st_mtime_ns, e.name))
            for entry in entries:
                if entry.is_file(follow_symlinks=False) and not in_progress(entry.name):
                    found.append((Path(entry.path), kind))
        return found

    def scan(self) -> None:
        """Take every file that has settled; note the ones still changing."""
        now = time.monotonic()
        present = set()
        for path, kind in self.candidates():
            present.add(path)
            try:
                info = path.stat()
            except OSError:
                continue
            size_time = (info.st_size, info.st_mtime_ns)
            seen = self._seen.get(path)
            if seen is None or seen[:2] != size_time:
                self._seen[path] = (*size_time, now)
                continue
            if now - seen[2] < self.settle or self._stop.is_set():
                continue
            try:
                with path.open("rb"):
                    pass
            except OSError:
                continue
            try:
                self.take(path, kind)
            except StoreBusy:
                continue  # another import is running: next time
            except StoreError as exc:
                log.warning("the drop folder could not import %s: %s", path.name, exc)
                continue
            self._seen.pop(path, None)
        for gone in set(self._seen) - present:
            del self._seen[gone]

    def take(self, path: Path, kind: str | None) -> dict:
        """Import one settled file and move it to done/ or failed/ with its report; the report."""
        store = self.get_store()
        sha = _sha256(path)
        text, params = sql.bind("inbox_taken", {"file_sha256": sha, "user_name": USER})
        taken = store.rows(text, params)
        if taken:
            report = {
                "duplicate_of": taken[0][0],
                "file_sha256": sha,
                "reason": f"This content was already imported (import {taken[0][0]}); "
                "nothing was imported again.",
            }
            return self._finish(store, path, DONE, report, kind, "duplicate", taken[0][0], 0)
        kind = kind or kind_of_header(path)
        if kind is None:
            report = {
                "file_sha256": sha,
                "errors": [
                    {
                        "line": 1,
                        "column": None,
                        "value": None,
                        "reason": "The header fits no kind (or more than one): put the file in "
                        "appointments/, side-effects/ or prices/.",
                    }
                ],
            }
            return self._finish(store, path, FAILED, report, None, "unknown kind", None, 1)
        # Through the booking system's profile, as `clinic import` reads a file (the same report).
        done = import_export(store, kind, path, file_name=path.name, user=USER)
        result, report = done.result, done.to_json()
        where = DONE if result.status == "committed" else FAILED
        return self._finish(
            store,
            path,
            where,
            report,
            kind,
            result.status,
            result.import_id,
            max(result.problem_count, len(result.errors)),
        )

    def _finish(
        self,
        store: Store,
        path: Path,
        where: str,
        report: dict,
        kind: str | None,
        status: str,
        import_id: int | None,
        problems: int,
    ) -> dict:
        """Write the report beside the file's new place, move the file there, record it."""
        stamp = datetime.now(UTC).strftime("%Y-%m-%dT%H%M%SZ")
        target = self.root / where / f"{stamp}-{path.name}"
        n = 1
        while target.exists():
            target = self.root / where / f"{stamp}-{n}-{path.name}"
            n += 1
        report = {**report, "file_name": path.name, "kind": kind, "status": status}
        target.with_name(target.name + ".json").write_text(
            json.dumps(report, default=str, ensure_ascii=False, indent=1) + "\n", encoding="utf-8"
        )
        os.replace(path, target)
        text, params = sql.bind(
            "inbox_record",
            {
                "file_sha256": report.get("file_sha256") or _sha256(target),
                "file_name": path.name,
                "kind": kind,
                "status": status,
                "import_id": import_id,
                "problems": problems,
                "moved_to": str(target),
                "at": datetime.now(UTC).replace(tzinfo=None),
            },
        )
        with store.writer(wait=True, data=False) as cur:
            cur.execute(text, params)
        log.info("drop folder: %s %s -> %s", path.name, status, target)
        return report
