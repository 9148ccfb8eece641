"""Charts as drawn by Chromium, on a phone (390 px) and a laptop (1280 px): nothing hides a title.

Plotly's toolbar appears on hover at the top right of a chart; a long title on a phone ran under
it, and a legend above the plot wrapped upwards over the title. The funnel plot's names used to
sit on their points and overlap each other.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from e2e_support import USERS, login, open_page, settle, wait_for_charts

WIDTHS = (390, 1280)
CHART_PAGES = {"follow-ups": 1, "complications": 6, "revenue": 4}


def _overlap(a: dict | None, b: dict | None) -> bool:
    """Whether two bounding boxes share any area."""
    if not a or not b:
        return False
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and a["y"] < b["y"] + b["height"]
        and b["y"] < a["y"] + a["height"]
    )


def _box(chart: Any, selector: str) -> dict | None:
    """The bounding box of the first element matching `selector` inside a chart, if drawn."""
    found = chart.locator(selector)
    return found.first.bounding_box() if found.count() else None


@pytest.fixture(params=WIDTHS, ids=lambda w: f"{w}px")
def narrow(request: pytest.FixtureRequest, browser: Any, app: Any) -> Iterator[Any]:
    """A manager's tab at the width of the parameter."""
    ctx = browser.new_context(viewport={"width": request.param, "height": 900}, base_url=app.url)
    ctx.set_default_timeout(30_000)
    page = ctx.new_page()
    login(page, USERS["manager"])
    settle(page)
    try:
        yield page
    finally:
        ctx.close()


@pytest.mark.parametrize("path", list(CHART_PAGES))
def test_toolbar_and_legend_leave_titles_clear(narrow: Any, path: str) -> None:
    """Hovering shows the toolbar above the title; legends sit under the plot, off the title."""
    open_page(narrow, f"/{path}")
    count = wait_for_charts(narrow, CHART_PAGES[path])
    charts = narrow.locator("[data-testid='stPlotlyChart']")
    for i in range(count):
        chart = charts.nth(i)
        chart.scroll_into_view_if_needed()
        chart.hover()
        toolbar = chart.locator(".modebar").first
        toolbar.wait_for(state="visible")
        title = _box(chart, "text.gtitle")
        subtitle = _box(chart, "text.gtitle-subtitle")
        legend = _box(chart, "g.legend")
        plot = _box(chart, "rect.nsewdrag")
        name = chart.locator("text.gtitle").first.text_content() if title else f"chart {i}"
        assert not _overlap(toolbar.bounding_box(), title), f"{path}: toolbar over {name!r}"
        assert not _overlap(toolbar.bounding_box(), subtitle), f"{path}: toolbar over subtitle"
        assert not _overlap(legend, title), f"{path}: legend over {name!r}"
        assert not _overlap(legend, plot), f"{path}: legend over the plot of {name!r}"


def test_funnel_names_do_not_overlap(narrow: Any) -> None:
    """Each clinician's name on the funnel plot has its own space, clear of the others."""
    open_page(narrow, "/complications")
    wait_for_charts(narrow, CHART_PAGES["complications"])
    funnel = narrow.locator("[data-testid='stPlotlyChart']").filter(
        has=narrow.locator("text.gtitle", has_text="Funnel plot")
    )
    funnel.scroll_into_view_if_needed()
    names = funnel.locator("g.annotation text.annotation-text").filter(has_not_text="clinic")
    boxes = [names.nth(i).bounding_box() for i in range(names.count())]
    assert len(boxes) == 5  # the demo's five clinicians
    clashes = [(i, j) for i in range(len(boxes)) for j in range(i) if _overlap(boxes[i], boxes[j])]
    assert clashes == [], [names.nth(i).text_content() for pair in clashes for i in pair]
    legend = _box(funnel, "g.legend")
    assert not any(_overlap(box, legend) for box in boxes)
    assert funnel.locator("g.legend text.legendtext").all_text_contents() == [
        "95% limits",
        "99.8% limits",
        "within 95% limits",
        "beyond 95% limits",
        "beyond 99.8% limits",
    ]
