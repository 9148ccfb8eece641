"""The store: migrations, cursors per query, the lock message for a second process."""

from __future__ import annotations

import subprocess
import sys
import threading

import pytest

from clinic import sql
from clinic.store import Store, StoreBusy


def test_migrations_are_applied_once_and_recorded(db_path):
    """A new file gets every migration; reopening applies nothing more."""
    first = Store(db_path)
    version = first.schema_version()
    assert version >= 1
    first.close()
    again = Store(db_path)
    assert again.migrate() == []
    assert again.schema_version() == version
    again.close()


def test_second_process_gets_a_sentence_and_exit_code_4(db_path):
    """While one process holds the file, the CLI in another says so and exits 4."""
    holder = Store(db_path)
    try:
        proc = subprocess.run(
            [sys.executable, "-m", "clinic", "init", "--db", str(db_path)],
            capture_output=True,
            text=True,
            timeout=60,
        )
    finally:
        holder.close()
    assert proc.returncode == 4
    assert "in use by another program" in proc.stderr
    assert "Traceback" not in proc.stderr


def test_query_refuses_parameters_that_differ_from_the_file(tmp_path, monkeypatch):
    """The loader names missing and unexpected parameters instead of running the query."""
    (tmp_path / "schema").mkdir()
    (tmp_path / "q.sql").write_text("-- a test query\nselect $a + $b as s -- $not_a_param\n")
    monkeypatch.setattr(sql, "QUERIES", tmp_path)
    sql.load.cache_clear()
    try:
        assert sql.params_of("q") == {"a", "b"}
        with pytest.raises(sql.QueryParamsError, match=r"missing parameters \['b'\]"):
            sql.bind("q", {"a": 1})
        with pytest.raises(sql.QueryParamsError, match=r"unexpected \['c'\]"):
            sql.bind("q", {"a": 1, "b": 2, "c": 3})
    finally:
        sql.load.cache_clear()


def test_one_writer_at_a_time(store):
    """A second writer in the same process is told another import is running."""
    inside = threading.Event()
    release = threading.Event()

    def hold() -> None:
        with store.writer():
            inside.set()
            release.wait(10)

    t = threading.Thread(target=hold)
    t.start()
    inside.wait(10)
    try:
        with pytest.raises(StoreBusy, match="Another import is running"), store.writer():
            pass
    finally:
        release.set()
        t.join()
    before = store.data_version()
    with store.writer():
        pass
    assert store.data_version() == before + 1


def _mode(path) -> int:
    """The permission bits of a file."""
    return path.stat().st_mode & 0o777


def test_store_wal_and_pre_migration_copy_are_private(db_path, tmp_path, monkeypatch):
    """The store, its .wal and its .bak are 0600; an older store made 0644 is made 0600."""
    import shutil

    from clinic import config

    first = Store(db_path)
    first.rows("create table probe (x integer)")
    first.rows("insert into probe values (1)")
    wal = db_path.with_name(db_path.name + ".wal")
    assert wal.exists() and _mode(wal) == 0o600
    first.close()
    assert _mode(db_path) == 0o600
    db_path.chmod(0o644)  # as a store made before this change was
    queries = tmp_path / "queries"
    shutil.copytree(config.QUERIES, queries)
    (queries / "schema" / "999_probe.sql").write_text("create table probe2 (x integer);\n")
    monkeypatch.setattr("clinic.store.QUERIES", queries)
    Store(db_path).close()
    assert _mode(db_path) == 0o600
    assert _mode(db_path.with_name(f"{db_path.name}.pre-999.bak")) == 0o600
