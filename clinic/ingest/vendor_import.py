"""Import any booking system's export: choose its profile, rewrite it as ours, then import it.

A file in our own format (the generic profile, nothing to rewrite) goes to the importer as it
is, so its speed and its problems stay exactly what they were. Any other file is rewritten in
SQL (clinic.ingest.translate) and the rewrite is imported; the report says which profile read
it, which columns were dropped and why, which values no mapping knows (then nothing is
written) and how many rows a "not ours" mapping left out.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from clinic import audit, sql
from clinic.ingest import headers as mp
from clinic.ingest import plan as plan_mod
from clinic.ingest import profiles, translate, value_maps
from clinic.ingest.job import run_import
from clinic.ingest.profiles import VOCABULARY_COLUMNS
from clinic.ingest.reader import open_export
from clinic.ingest.results import ImportResult, Preview, Problem
from clinic.ingest.saved_mappings import load_mapping
from clinic.ingest.textfile import Unreadable
from clinic.store import as_task


class UnknownSource(ValueError):
    """--source names neither a profile nor a source with saved mappings."""


@dataclass
class VendorImport:
    """An import's result with what the profile did: the JSON report's extra fields."""

    result: ImportResult
    source: str | None
    detected: str | None = None
    unmapped: list[dict] = field(default_factory=list)
    left_out: int = 0
    dropped_columns: list[dict] = field(default_factory=list)
    patient_ref_from: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    @property
    def status(self) -> str:
        """committed, rejected (problems or unmapped values) or unreadable."""
        return self.result.status

    def to_json(self) -> dict:
        """The import's contract document with source, unmapped, left_out and dropped_columns."""
        out = self.result.to_json()
        out.update(
            source=self.source,
            detected=self.detected,
            unmapped=[
                {k: u[k] for k in ("column", "value", "rows", "first_line")} for u in self.unmapped
            ],
            left_out=self.left_out,
            dropped_columns=self.dropped_columns,
            patient_ref_from=self.patient_ref_from,
        )
        return out


def choose(
    store, kind: str, headers: list[str], source: str | None
) -> tuple[plan_mod.Plan | None, str | None]:
    """The plan for a header (None for a kind without profiles) and the source its mappings use."""
    known = profiles.profiles()
    if source is not None and source not in known and not _has_saved(store, source):
        names = ", ".join(sorted(known))
        raise UnknownSource(
            f"{source!r} is neither a booking system we know ({names}) nor a source with saved "
            "mappings: save one with `clinic map` first, or leave --source out."
        )
    if kind != "appointments":
        return None, source
    detection = profiles.detect(headers, source if source in known else None)
    used_source = source or detection.profile.name
    saved = load_mapping(store, used_source, kind)
    return plan_mod.plan(detection, headers, saved), used_source


def _has_saved(store, source: str) -> bool:
    """Whether any header or value mapping is saved under `source`."""
    with store.cursor() as cur:
        return bool(sql.run(cur, "mappings_of_source", source=source).fetchall())


def _plain_dropped(kind: str, headers: list[str], saved: dict | None) -> list[dict]:
    """The dropped and ignored headers of a file the importer reads as it is."""
    m = mp.detect(kind, headers, None, saved)
    out = [{"header": h, "reason": plan_mod.IDENTIFYING} for h in m.dropped]
    out += [{"header": h, "reason": "not used"} for h in m.ignored]
    return sorted(out, key=lambda d: headers.index(d["header"]))


@as_task  # a stopping server waits for the rewrite too, not only for the load after it
def import_export(
    store,
    kind: str,
    source_file: str | Path | bytes,
    *,
    source: str | None = None,
    file_name: str | None = None,
    user: str | None = None,
    role: str | None = None,
) -> VendorImport:
    """Import one export through its profile (detected, or named by `source`); see the module."""
    name = file_name or ("upload" if isinstance(source_file, bytes) else Path(source_file).name)
    try:
        # The header decides the path; only a file to rewrite is then read whole (and checked).
        text = open_export(source_file, name)
    except Unreadable:
        result = run_import(store, kind, source_file, file_name=name, user=user, role=role)
        return VendorImport(result, source)
    try:
        plan, used_source = choose(store, kind, text.headers, source)
        saved_values = bool(used_source and value_maps.loaded(store, used_source))
        if plan is None and kind in VOCABULARY_COLUMNS:
            text.close()
            text = open_export(source_file, name, whole=True)
            return _ours(store, kind, source_file, name, text, used_source, user, role)
        if plan is None or not plan_mod.needed(plan, saved_values):
            saved = load_mapping(store, source, kind) if source else None
            dropped = _plain_dropped(kind, text.headers, saved)
            text.close()
            result = run_import(
                store, kind, source_file, file_name=name, user=user, source_system=source, role=role
            )
            detected = plan.detection.explain() if plan else None
            return VendorImport(
                result, source or (plan and "generic"), detected, dropped_columns=dropped
            )
        text.close()
        text = open_export(source_file, name, whole=True)
        with store.cursor() as cur:
            try:
                done = translate.translate(cur, store, text, plan, used_source)
            except ValueError as exc:
                result = ImportResult(
                    None,
                    kind,
                    name,
                    text.sha256,
                    status="rejected",
                    errors=[Problem(None, None, None, str(exc))],
                    problem_count=1,
                )
                return _stopped(store, _planned(result, plan, used_source), user, role)
            try:
                return _finish(store, cur, kind, name, text, plan, done, used_source, user, role)
            finally:
                done.close()
    finally:
        text.close()


def _ours(store, kind, source_file, name, text, source, user, role) -> VendorImport:
    """A file in our own format with vocabulary columns (side effects): values no mapping knows
    stop it once; the source's saved mappings rewrite it; else it imports as it is."""
    saved = load_mapping(store, source, kind) if source else None
    m = mp.detect(kind, text.headers, None, saved)
    dropped = _plain_dropped(kind, text.headers, saved)
    used = {c: i for i, c in m.canonical.items()}
    # A doubled column is the importer's to report, on the file as it is.
    rewrite = bool(source and value_maps.loaded(store, source)) and not m.duplicates
    with store.cursor() as cur:
        try:
            done = translate.remap(cur, store, text, kind, used, source, rewrite)
        except ValueError as exc:
            result = ImportResult(
                None,
                kind,
                name,
                text.sha256,
                status="rejected",
                problem_count=1,
                errors=[Problem(None, None, None, str(exc))],
            )
            return _stopped(
                store, VendorImport(result, source, dropped_columns=dropped), user, role
            )
        try:
            if done.unmapped:
                result = ImportResult(
                    None, kind, name, text.sha256, rows_read=done.rows_read, status="rejected"
                )
                out = VendorImport(result, source, unmapped=done.unmapped, dropped_columns=dropped)
                return _stopped(store, out, user, role)
            if done.path is None:
                result = run_import(
                    store,
                    kind,
                    source_file,
                    file_name=name,
                    user=user,
                    source_system=source,
                    role=role,
                )
            else:
                columns = {f"c{i}": f for f, i in used.items()}
                result = run_import(
                    store,
                    kind,
                    done.path,
                    file_name=name,
                    user=user,
                    mapping=columns,
                    source_system=source,
                    role=role,
                    file_sha256=text.sha256,
                )
                result.rows_read = done.rows_read
                _relabel(cur, result, lambda h: text.headers[int(h[1:])] if h in columns else h)
        finally:
            done.close()
    return VendorImport(result, source, left_out=done.left_out, dropped_columns=dropped)


def _planned(result: ImportResult, plan: plan_mod.Plan, source, done=None) -> VendorImport:
    """The result of a file read through a profile, with what the profile and its rewrite did."""
    return VendorImport(
        result,
        source,
        plan.detection.explain(),
        unmapped=done.unmapped if done else [],
        left_out=done.left_out if done else 0,
        dropped_columns=plan.dropped,
        patient_ref_from=plan.patient_ref_from(),
    )


def _stopped(store, out: VendorImport, user, role) -> VendorImport:
    """A file stopped before anything was written: audited, nothing stored."""
    result, source = out.result, out.source
    audit.log(
        store,
        user=user,
        role=role,
        action="import",
        outcome="rejected",
        object=None,
        details={
            "kind": result.kind,
            "file_name": result.file_name,
            "source": source,
            "unmapped": len(out.unmapped),
            "problems": result.problem_count,
        },
    )
    return out


def _finish(store, cur, kind, name, text, plan, done, source, user, role) -> VendorImport:
    """Import a rewritten file, or report what stopped the rewrite."""
    if done.path is None:
        errors = [Problem(line, col, value, reason) for line, col, value, reason in done.problems]
        result = ImportResult(
            None,
            kind,
            name,
            text.sha256,
            rows_read=done.rows_read,
            status="rejected",
            errors=errors,
            rejected=done.rows_read if errors else 0,
            problem_count=len(errors),
        )
        return _stopped(store, _planned(result, plan, source, done), user, role)
    identity = {c: c for c in translate.OUT_COLUMNS}
    result = run_import(
        store,
        kind,
        done.path,
        file_name=name,
        user=user,
        mapping=identity,
        source_system=source,
        role=role,
        file_sha256=text.sha256,
    )
    result.rows_read = done.rows_read
    _relabel(cur, result, _header_under(plan))
    out = _planned(result, plan, source, done)
    out.notes = [done.order_note] if done.order_note else []
    return out


def _header_under(plan: plan_mod.Plan) -> Callable[[str], str | None]:
    """The file's header behind a column of its rewrite (a date may come from a date-time)."""

    def header(column: str) -> str | None:
        if column == "date" and "date" not in plan.used:
            column = "datetime"
        return plan.header(column)

    return header


def _relabel(cur, result: ImportResult, header_of: Callable[[str], str | None]) -> None:
    """Problems of the rewritten file named by the original file's lines and headers."""
    for p in (*result.errors, *result.warnings):
        if p.line is not None and p.line >= 2:
            row = cur.execute(
                "select line from vendor_rows where not left_out order by line limit 1 offset $n",
                {"n": p.line - 2},
            ).fetchone()
            p.line = row[0] if row else p.line
        if p.column is not None:
            p.column = header_of(p.column) or p.column


@dataclass
class VendorPreview:
    """What importing a booking system's export would do, written nowhere (the Upload page)."""

    detected: str
    source: str
    mapping: dict[str, str | None]
    dropped_columns: list[dict]
    patient_ref_from: list[str]
    unmapped: list[dict]
    left_out: int
    rows_read: int
    problems: list[Problem]
    notes: list[str]
    preview: Preview | None  # the rewritten file's preview (sample, problems), when it was made


def inspect(
    store, kind: str, content: bytes, file_name: str, source: str | None = None, rows: int = 20
) -> VendorPreview | None:
    """The preview of an export that needs its profile; None when the plain importer reads it."""
    try:
        text = open_export(content, file_name, whole=True)
    except Unreadable:
        return None
    try:
        plan, used_source = choose(store, kind, text.headers, source)
        saved_values = bool(used_source and value_maps.loaded(store, used_source))
        if plan is None or not plan_mod.needed(plan, saved_values):
            return None
        with store.cursor() as cur:
            try:
                done = translate.translate(cur, store, text, plan, used_source)
            except ValueError as exc:
                problem = Problem(None, None, None, str(exc))
                return _vendor_preview(plan, used_source, None, [problem], None)
            try:
                return _vendor_preview(
                    plan,
                    used_source,
                    done,
                    [Problem(*p) for p in done.problems],
                    _rewritten_preview(store, cur, kind, file_name, plan, done, rows),
                )
            finally:
                done.close()
    finally:
        text.close()


def _rewritten_preview(store, cur, kind, file_name, plan, done, rows) -> Preview | None:
    """The importer's own preview of the rewritten file, its problems named by the file's lines."""
    from clinic.ingest.dryrun import run_preview

    if done.path is None:
        return None
    identity = {c: c for c in translate.OUT_COLUMNS}
    shown = run_preview(store, kind, done.path.read_bytes(), file_name, mapping=identity, rows=rows)
    _relabel(
        cur,
        ImportResult(None, kind, file_name, "", errors=shown.problems, warnings=shown.warnings),
        _header_under(plan),
    )
    return shown


def _vendor_preview(plan, source, done, problems, shown) -> VendorPreview:
    """A VendorPreview from a plan and what its rewrite found."""
    return VendorPreview(
        detected=plan.detection.explain(),
        source=source,
        mapping=plan.mapping(),
        dropped_columns=plan.dropped,
        patient_ref_from=plan.patient_ref_from(),
        unmapped=done.unmapped if done else [],
        left_out=done.left_out if done else 0,
        rows_read=done.rows_read if done else 0,
        problems=problems,
        notes=[done.order_note] if done and done.order_note else [],
        preview=shown,
    )
