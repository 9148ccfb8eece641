"""What an AppTest page puts on screen, checked as a reader reads it (dates, money, words, charts).

Used by the page tests on every page for every role: a table column of days, months or times
has a UK format, money has a pound sign and thousands separators, a count is never drawn as a
date (the 01/01/1970 "Updated" column), no text shows an ISO date or an internal code, and every
chart keeps what chartspec checks.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import pandas as pd
from chartspec import CODE, ISO_DAY, ISO_MONTH, reader_problems

from clinic import charts, formats

CODES = frozenset(formats.MEASURE_LABELS)
UK_FORMATS = {
    "date": {formats.TABLE_DAY, formats.TABLE_MONTH},
    "datetime": {formats.TABLE_TIME},
}
TEXT_ELEMENTS = (
    "title",
    "header",
    "subheader",
    "markdown",
    "caption",
    "info",
    "success",
    "warning",
    "error",
    "exception",
    "text",
)


def _is_dated(values: pd.Series) -> bool:
    """Whether a column holds days, months or times (AppTest hands days back as ISO text)."""
    if pd.api.types.is_datetime64_any_dtype(values):
        return True
    sample = values.dropna().head(20)
    return len(sample) > 0 and all(
        isinstance(v, date | datetime) or (isinstance(v, str) and ISO_DAY.fullmatch(v))
        for v in sample
    )


def table_problems(frame: Any) -> list[str]:
    """One st.dataframe: each column's format fits what it holds, and no cell is a code."""
    problems: list[str] = []
    config = json.loads(frame.proto.columns or "{}")
    value = frame.value
    for col in value.columns:
        name = str(col)
        kind = (config.get(name, {}).get("type_config") or {}).get("type")
        fmt = (config.get(name, {}).get("type_config") or {}).get("format")
        values = value[col]
        if _is_dated(values):
            if fmt not in UK_FORMATS.get(kind, set()):
                problems.append(f"{name}: dates shown as {kind}/{fmt!r}")
        elif kind in UK_FORMATS:
            problems.append(f"{name}: holds {values.dtype} but is drawn as a {kind}")
        if name.endswith("_gbp") and fmt != formats.TABLE_MONEY:
            problems.append(f"{name}: money shown as {fmt!r}")
        if not _is_dated(values) and (
            values.dtype == object or pd.api.types.is_string_dtype(values)
        ):
            texts = [str(v) for v in values.dropna().head(200)]
            coded = name in ("measure", "check")
            codes = sorted({t for t in texts if t in CODES and (coded or "_" in t)})
            iso = sorted({t for t in texts if ISO_DAY.search(t) or ISO_MONTH.fullmatch(t)})
            problems += [f"{name}: code {c!r} on screen" for c in codes]
            problems += [f"{name}: ISO date {t!r} on screen" for t in iso[:3]]
        label = config.get(name, {}).get("label") or name
        if "_" in label:
            problems.append(f"{name}: column heading {label!r} is a code")
    return problems


def text_problems(at: Any) -> list[str]:
    """Sentences, titles, tiles and choices: no ISO dates, no measure codes."""
    texts: list[str] = []
    for kind in TEXT_ELEMENTS:
        texts += [str(e.value) for e in getattr(at, kind, [])]
    for metric in at.metric:
        texts += [metric.label, str(metric.value), metric.proto.help]
    for box in [*at.selectbox, *at.get("button_group")]:
        texts += [str(o) for o in getattr(box, "options", [])]
    problems = [f"ISO date in {t!r}" for t in texts if ISO_DAY.search(t) or ISO_MONTH.search(t)]
    problems += [f"code in {t!r}" for t in texts if CODE.search(t)]
    problems += [
        f"date input {d.label!r} reads {d.proto.format!r}"
        for d in at.date_input
        if d.proto.format != formats.TABLE_DAY
    ]
    return problems


def screen_problems(at: Any) -> list[str]:
    """Everything on the page that a reader would misread."""
    problems = text_problems(at)
    for frame in at.dataframe:
        problems += [f"table {frame.proto.id[-12:]}: {p}" for p in table_problems(frame)]
    for chart in at.get("plotly_chart"):
        spec = json.loads(chart.proto.spec)
        title = ((spec.get("layout") or {}).get("title") or {}).get("text")
        problems += [f"chart {title!r}: {p}" for p in reader_problems(spec, charts.TOOLBAR_PX)]
    return problems
