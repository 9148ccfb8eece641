"""Back up a store to a folder (parquet + manifest + key files) and restore it into a new file.

A backup folder holds DuckDB's EXPORT DATABASE output (schema.sql, load.sql, one parquet file
per table), `pseudonym.key` (the keyed-hash secret, mode 0600: without it new imports of the
same patients would get different references), `audit.key` and `audit-anchor` (the audit
trail's HMAC key and anchor file: without them a restored trail cannot be verified) and
`manifest.json` with the row count and a content checksum of every table plus the SHA-256 of
every exported file (the anchor included; the keys are not listed).

EXPORT/IMPORT DATABASE take a folder name as SQL text, not a bound parameter (DuckDB's grammar
does not allow one there), so the path is quoted as an SQL string literal by `_literal`.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from clinic import audit, config
from clinic.store import Store, StoreError, keep_private
from clinic.words import count

MANIFEST = "manifest.json"
KEY_FILE = "pseudonym.key"
AUDIT_KEY_FILE = "audit.key"
ANCHOR_FILE = "audit-anchor"
FORMAT = "clinic-backup"
# Tables a freshly migrated store already fills: they do not make a store "non-empty".
_SEEDED = frozenset({"schema_version", "data_version", "effect_terms"})


class BackupError(StoreError):
    """A backup or restore that cannot be done; the message is a sentence for the user."""


@dataclass(frozen=True)
class RestoreResult:
    """What a restore did."""

    db_path: Path
    tables: int
    rows: int
    key_restored: bool
    message: str


def _literal(path: Path) -> str:
    """A path as an SQL string literal (single quotes doubled)."""
    # EXPORT/IMPORT DATABASE take no bound parameters in DuckDB: the folder is a path we chose
    # (a new folder under the one the user named), quoted here as the one exception.
    return "'" + str(path).replace("'", "''") + "'"


def _tables(cur: duckdb.DuckDBPyConnection) -> list[str]:
    """The base tables of the main schema, by name."""
    found = cur.execute(
        "select table_name from information_schema.tables"
        " where table_schema = 'main' and table_type = 'BASE TABLE' order by table_name"
    ).fetchall()
    return [name for (name,) in found]


def _table_sums(cur: duckdb.DuckDBPyConnection) -> dict[str, dict[str, object]]:
    """Row count and an order-independent content checksum of every table."""
    sums = {}
    for name in _tables(cur):
        quoted = '"' + name.replace('"', '""') + '"'
        rows, checksum = cur.execute(
            f"select count(*), coalesce(sum(hash(t)::hugeint), 0)::varchar from {quoted} t"
        ).fetchone()
        sums[name] = {"rows": int(rows), "checksum": str(checksum)}
    return sums


def _file_sha256(path: Path) -> str:
    """The SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _write_private(path: Path, text: str) -> None:
    """Write a file readable by its owner only (created 0600 before the secret goes in)."""
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w", encoding="ascii") as fh:
        fh.write(text)


def backup(store: Store, folder: str | os.PathLike) -> Path:
    """Export the whole store, its key file and a manifest into a new (or empty) folder."""
    keep_private()  # the folder 0700 and its files 0600: they hold the data and the keys
    target = Path(folder).resolve()
    if target.exists() and (not target.is_dir() or any(target.iterdir())):
        raise BackupError(f"{target} already exists and is not an empty folder; choose another.")
    target.mkdir(parents=True, exist_ok=True)
    target.chmod(0o700)
    # No audit row is written meanwhile, so the exported trail and the anchor copy agree.
    with audit.paused(), store.cursor() as cur:
        # One transaction: the counts and the exported files describe the same snapshot.
        cur.begin()
        try:
            sums = _table_sums(cur)
            schema = int(
                cur.execute("select coalesce(max(version), 0) from schema_version").fetchone()[0]
            )
            cur.execute(f"export database {_literal(target)} (format parquet)")
            cur.commit()
        except duckdb.Error as exc:
            cur.rollback()
            raise BackupError(f"The backup failed: {str(exc).splitlines()[0]}") from None
        anchor = config.audit_anchor_path(store.path)
        if anchor.is_file():
            _write_private(target / ANCHOR_FILE, anchor.read_text(encoding="ascii"))
    _write_private(target / KEY_FILE, config.pseudonym_key(store.path) + "\n")
    audit_key = config.audit_key(store.path, create=False)
    if audit_key is not None:
        _write_private(target / AUDIT_KEY_FILE, audit_key.hex() + "\n")
    files = {
        p.name: _file_sha256(p)
        for p in sorted(target.iterdir())
        if p.is_file() and p.name not in (MANIFEST, KEY_FILE, AUDIT_KEY_FILE)
    }
    manifest = {
        "format": FORMAT,
        "version": 1,
        "created_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "source": store.path.name,
        "schema_version": schema,
        "tables": sums,
        "files": files,
    }
    (target / MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    return target


def _read_manifest(folder: Path) -> dict:
    """The manifest of a backup folder, checked for shape and file integrity."""
    path = folder / MANIFEST
    if not path.is_file():
        raise BackupError(f"{folder} is not a clinic backup (no {MANIFEST}).")
    try:
        manifest = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise BackupError(f"{path} cannot be read as a backup manifest.") from None
    if not isinstance(manifest, dict) or manifest.get("format") != FORMAT:
        raise BackupError(f"{path} is not a clinic backup manifest.")
    for name, digest in manifest.get("files", {}).items():
        file = folder / name
        if not file.is_file():
            raise BackupError(f"The backup is incomplete: {name} is missing.")
        if _file_sha256(file) != digest:
            raise BackupError(f"The backup is damaged: {name} does not match its checksum.")
    return manifest


def _has_data(db: Path) -> bool:
    """Whether a store file holds any rows beyond what a fresh migration puts there."""
    if not db.exists() or db.stat().st_size == 0:
        return False
    try:
        con = duckdb.connect(str(db), read_only=True)
    except duckdb.Error as exc:
        if "lock" in str(exc).lower():
            raise BackupError(
                f"The store {db} is in use by another program; stop it before restoring."
            ) from None
        return True  # unreadable: treat as precious rather than overwrite it
    try:
        for name in _tables(con):
            if name in _SEEDED:
                continue
            if con.table(name).limit(1).fetchall():
                return True
        return False
    finally:
        con.close()


def _restore_audit(db: Path, source: Path) -> str:
    """Put the backup's audit key and anchor beside the restored store; a warning, if any."""
    note = ""
    key_source = source / AUDIT_KEY_FILE
    key_target = config.audit_key_path(db)
    if key_source.is_file():
        key = key_source.read_text(encoding="ascii")
        if not key_target.exists():
            _write_private(key_target, key)
        elif key_target.read_text(encoding="ascii").strip() != key.strip():
            note = (
                f" Warning: {key_target} holds a different audit key than the backup; the "
                f"restored trail verifies only with {key_source}."
            )
    anchor_source = source / ANCHOR_FILE
    anchor_target = config.audit_anchor_path(db)
    if anchor_source.is_file():
        if anchor_target.exists():  # the anchor of the store replaced (or of another store)
            kept = anchor_target.with_name(anchor_target.name + ".before-restore")
            os.replace(anchor_target, kept)
        _write_private(anchor_target, anchor_source.read_text(encoding="ascii"))
    return note


def restore(
    db_path: str | os.PathLike, folder: str | os.PathLike, *, force: bool = False
) -> RestoreResult:
    """Import a backup into a new store file at db_path, verified against its manifest.

    No Store may hold db_path meanwhile (close it first). A store with data is replaced only
    with force=True, and then the old file is kept beside it as `<name>.before-restore`.
    """
    keep_private()
    source = Path(folder).resolve()
    db = Path(db_path).resolve()
    manifest = _read_manifest(source)
    precious = _has_data(db)
    if precious and not force:
        raise BackupError(
            f"{db} already holds data; restore into a new file with --db, or use --force to "
            "replace it (the old file is kept as a .before-restore copy)."
        )
    db.parent.mkdir(parents=True, exist_ok=True)
    staging = db.with_name(db.name + ".restoring")
    for leftover in (staging, staging.with_name(staging.name + ".wal")):
        leftover.unlink(missing_ok=True)
    con = duckdb.connect(str(staging))
    try:
        con.execute(f"import database {_literal(source)}")
        sums = _table_sums(con)
    except duckdb.Error as exc:
        con.close()
        staging.unlink(missing_ok=True)
        raise BackupError(f"The backup could not be imported: {str(exc).splitlines()[0]}") from None
    con.close()
    if sums != manifest["tables"]:
        staging.unlink(missing_ok=True)
        bad = sorted(
            name
            for name in set(sums) | set(manifest["tables"])
            if sums.get(name) != manifest["tables"].get(name)
        )
        raise BackupError(f"The restored tables do not match the manifest: {', '.join(bad)}.")
    if precious:
        shutil.move(db, db.with_name(db.name + ".before-restore"))
    else:
        db.unlink(missing_ok=True)
    db.with_name(db.name + ".wal").unlink(missing_ok=True)
    os.replace(staging, db)
    key_restored = False
    key_target = config.key_path(db)
    key_source = source / KEY_FILE
    note = ""
    if key_source.is_file():
        if not key_target.exists():
            key_target.parent.mkdir(parents=True, exist_ok=True)
            _write_private(key_target, key_source.read_text(encoding="ascii"))
            key_restored = True
        elif (
            key_target.read_text(encoding="ascii").strip()
            != key_source.read_text(encoding="ascii").strip()
        ):
            note = (
                f" Warning: {key_target} holds a different pseudonymisation key than the "
                "backup; new imports will not match the restored patient references until "
                f"you replace it with {key_source}."
            )
    note += _restore_audit(db, source)
    rows = sum(int(t["rows"]) for t in sums.values())
    message = f"Restored {count(len(sums), 'table')} ({count(rows, 'row')}) into {db}." + (
        f" Key file written to {key_target}." if key_restored else ""
    )
    return RestoreResult(db, len(sums), rows, key_restored, message + note)
