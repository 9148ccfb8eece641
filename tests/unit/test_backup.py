"""Backup and restore: a round trip keeps every row, the key file and the audit chain."""

from __future__ import annotations

import json
import os
import stat
from pathlib import Path

import pytest

from clinic import audit, auth, backup, cli, config
from clinic.store import Store


@pytest.fixture
def filled(store):
    """A store with a price, two appointments, an account and audit rows."""
    store.rows(
        "insert into prices values ('Single Session', 'treatment', '2025-01-01', 250.00, 30, 1, 1)"
    )
    store.rows(
        "insert into appointments (appointment_id, appointment_date, patient_ref, clinician,"
        " item, kind, status, price_charged_gbp, site, import_id, first_import_id) values"
        " ('A1', '2025-04-03', 'p1', 'Dr Lee', 'Single Session', 'treatment', 'completed',"
        " 240.00, 'London', 1, 1),"
        " ('A2', '2025-05-01', 'p2', 'Dr Lee', 'Single Session', 'treatment', 'no-show',"
        " null, 'London', 1, 1)"
    )
    auth.add_user(store, "ann", "admin", "correct horse battery")
    config.pseudonym_key(store.path)
    return store


def _counts(store: Store) -> dict[str, int]:
    """Row counts of the tables a round trip must keep."""
    tables = ("prices", "appointments", "accounts", "audit_log", "effect_terms", "schema_version")
    return {t: int(store.scalar(f"select count(*) from {t}")) for t in tables}


def test_round_trip_into_a_new_store(filled, tmp_path, monkeypatch):
    """A restored store has the same rows, an intact audit chain and the key file."""
    before = _counts(filled)
    folder = backup.backup(filled, tmp_path / "bk")
    key = tmp_path / "bk" / backup.KEY_FILE
    assert stat.S_IMODE(key.stat().st_mode) == 0o600
    assert key.read_text().strip() == config.pseudonym_key(filled.path)
    manifest = json.loads((folder / backup.MANIFEST).read_text())
    assert manifest["tables"]["appointments"]["rows"] == 2
    assert manifest["tables"]["prices"]["rows"] == 1

    monkeypatch.setenv("CLINIC_KEY_FILE", str(tmp_path / "new" / "new.key"))
    result = backup.restore(tmp_path / "new" / "clinic.duckdb", folder)
    assert result.key_restored and result.tables == len(manifest["tables"])
    new_key = tmp_path / "new" / "new.key"
    assert stat.S_IMODE(new_key.stat().st_mode) == 0o600
    assert new_key.read_text() == key.read_text()
    restored = Store(tmp_path / "new" / "clinic.duckdb")
    try:
        assert _counts(restored) == before
        assert restored.migrate() == []
        assert audit.verify(restored).ok
        assert auth.authenticate(restored, "ann", "correct horse battery")
        total = restored.scalar("select sum(price_charged_gbp) from appointments")
        assert float(total) == 240.00
    finally:
        restored.close()


def test_restore_refuses_a_store_with_data(filled, tmp_path):
    """Restoring over a store that holds data needs force, and keeps the old file."""
    folder = backup.backup(filled, tmp_path / "bk")
    other = Store(tmp_path / "other.duckdb")
    auth.add_user(other, "zed", "staff", "zed's long password")
    other.close()
    with pytest.raises(backup.BackupError, match="already holds data"):
        backup.restore(tmp_path / "other.duckdb", folder)
    backup.restore(tmp_path / "other.duckdb", folder, force=True)
    assert (tmp_path / "other.duckdb.before-restore").exists()
    restored = Store(tmp_path / "other.duckdb")
    try:
        assert list(auth.list_users(restored)["username"]) == ["ann"]
    finally:
        restored.close()


def test_empty_store_is_replaced_without_force(filled, tmp_path):
    """A freshly migrated store without data may be restored into directly."""
    folder = backup.backup(filled, tmp_path / "bk")
    Store(tmp_path / "empty.duckdb").close()
    backup.restore(tmp_path / "empty.duckdb", folder)
    assert not (tmp_path / "empty.duckdb.before-restore").exists()


def test_damaged_backup_is_refused(filled, tmp_path):
    """A changed exported file fails its checksum before anything is written."""
    folder = backup.backup(filled, tmp_path / "bk")
    part = folder / "appointments.parquet"
    part.write_bytes(part.read_bytes()[:-20] + b"x" * 20)
    with pytest.raises(backup.BackupError, match="damaged"):
        backup.restore(tmp_path / "new.duckdb", folder)
    assert not (tmp_path / "new.duckdb").exists()


def test_not_a_backup_and_busy_folder(filled, tmp_path):
    """A folder without a manifest is no backup; backup refuses a non-empty folder."""
    (tmp_path / "junk").mkdir()
    (tmp_path / "junk" / "a.txt").write_text("x")
    with pytest.raises(backup.BackupError, match="not a clinic backup"):
        backup.restore(tmp_path / "new.duckdb", tmp_path / "junk")
    with pytest.raises(backup.BackupError, match="not an empty folder"):
        backup.backup(filled, tmp_path / "junk")


def test_manifest_mismatch_is_refused(filled, tmp_path):
    """A manifest whose counts disagree with the data is refused."""
    folder = backup.backup(filled, tmp_path / "bk")
    path = folder / backup.MANIFEST
    manifest = json.loads(path.read_text())
    manifest["tables"]["appointments"]["rows"] = 3
    path.write_text(json.dumps(manifest))
    with pytest.raises(backup.BackupError, match="appointments"):
        backup.restore(tmp_path / "new.duckdb", folder)
    assert not (tmp_path / "new.duckdb").exists()


def test_cli_backup_and_restore(filled, db_path, tmp_path, monkeypatch, capsys):
    """`backup DIR` then `restore DIR --db NEW` exit 0; restoring over data exits 2."""
    filled.close()
    assert cli.main(["backup", str(tmp_path / "bk"), "--db", str(db_path)]) == 0
    monkeypatch.setenv("CLINIC_KEY_FILE", str(tmp_path / "restored.key"))
    new = tmp_path / "restored.duckdb"
    assert cli.main(["restore", str(tmp_path / "bk"), "--db", str(new)]) == 0
    assert "Restored" in capsys.readouterr().out
    assert cli.main(["restore", str(tmp_path / "bk"), "--db", str(new)]) == 2
    assert "--force" in capsys.readouterr().err
    assert cli.main(["restore", str(tmp_path / "bk"), "--force", "--db", str(new)]) == 0
    assert cli.main(["audit", "verify", "--db", str(new)]) == 0
    assert os.path.exists(tmp_path / "restored.key")


def test_backup_of_the_restored_store_matches(filled, tmp_path, monkeypatch):
    """Checksums are stable: backing up a restored store gives the same table sums."""
    first = backup.backup(filled, tmp_path / "bk1")
    monkeypatch.setenv("CLINIC_KEY_FILE", str(tmp_path / "k2"))
    backup.restore(tmp_path / "two.duckdb", first)
    two = Store(tmp_path / "two.duckdb")
    try:
        second = backup.backup(two, tmp_path / "bk2")
    finally:
        two.close()
    tables = [json.loads((f / backup.MANIFEST).read_text())["tables"] for f in (first, second)]
    assert tables[0] == tables[1]
    assert Path(second / backup.KEY_FILE).read_text() == Path(first / backup.KEY_FILE).read_text()


def test_backup_folder_and_files_are_private(store, tmp_path):
    """A backup folder is 0700 and every file in it 0600: it holds the data and the keys."""
    folder = backup.backup(store, tmp_path / "bk")
    assert folder.stat().st_mode & 0o777 == 0o700
    modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir()}
    assert modes and set(modes.values()) == {0o600}, modes


def test_backup_carries_the_audit_key_and_anchor(filled, tmp_path):
    """A restored trail verifies with the backup's key and anchor, even over a newer store."""
    audit.log(filled, user="ann", role="admin", action="login", outcome="ok")
    folder = backup.backup(filled, tmp_path / "bk")
    assert (folder / backup.AUDIT_KEY_FILE).read_text().strip() == (
        config.audit_key(filled.path).hex()
    )
    assert backup.ANCHOR_FILE in json.loads((folder / backup.MANIFEST).read_text())["files"]
    rows = audit.verify(filled).rows
    audit.log(filled, user="ann", role="admin", action="logout", outcome="ok")  # after the backup
    new = tmp_path / "new" / "clinic.duckdb"
    backup.restore(new, folder)
    restored = Store(new)
    try:
        result = audit.verify(restored)
        assert result.ok and result.rows == rows and result.anchored == rows, result.reason
    finally:
        restored.close()
    # Restored over the store itself (force): its newer anchor is kept aside, not checked.
    path = filled.path
    filled.close()
    backup.restore(path, folder, force=True)
    again = Store(path)
    try:
        assert audit.verify(again).ok
        kept = config.audit_anchor_path(path).with_name(path.name + ".audit-anchor.before-restore")
        assert kept.read_text().count("\n") == rows + 2  # header, the rows, the later logout
    finally:
        again.close()
