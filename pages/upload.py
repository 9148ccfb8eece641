"""Upload: import a booking-system export (with mapping and preview), undo, record a side effect."""

import streamlit as st

from clinic.ui import admin, cached, say, session, upload, vendors, widgets

user = session.require("upload")

st.title("Upload")

upload_tab, record_tab, history_tab = st.tabs(
    ["Import an export", "Record a side effect", "Import history"]
)

with upload_tab:
    kind = st.selectbox(
        "What does the file hold?",
        upload.import_kinds(user.role),
        format_func=widgets.label,
        key="u_kind",
    )
    system = vendors.DETECT
    if kind == "appointments":
        system = st.selectbox(
            "Booking system", vendors.systems(), key="u_system", format_func=vendors.system_label
        )
    source = st.text_input(
        "Source system (optional, e.g. Phorest)",
        key="u_source",
        help="A saved column mapping for this system is applied automatically.",
    )
    uploaded = st.file_uploader(
        "Export file (CSV or XLSX)",
        type=["csv", "xlsx"],
        key="u_file",
        max_upload_size=upload.max_upload_mb(),
    )
    if uploaded is not None:
        content = uploaded.getvalue()
        named = source if system == vendors.DETECT else system
        handled, found = vendors.preview(kind, content, uploaded.name, named)
        if found is not None:
            choices = vendors.show(found, f"u_vendor_{uploaded.file_id}")
            vendors.offer_save(found, choices)
            why = vendors.blocked(found)
            if st.button(
                "Import", type="primary", disabled=bool(why), key="u_import_vendor", help=why
            ):
                vendors.show_result(vendors.run(kind, content, uploaded.name, named))
        preview = None if handled else upload.preview(kind, content, uploaded.name, source)
        if preview is not None:
            st.subheader("Column mapping")
            st.caption("Correct a column by choosing its meaning; leave blank to ignore it.")
            edited = st.data_editor(
                upload.mapping_frame(preview.mapping),
                key=f"u_mapping_{kind}_{uploaded.file_id}",
                hide_index=True,
                disabled=["header"],
                column_config=upload.mapping_columns(kind),
            )
            mapping = upload.mapping_from(edited)
            if mapping != dict(preview.mapping):
                preview = upload.preview(kind, content, uploaded.name, source, mapping)
            named = say.plain(source) if source else "(give it a name above)"  # typed text
            save = st.checkbox(
                f"Save this mapping for source system {named}",
                key="u_save_mapping",
                disabled=not source,
            )
            upload.show_preview(preview)
            sure = upload.kind_change_confirmed(
                preview.price_effect if preview else None, key=f"u_kind_ok_{uploaded.file_id}"
            )
            why = "Fix the problems listed above first." if upload.blocked(preview) else None
            why = why or (None if sure else "Confirm the change of kind above first.")
            go = st.button("Import", type="primary", disabled=bool(why), key="u_import", help=why)
            if go:
                if save and source:
                    upload.save_mapping(source, kind, mapping)
                result = upload.run_import(kind, content, uploaded.name, mapping, source)
                upload.show_result(result)

with record_tab:
    opts = cached.options()
    with st.form("side_effect_form", clear_on_submit=False):
        a, b = st.columns(2)
        appointment = a.text_input("Appointment ID of the session", key="se_appointment")
        reported = b.date_input(
            "Reported on", value=cached.as_of(), format=widgets.UK_DATE, key="se_reported"
        )
        # No clinical defaults: effect, severity and medical attention are what the caller said.
        effect = a.selectbox(
            "Effect",
            opts.get("effects", []),
            index=None,
            placeholder="Choose the effect reported",
            key="se_effect",
        )
        severity = b.selectbox(
            "Severity", upload.SEVERITIES, index=None, placeholder="Not assessed", key="se_severity"
        )
        attention = a.selectbox(
            "Needed medical attention",
            ["yes", "no"],
            index=None,
            placeholder="Not known",
            key="se_attention",
        )
        onset = b.date_input("Onset", value=None, format=widgets.UK_DATE, key="se_onset")
        notes = st.text_area("Notes", key="se_notes", max_chars=2000)
        submitted = st.form_submit_button("Record side effect", key="se_submit")
    if submitted:
        upload.record_side_effect(
            appointment_id=appointment,
            reported_date=reported,
            effect=effect,
            severity=severity,
            medical_attention=attention,
            onset_date=onset,
            notes=notes,
        )

with history_tab:
    if user.role in admin.INBOX_ROLES:
        st.subheader("Drop folder")
        st.caption(
            "Files a scheduled export leaves in the drop folder are imported on their own; a "
            "refused one is kept in its failed/ folder with every problem beside it."
        )
        widgets.table(
            admin.inbox_recent(), "table_inbox", "Nothing has come through the drop folder yet."
        )
        st.subheader("Imports")
    history = admin.imports(session.imports_owner(user))
    widgets.table(history, "table_imports", "No imports yet.")
    undoable = upload.undoable(history)
    if undoable:
        chosen = st.selectbox(
            "Undo an import", undoable, key="u_undo_id", format_func=lambda i: f"Import {i}"
        )
        sure = st.checkbox(f"Yes, undo import {chosen}", key="u_undo_confirm")
        if st.button("Undo", disabled=not sure, key="u_undo"):
            upload.undo(chosen)
