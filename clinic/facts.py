"""Derived session, report and daily facts, kept in step with the data by every write.

`session_facts` (one row per completed treatment session: follow-up match, previous session,
side-effect flags, socks), `report_facts` (one row per side-effect report of such a session,
with the session's date and dimensions), `other_report_facts` (the other reports of appointments
in the store, with that appointment's dimensions), `patient_facts` (one row per treated patient:
first, second and last session, latest appointment), `patient_days` (one row per patient and day
of a completed session or product sale, with the previous such days) and its counts
`patient_day_counts` (per measure, day and previous day), and the daily sums `session_days` (of
session_facts), `revenue_days` (of revenue lines with their list price) and `attendance_days`
(appointments by status, no-shows at list price) are tables, so a
metric is one scan of a small table instead of joins over the appointments. They are written
in the SAME transaction as the change to their inputs:

* the importer calls `refresh_import(cur, kind, import_id)` at the end of its write transaction
  (committed or rejected); undo calls `note_import` before it changes rows and `refresh` after;
  only the patients and days that import touched are recomputed (a price change touches the
  days of every appointment of its item);
* `rebuild(cur)` recomputes everything (bench stores, direct SQL seeding);
* `keep(cur)` tells the facts that a write transaction changed none of their inputs
  (appointments, side_effects, prices, effect_terms), e.g. a saved column mapping;
* `ensure(store)`, called by every metric, is the safety net: the facts record the data_version
  they match, and store.writer() bumps data_version on every commit, so any write through
  store.writer() that did none of the above leaves them visibly behind and the next read
  rebuilds them. (A write that bypasses store.writer() is invisible to this and to every page
  cache alike: such a path must call `rebuild`.)
"""

from __future__ import annotations

import duckdb

from clinic import sql
from clinic.store import Store

# Recompute everything instead of per patient when a write touches this many patients per
# session held: a whole rebuild then costs less than the semi-joins and deletes.
_WHOLE_SHARE = 0.25
# Import kinds as stored in `imports.kind` -> the table family they write ("manual" = a side
# effect recorded by staff).
_KINDS = {
    "appointments": "appointments",
    "side-effects": "side-effects",
    "manual": "side-effects",
    "prices": "prices",
}
# The facts match the committed data (no facts_state row: never built).
_FRESH = (
    "select exists (select 1 from facts_state as f, data_version as d where f.version = d.version)"
)


# Per-connection temp tables the facts_* queries read: the patients and days a write touched,
# and the scope patients' session rows as they were and as they are now.
_SCOPE_TABLES = {
    "facts_scope_patients": "create temp table if not exists facts_scope_patients "
    "(patient_ref varchar)",
    "facts_scope_days": "create temp table if not exists facts_scope_days (day date)",
    "facts_old_sessions": "create temp table if not exists facts_old_sessions as "
    "select * from session_facts with no data",
    "facts_new_sessions": "create temp table if not exists facts_new_sessions as "
    "select * from session_facts with no data",
    "facts_old_patient_days": "create temp table if not exists facts_old_patient_days as "
    "select * from patient_days with no data",
    "facts_new_patient_days": "create temp table if not exists facts_new_patient_days as "
    "select * from patient_days with no data",
}


def _scope_tables(cur: duckdb.DuckDBPyConnection) -> None:
    """Create the scope tables on this cursor if they are missing."""
    for statement in _SCOPE_TABLES.values():
        cur.execute(statement)


def _clear_scope(cur: duckdb.DuckDBPyConnection) -> None:
    """Empty the scope tables (they live as long as the cursor)."""
    _scope_tables(cur)
    for table in _SCOPE_TABLES:
        cur.execute(f"delete from {table}")


def _mark(cur: duckdb.DuckDBPyConnection) -> None:
    """Record that the facts match the data this write transaction commits.

    store.writer() bumps data_version by one on commit, so the facts match version + 1. Were
    that ever to change, the facts would only look behind and be rebuilt: slower, never wrong.
    """
    sql.run(cur, "facts_mark")


# Report tables, keyed by patient like the session rows: a scoped refresh replaces the scope's.
_REPORT_TABLES = (
    ("report_facts", "facts_report_rows"),
    ("other_report_facts", "facts_other_report_rows"),
)
# Keyed by patient and read from the session rows, like the report tables.
_PATIENT_TABLES = (("patient_facts", "facts_patient_rows"),)
# Summed per day from the appointments, like revenue_days: re-summed for the days a write touched.
_DAY_TABLES = (
    ("revenue_days", "facts_revenue_days"),
    ("attendance_days", "facts_attendance_days"),
)
# In this order: report rows, patient rows and session days read the session rows just written.
_TABLES = (
    ("session_facts", "facts_session_rows"),
    ("patient_days", "facts_patient_days"),
    *_REPORT_TABLES,
    *_PATIENT_TABLES,
    ("session_days", "facts_session_days"),
    *_DAY_TABLES,
)


def _insert(cur: duckdb.DuckDBPyConnection, table: str, query: str, everything: bool) -> None:
    """Insert the rows of one fact table for everything or for the scope tables."""
    text, params = sql.bind(query, {"everything": everything})
    cur.execute(f"insert into {table} by name {text}", params)


def _count_patient_days(cur: duckdb.DuckDBPyConnection, everything: bool) -> None:
    """Bring patient_day_counts up to date: whole, or by the scope's old and new patient_days."""
    text, params = sql.bind("facts_patient_day_counts", {"everything": everything})
    cur.execute(f"create or replace temp table facts_counts_merged as {text}", params)
    sql.run(cur, "facts_patient_day_counts_apply")


def _rebuild_rows(cur: duckdb.DuckDBPyConnection) -> None:
    """Replace every row of every fact table."""
    _scope_tables(cur)
    for table, query in _TABLES:
        cur.execute(f"delete from {table}")
        _insert(cur, table, query, everything=True)
    cur.execute("delete from patient_day_counts")
    _count_patient_days(cur, everything=True)


def _keep_returned(cur: duckdb.DuckDBPyConnection, table: str, statement: str, params=None) -> None:
    """Run a DELETE or INSERT ... RETURNING * and keep the rows it gives back in `table`."""
    cur.complete()  # sql() refuses to start while an earlier result is still unread
    rows = cur.sql(statement, params=params).to_arrow_table()
    cur.register("facts_returned", rows)
    try:
        cur.execute(f"insert into {table} select * from facts_returned")
    finally:
        cur.unregister("facts_returned")


def _swap_patient_rows(cur: duckdb.DuckDBPyConnection, table: str, query: str, images: str) -> None:
    """Replace the scope patients' rows of `table`, keeping the old and new rows in the temp
    tables facts_old_<images> and facts_new_<images>."""
    patients = "select patient_ref from facts_scope_patients"
    _keep_returned(
        cur,
        f"facts_old_{images}",
        f"delete from {table} where patient_ref in ({patients}) returning *",
    )
    text, params = sql.bind(query, {"everything": False})
    rows = text.rstrip().removesuffix(";")
    _keep_returned(
        cur, f"facts_new_{images}", f"insert into {table} by name {rows} returning *", params
    )


def _refresh_scope(cur: duckdb.DuckDBPyConnection) -> None:
    """Replace the fact rows of the scope's patients; bring the daily sums up to date.

    The patients' session rows (and patient days) are swapped with RETURNING, so their old and
    new images feed the report rows, the session_days change and the patient_day_counts change
    without another scan of the whole tables. Revenue
    lines depend only on their own appointment and the price list, so revenue_days is re-summed
    for the days the write touched.
    """
    patients = "select patient_ref from facts_scope_patients"
    _swap_patient_rows(cur, "session_facts", "facts_session_rows", "sessions")
    _swap_patient_rows(cur, "patient_days", "facts_patient_days", "patient_days")
    _count_patient_days(cur, everything=False)

    for table, query in (*_REPORT_TABLES, *_PATIENT_TABLES):
        cur.execute(f"delete from {table} where patient_ref in ({patients})")
        _insert(cur, table, query, everything=False)

    merged = sql.load("facts_session_days_merge")[0]
    cur.execute(f"create or replace temp table facts_days_merged as {merged}")
    sql.run(cur, "facts_session_days_apply")
    for table, query in _DAY_TABLES:
        sql.run(cur, f"{query}_clear")  # each day table's own delete, in queries/
        _insert(cur, table, query, everything=False)


def _behind(cur: duckdb.DuckDBPyConnection) -> bool:
    """True when a write since the last refresh left the facts behind the data."""
    return not cur.execute(_FRESH).fetchone()[0]


def rebuild(cur: duckdb.DuckDBPyConnection) -> None:
    """Recompute every fact table whole, inside the caller's store.writer() transaction."""
    _rebuild_rows(cur)
    _clear_scope(cur)
    _mark(cur)


def keep(cur: duckdb.DuckDBPyConnection) -> None:
    """Inside a store.writer() transaction that changed no facts input: the facts stay valid."""
    if not _behind(cur):
        _mark(cur)


def note_import(cur: duckdb.DuckDBPyConnection, kind: str, import_id: int) -> None:
    """Add the patients and days import `import_id` wrote (or replaced) to the refresh scope."""
    if kind not in _KINDS:
        raise ValueError(f"unknown import kind {kind!r}")
    _scope_tables(cur)
    text, params = sql.bind(
        "facts_scope_of_import", {"kind": _KINDS[kind], "import_id": int(import_id)}
    )
    cur.execute(f"create or replace temp table facts_import_scope as {text}", params)
    sql.run(cur, "facts_scope_add")


def refresh(cur: duckdb.DuckDBPyConnection) -> None:
    """Recompute the facts of the noted scope inside the caller's store.writer() transaction.

    If the facts were already behind the data (a write since the last refresh skipped it), the
    scope is not enough and everything is recomputed.
    """
    _scope_tables(cur)
    patients, days = cur.execute(
        "select (select count(distinct patient_ref) from facts_scope_patients), "
        "(select count(*) from facts_scope_days)"
    ).fetchone()
    if _behind(cur):
        _rebuild_rows(cur)
    elif patients or days:
        sessions = cur.execute("select count(*) from session_facts").fetchone()[0]
        if patients >= _WHOLE_SHARE * sessions:
            _rebuild_rows(cur)
        else:
            _refresh_scope(cur)
    _clear_scope(cur)
    _mark(cur)


def refresh_import(cur: duckdb.DuckDBPyConnection, kind: str, import_id: int) -> None:
    """Bring the facts up to date after import `import_id`, in its own write transaction."""
    if not cur.execute("select exists (select 1 from session_facts)").fetchone()[0]:
        # A first load: refresh would rebuild everything anyway, so skip working out the scope.
        rebuild(cur)
        return
    note_import(cur, kind, import_id)
    refresh(cur)


def is_fresh(store: Store) -> bool:
    """True when the facts match the committed data (one tiny query)."""
    return bool(store.scalar(_FRESH))


def ensure(store: Store) -> bool:
    """Make the facts match the data before a read; True if they had to be rebuilt.

    A no-op unless a write left them behind. A read-only store is read as it is.
    """
    if store.read_only or is_fresh(store):
        return False
    with store.writer(wait=True) as cur:
        # Re-checked under the write lock: another thread may have rebuilt them meanwhile.
        if _behind(cur):
            rebuild(cur)
            return True
        _mark(cur)
    return False
