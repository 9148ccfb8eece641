"""The dashboard's Streamlit rooms, one concern a module (the only package that imports Streamlit).

- `session`: login, the viewer, the pages a role may open and their titles, the audit of views;
- `filters`: date presets, the sidebar and records filters, their URL state, the caption;
- `cached`: the store, metric calls cached until the data changes, choice lists;
- `upload`: preview, column mapping, problems, the import and its result, undo, side effects;
- `admin`: prices, accounts, imports and the audit trail;
- `widgets`: tables, charts, tiles, downloads and forms; `say`: plain() and sentences;
- `server`: what the web gate (clinic.web) asks Streamlit's runtime.

Pages import the rooms they use (`from clinic.ui import cached, filters, session, widgets`).
"""
