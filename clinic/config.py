"""Where things live: the store path, the pseudonymisation key, tunable settings."""

from __future__ import annotations

import os
import secrets
import tempfile
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_DB = ROOT / "data" / "clinic.duckdb"
QUERIES = ROOT / "queries"
DATA_FILES = Path(__file__).resolve().parent / "data"


def db_path(explicit: str | os.PathLike | None = None) -> Path:
    """The store path: `--db`, else env CLINIC_DB, else data/clinic.duckdb."""
    return Path(explicit or os.environ.get("CLINIC_DB") or DEFAULT_DB)


def as_of() -> date:
    """The date figures are computed for: env CLINIC_AS_OF (tests, demos) else today."""
    text = os.environ.get("CLINIC_AS_OF")
    return date.fromisoformat(text) if text else date.today()


def key_path(db: Path) -> Path:
    """The pseudonymisation key file: env CLINIC_KEY_FILE, else beside the store."""
    env = os.environ.get("CLINIC_KEY_FILE")
    return Path(env) if env else db.with_name(db.name + ".key")


def _secret(path: Path, make: str) -> str:
    """The secret in a key file, written first (0600, never in the database) if there is none."""
    if path.exists():
        return path.read_text(encoding="ascii").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    # Written whole into a private temporary file (0600 before the key goes in), then linked
    # into place: a thread or process creating it at the same moment reads the winner's key.
    fd, name = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(make + "\n")
        try:
            os.link(name, path)
        except FileExistsError:
            return path.read_text(encoding="ascii").strip()
    finally:
        os.unlink(name)
    return make


def pseudonym_key(db: Path) -> str:
    """Return the keyed-hash secret, creating it on first use (never stored in the database)."""
    env = os.environ.get("CLINIC_PSEUDONYM_KEY")
    if env:
        return env
    # 128 bits: as strong as needed (references keep 64 bits of the hash), and a key this short
    # lets "key:client id" fit one SHA-256 block (ids up to 22 characters): half the hashing.
    return _secret(key_path(db), secrets.token_hex(16))


def audit_key_path(db: Path) -> Path:
    """The audit trail's HMAC key file: env CLINIC_AUDIT_KEY_FILE, else beside the store."""
    env = os.environ.get("CLINIC_AUDIT_KEY_FILE")
    return Path(env) if env else db.with_name(db.name + ".audit-key")


def audit_anchor_path(db: Path) -> Path:
    """The audit anchor (seq and hash of every row): env CLINIC_AUDIT_ANCHOR, else beside it."""
    env = os.environ.get("CLINIC_AUDIT_ANCHOR")
    return Path(env) if env else db.with_name(db.name + ".audit-anchor")


def audit_key(db: Path, *, create: bool = True) -> bytes | None:
    """The audit trail's 256-bit HMAC key (created on first use unless not `create`)."""
    path = audit_key_path(db)
    if not create and not path.exists():
        return None
    return bytes.fromhex(_secret(path, secrets.token_hex(32)))


def max_upload_mb() -> int:
    """Largest export accepted by the importer, in megabytes."""
    return int(os.environ.get("CLINIC_MAX_UPLOAD_MB", "200"))


def max_columns() -> int:
    """Widest header the importer reads (env CLINIC_MAX_COLUMNS); wider files are refused."""
    return int(os.environ.get("CLINIC_MAX_COLUMNS", "500"))


def max_cell_kb() -> int:
    """Longest cell the importer accepts, in kilobytes of UTF-8 (env CLINIC_MAX_CELL_KB)."""
    return int(os.environ.get("CLINIC_MAX_CELL_KB", "32"))


def stop_wait_seconds() -> float:
    """How long a stopping server lets an import in flight finish (env CLINIC_STOP_WAIT_SECONDS)."""
    return float(os.environ.get("CLINIC_STOP_WAIT_SECONDS", "20"))


def max_problems() -> int:
    """Problems listed for a refused file (env CLINIC_MAX_PROBLEMS); the rest are counted."""
    return max(1, int(os.environ.get("CLINIC_MAX_PROBLEMS", "1000")))


def duckdb_memory_mb() -> int:
    """The memory ceiling of the database instance, pages and imports together (env below)."""
    return int(os.environ.get("CLINIC_DUCKDB_MEMORY_MB", "1024"))


def import_memory_mb() -> int:
    """Memory for an import's sorts and hash tables (env CLINIC_IMPORT_MEMORY_MB); more spills."""
    return max(64, int(os.environ.get("CLINIC_IMPORT_MEMORY_MB", "512")))


def max_xlsx_unpacked_mb() -> int:
    """Largest unpacked size of a workbook's entries (env CLINIC_MAX_XLSX_UNPACKED_MB)."""
    return int(os.environ.get("CLINIC_MAX_XLSX_UNPACKED_MB", "200"))


def max_xlsx_cells() -> int:
    """Most cells a workbook's sheet may declare (env CLINIC_MAX_XLSX_CELLS)."""
    return int(os.environ.get("CLINIC_MAX_XLSX_CELLS", "10000000"))


def xlsx_memory_mb() -> int:
    """Address space of the process that reads a workbook (env CLINIC_XLSX_MEMORY_MB)."""
    return int(os.environ.get("CLINIC_XLSX_MEMORY_MB", "1536"))


def xlsx_seconds() -> int:
    """CPU seconds the process that reads a workbook may take (env CLINIC_XLSX_SECONDS)."""
    return int(os.environ.get("CLINIC_XLSX_SECONDS", "120"))
