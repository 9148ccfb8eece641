"""Fixtures of the unit tests that several modules share."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.unit import notify_support


@pytest.fixture(scope="session")
def notify_template(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Path]]:
    """A closed store of two synthetic years with accounts, and the exports it came from."""
    return notify_support.build_store(tmp_path_factory.mktemp("notify-template"))
