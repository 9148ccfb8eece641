"""Write a checked file into its table: the one-pass load, the upsert, the imports row.

Table and column names in these statements come from targets.TARGETS, an allow-list
(identifiers cannot be bound as parameters); every value is bound.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import duckdb

from clinic import sql
from clinic.ingest import headers
from clinic.ingest.results import ImportResult, PriceEffect
from clinic.ingest.stage import clean_select
from clinic.ingest.targets import TARGETS
from clinic.ingest.textfile import TextFile
from clinic.words import count


class NotClean(Exception):
    """The one-pass load met a problem: roll it back and let the staged path list every one."""


def now() -> datetime:
    """The current UTC time without a zone (the store keeps UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


def price_effect(cur: duckdb.DuckDBPyConnection) -> PriceEffect:
    """What the checked price rows in ingest_clean would change, read on the staging cursor."""
    n, before, after, change = sql.run(cur, "prices_revaluation").fetchone()
    kinds = tuple(tuple(r) for r in sql.run(cur, "prices_kind_changes").fetchall())
    return PriceEffect(int(n), round(before, 2), round(after, 2), round(change, 2), kinds)


def next_import_id(cur: duckdb.DuckDBPyConnection) -> int:
    """One past the largest recorded import id, read inside the write transaction that uses it.

    Not a sequence: DuckDB logs a sequence's step only with a transaction that commits, so after
    an id drawn in a rolled-back attempt was committed by the retry, a stop without a checkpoint
    (SIGTERM, kill -9, power loss) replayed the log to a sequence behind the largest id and the
    next import collided with it. The store's write lock and its single process make this safe.
    """
    return int(sql.run(cur, "imports_next_id").fetchone()[0])


def load_direct(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    text: TextFile,
    m: headers.Mapping,
    store_path: Path,
    import_id: int,
) -> int:
    """Parse, clean and insert a file into an EMPTY target table in one pass; return the rows.

    With nothing to compare against, an import needs no staging table: rows go straight from
    DuckDB's CSV reader through the cleaning query into the table. Any problem (a rejected
    value, an unreadable record, a repeated key) raises NotClean; the caller rolls back and
    takes the staged path, which finds and lists them all.
    """
    t = TARGETS[kind]
    if cur.execute(f"select exists (select 1 from {t.table})").fetchone()[0]:
        raise NotClean
    select, params = clean_select(kind, text, m, store_path, lines=False)
    bad = " or ".join(f"e_{c} is not null" for c in headers.columns(kind))
    cols = ", ".join(t.columns)
    try:
        # error() stops the statement at the first bad row: nothing of a bad file is kept.
        inserted = cur.execute(
            f"""
            insert into {t.table} ({cols}, import_id, first_import_id)
            select {cols}, $id, $id
            from ({select})
            where not blank_record and case when {bad} then error('rejected row') else true end
            """,
            {**params, "id": import_id},
        ).fetchone()[0]
    except duckdb.InterruptException:
        raise  # a stopping server, not a problem of the file
    except duckdb.Error:
        raise NotClean from None
    if not inserted:  # no data row (or a problem): the staged path says which
        raise NotClean
    text.check()
    if text.hidden:  # the staged path names the lines
        raise NotClean
    keys = ", ".join(t.keys)
    repeated = cur.execute(
        f"select exists (select 1 from {t.table} group by {keys} having count(*) > 1)"
    ).fetchone()[0]
    if repeated:
        raise NotClean
    return int(inserted)


def upsert(cur: duckdb.DuckDBPyConnection, kind: str, import_id: int) -> tuple[int, int, int]:
    """Write ingest_clean into the target table; return (inserted, updated, unchanged)."""
    t = TARGETS[kind]
    on = " and ".join(f"t.{k} = n.{k}" for k in t.keys)
    same = " and ".join(f"t.{c} is not distinct from n.{c}" for c in t.columns)
    cols = ", ".join(t.columns)
    n_cols = ", ".join(f"n.{c}" for c in t.columns)
    t_cols = ", ".join(f"t.{c}" for c in t.columns)
    matched = cur.execute(
        f"select count(*) from ingest_clean n join {t.table} t on {on}"
    ).fetchone()[0]
    if not matched:
        # A first load of these keys: nothing to compare or keep, so no per-row diff table.
        cur.execute(
            f"""
            insert into {t.table} ({cols}, import_id, first_import_id)
            select {n_cols}, $id, $id from ingest_clean n
            """,
            {"id": import_id},
        )
        return int(cur.execute("select count(*) from ingest_clean").fetchone()[0]), 0, 0
    cur.execute(
        f"""
        create or replace temp table ingest_diff as
        select n.line, {", ".join(f"n.{k}" for k in t.keys)},
            case when t.{t.keys[0]} is null then 'insert'
                 when {same} then 'same' else 'update' end as action,
            t.first_import_id as old_first
        from ingest_clean n left join {t.table} t on {on}
        """
    )
    d_on = " and ".join(f"t.{k} = d.{k}" for k in t.keys)
    cur.execute(
        f"""
        insert into {t.table}_history ({cols}, import_id, first_import_id, replaced_by)
        select {t_cols}, t.import_id, t.first_import_id, $id
        from {t.table} t join ingest_diff d on {d_on} where d.action = 'update'
        """,
        {"id": import_id},
    )
    cur.execute(f"delete from {t.table} t using ingest_diff d where {d_on} and d.action = 'update'")
    counts = dict(
        cur.execute("select action, count(*) from ingest_diff group by action").fetchall()
    )
    if counts.keys() <= {"insert"}:
        # Only new rows (a first load): no join needed to pick them.
        pick = "from ingest_clean n"
        first = "$id"
    else:
        pick = (
            "from ingest_clean n join ingest_diff d on d.line = n.line "
            "where d.action in ('insert', 'update')"
        )
        first = "coalesce(d.old_first, $id)"
    cur.execute(
        f"""
        insert into {t.table} ({cols}, import_id, first_import_id)
        select {n_cols}, $id, {first} {pick}
        """,
        {"id": import_id},
    )
    return int(counts.get("insert", 0)), int(counts.get("update", 0)), int(counts.get("same", 0))


def record_import(
    cur: duckdb.DuckDBPyConnection,
    result: ImportResult,
    *,
    kind: str,
    user: str | None,
    source: str | None,
    started: datetime,
) -> None:
    """Insert the imports row of this attempt (`kind` as recorded: "manual" for the form)."""
    message = None
    if result.warnings:
        first = result.warnings[0]
        message = (
            f"{len(result.warnings):,} value(s) hold invisible or direction-changing characters; "
            f"first on line {first.line}, column {first.column}"
        )
    if result.errors:
        found = max(result.problem_count, len(result.errors))
        message = f"{count(found, 'problem')}; first: {result.errors[0].reason}"
    sql.run(
        cur,
        "imports_record",
        id=result.import_id,
        kind=kind,
        file=result.file_name,
        sha=result.file_sha256,
        user=user,
        source=source,
        started=started,
        finished=now(),
        status=result.status,
        read=result.rows_read,
        ins=result.inserted,
        upd=result.updated,
        same=result.unchanged,
        rej=result.rejected,
        message=message,
    )
