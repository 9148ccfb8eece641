"""Several browser sessions click through their pages while staff import an export: no errors."""

from __future__ import annotations

import sys

from e2e_support import ROOT

sys.path.insert(0, str(ROOT))

from bench.load import run_load  # noqa: E402  (the load test itself lives in the bench)

ROWS = 2_000


def test_concurrent_sessions_during_import_see_no_errors() -> None:
    """3 viewers x 1 round during a 2,000-row upload: zero errors, the upload committed."""
    result = run_load(sessions=3, rounds=1, rows=ROWS)
    assert result.errors == []
    assert result.upload_counts == (ROWS, 0, 0)
    # Managers see 6 pages, auditors 4: sessions 0 and 2 are managers, 1 an auditor.
    assert len(result.page_times) == 6 + 4 + 6
    assert result.overlap_visits >= 1
