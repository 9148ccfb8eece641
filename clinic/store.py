"""The embedded DuckDB store: one database instance per process, a fresh cursor per query."""

from __future__ import annotations

import os
import re
import shutil
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Concatenate, ParamSpec, TypeVar

import duckdb

from clinic import sql
from clinic.config import QUERIES, db_path, duckdb_memory_mb

if TYPE_CHECKING:  # pandas loads with the first DataFrame fetched (.df()): an import needs none
    import pandas as pd

T = TypeVar("T")
P = ParamSpec("P")

_MIGRATION = re.compile(r"^(\d{3})_[\w-]+\.sql$")
# After an internal error or a failed checkpoint (a full disk, say) DuckDB invalidates the whole
# database instance: every later query fails until the file is opened again.
_ENGINE_FAILED = (duckdb.FatalException, duckdb.InternalException)
# How long a stopping server lets an interrupted import take to roll back.
_ROLLBACK_WAIT = 5.0


class StoreError(RuntimeError):
    """A store problem worth a sentence to the user rather than a traceback."""


class StoreLocked(StoreError):
    """Another process holds the database file."""


class StoreBusy(StoreError):
    """Another import or write is running in this process."""


class StoreFailed(StoreError):
    """The database engine gave up on the database; the next action reopens it."""


def _friendly(path: Path, exc: duckdb.Error) -> StoreError:
    text = str(exc)
    if "lock" in text.lower():
        return StoreLocked(
            f"The clinic store {path} is in use by another program (for example a running "
            "dashboard or import). Close it, or point --db / CLINIC_DB at another store, "
            "and try again."
        )
    return StoreError(f"The clinic store {path} could not be opened: {text.splitlines()[0]}")


def keep_private(*paths: Path) -> None:
    """Files this process creates from now on, and `paths`, are readable by their owner only.

    The store holds pseudonymised clinical data: DuckDB creates it and its .wal with the
    process umask (0644 by default), so the umask drops group and other bits (077) for the
    process, and files made before (an older store, its .wal) are set to 0600.
    """
    os.umask(os.umask(0o077) | 0o077)
    for path in paths:
        with suppress(FileNotFoundError):
            path.chmod(0o600)


class Store:
    """One open DuckDB database; hand out cursors, run named queries, serialise writers."""

    def __init__(self, path: str | Path | None = None, *, read_only: bool = False) -> None:
        self.path = db_path(path)
        self.read_only = read_only
        if not read_only:
            keep_private(self.path, self.path.with_name(self.path.name + ".wal"))
            self.path.parent.mkdir(parents=True, exist_ok=True)
        self._con: duckdb.DuckDBPyConnection | None = None
        self._open_lock = threading.Lock()
        self._write_lock = threading.Lock()
        self._writing: duckdb.DuckDBPyConnection | None = None  # the writer's cursor, if any
        self._tasks = 0  # imports running (see task())
        self._idle = threading.Condition()
        self._stopping = self._shut = False
        self._connection()
        if not read_only:
            self.migrate()

    def _connection(self) -> duckdb.DuckDBPyConnection:
        """The open database, opened again if the engine invalidated the previous instance."""
        with self._open_lock:
            if self._shut:
                raise self._closed()
            if self._con is None:
                try:
                    # A ceiling for the whole instance (pages and imports together): past it
                    # DuckDB spills what it can to <store>.tmp; an import's own sorts and hash
                    # tables are capped lower, per cursor (ingest.stage.prepare).
                    limit = {"memory_limit": f"{duckdb_memory_mb()}MB"}
                    self._con = duckdb.connect(
                        str(self.path), read_only=self.read_only, config=limit
                    )
                except duckdb.Error as exc:
                    raise _friendly(self.path, exc) from None
            return self._con

    def _closed(self) -> StoreError:
        """The sentence for work asked of a store that a stopping server has closed."""
        return StoreError(
            f"The clinic store {self.path} is closing because the server is stopping; nothing "
            "of this change was stored. Try again once it has started again."
        )

    def _discard(self, con: duckdb.DuckDBPyConnection) -> StoreFailed:
        """Drop an invalidated database instance and say what happened."""
        # The next unit of work opens the file again; DuckDB replays its log, so every
        # committed change is kept and the failed transaction is gone.
        with self._open_lock:
            if self._con is con:
                self._con = None
                with suppress(duckdb.Error):
                    con.close()
        return StoreFailed(
            f"The database engine stopped on an internal error while using {self.path} (a full "
            "disk can cause this); the next action opens the store again at its last committed "
            "state. Check whether this change is there (the import list shows every committed "
            "import); free some disk space if needed and try again."
        )

    # -- reading -------------------------------------------------------------------------------
    @contextmanager
    def cursor(self) -> Iterator[duckdb.DuckDBPyConnection]:
        """A fresh cursor for one unit of work; closed afterwards (cursors are not shareable)."""
        con = self._connection()
        cur = con.cursor()
        try:
            yield cur
        except _ENGINE_FAILED as exc:
            raise self._discard(con) from exc
        except (duckdb.IOException, duckdb.TransactionException) as exc:
            raise StoreError(
                f"The clinic store {self.path} could not be read or written "
                f"({str(exc).splitlines()[0]}); nothing of this change was stored. Free some "
                "disk space if the disk is full and try again."
            ) from exc
        finally:
            cur.close()

    def query(self, name: str, **params: object) -> pd.DataFrame:
        """Run queries/NAME.sql with exactly its parameters and return the whole result."""
        text, bound = sql.bind(name, params)
        with self.cursor() as cur:
            return cur.execute(text, bound).df()

    def rows(self, text: str, params: dict | list | None = None) -> list[tuple]:
        """Run one literal statement (values bound) and fetch every row."""
        with self.cursor() as cur:
            return cur.execute(text, params or {}).fetchall()

    def scalar(self, text: str, params: dict | list | None = None) -> object:
        """The first column of the first row of a literal statement, or None."""
        found = self.rows(text, params)
        return found[0][0] if found else None

    def data_version(self) -> int:
        """A number that changes whenever clinical data changes (cache key for pages)."""
        return int(self.scalar("select version from data_version") or 0)

    # -- writing -------------------------------------------------------------------------------
    @contextmanager
    def writer(
        self, *, wait: bool = False, data: bool = True
    ) -> Iterator[duckdb.DuckDBPyConnection]:
        """A cursor inside one transaction, held by one writer at a time in this process.

        `data=False` is for writes that change no clinical figure (a saved column mapping, a
        store flag): the data version stays, so page caches and derived facts stay valid.
        """
        if self.read_only:
            raise StoreError("The clinic store is open read-only.")
        if not self._write_lock.acquire(blocking=wait):
            raise StoreBusy("Another import is running; please try again in a moment.")
        try:
            with self.cursor() as cur:
                cur.begin()
                self._writing = cur
                try:
                    yield cur
                    if data:
                        sql.run(cur, "data_version_bump")
                    cur.commit()
                except duckdb.InterruptException:
                    cur.rollback()
                    raise self._closed() from None
                except BaseException:
                    cur.rollback()
                    raise
                finally:
                    self._writing = None
        finally:
            self._write_lock.release()

    # -- schema --------------------------------------------------------------------------------
    def _applied_versions(self) -> set[int]:
        with self.cursor() as cur:
            exists = cur.execute(
                "select count(*) from information_schema.tables where table_name = 'schema_version'"
            ).fetchone()[0]
            if not exists:
                return set()
            return {row[0] for row in cur.execute("select version from schema_version").fetchall()}

    def schema_version(self) -> int:
        """The highest migration applied to this store (0 for a new file)."""
        return max(self._applied_versions(), default=0)

    def migrate(self) -> list[int]:
        """Apply the numbered migrations of queries/schema/ not yet recorded; return them."""
        done = self._applied_versions()
        pending = sorted(
            (int(m.group(1)), p)
            for p in (QUERIES / "schema").iterdir()
            if (m := _MIGRATION.match(p.name)) and int(m.group(1)) not in done
        )
        if pending and done:
            self._backup_file(f"pre-{pending[0][0]:03d}")
        applied = []
        for version, path in pending:
            with self._write_lock, self.cursor() as cur:
                cur.begin()
                try:
                    cur.execute(path.read_text(encoding="utf-8"))
                    sql.run(cur, "schema_version_add", version=version, name=path.stem)
                    cur.commit()
                except BaseException:
                    cur.rollback()
                    raise
            applied.append(version)
        return applied

    def _backup_file(self, label: str) -> Path:
        """Copy the checkpointed database file aside before a schema change."""
        with self.cursor() as cur:
            cur.execute("checkpoint")
        target = self.path.with_name(f"{self.path.name}.{label}.bak")
        shutil.copy2(self.path, target)
        target.chmod(0o600)  # copy2 copies the mode of an older, wider-open store
        return target

    def close(self) -> None:
        """Close the database; cursors handed out earlier stop working."""
        with self._open_lock:
            if self._con is not None:
                self._con.close()

    @contextmanager
    def task(self) -> Iterator[None]:
        """One import, from reading its file to its audit entry: a stopping server waits for it."""
        with self._idle:
            if self._stopping:
                raise self._closed()
            self._tasks += 1
        try:
            yield
        finally:
            with self._idle:
                self._tasks -= 1
                self._idle.notify_all()

    def shutdown(self, wait: float) -> str:
        """Close for good at a clean point, for a server that is stopping; say what happened.

        The answer reads "checkpointed and closed (no import was running)", say.

        No new import starts. One in flight may finish (its audit entry included) within `wait`
        seconds; after that its transaction is interrupted and rolls back. Then the log is
        checkpointed into the file and the database closed, so the next start has nothing to
        replay. Later calls get a StoreError sentence.
        """
        with self._idle:
            self._stopping = True
            running = self._tasks > 0
            finished = self._idle.wait_for(lambda: not self._tasks, timeout=wait)
        if not running:
            outcome = "no import was running"
        elif finished:
            outcome = "the import in flight finished first"
        else:
            outcome = f"the import still running after {wait:g} s was interrupted and rolled back"
            deadline = time.monotonic() + _ROLLBACK_WAIT
            # An interrupt reaches only a running query: repeat it until the import gives up.
            while not self._wait_idle(0.1):
                if (cur := self._writing) is not None:
                    with suppress(duckdb.Error):
                        cur.interrupt()
                if time.monotonic() > deadline:
                    outcome = "an import did not stop; it was left uncommitted"
                    break
        # Other writes (a saved mapping, say) are short: wait for them, but not for ever.
        held = self._write_lock.acquire(timeout=_ROLLBACK_WAIT)
        with self._open_lock:
            self._shut = True
            con, self._con = self._con, None
        done = "checkpointed and closed"
        try:
            if con is not None:
                try:
                    con.execute("checkpoint")
                except duckdb.Error as exc:  # the next start replays the log instead
                    done = f"closed; the checkpoint failed ({str(exc).splitlines()[0]})"
                finally:
                    con.close()
        finally:
            if held:  # a writer waiting for the lock now gets the "closing" sentence
                self._write_lock.release()
        return f"{done} ({outcome})"

    def _wait_idle(self, seconds: float) -> bool:
        """Wait up to `seconds` for the running imports to end; True when none runs."""
        with self._idle:
            return self._idle.wait_for(lambda: not self._tasks, timeout=seconds)


_instances: dict[Path, Store] = {}
_instances_lock = threading.Lock()


def open_store(path: str | Path | None = None) -> Store:
    """The process-wide Store for a path (DuckDB wants one database instance per process)."""
    resolved = db_path(path).resolve()
    with _instances_lock:
        store = _instances.get(resolved)
        if store is None:
            store = _instances[resolved] = Store(resolved)
        return store


def close_all() -> None:
    """Close every store this process opened (tests, shutdown)."""
    with _instances_lock:
        for store in _instances.values():
            store.close()
        _instances.clear()


def shutdown_all(wait: float) -> dict[Path, str]:
    """Shut every store of this process down (see Store.shutdown); what happened to each."""
    with _instances_lock:
        stores = list(_instances.values())
    return {store.path: store.shutdown(wait) for store in stores}


def as_task(fn: Callable[Concatenate[Store, P], T]) -> Callable[Concatenate[Store, P], T]:
    """Run fn(store, ...) as one task of that store (Store.task: a stopping server waits)."""

    @wraps(fn)
    def run(store: Store, *args: P.args, **kwargs: P.kwargs) -> T:
        with store.task():
            return fn(store, *args, **kwargs)

    return run
