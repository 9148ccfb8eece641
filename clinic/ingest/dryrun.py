"""The preview: what importing a file would do (mapping, first rows, problems), writing nothing."""

from __future__ import annotations

import pandas as pd

from clinic.ingest import headers
from clinic.ingest.reader import open_export
from clinic.ingest.results import Preview, Problem
from clinic.ingest.saved_mappings import load_mapping
from clinic.ingest.stage import Broken, renumbered, stage
from clinic.ingest.targets import TARGETS
from clinic.ingest.textfile import Unreadable
from clinic.ingest.write import price_effect

KINDS = headers.KINDS


def _quiet(_fraction: float, _message: str) -> None:
    """A preview reports no progress."""


def run_preview(
    store,
    kind: str,
    data: bytes,
    file_name: str,
    *,
    mapping: dict[str, str | None] | None = None,
    source_system: str | None = None,
    rows: int = 20,
) -> Preview:
    """Validate an export without writing anything; see clinic.ingest.preview."""
    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    try:
        # Read whole (in chunks): a preview has no retry for what the checks beside a parse find.
        text = open_export(data, file_name, whole=True)
    except Unreadable as exc:
        problem = Problem(None, None, None, str(exc))
        return Preview([], {}, [], [], [], pd.DataFrame(), [problem], 0, 1)
    try:
        saved = load_mapping(store, source_system, kind) if source_system else None
        m = headers.detect(kind, text.headers, mapping, saved)
        with store.cursor() as cur:
            try:
                try:
                    staged = stage(cur, kind, text, m, store.path, _quiet)
                except Broken:
                    staged = stage(cur, kind, text, m, store.path, _quiet, renumbered(text))
            except Unreadable as exc:
                problem = Problem(None, None, None, str(exc))
                empty = pd.DataFrame()
                return Preview(
                    text.headers, m.as_dict(), [], [], [], empty, [problem], 0, problem_count=1
                )
            effect = None
            if m.missing(kind):
                sample = pd.DataFrame()
            else:
                cols = ", ".join(("line", *TARGETS[kind].columns))
                sample = cur.execute(
                    f"select {cols} from ingest_clean order by line limit $n", {"n": rows}
                ).df()
                if kind == "prices" and not staged.problems:
                    effect = price_effect(cur)
    finally:
        text.close()
    return Preview(
        headers=text.headers,
        mapping=m.as_dict(),
        missing_required=m.missing(kind),
        ignored=m.ignored,
        dropped=m.dropped,
        sample=sample,
        problems=staged.problems,
        rows_read=staged.rows_read,
        price_effect=effect,
        problem_count=staged.total,
        warnings=staged.warnings,
    )
