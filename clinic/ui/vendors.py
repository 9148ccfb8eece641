"""The Upload page's booking-system flow: which system the file looks like, the columns it drops,
the values no mapping knows (a choice per value), and the import with the rows left out counted.
"""

from __future__ import annotations

import pandas as pd
import streamlit as st

from clinic.ingest import profiles, value_maps
from clinic.ingest.vendor_import import VendorImport, VendorPreview, import_export, inspect
from clinic.ui import cached, session, upload, widgets
from clinic.ui.say import attempt, plain
from clinic.words import count

DETECT = "detect"
SKIP_LABEL = "not ours: leave these rows out"
# More values than this on one screen is a file of another business: say so, list the first.
MAX_CHOICES = 40


def systems() -> list[str]:
    """The choices of the booking-system box: detect, then every profile by name."""
    return [DETECT, *sorted(profiles.profiles())]


def system_label(name: str) -> str:
    """A booking system as the box shows it."""
    if name == DETECT:
        return "Detect from the file"
    return profiles.profiles()[name].title


def preview(
    kind: str, content: bytes, file_name: str, source: str | None
) -> tuple[bool, VendorPreview | None]:
    """(handled, preview): handled is False when our own format needs no profile."""
    if kind != "appointments":
        return False, None
    found = attempt(
        lambda: (True, inspect(cached.store(), kind, content, file_name, source or None)),
        "The file could not be read: save it as CSV (UTF-8) or XLSX and try again.",
    )
    if found is None:  # the sentence is shown; the plain flow would only repeat it
        return True, None
    return found[1] is not None, found[1]


# The fields a booking system's columns can fill, as the columns table says them.
_FIELDS = {
    "appointment_id": "appointment id",
    "datetime": "date and start time",
    "slot": "time slot (its start)",
    "client_id": "client id (stored as a keyed hash)",
    "arrived": "attended (flag or time)",
    "no_show": "no-show (flag or time)",
    "cancelled": "cancelled (flag)",
    "cancelled_at": "cancelled at (late cancellation)",
    "late": "late cancellation",
}


def _named(source: str) -> str:
    """A source as people call it: a profile's title, else the name it was saved under."""
    known = profiles.profiles()
    return known[source].title if source in known else source


def columns_frame(p: VendorPreview) -> pd.DataFrame:
    """Each header of the file: the field it fills, or why it is dropped."""
    why = {d["header"]: d["reason"] for d in p.dropped_columns}
    return pd.DataFrame(
        {
            "header": list(p.mapping),
            "used as": [
                _FIELDS.get(field, field.replace("_", " ")) if field else why.get(h, "not used")
                for h, field in p.mapping.items()
            ],
        }
    )


def unmapped_frame(p: VendorPreview) -> pd.DataFrame:
    """The values no mapping knows: column, value, rows, first line."""
    rows = [
        {"column": u["column"], "value": u["value"], "rows": u["rows"], "line": u["first_line"]}
        for u in p.unmapped
    ]
    return pd.DataFrame(rows, columns=["column", "value", "rows", "line"])


def show(p: VendorPreview, key: str) -> dict[tuple[str, str], str]:
    """The preview; returns the choice made for each unmapped value ((column, value) -> term)."""
    st.info(p.detected, icon=":material/travel_explore:")
    for note in p.notes:
        st.caption(note)
    st.subheader("Columns")
    widgets.table(columns_frame(p), f"{key}_columns", "")
    identifying = [d["header"] for d in p.dropped_columns if d["reason"].startswith("identifying")]
    if identifying:
        st.caption(
            "Identifying, dropped (never stored): " + ", ".join(map(plain, identifying)) + "."
        )
    if p.patient_ref_from:
        st.caption(
            "No client id in this file: the patient reference is a keyed hash of "
            + ", ".join(map(plain, p.patient_ref_from))
            + ", computed before those columns are dropped."
        )
    choices: dict[tuple[str, str], str] = {}
    if p.unmapped:
        st.subheader("Values to map")
        st.warning(
            f"{count(len(p.unmapped), 'value')} of this file "
            f"{'is' if len(p.unmapped) == 1 else 'are'} not among our words. Choose what each "
            "means (or leave its rows out); nothing is imported until every value is mapped, "
            f"and the choices are kept for {plain(_named(p.source))}.",
            icon=":material/rule:",
        )
        widgets.table(unmapped_frame(p), f"{key}_unmapped", "")
        if len(p.unmapped) > MAX_CHOICES:
            st.error(
                f"Only the first {MAX_CHOICES} values are offered here: a file with this many "
                "unknown values is probably not this clinic's export."
            )
        store = cached.store()
        for n, u in enumerate(p.unmapped[:MAX_CHOICES]):
            options = [*value_maps.terms(store, u["column"]), value_maps.SKIP]
            chosen = st.selectbox(
                f"{plain(u['column'])} “{plain(u['value'])}” ({count(u['rows'], 'row')}) means",
                options,
                index=None,
                placeholder="Choose",
                format_func=lambda t: SKIP_LABEL if t == value_maps.SKIP else t,
                key=f"{key}_choice_{n}",
            )
            if chosen:
                choices[(u["column"], u["value"])] = chosen
    elif p.preview is not None:
        upload.show_preview(p.preview)
    else:
        for problem in p.problems:
            st.error(plain(problem.reason))
    if p.problems and p.unmapped:
        st.error(f"{count(len(p.problems), 'value')} cannot be read: {plain(p.problems[0].reason)}")
    if p.left_out:
        st.caption(f"{count(p.left_out, 'row')} will be left out (mapped as not ours).")
    return choices


def save_choices(source: str, choices: dict[tuple[str, str], str]) -> bool:
    """Save the value choices for a source (audited); True when every one was saved."""
    store = cached.store()
    user, role = session.username(), session.role()
    for (column, value), term in choices.items():
        saved = attempt(
            lambda c=column, v=value, t=term: value_maps.save(
                store, source, c, v, t, user=user, role=role
            ),
            "The choice could not be saved.",
            sentences=(value_maps.MappingRefused,),
        )
        if saved is None:
            return False
    return True


def offer_save(p: VendorPreview, choices: dict[tuple[str, str], str]) -> None:
    """The button that saves a choice for every unmapped value, then reads the file again."""
    if not p.unmapped:
        return
    ready = len(choices) == min(len(p.unmapped), MAX_CHOICES)
    why = None if ready else "Choose a meaning for every value first."
    pressed = st.button("Save these choices", disabled=not ready, key="u_save_values", help=why)
    if pressed and save_choices(p.source, choices):
        st.rerun()


def blocked(p: VendorPreview) -> str | None:
    """Why the import must wait, or None."""
    if p.unmapped:
        return "Map every value above first."
    if p.problems or p.preview is None:
        return "Fix the problems listed above first."
    if p.preview.problems or p.preview.missing_required:
        return "Fix the problems listed above first."
    return None


def run(kind: str, content: bytes, file_name: str, source: str | None) -> VendorImport | None:
    """Import the file through its profile; the result, or None with a sentence on failure."""
    return attempt(
        lambda: import_export(
            cached.store(),
            kind,
            content,
            source=source or None,
            file_name=file_name,
            user=session.username(),
            role=session.role(),
        ),
        "The import failed and nothing was written; try again, or tell the administrator.",
    )


def show_result(done: VendorImport | None) -> None:
    """The outcome, with the rows left out said, never silent."""
    if done is None:
        return
    upload.show_result(done.result)
    if done.left_out:
        st.info(f"{count(done.left_out, 'row')} left out: mapped as not ours.")
