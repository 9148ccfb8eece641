"""A plotly figure's JSON spec read the way a reader reads the chart (unit and app tests use it).

Each check returns a list of sentences, one per thing a reader would be misled by; an empty list
means the chart keeps that promise. The spec is what Streamlit sends to the browser
(`json.loads(fig.to_json())`, or an AppTest plotly_chart's `proto.spec`).
"""

from __future__ import annotations

import base64
import json
import re
from typing import Any

import numpy as np
import pandas as pd

from clinic import formats

# snake_case codes such as review_6w or vein_type; a reader never sees those.
CODE = re.compile(r"\b[a-z]+(?:_[a-z0-9]+)+\b")
ISO_DAY = re.compile(r"\b\d{4}-\d{2}-\d{2}\b")
ISO_MONTH = re.compile(r"\b\d{4}-\d{2}\b")


def spec_of(fig_or_json: Any) -> dict:
    """The JSON spec of a plotly Figure, of a JSON string, or a dict as it is."""
    if isinstance(fig_or_json, dict):
        return fig_or_json
    if isinstance(fig_or_json, str):
        return json.loads(fig_or_json)
    return json.loads(fig_or_json.to_json())


def values(data: Any) -> list:
    """A trace's array as a list: plotly's base64 typed arrays decoded, None for gaps."""
    if data is None:
        return []
    if isinstance(data, dict) and "bdata" in data:
        array = np.frombuffer(base64.b64decode(data["bdata"]), dtype=np.dtype(data["dtype"]))
        return [None if isinstance(v, float) and np.isnan(v) else v for v in array.tolist()]
    if isinstance(data, str | int | float):
        return [data]
    return list(data)


def when(value: Any) -> pd.Timestamp | None:
    """An x value of a date axis as a Timestamp (None for a gap)."""
    return None if value is None else pd.Timestamp(value)


def traces(spec: dict) -> list[dict]:
    """The figure's traces."""
    return list(spec.get("data", []))


def _segments(xs: list, ys: list) -> list[list[tuple[Any, float]]]:
    """The runs of a trace between None values, as (x, y) points."""
    runs: list[list[tuple[Any, float]]] = [[]]
    for x, y in zip(xs, ys, strict=True):
        if x is None or y is None:
            runs.append([])
        else:
            runs[-1].append((x, float(y)))
    return [r for r in runs if r]


def is_band(trace: dict) -> bool:
    """Whether a trace is a filled interval band."""
    return trace.get("fill") == "toself"


def band_problems(spec: dict, tolerance: float = 1e-9) -> list[str]:
    """Every line point has a band of its own series around it (same legend group).

    A band is one closed shape per run of months: its outline passes the month twice (upper
    and lower edge), or, for a month alone, a box spans it.
    """
    problems: list[str] = []
    bands = [t for t in traces(spec) if is_band(t)]
    for band in bands:
        group = band.get("legendgroup")
        lines = [
            t
            for t in traces(spec)
            if not is_band(t) and t.get("legendgroup") == group and "lines" in t.get("mode", "")
        ]
        if not lines:
            problems.append(f"the band of {group} has no line")
        parts = _segments([when(x) for x in values(band.get("x"))], values(band.get("y")))
        for line in lines:
            for x, y in zip(values(line.get("x")), values(line.get("y")), strict=True):
                if y is None:
                    continue
                at = when(x)
                cover = [p for p in parts if min(q[0] for q in p) <= at <= max(q[0] for q in p)]
                if len(cover) != 1:
                    problems.append(f"{line.get('name')}: {len(cover)} bands at {at:%b %Y}")
                    continue
                exact = [q[1] for q in cover[0] if q[0] == at] or [q[1] for q in cover[0]]
                low, high = min(exact), max(exact)
                if not low - tolerance <= float(y) <= high + tolerance:
                    problems.append(
                        f"{line.get('name')} at {at:%b %Y}: {float(y):.3f} outside its band "
                        f"{low:.3f} to {high:.3f}"
                    )
    return problems


def gap_problems(spec: dict, gaps: list[pd.Timestamp], only: str | None = None) -> list[str]:
    """No trace has a value in a month without data, and no line or band reaches across one.

    `only` limits the check to the traces of one legend group (one series' own gaps).
    """
    problems: list[str] = []
    for trace in traces(spec):
        if only is not None and trace.get("legendgroup") != only:
            continue
        xs = [when(x) for x in values(trace.get("x"))]
        ys = values(trace.get("y"))
        if not xs or not all(isinstance(x, pd.Timestamp) for x in xs if x is not None):
            continue
        name = trace.get("name") or trace.get("legendgroup") or "a trace"
        for x, y in zip(xs, ys, strict=True):
            if x is not None and y is not None and x in gaps:
                problems.append(f"{name} has a value in {x:%b %Y}, a month without data")
        joined = is_band(trace) or "lines" in trace.get("mode", "lines")
        if not joined or trace.get("type", "scatter") != "scatter":
            continue
        for part in _segments(xs, ys):
            first, last = min(p[0] for p in part), max(p[0] for p in part)
            for gap in gaps:
                if first < gap < last:
                    problems.append(f"{name} reaches across {gap:%b %Y}, a month without data")
    return problems


def error_bar_problems(spec: dict) -> list[str]:
    """Error bars are never negative (an interval always contains its point)."""
    problems: list[str] = []
    for trace in traces(spec):
        for key in ("error_x", "error_y"):
            bar = trace.get(key) or {}
            for side in ("array", "arrayminus"):
                bad = [v for v in values(bar.get(side)) if v is not None and v < -1e-12]
                if bad:
                    problems.append(f"{trace.get('name')}: {key}.{side} has {bad[:3]}")
    return problems


def limit_problems(spec: dict, names: tuple[str, ...], centre: float | None) -> list[str]:
    """Nested limits: each named pair (lower, upper) lies inside the next and around `centre`.

    `names` run from the innermost pair outwards (e.g. "95% limits", "99.8% limits"); a pair is
    the two traces of one legend group, lower first.
    """
    problems: list[str] = []
    pairs = []
    for name in names:
        group = [t for t in traces(spec) if t.get("legendgroup") == name]
        if len(group) != 2:
            problems.append(f"{name}: {len(group)} traces, expected a lower and an upper one")
            return problems
        pairs.append((values(group[0]["y"]), values(group[1]["y"])))
    for i, (low, high) in enumerate(pairs):
        for j, (lo, hi) in enumerate(zip(low, high, strict=True)):
            if lo is None or hi is None:
                continue
            if centre is not None and not lo - 1e-9 <= centre <= hi + 1e-9:
                problems.append(f"{names[i]} at point {j}: {lo:.3f}..{hi:.3f} misses the centre")
            if i and not (pairs[i][0][j] <= pairs[i - 1][0][j] + 1e-9):
                problems.append(f"{names[i]} at point {j}: lower limit inside {names[i - 1]}")
            if i and not (pairs[i][1][j] >= pairs[i - 1][1][j] - 1e-9):
                problems.append(f"{names[i]} at point {j}: upper limit inside {names[i - 1]}")
    return problems


def words_problems(spec: dict) -> list[str]:
    """Titles, legend names, axis titles and annotations are words, not internal codes or ISO."""
    texts: list[str] = []
    layout = spec.get("layout", {})
    title = layout.get("title", {})
    texts += [title.get("text") or "", (title.get("subtitle") or {}).get("text") or ""]
    for key, axis in layout.items():
        if key.startswith(("xaxis", "yaxis")):
            texts.append(((axis or {}).get("title") or {}).get("text") or "")
    texts += [a.get("text") or "" for a in layout.get("annotations", [])]
    for trace in traces(spec):
        if trace.get("showlegend", True) is not False:
            texts.append(trace.get("name") or "")
        if trace.get("orientation") == "h":  # category labels of horizontal bars
            texts += [str(v) for v in values(trace.get("y"))]
    problems = [f"code on screen: {t!r}" for t in texts if CODE.search(t)]
    problems += [f"ISO date on screen: {t!r}" for t in texts if ISO_MONTH.search(t)]
    return problems


def axis_problems(spec: dict) -> list[str]:
    """Date axes read as months, percent axes as percent, money axes in pounds with separators."""
    problems: list[str] = []
    layout = spec.get("layout", {})
    template = ((layout.get("template") or {}).get("layout") or {}).get("xaxis") or {}
    dates = any(
        isinstance(x, str) and ISO_DAY.match(x)
        for t in traces(spec)
        for x in values(t.get("x"))[:3]
        if not isinstance(t.get("x"), dict)
    )
    if dates:
        axis = {**template, **(layout.get("xaxis") or {})}
        if axis.get("tickformat") != formats.AXIS_MONTH:
            problems.append(f"month axis ticks read {axis.get('tickformat')!r}")
        if axis.get("hoverformat") != formats.AXIS_MONTH:
            problems.append(f"month axis hover reads {axis.get('hoverformat')!r}")
    for key, axis in layout.items():
        if not key.startswith(("xaxis", "yaxis")) or not isinstance(axis, dict):
            continue
        if axis.get("tickprefix") == "£" and axis.get("tickformat") != ",.0f":
            problems.append(f"{key}: money ticks read {axis.get('tickformat')!r}")
        fmt = axis.get("tickformat") or ""
        if fmt.endswith("%") and not re.fullmatch(r"\.\d%", fmt):
            problems.append(f"{key}: percent ticks read {fmt!r}")
    return problems


def toolbar_problems(spec: dict, toolbar_px: float) -> list[str]:
    """The title starts below the toolbar's strip and no legend sits above the plot."""
    layout = spec.get("layout", {})
    title = layout.get("title") or {}
    problems: list[str] = []
    if title.get("text"):
        height = layout.get("height") or 450
        top = (1 - float(title.get("y", 1))) * height if title.get("yref") == "container" else 0
        if title.get("yanchor") != "top" or top < toolbar_px - 0.5:
            problems.append(f"the title starts {top:.0f} px from the top, under the toolbar")
    return problems


def legend_colours(spec: dict) -> dict[str, str]:
    """The colour of each series the legend names (marker or line colour)."""
    out: dict[str, str] = {}
    for trace in traces(spec):
        if trace.get("showlegend") is False or not trace.get("name"):
            continue
        colour = (trace.get("marker") or {}).get("color") or (trace.get("line") or {}).get("color")
        if isinstance(colour, str):
            out[trace["name"]] = colour
    return out


def reader_problems(spec: dict, toolbar_px: float) -> list[str]:
    """Every check that needs nothing but the figure itself."""
    return (
        band_problems(spec)
        + error_bar_problems(spec)
        + words_problems(spec)
        + axis_problems(spec)
        + toolbar_problems(spec, toolbar_px)
    )
