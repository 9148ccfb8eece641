"""The funding filter in the sidebar of every page with figures, on the two-funding store."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic.store import Store
from tests.unit.test_funding import fill

FIGURE_PAGES = ["overview", "revenue", "follow-ups", "complications"]


@pytest.fixture
def funded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CLINIC_DB pointing at the two-funding store, figures as of 30/06/2024."""
    path = tmp_path / "funded.duckdb"
    fill(Store(path)).close()
    monkeypatch.setenv("CLINIC_DB", str(path))
    monkeypatch.setenv("CLINIC_AS_OF", "2024-06-30")
    return path


@pytest.mark.parametrize("page", FIGURE_PAGES)
def test_every_figure_page_has_the_funding_filter(funded: Path, open_app, page: str) -> None:
    """The sidebar offers All and the store's fundings in words; the link's choice is taken,
    the caption names it and it stays in the URL."""
    at = open_app("manager", f"pages/{page}.py", {"preset": "all", "funding": "nhs"})
    assert not at.exception and not at.warning
    box = at.selectbox(key="f_funding")
    assert box.options == ["All", "NHS", "Self-pay"] and box.value == "nhs"
    assert any("funding NHS" in c.value for c in at.caption)
    assert at.query_params["funding"] in ("nhs", ["nhs"])


def test_overview_tiles_follow_the_funding(funded: Path, open_app) -> None:
    """nhs: 2 sessions and £250; self-pay: 2 sessions and £340; everyone: 4 and £590."""
    at = open_app("manager", "pages/overview.py", {"preset": "all", "funding": "nhs"})
    assert [m.value for m in at.metric][:2] == ["2", "£250"]
    at.selectbox(key="f_funding").set_value("self-pay").run()
    assert [m.value for m in at.metric][:2] == ["2", "£340"]
    at.selectbox(key="f_funding").set_value("All").run()
    assert [m.value for m in at.metric][:2] == ["4", "£590"]
    assert "funding" not in at.query_params


def test_an_unknown_funding_in_a_link_is_refused(funded: Path, open_app) -> None:
    """?funding= naming no funding of the store is refused with the one sentence."""
    at = open_app("manager", None, {"funding": "crowdfunded"})  # lands on Overview
    assert at.selectbox(key="f_funding").value == "All"
    sentence = "The link named a funding this store does not have: showing every funding."
    assert sentence in [w.value for w in at.sidebar.warning]
