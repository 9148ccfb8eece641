"""Stage an export in DuckDB, clean and validate it in SQL, upsert it in one transaction."""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cache
from pathlib import Path

import duckdb
import pandas as pd

from clinic import audit, auth, config, facts, sql
from clinic.ingest import mapping as mp
from clinic.ingest.reader import (
    HIDDEN_CHARS,
    Renumbered,
    Reread,
    TextFile,
    Unreadable,
    file_sha256,
    open_export,
    renumber,
)
from clinic.store import as_task
from clinic.words import count

KINDS = mp.KINDS
Progress = Callable[[float, str], None]


@dataclass
class Problem:
    """One reason a file or a row was refused (line as a spreadsheet shows it, header = 1)."""

    line: int | None
    column: str | None
    value: str | None
    reason: str

    def to_json(self) -> dict:
        """The contract shape of one error."""
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PriceEffect:
    """What saving price rows changes beyond the price list itself.

    `appointments` completed appointments without a charged price are re-valued by
    `change_gbp` in all (their revenue goes from `before_gbp` to `after_gbp`);
    `kind_changes` lists (item, kind before, kind after) for items whose kind changes.
    """

    appointments: int
    before_gbp: float
    after_gbp: float
    change_gbp: float
    kind_changes: tuple[tuple[str, str, str], ...] = ()


def _price_effect(cur: duckdb.DuckDBPyConnection) -> PriceEffect:
    """What the checked price rows in ingest_clean would change, read on the staging cursor."""
    text, params = sql.bind("prices_revaluation")
    n, before, after, change = cur.execute(text, params).fetchone()
    text, params = sql.bind("prices_kind_changes")
    kinds = tuple(tuple(r) for r in cur.execute(text, params).fetchall())
    return PriceEffect(int(n), round(before, 2), round(after, 2), round(change, 2), kinds)


@dataclass
class ImportResult:
    """What an import did: counts, problems and its status (committed, rejected, unreadable)."""

    import_id: int | None
    kind: str
    file_name: str
    file_sha256: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[Problem] = field(default_factory=list)
    status: str = "committed"
    price_effect: PriceEffect | None = None  # a committed price list: what it re-valued
    # Every problem found; `errors` lists the first max_problems() of them and then one more
    # that says how many there are in all.
    problem_count: int = 0
    # Values stored as written that deserve a look (invisible or direction-changing characters).
    warnings: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict:
        """Exactly the document `import --json` prints."""
        return {
            "import_id": self.import_id,
            "kind": self.kind,
            "file_sha256": self.file_sha256,
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [p.to_json() for p in self.errors],
        }


@dataclass
class Preview:
    """What an import would do, computed without writing anything."""

    headers: list[str]
    mapping: dict[str, str | None]
    missing_required: list[str]
    ignored: list[str]
    dropped: list[str]
    sample: pd.DataFrame
    problems: list[Problem]
    rows_read: int
    price_effect: PriceEffect | None = None  # a clean price list: what importing it changes
    # Every problem found (`problems` lists the first max_problems() and a count of the rest).
    problem_count: int = 0
    warnings: list[Problem] = field(default_factory=list)


@dataclass(frozen=True)
class Target:
    """Where one kind of export is stored: table, key columns and stored columns."""

    table: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    key_label: str


# The only table and column names ever placed in generated SQL (an allow-list, never user text).
TARGETS = {
    "appointments": Target(
        "appointments",
        ("appointment_id",),
        (
            "appointment_id",
            "appointment_date",
            "start_time",
            "patient_ref",
            "clinician",
            "item",
            "kind",
            "status",
            "price_charged_gbp",
            "site",
            "vein_type",
            "vein_diameter_mm",
            "sclerosant",
            "concentration_pct",
            "form",
            "volume_ml",
            "treated_area",
            "compression",
            "funding",
        ),
        "appointment id",
    ),
    "side-effects": Target(
        "side_effects",
        ("report_id",),
        (
            "report_id",
            "appointment_id",
            "reported_date",
            "effect",
            "severity",
            "medical_attention",
            "onset_date",
            "resolved_date",
            "action",
            "outcome",
            "reported_by",
            "notes",
        ),
        "report id",
    ),
    "prices": Target(
        "prices",
        ("item", "valid_from"),
        ("item", "kind", "valid_from", "price_gbp", "duration_min"),
        "item and valid-from date",
    ),
}
# The column of the file that names a duplicate key (for the problem's `column`).
_KEY_COLUMN = {"appointments": "appointment_id", "side-effects": "report_id", "prices": "item"}
# Columns stored as the file writes them (names, ids, free text): where hidden characters matter.
_VERBATIM = {
    "appointments": ("appointment_id", "clinician", "site", "treated_area"),
    "side-effects": ("report_id", "appointment_id", "action", "outcome", "reported_by", "notes"),
    "prices": ("item",),
}
_HIDDEN_REASON = (
    "holds invisible or direction-changing characters ({chars}), so it can show as a different "
    "text from the one stored; it is stored as written: check it in the source system"
)
_CLEAN_QUERY = {
    "appointments": "ingest_appointments_clean",
    "side-effects": "ingest_side_effects_clean",
    "prices": "ingest_prices_clean",
}
NO_ROWS = "The file has a header row but no data rows: export again with the rows to import."


def _now() -> datetime:
    """The current UTC time without a zone (the store keeps UTC)."""
    return datetime.now(UTC).replace(tzinfo=None)


@cache
def _vocabulary_rows() -> tuple[list[str], list[str], list[str]]:
    """The vocabulary file as parallel lists (field, synonym, canonical)."""
    data = json.loads((config.DATA_FILES / "vocabulary.json").read_text(encoding="utf-8"))
    fields, terms, canon = [], [], []
    for name, groups in data.items():
        for canonical, synonyms in groups.items():
            for term in [canonical, *synonyms]:
                fields.append(name)
                terms.append(term)
                canon.append(canonical)
    return fields, terms, canon


def _prepare(cur: duckdb.DuckDBPyConnection) -> None:
    """Bound this cursor's working memory; create the shared macros and the vocabulary table."""
    # One database instance serves the whole process: its memory_limit would bound the page
    # queries too. operator_memory_limit is per connection, so only this import's sorts and hash
    # tables (duplicate keys, joins) spill to disk past it.
    cur.execute(f"set operator_memory_limit = '{config.import_memory_mb()}MB'")
    cur.execute(sql.load("ingest_macros")[0])
    cur.execute(
        "create or replace temp table ingest_vocab (field varchar, term varchar, canonical varchar)"
    )
    f, t, c = _vocabulary_rows()
    # One row per (field, normalised term), so the lookups never multiply rows.
    cur.execute(
        """
        insert into ingest_vocab
        select field, term, any_value(canonical)
        from (select unnest($f) as field, ingest_norm(unnest($t)) as term, unnest($c) as canonical)
        group by field, term
        """,
        {"f": f, "t": t, "c": c},
    )


@dataclass
class Staged:
    """The result of staging and validating a file on one cursor."""

    rows_read: int
    problems: list[Problem]
    mapping: mp.Mapping
    total: int = 0
    rejected: int = 0
    warnings: list[Problem] = field(default_factory=list)


# Every record as text in file order. Strict: the first record DuckDB cannot read stops the
# statement (recording every bad cell instead cost 1.4 KB and 20 us each: a file of broken
# rows took gigabytes); the staged path then lets Python renumber the file (reader.renumber).
_READ_CSV = """
    read_csv(
        $path, header = true, auto_detect = false, delim = $delim, quote = '"', escape = '"',
        columns = $columns, null_padding = false, max_line_size = 10000000
    )
"""


def _read_csv(cur: duckdb.DuckDBPyConnection, text: TextFile, numbered: Renumbered | None) -> None:
    """Load every record of the file as text into ingest_file."""
    cur.execute(
        f"create or replace temp table ingest_file as select * from {_READ_CSV}",
        _csv_params(text, numbered),
    )


def _clean_select(
    kind: str,
    text: TextFile,
    m: mp.Mapping,
    store_path: Path,
    numbered: Renumbered | None = None,
    *,
    lines: bool = True,
) -> tuple[str, dict[str, object]]:
    """The query (and its parameters) that parses and cleans the file in one pass.

    Each row carries its `line` (from a renumbered copy, the copy's own; `lines=False`, for the
    one-pass load that lists no line, none); blank records stay (flagged) so the line numbering
    holds. Raw text is kept only where a value is rejected.
    """
    n = len(text.headers)
    present = {c: i for i, c in m.canonical.items()}
    cols = mp.columns(kind)
    # Column names come from the mapping's allow-list (c<index>, canonical names), never file text.
    projections = [
        f"c{present[c]} as r_{c}" if c in present else f"cast(null as varchar) as r_{c}"
        for c in cols
    ]
    # Empty unquoted cells read as NULL, so a blank spreadsheet row is all NULL. Reading every
    # column here is also what makes DuckDB check every column's UTF-8 (it checks only the
    # columns a query reads): keep all of them in this expression.
    projections.append(f"coalesce({', '.join(f'c{i}' for i in range(n))}) is null as blank_record")
    if numbered:
        projections.append("line")
    elif lines:
        # Numbered in the read, before the cleaning query's joins, which may reorder rows (hash
        # joins on a store with data): an empty OVER keeps the reader's order (record 1 = line 2).
        projections.append("(row_number() over () + 1)::bigint as line")
    # Never the raw client id, even in the record of a rejected file.
    kept = [
        f"case when e_{c} is not null then r_{c} end as v_{c}" for c in cols if c != "client_id"
    ]
    clean_sql, params = sql.bind(
        _CLEAN_QUERY[kind],
        {"key": config.pseudonym_key(store_path)} if kind == "appointments" else {},
    )
    query = f"""
        with ingest_raw as (
            select {", ".join(projections)}
            from {_READ_CSV}
        )
        select * exclude ({", ".join(f"r_{c}" for c in cols)}), {", ".join(kept)}
        from (
{clean_sql}
        )
        """
    return query, {**params, **_csv_params(text, numbered)}


def _csv_params(text: TextFile, numbered: Renumbered | None) -> dict[str, object]:
    """The read_csv parameters of a file (or its renumbered copy): path, delimiter, columns."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(text.headers))}
    if numbered:
        return {"path": str(numbered.path), "delim": ",", "columns": {"line": "BIGINT", **columns}}
    return {"path": str(text.path), "delim": text.delimiter, "columns": columns}


class _NotClean(Exception):
    """The one-pass load met a problem: roll it back and let the staged path list every one."""


class _NotUtf8(Exception):
    """DuckDB met bytes that are not UTF-8 past the head Python checked: decode as Windows-1252."""


def _load_direct(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    text: TextFile,
    m: mp.Mapping,
    store_path: Path,
    import_id: int,
) -> int:
    """Parse, clean and insert a file into an EMPTY target table in one pass; return the rows.

    With nothing to compare against, an import needs no staging table: rows go straight from
    DuckDB's CSV reader through the cleaning query into the table. Any problem (a rejected
    value, an unreadable record, a repeated key) raises _NotClean; the caller rolls back and
    takes the staged path, which finds and lists them all.
    """
    t = TARGETS[kind]
    if cur.execute(f"select exists (select 1 from {t.table})").fetchone()[0]:
        raise _NotClean
    select, params = _clean_select(kind, text, m, store_path, lines=False)
    bad = " or ".join(f"e_{c} is not null" for c in mp.columns(kind))
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
        raise _NotClean from None
    if not inserted:  # no data row (or a problem): the staged path says which
        raise _NotClean
    text.check()
    if text.hidden:  # the staged path names the lines
        raise _NotClean
    keys = ", ".join(t.keys)
    repeated = cur.execute(
        f"select exists (select 1 from {t.table} group by {keys} having count(*) > 1)"
    ).fetchone()[0]
    if repeated:
        raise _NotClean
    return int(inserted)


class _Broken(Exception):
    """DuckDB met a record it cannot read, which aborts the transaction: renumber, start over."""


def _renumber(text: TextFile) -> Renumbered:
    """reader.renumber with this import's problem limit; _NotUtf8 for bytes that are not UTF-8."""
    try:
        return renumber(text, config.max_problems())
    except UnicodeDecodeError:
        raise _NotUtf8 from None


def _read_staged(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    text: TextFile,
    m: mp.Mapping,
    store_path: Path,
    numbered: Renumbered | None,
) -> Renumbered | None:
    """Read the file into ingest_cleaned (ingest_file when columns are missing); the copy used.

    DuckDB reads the file as it is unless a record cannot be read (wrong number of cells, a
    misplaced quote: _Broken) or the records do not match the lines (a blank line, which DuckDB
    skips and a spreadsheet shows, or a cell over several lines). Then Python reads it record
    by record (reader.renumber: each line numbered as a spreadsheet shows it, broken records
    listed) and DuckDB reads that copy instead.
    """
    missing = bool(m.missing(kind))
    table = "ingest_file" if missing else "ingest_cleaned"

    def read(copy: Renumbered | None) -> None:
        if missing:  # only to count the rows of a file that cannot be imported
            _read_csv(cur, text, copy)
        else:
            select, params = _clean_select(kind, text, m, store_path, copy)
            cur.execute(f"create or replace temp table {table} as {select}", params)

    if numbered is None:
        try:
            read(None)
        except duckdb.InterruptException:
            raise  # a stopping server, not a problem of the file
        except duckdb.Error as exc:
            text.check()  # binary bytes or mixed line ends explain a failed read better
            message = str(exc)
            if "Invalid unicode" in message and not text.verified:
                raise _NotUtf8 from None
            if "CSV Error" in message:
                raise _Broken from None
            first = message.splitlines()[0]
            raise Unreadable(f"The file could not be read as a table ({first}).") from None
        text.check()
        records = cur.execute(f"select count(*) from {table}").fetchone()[0]
        if records + 1 == text.lines:
            return None
        numbered = _renumber(text)
    read(numbered)
    return numbered


def _stage(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    text: TextFile,
    m: mp.Mapping,
    store_path: Path,
    progress: Progress,
    numbered: Renumbered | None = None,
) -> Staged:
    """Load the file into temp tables, clean it (ingest_clean) and collect its problems.

    Every problem is counted; the first max_problems() by line are listed (memory and the
    import_rejects rows stay bounded whatever the file holds).
    """
    _prepare(cur)
    progress(0.1, "reading and checking the file")
    missing = m.missing(kind)
    numbered = _read_staged(cur, kind, text, m, store_path, numbered)
    progress(0.5, "matching lines")
    if missing:
        n = len(text.headers)
        any_cell = f"coalesce({', '.join(f'c{i}' for i in range(n))}) is not null"
        loaded = cur.execute(f"select count(*) from ingest_file where {any_cell}").fetchone()[0]
    else:
        # Every row carries its line from the read (_clean_select), not from its place here.
        cur.execute(
            """
            create or replace temp view ingest_clean as
            select * exclude (blank_record) from ingest_cleaned where not blank_record
            """
        )
        loaded = cur.execute("select count(*) from ingest_clean").fetchone()[0]
    broken = numbered.broken if numbered else 0
    rows_read = int(loaded) + broken
    if not rows_read:
        raise Unreadable(NO_ROWS)
    cur.execute(
        "create or replace temp table ingest_problems (line bigint, pos integer, "
        '"column" varchar, value varchar, reason varchar)'
    )
    header = [
        Problem(1, h, None, f"a second column maps to {canonical}; map it or ignore it")
        for h, canonical in m.duplicates
    ]
    for canonical in missing:
        expected = ", ".join(mp.expected_headers(kind, canonical))
        reason = f"required column {canonical} not found; expected one of the headers {expected}"
        header.append(Problem(1, canonical, None, reason))
    structural = [Problem(line, None, None, why) for line, why in getattr(numbered, "problems", [])]
    _insert_problems(cur, "ingest_problems", {"pos": -3}, structural)
    _insert_problems(cur, "ingest_problems", {"pos": -2}, header)
    found = Found(broken + len(header), broken)
    if not missing:
        progress(0.6, "collecting problems")
        found = _collect_problems(cur, kind, m, found)
    limit = config.max_problems()
    rows = cur.execute(
        'select line, "column", value, reason from ingest_problems order by line, pos limit $n',
        {"n": limit},
    ).fetchall()
    problems = [Problem(int(r[0]), r[1], r[2], r[3]) for r in rows]
    if found.total > len(problems):
        problems.append(_more(found.total, len(problems)))
    warnings = _collect_warnings(cur, kind, m) if text.hidden and not missing else []
    return Staged(rows_read, problems, m, found.total, found.rejected, warnings)


def _collect_warnings(cur: duckdb.DuckDBPyConnection, kind: str, m: mp.Mapping) -> list[Problem]:
    """The first max_problems() values of verbatim columns that hold hidden characters."""
    limit = config.max_problems()
    found: list[Problem] = []
    for c in _VERBATIM[kind]:
        rows = cur.execute(
            f"select line, {c} from ingest_clean where regexp_matches({c}, $chars) "
            "order by line limit $n",
            {"chars": HIDDEN_CHARS, "n": limit},
        ).fetchall()
        for line, value in rows:
            chars = sorted({ch for ch in value if re.fullmatch(HIDDEN_CHARS, ch)})
            names = ", ".join(f"U+{ord(ch):04X} {unicodedata.name(ch, '')}".strip() for ch in chars)
            shown = "".join(f"<U+{ord(ch):04X}>" if ch in chars else ch for ch in value)
            found.append(
                Problem(int(line), m.header_of(c) or c, shown, _HIDDEN_REASON.format(chars=names))
            )
    return sorted(found, key=lambda p: p.line or 0)[:limit]


def _insert_problems(
    cur: duckdb.DuckDBPyConnection, table: str, first: dict[str, int], problems: list[Problem]
) -> None:
    """Insert problems into a problems table in one statement, after the `first` columns."""
    if not problems:
        return
    # One statement with lists (executemany runs one statement per row: 1 s for 1,000 rows).
    # `table` and the keys of `first` are our own names, never file text.
    cur.execute(
        f"""
        insert into {table} ({", ".join(first)}, line, "column", value, reason)
        select {", ".join(f"${k}" for k in first)}, unnest($line), unnest($column),
            unnest($value), unnest($reason)
        """,
        {
            **first,
            "line": [p.line for p in problems],
            "column": [p.column for p in problems],
            "value": [p.value for p in problems],
            "reason": [p.reason for p in problems],
        },
    )


def _more(total: int, listed: int) -> Problem:
    """The last problem of a list cut short: how many there are in all."""
    return Problem(
        None,
        None,
        None,
        f"{total:,} problems in all; the first {listed:,} by line are listed. Fix these (often "
        "one cause, such as a wrongly mapped column) and check the file again.",
    )


@dataclass
class Found:
    """How many problems a file has in all and how many of its rows they reject."""

    total: int
    rejected: int


def _collect_problems(
    cur: duckdb.DuckDBPyConnection, kind: str, m: mp.Mapping, found: Found
) -> Found:
    """Add the first problems of each column and of duplicate keys to ingest_problems; count all.

    Each column lists at most max_problems() rows (a top-N by line), and each repeated key is
    one problem naming its first lines and how many there are: memory stays bounded by the
    number of distinct repeated keys, never by the number of rows (or their square).
    """
    limit = config.max_problems()
    cols = mp.columns(kind)
    any_bad = " or ".join(f"c.e_{c} is not null" for c in cols)
    counted = " + ".join(f"count(e_{c})" for c in cols)
    bad_values = cur.execute(f"select {counted} from ingest_clean").fetchone()[0]
    if bad_values:
        for pos, c in enumerate(cols):
            # Never the raw client id, even in the record of a rejected file.
            value = "cast(null as varchar)" if c == "client_id" else f"c.v_{c}"
            cur.execute(
                f"""
                insert into ingest_problems
                select c.line, $pos, $header, {value}, c.e_{c}
                from ingest_clean c
                where c.e_{c} is not null
                order by c.line
                limit $n
                """,
                {"pos": pos, "header": m.header_of(c) or c, "n": limit},
            )
    target = TARGETS[kind]
    keys = ", ".join(target.keys)
    label_expr = " || ' from ' || ".join(f"{k}::varchar" for k in target.keys)
    not_null = " and ".join(f"{k} is not null" for k in target.keys)
    cur.execute(
        f"""
        create or replace temp table ingest_dups as
        select {keys}, {label_expr} as label, min(line, 6) as lines, count(*) as n
        from ingest_clean where {not_null}
        group by {keys} having count(*) > 1
        """
    )
    repeated = cur.execute("select count(*) from ingest_dups").fetchone()[0]
    if repeated:
        key_col = _KEY_COLUMN[kind]
        # One problem per key, on its first line: "also on line 4", or the first five others and
        # how many more ("also on lines 3, 4, 5, 6, 7 and 9,994 more").
        cur.execute(
            """
            insert into ingest_problems
            select lines[1], -1, $header, label,
                $label || ' ' || label || ' also on line'
                    || case when n > 2 then 's ' else ' ' end
                    || array_to_string(lines[2:], ', ')
                    || case when n > 6 then ' and ' || format('{:,}', n - 6) || ' more' else ''
                        end
            from ingest_dups
            order by lines[1]
            limit $n
            """,
            {"header": m.header_of(key_col) or key_col, "label": target.key_label, "n": limit},
        )
    rejected = found.rejected
    if bad_values or repeated:
        on = " and ".join(f"d.{k} = c.{k}" for k in target.keys)
        rejected += cur.execute(
            f"""
            select count(*) from ingest_clean c left join ingest_dups d on {on}
            where {any_bad} or d.n is not null
            """
        ).fetchone()[0]
    return Found(found.total + int(bad_values) + int(repeated), int(rejected))


def _upsert(cur: duckdb.DuckDBPyConnection, kind: str, import_id: int) -> tuple[int, int, int]:
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


def _audit(
    store, user: str | None, action: str, outcome: str, obj: str | None, details: dict
) -> None:
    """Append one row to the audit trail."""
    audit.log(
        store, user=user, role=None, action=action, outcome=outcome, object=obj, details=details
    )


def _unreadable(
    store, kind: str, name: str, source, user: str | None, exc: Exception
) -> ImportResult:
    """The result (and audit entry) of a file that cannot be read at all."""
    import hashlib

    result = ImportResult(None, kind, name, "", status="unreadable")
    if isinstance(source, bytes):
        result.file_sha256 = hashlib.sha256(source).hexdigest()
    elif Path(source).is_file():
        result.file_sha256 = file_sha256(Path(source))
    result.errors = [Problem(None, None, None, str(exc))]
    result.problem_count = 1
    _audit(store, user, "import", "unreadable", None, _details(result))
    return result


@as_task
def run_import(
    store,
    kind: str,
    source: str | Path | bytes,
    *,
    file_name: str | None = None,
    user: str | None = None,
    mapping: dict[str, str | None] | None = None,
    source_system: str | None = None,
    progress: Progress | None = None,
    record_kind: str | None = None,
    role: str | None = None,
) -> ImportResult:
    """Import one export all-or-nothing; see clinic.ingest.import_file."""
    from clinic.ingest.mappings import load_mapping

    if kind not in KINDS:
        raise ValueError(f"unknown kind {kind!r}: use one of {', '.join(KINDS)}")
    try:
        auth.check_write(role, record_kind or kind)
    except auth.NotAllowed:
        audit.log(
            store, user=user, role=role, action="import", outcome="refused", object=None,
            details={"kind": record_kind or kind, "file_name": file_name},
        )  # fmt: skip
        raise
    report = progress or (lambda _f, _m: None)
    name = file_name or ("upload" if isinstance(source, bytes) else Path(source).name)
    report(0.0, "opening the file")
    try:
        text = open_export(source, name)
    except Unreadable as exc:
        return _unreadable(store, kind, name, source, user, exc)
    try:
        saved = load_mapping(store, source_system, kind) if source_system else None
        m = mp.detect(kind, text.headers, mapping, saved)
        job = _Job(store, kind, text, m, name, user, source_system, record_kind or kind, report)
        # A file read whole raises no Reread, one decoded as Windows-1252 no _NotUtf8.
        for _attempt in range(3):  # as it is, read whole, read whole as Windows-1252
            try:
                result = _import_direct_or_staged(job)
                break
            except (Reread, _NotUtf8) as exc:
                # Rolled back: read the whole file in Python (as Windows-1252 when DuckDB met
                # bytes that are not UTF-8) and start over.
                first = text.sha256
                text.close()
                cp1252 = isinstance(exc, _NotUtf8)
                text = job.text = open_export(source, name, cp1252=cp1252, whole=True)
                if text.sha256 != first:  # rewritten meanwhile: its new bytes may well be UTF-8
                    raise Unreadable(
                        "The file changed while it was being imported: import it again once the "
                        "export has finished writing."
                    ) from None
                job.mapping = mp.detect(kind, text.headers, mapping, saved)
        else:
            raise Unreadable("The file could not be read the same way twice: export it again.")
        report(1.0, "done")
    except Unreadable as exc:
        return _unreadable(store, kind, name, source, user, exc)
    finally:
        text.close()
    _audit(store, user, "import", result.status, f"import:{result.import_id}", _details(result))
    return result


@dataclass
class _Job:
    """One import attempt: the store, the file and its mapping, who and what for."""

    store: object
    kind: str
    text: TextFile
    mapping: mp.Mapping
    file_name: str
    user: str | None
    source: str | None
    record_kind: str
    report: Progress
    started: datetime = field(default_factory=lambda: _now())


def _next_import_id(cur: duckdb.DuckDBPyConnection) -> int:
    """One past the largest recorded import id, read inside the write transaction that uses it.

    Not a sequence: DuckDB logs a sequence's step only with a transaction that commits, so after
    an id drawn in a rolled-back attempt was committed by the retry, a stop without a checkpoint
    (SIGTERM, kill -9, power loss) replayed the log to a sequence behind the largest id and the
    next import collided with it. The store's write lock and its single process make this safe.
    """
    return int(cur.execute("select coalesce(max(import_id), 0) + 1 from imports").fetchone()[0])


def _import_direct_or_staged(job: _Job) -> ImportResult:
    """The one-pass import when it can serve, else the staged one."""
    result = None
    # A price list is small, and the staged path tells what it re-values before writing it.
    direct = job.kind != "prices"
    if direct and not job.mapping.missing(job.kind) and not job.mapping.duplicates:
        result = _import_direct(job)
    return result if result is not None else _import_staged(job)


def _import_direct(job: _Job) -> ImportResult | None:
    """The one-pass import into an empty table; None when the staged path must run instead."""
    job.report(0.1, "reading, checking and writing the rows")
    try:
        with job.store.writer() as cur:
            import_id = _next_import_id(cur)
            _prepare(cur)
            inserted = _load_direct(cur, job.kind, job.text, job.mapping, job.store.path, import_id)
            result = ImportResult(
                import_id, job.kind, job.file_name, job.text.sha256, inserted, inserted
            )
            _record(cur, result, job)
            job.report(0.8, "updating the figures")
            facts.refresh_import(cur, job.kind, import_id)
    except _NotClean:
        return None
    return result


def _import_staged(job: _Job) -> ImportResult:
    """Stage, check and upsert a file in one write transaction (rejected files write no rows)."""
    try:
        return _staged_once(job, None)
    except _Broken:  # rolled back; Python reads the file record by record, then again
        return _staged_once(job, _renumber(job.text))


def _staged_once(job: _Job, numbered: Renumbered | None) -> ImportResult:
    """One transaction of _import_staged: from the file, or from its renumbered copy."""
    kind = job.kind
    with job.store.writer() as cur:
        import_id = _next_import_id(cur)
        staged = _stage(cur, kind, job.text, job.mapping, job.store.path, job.report, numbered)
        result = ImportResult(
            import_id, kind, job.file_name, job.text.sha256, rows_read=staged.rows_read
        )
        result.warnings = staged.warnings
        if staged.problems:
            result.status = "rejected"
            result.errors = staged.problems
            result.problem_count = staged.total
            result.rejected = staged.rejected
            _record(cur, result, job)
            # The listed problems only (and the count of the rest): a bounded number of rows.
            _insert_problems(cur, "import_rejects", {"import_id": import_id}, staged.problems)
        else:
            job.report(0.7, "writing the rows")
            if kind == "prices":
                result.price_effect = _price_effect(cur)
            result.inserted, result.updated, result.unchanged = _upsert(cur, kind, import_id)
            _record(cur, result, job)
        # Derived metric facts follow the rows in the same transaction (clinic/facts.py).
        facts.refresh_import(cur, kind, import_id)
    return result


def _details(result: ImportResult) -> dict:
    """The identifiers and counts an audit entry keeps (never row contents)."""
    return {
        "kind": result.kind,
        "file_name": result.file_name,
        "file_sha256": result.file_sha256,
        "counts": {
            "rows_read": result.rows_read,
            "inserted": result.inserted,
            "updated": result.updated,
            "unchanged": result.unchanged,
            "rejected": result.rejected,
        },
        **({"warnings": len(result.warnings)} if result.warnings else {}),
    }


def _record(cur, result: ImportResult, job: _Job) -> None:
    """Insert the imports row of this attempt."""
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
    cur.execute(
        """
        insert into imports (import_id, kind, file_name, file_sha256, user_name, source,
            started_at, finished_at, status, rows_read, inserted, updated, unchanged, rejected,
            message)
        values ($id, $kind, $file, $sha, $user, $source, $started, $finished, $status, $read,
            $ins, $upd, $same, $rej, $message)
        """,
        {
            "id": result.import_id,
            "kind": job.record_kind,
            "file": result.file_name,
            "sha": result.file_sha256,
            "user": job.user,
            "source": job.source,
            "started": job.started,
            "finished": _now(),
            "status": result.status,
            "read": result.rows_read,
            "ins": result.inserted,
            "upd": result.updated,
            "same": result.unchanged,
            "rej": result.rejected,
            "message": message,
        },
    )


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
    from clinic.ingest.mappings import load_mapping

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
        m = mp.detect(kind, text.headers, mapping, saved)
        with store.cursor() as cur:
            try:
                try:
                    staged = _stage(cur, kind, text, m, store.path, lambda _f, _m: None)
                except _Broken:
                    staged = _stage(cur, kind, text, m, store.path, lambda _f, _m: None,
                                    _renumber(text))  # fmt: skip
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
                    effect = _price_effect(cur)
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
