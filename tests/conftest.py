"""Shared fixtures: every test gets its own real DuckDB file and pseudonymisation key."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from clinic.store import Store


@pytest.fixture(autouse=True)
def _isolated_config(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep keys and stores of tests away from the developer's data/ folder."""
    monkeypatch.setenv("CLINIC_KEY_FILE", str(tmp_path / "pseudonym.key"))
    monkeypatch.setenv("CLINIC_DB", str(tmp_path / "env.duckdb"))


@pytest.fixture
def db_path(tmp_path: Path) -> Path:
    """A path for a fresh store file."""
    return tmp_path / "clinic.duckdb"


@pytest.fixture
def store(db_path: Path) -> Iterator[Store]:
    """A migrated, empty store on a real DuckDB file."""
    s = Store(db_path)
    yield s
    s.close()
