"""The upload flow: preview, column mapping, problems, the import and its result; undo; a side
effect recorded by phone; and what a change of prices does to past revenue.
"""

from __future__ import annotations

from typing import Any

import pandas as pd
import streamlit as st
from streamlit.runtime.scriptrunner import RerunException, StopException

from clinic import auth, config, formats, ingest
from clinic.ingest import headers as ingest_headers
from clinic.ui import cached, session, widgets
from clinic.ui.say import attempt, plain
from clinic.words import count, were


def max_upload_mb() -> int:
    """The largest upload accepted, in megabytes."""
    return config.max_upload_mb()


def import_kinds(role: str) -> list[str]:
    """The kinds of export a role may import (staff: not the price list)."""
    return [k for k in ingest.KINDS if auth.can(role, auth.WRITE_PAGE[k])]


def mapping_columns(kind: str) -> dict[str, Any]:
    """column_config of the mapping editor: a fixed header, a choice of canonical columns."""
    return {
        "header": st.column_config.TextColumn("Column in the file"),
        "column": st.column_config.SelectboxColumn(
            "Means", options=["", *ingest_headers.columns(kind)], required=False
        ),
    }


def preview(
    kind: str,
    content: bytes,
    file_name: str,
    source: str | None,
    mapping: dict[str, str | None] | None = None,
) -> ingest.Preview | None:
    """ingest.preview of an uploaded file; None (with a sentence shown) when it cannot be read."""
    return attempt(
        lambda: ingest.preview(
            cached.store(), kind, content, file_name, mapping=mapping, source_system=source or None
        ),
        "The file could not be read: save it as CSV (UTF-8) or XLSX and try again.",
    )


def blocked(p: ingest.Preview | None) -> bool:
    """Whether the import must wait: no preview, problems, or required columns missing."""
    return p is None or bool(p.problems or p.missing_required)


def show_preview(p: ingest.Preview | None) -> None:
    """The preview: missing and ignored columns, the first rows, and every problem found."""
    if p is None:  # preview() has already said why
        return
    if p.missing_required:
        st.error(
            "Required columns are missing: "
            + ", ".join(map(plain, p.missing_required))
            + ". Map a column of the file to each of them above."
        )
    if p.ignored:
        st.caption("Ignored columns: " + ", ".join(map(plain, p.ignored)))
    if p.dropped:
        st.caption("Identifying columns dropped, never stored: " + ", ".join(map(plain, p.dropped)))
    st.subheader("First rows")
    if not cached.is_empty(p.sample):
        widgets.table(p.sample, "u_sample", "")
    show_warnings(p.warnings, "u_warnings")
    problems = problems_frame(p.problems)
    rows = p.rows_read
    if problems.empty:
        st.success(f"No problems found in {count(rows, 'row')}." if rows else "No problems found.")
        say_price_effect(p.price_effect)
        return
    total = max(p.problem_count, len(problems))
    listed = "" if total == len(problems) else f" (the first {len(problems) - 1:,} are listed)"
    st.error(
        f"{count(total, 'problem')} must be fixed before this file can be imported{listed}; "
        "nothing has been written."
    )
    problems_table(problems, "u_problems")
    widgets.download(
        "Download the problems (CSV)", problems, "import-problems.csv", key="u_problems_csv"
    )


def show_warnings(warnings: list[ingest.Problem], key: str) -> None:
    """Values an import keeps as written but someone should look at (hidden characters)."""
    if not warnings:
        return
    verb = "holds" if len(warnings) == 1 else "hold"
    st.warning(
        f"{count(len(warnings), 'value')} {verb} invisible or direction-changing characters: "
        "they can show as a different name from the one stored. Check them in the source system.",
        icon=":material/visibility_off:",
    )
    problems_table(problems_frame(warnings), key)


def save_mapping(source: str, kind: str, mapping: dict[str, str | None]) -> None:
    """Save a column mapping for a source system; a failure is shown as a sentence."""
    attempt(
        lambda: ingest.save_mapping(cached.store(), source, kind, mapping),
        "The mapping could not be saved.",
    )


def run_import(
    kind: str, content: bytes, file_name: str, mapping: dict[str, str | None], source: str | None
) -> ingest.ImportResult | None:
    """Import a file with a progress bar; the result, or None with a sentence on failure."""
    user = session.username()
    bar = st.progress(0.0, text="Starting the import")
    held: list[BaseException] = []

    def progress(fraction: float, message: str) -> None:
        # Streamlit stops or reruns a script at its next drawing call when the browser goes away,
        # the server stops or the user clicks: the import must not end half-way for that. It
        # goes on without its bar (a stopping server waits for it) and the request follows.
        if not held:
            try:
                bar.progress(min(max(float(fraction), 0.0), 1.0), text=message)
            except (StopException, RerunException) as exc:
                held.append(exc)

    result = attempt(
        lambda: ingest.import_file(
            cached.store(),
            kind,
            content,
            file_name=file_name,
            user=user,
            mapping=mapping,
            source_system=source or None,
            progress=progress,
            role=session.role(),
        ),
        "The import failed and nothing was written; try again, or tell the administrator.",
    )
    if held:
        raise held[0]
    bar.empty()
    return result


def show_result(result: ingest.ImportResult | None) -> None:
    """The outcome of an import as a sentence and its counts."""
    if result is None:
        return
    if result.status == "committed":
        st.success(
            f"Imported: {result.inserted:,} new, {result.updated:,} updated, "
            f"{result.unchanged:,} unchanged."
        )
        effect = result.price_effect
        if effect is not None:
            for item, _before, after in effect.kind_changes:
                st.info(f"{plain(item)} is now a {after}.")
            (st.warning if effect.appointments else st.info)(revaluation_sentence(effect, True))
        show_warnings(result.warnings, "u_result_warnings")
    else:
        rejected = f"{count(result.rejected, 'row')} {were(result.rejected)} rejected"
        st.error(f"Nothing was imported ({result.status}): {rejected}.")
        errors = problems_frame(result.errors)
        if not errors.empty:
            problems_table(errors, "u_result_errors")
    widgets.table(result_frame(result), "u_result", "")


SEVERITIES = ("mild", "moderate", "severe")


NO_EFFECT = "Choose the effect the patient reported."


def record_side_effect(**fields: Any) -> ingest.ImportResult | None:
    """Record a side effect reported by phone; says whether it was new, already there or updated."""
    user = session.username()
    clean = {k: v for k, v in fields.items() if v not in (None, "")}
    if not clean.get("appointment_id"):
        st.error("Give the appointment ID of the treatment session the side effect follows.")
        return None
    if not clean.get("effect"):
        st.error(NO_EFFECT)
        return None
    clean["reported_by"] = user
    result = attempt(
        lambda: ingest.record_side_effect(cached.store(), clean, user=user, role=session.role()),
        "The side effect could not be recorded; check the appointment ID and try again.",
    )
    if result is None:
        return None
    if result.status != "committed":
        for problem in result.errors:
            st.error(f"{plain(problem.column or 'Report')}: {plain(problem.reason)}")
        return result
    # One report per session, effect and reported date: sending it again finds that one.
    what = f"{clean['effect']} after session {plain(clean['appointment_id'])}"
    if result.inserted:
        st.success(f"Recorded: a new report of {what}.")
    elif result.updated:
        st.success(f"Already recorded, now updated: the report of {what} holds these details.")
    else:
        st.info(f"Already recorded: the report of {what} has these details; nothing changed.")
    return result


def undoable(history: pd.DataFrame | None) -> list[int]:
    """The ids of committed imports in a history table (candidates for undo)."""
    if cached.is_empty(history):
        return []
    return [int(i) for i in history.loc[history["status"] == "committed", "import_id"]]


def undo(import_id: int) -> None:
    """Undo one import; a refusal is shown as its own sentence."""
    user = session.username()
    done = attempt(
        lambda: ingest.undo(cached.store(), int(import_id), user=user, role=session.role()),
        "The import could not be undone.",
        sentences=(ingest.UndoRefused,),
    )
    if done is not None:
        st.success(f"Import {import_id} has been undone.")


def problems_frame(problems: list[ingest.Problem]) -> pd.DataFrame:
    """Import problems (line, column, value, reason) as a table."""
    rows = [p.to_json() for p in problems]
    return pd.DataFrame(rows, columns=["line", "column", "value", "reason"])


def mapping_frame(mapping: dict[str, str | None]) -> pd.DataFrame:
    """The detected header -> canonical column mapping as an editable table."""
    return pd.DataFrame({"header": list(mapping), "column": [v or "" for v in mapping.values()]})


def mapping_from(frame: pd.DataFrame) -> dict[str, str | None]:
    """The mapping a user edited, back as {header: canonical or None (ignore)}."""
    return {
        str(h): (str(c) if isinstance(c, str) and c else None)
        for h, c in zip(frame["header"], frame["column"], strict=True)
    }


def result_frame(result: ingest.ImportResult) -> pd.DataFrame:
    """An import result's counts as a one-row table."""
    fields = ("import_id", "status", "rows_read", "inserted", "updated", "unchanged", "rejected")
    return pd.DataFrame([{f: getattr(result, f) for f in fields}])


# A reason is read whole: the other columns are narrow, so the grid fits the page without
# scrolling sideways; the reason column takes the rest (at least 400 px, ~70 characters a line)
# and its text wraps over as many lines as the longest reason needs (Streamlit wraps cell text
# only in rows taller than 64 px; every row has the same height).
REASON_CHARS_PER_LINE = 70


LINE_PX = 21


WRAPPING_ROW_PX = 65


PROBLEMS_MAX_PX = 720  # taller grids scroll inside


def problems_table(problems: pd.DataFrame, key: str) -> None:
    """Import problems (line, column, value, reason) with every reason readable in full."""
    longest = int(problems["reason"].fillna("").str.len().max()) if len(problems) else 0
    lines = min(max(1, -(-longest // REASON_CHARS_PER_LINE)), 12)
    row = max(WRAPPING_ROW_PX, LINE_PX * lines + 16) if lines > 1 else None
    widgets.table(
        problems,
        key,
        "No problems.",
        row_height=row,
        # Tall rows: show as many as fit the cap, not the ten of Streamlit's default height.
        height=min(36 + len(problems) * row + 2, PROBLEMS_MAX_PX) if row else "auto",
        column_config={
            "line": st.column_config.NumberColumn("Line", width="small"),
            "column": st.column_config.TextColumn("Column", width=140),
            "value": st.column_config.TextColumn("Value", width=160),
            "reason": st.column_config.TextColumn("Reason", width="large"),
        },
    )


def revaluation_sentence(effect: ingest.PriceEffect, done: bool) -> str:
    """What a price change does to past revenue, before (done=False) or after saving it."""
    if not effect.appointments:
        return (
            "No past revenue changed."
            if done
            else "Saving this re-values no past appointment: revenue stays as it is."
        )
    what = f"{count(effect.appointments, 'past appointment')} without a charged price"
    way = "up" if effect.change_gbp > 0 else "down"
    amounts = (
        f"{formats.money(abs(effect.change_gbp))} (from {formats.money(effect.before_gbp)} to "
        + (f"{formats.money(effect.after_gbp)})")
    )
    if done:
        return f"Re-valued {what}: revenue went {way} by {amounts}."
    return f"Saving this re-values {what}: revenue goes {way} by {amounts}."


KIND_COUNTS_AS = {
    "treatment": "treatment sessions",
    "follow-up": "follow-up visits",
    "product": "product sales",
}


def kind_change_sentence(item: str, before: str, after: str) -> str:
    """Why changing an item's kind needs a confirmation."""
    return (
        f"{plain(item)} is a {before} today. Saved as a {after}, its appointments imported from "
        f"now on count as {KIND_COUNTS_AS.get(after, after)} in every figure; those already "
        "stored keep their kind."
    )


def say_price_effect(effect: ingest.PriceEffect | None) -> None:
    """Before saving prices: the kind changes to confirm and the re-valuation of past revenue."""
    if effect is None:
        return
    for item, before, after in effect.kind_changes:
        st.warning(kind_change_sentence(item, before, after), icon=":material/swap_horiz:")
    say = st.warning if effect.appointments else st.info
    say(revaluation_sentence(effect, done=False), icon=":material/payments:")


def kind_change_confirmed(effect: ingest.PriceEffect | None, key: str) -> bool:
    """True when nothing changes kind, else whether the user ticked that they mean it."""
    if effect is None or not effect.kind_changes:
        return True
    changes = "; ".join(f"{plain(i)} from {b} to {a}" for i, b, a in effect.kind_changes)
    return st.checkbox(f"Yes, change the kind of {changes}", key=key)
