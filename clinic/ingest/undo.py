"""Undo one committed import: remove the rows it created, restore the rows it replaced."""

from __future__ import annotations

from dataclasses import dataclass

from clinic import auth, facts, sql
from clinic.ingest.job import audit_event
from clinic.ingest.targets import TARGETS
from clinic.store import as_task
from clinic.words import were


class UndoRefused(Exception):
    """An undo that would lose or corrupt later work; the message says why."""


class UnknownImport(UndoRefused):
    """No import has that id."""


@dataclass
class UndoResult:
    """What an undo did."""

    import_id: int
    kind: str
    removed: int
    restored: int
    status: str = "undone"

    def to_json(self) -> dict:
        """The document `undo --json` prints."""
        return {
            "import_id": self.import_id,
            "kind": self.kind,
            "status": self.status,
            "removed": self.removed,
            "restored": self.restored,
        }


def _target(kind: str):
    """The storage of an import kind ("manual" side effects live with side-effects)."""
    return TARGETS["side-effects" if kind == "manual" else kind]


def _check_role(store, import_id: int, kind: str, owner: str | None, user, role) -> None:
    """Raise (and audit) auth.NotAllowed for an undo this role may not make."""
    try:
        auth.check_write(role, kind)
        if role is not None and auth.AUDIT_SCOPE.get(role) == "own-imports" and owner != user:
            raise auth.NotAllowed(
                f"Your role ({role}) may undo only your own imports; import {import_id} was "
                f"made by {owner or 'someone else'}."
            )
    except auth.NotAllowed as exc:
        audit_event(store, user, "undo", "refused", f"import:{import_id}", {"reason": str(exc)})
        raise


@as_task
def undo(store, import_id: int, *, user: str | None = None, role: str | None = None) -> UndoResult:
    """Revert one committed import, or raise UndoRefused with a sentence saying why not.

    `role` is the role of the person the UI serves (None: the command line): it must be one that
    may change that kind of data, and staff may undo only their own imports (auth.NotAllowed).
    """
    found = store.rows(
        "select kind, status, user_name from imports where import_id = $id",
        {"id": int(import_id)},
    )
    if not found:
        raise UnknownImport(f"There is no import {import_id}.")
    kind, status, owner = found[0]
    _check_role(store, int(import_id), kind, owner, user, role)
    try:
        with store.writer() as cur:
            _check_undoable(cur, int(import_id), kind)
            removed, restored = _put_back(cur, int(import_id), kind)
            message = f"undone by {user or 'unknown user'}"
            sql.run(cur, "imports_undone", id=import_id, message=message)
            facts.refresh(cur)
    except UndoRefused as exc:
        audit_event(store, user, "undo", "refused", f"import:{import_id}", {"reason": str(exc)})
        raise
    result = UndoResult(int(import_id), kind, int(removed), int(restored))
    audit_event(
        store,
        user,
        "undo",
        "committed",
        f"import:{import_id}",
        {"kind": kind, "counts": {"removed": result.removed, "restored": result.restored}},
    )
    return result


def _check_undoable(cur, import_id: int, kind: str) -> None:
    """Raise UndoRefused unless the import is committed and nothing later builds on its rows."""
    # Re-read under the write lock: another undo may have just run.
    status = cur.execute(
        "select status from imports where import_id = $id", {"id": import_id}
    ).fetchone()[0]
    if status != "committed":
        raise UndoRefused(f"Import {import_id} cannot be undone: it is {status}, not committed.")
    table = _target(kind).table
    later = cur.execute(
        f"""
        select min(replaced_by), count(*) from {table}_history
        where import_id = $id and replaced_by <> $id
        """,
        {"id": import_id},
    ).fetchone()
    if later[1]:
        raise UndoRefused(
            f"Import {import_id} cannot be undone: {later[1]:,} of its rows {were(later[1])} "
            f"changed later by import {later[0]}. Undo the later import first."
        )
    if table == "appointments":
        linked = cur.execute(
            """
            select count(*) from side_effects s
            join appointments a on a.appointment_id = s.appointment_id
            where a.first_import_id = $id
            """,
            {"id": import_id},
        ).fetchone()[0]
        if linked:
            raise UndoRefused(
                f"Import {import_id} cannot be undone: {linked} side-effect report(s) "
                "refer to sessions it created. Undo those side-effect imports first."
            )


def _put_back(cur, import_id: int, kind: str) -> tuple[int, int]:
    """Remove the import's rows and restore those it replaced; (removed, restored)."""
    t = _target(kind)
    table = t.table  # from the TARGETS allow-list (identifiers cannot be bound)
    removed = cur.execute(
        f"select count(*) from {table} where first_import_id = $id", {"id": import_id}
    ).fetchone()[0]
    # The patients this undo changes, noted before their rows go (clinic/facts.py).
    facts.note_import(cur, kind, import_id)
    cols = ", ".join((*t.columns, "import_id", "first_import_id"))
    cur.execute(f"delete from {table} where import_id = $id", {"id": import_id})
    restored = cur.execute(
        f"""
        insert into {table} ({cols})
        select {cols} from {table}_history where replaced_by = $id
        """,
        {"id": import_id},
    ).fetchone()[0]
    cur.execute(f"delete from {table}_history where replaced_by = $id", {"id": import_id})
    return int(removed), int(restored)
