"""Hostile files imported in a child process under a memory cap: the peak RSS stays bounded."""

from __future__ import annotations

import pytest

from bench import hostile
from clinic.ingest import import_file, stage
from clinic.store import Store

# Above the child's RSS once the store is open (about 170 MB): an import of any of these small
# files may add this much. Before the bounds, 10,000 repeated ids took 3.2 GB and a 2 KB
# workbook with one far cell aborted the process.
GROWTH_MB = 300
CAP_MB = 2000


@pytest.mark.parametrize(
    ("name", "data", "suffix", "words"),
    [
        ("repeated ids", hostile.repeated_ids(600_000), "csv", "and 9,"),
        ("every value bad", hostile.every_value_bad(2_000_000), "csv", "problems in all"),
        ("broken rows", hostile.broken_rows(2_000_000), "csv", "problems in all"),
        ("blank lines", hostile.blank_lines(2_000_000), "csv", None),
        ("repeated ids, XLSX", hostile.xlsx_repeated_ids(0, rows=30_000), "xlsx", "and 29,"),
        ("zip bomb", hostile.xlsx_bomb(2_000_000), "xlsx", "unpacks to"),
        ("far cell", hostile.xlsx_far_cell(0), "xlsx", "16,384 columns"),
        ("far cell, undeclared", hostile.xlsx_far_cell_undeclared(0), "xlsx", "memory"),
    ],
    ids=lambda v: v if isinstance(v, str) and len(v) < 40 else "",
)
def test_hostile_file_imports_in_bounded_memory(name: str, data: bytes, suffix: str, words):
    """Preview and import of a hostile file (as the upload page runs them) stay under a bound."""
    found = hostile.measure(name, data, suffix, CAP_MB)
    assert "base_mb" in found, found  # killed past the cap, or crashed
    assert found["peak_mb"] - found["base_mb"] < GROWTH_MB, found
    if words is None:
        assert found["status"] == "committed", found
    else:
        assert found["status"] in ("rejected", "unreadable"), found
        assert words in found["first"] + found["last"], found


def test_the_import_memory_limit_binds_only_the_import(tmp_path, monkeypatch):
    """The import's cursor has operator_memory_limit; a page's cursor meanwhile has none."""
    monkeypatch.setenv("CLINIC_IMPORT_MEMORY_MB", "100")
    store = Store(tmp_path / "m.duckdb")
    seen = []

    def progress(_fraction: float, _message: str) -> None:
        with store.cursor() as page:  # what a page's query runs on during the import
            seen.append(page.execute("select current_setting('operator_memory_limit')").fetchone())

    try:
        result = import_file(store, "prices", hostile.PRICES, progress=progress)
        assert result.status == "committed" and seen and set(seen) == {(None,)}
        with store.writer() as cur:  # the import's own cursor, as stage.prepare leaves it
            stage.prepare(cur)
            limit = cur.execute("select current_setting('operator_memory_limit')").fetchone()[0]
        assert limit == "95.3 MiB"  # 100 MB
    finally:
        store.close()
