"""The load sweep's sessions speak Streamlit's protocol: every page of each role runs clean."""

from __future__ import annotations

import sys

from e2e_support import ROOT

sys.path.insert(0, str(ROOT))

from bench import sweep  # noqa: E402  (the sweep itself lives in the bench)


def test_two_protocol_sessions_visit_every_page_of_their_role(app) -> None:
    """One manager and one auditor session at once: each page visited, no error, timed."""
    result = sweep.sweep(
        app.server, sweep.load.ui_wait.USERS, sweep.load.ui_wait.PASSWORD, [2], 1, 0
    )
    [(stage, _why)] = result["stages"]
    assert stage.errors == []
    pages = set(sweep.ROLE_PAGES["manager"]) | set(sweep.ROLE_PAGES["auditor"])
    assert set(stage.times) == pages
    assert all(
        len(stage.times[p]) == (2 if p in ("overview", "complications", "audit") else 1)
        for p in pages
    )
    assert set(result["baseline"]) == pages
    assert stage.server_cpu_s > 0 and stage.rss_peak_mb > 0
