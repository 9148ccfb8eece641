"""Stage an export on the import's cursor: read it into temp tables and clean it in SQL.

Every row of ingest_clean carries the line of the file it came from, numbered in the read (or
by renumber.renumber's copy), and the reason each rejected value is rejected (e_<column>).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path

import duckdb

from clinic import config, sql
from clinic.ingest import headers, problems
from clinic.ingest.renumber import Renumbered, renumber
from clinic.ingest.results import Problem
from clinic.ingest.targets import CLEAN_QUERY
from clinic.ingest.textfile import TextFile, Unreadable

Progress = Callable[[float, str], None]
NO_ROWS = "The file has a header row but no data rows: export again with the rows to import."

# Every record as text in file order. Strict: the first record DuckDB cannot read stops the
# statement (recording every bad cell instead cost 1.4 KB and 20 us each: a file of broken
# rows took gigabytes); the staged path then lets Python renumber the file (renumber.renumber).
# A fragment, not a query file: the cleaning query below reads the file through it, with a
# projection built from the mapping's allow-list.
_READ_CSV = """
    read_csv(
        $path, header = true, auto_detect = false, delim = $delim, quote = '"', escape = '"',
        columns = $columns, null_padding = false, max_line_size = 10000000
    )
"""


class NotUtf8(Exception):
    """DuckDB met bytes that are not UTF-8 past the head Python checked: decode as Windows-1252."""


class Broken(Exception):
    """DuckDB met a record it cannot read, which aborts the transaction: renumber, start over."""


@dataclass
class Staged:
    """The result of staging and validating a file on one cursor."""

    rows_read: int
    problems: list[Problem]
    mapping: headers.Mapping
    total: int = 0
    rejected: int = 0
    warnings: list[Problem] = field(default_factory=list)


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


def prepare(cur: duckdb.DuckDBPyConnection) -> None:
    """Bound this cursor's working memory; create the shared macros and the vocabulary table."""
    # One database instance serves the whole process: its memory_limit would bound the page
    # queries too. operator_memory_limit is per connection, so only this import's sorts and hash
    # tables (duplicate keys, joins) spill to disk past it. A setting takes no bound parameter;
    # the number is our own configuration, an int.
    cur.execute(f"set operator_memory_limit = '{config.import_memory_mb()}MB'")
    cur.execute(sql.load("ingest_macros")[0])
    f, t, c = _vocabulary_rows()
    sql.run(cur, "ingest_vocabulary", fields=f, terms=t, canonical=c)


def csv_params(text: TextFile, numbered: Renumbered | None) -> dict[str, object]:
    """The read_csv parameters of a file (or its renumbered copy): path, delimiter, columns."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(text.headers))}
    if numbered:
        return {"path": str(numbered.path), "delim": ",", "columns": {"line": "BIGINT", **columns}}
    return {"path": str(text.path), "delim": text.delimiter, "columns": columns}


def clean_select(
    kind: str,
    text: TextFile,
    m: headers.Mapping,
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
    cols = headers.columns(kind)
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
        CLEAN_QUERY[kind],
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
    return query, {**params, **csv_params(text, numbered)}


def renumbered(text: TextFile) -> Renumbered:
    """renumber.renumber with this import's problem limit; NotUtf8 for bytes that are not UTF-8."""
    try:
        return renumber(text, config.max_problems())
    except UnicodeDecodeError:
        raise NotUtf8 from None


def _read(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    text: TextFile,
    m: headers.Mapping,
    store_path: Path,
    numbered: Renumbered | None,
) -> None:
    """Read the file (or its renumbered copy) into ingest_cleaned, or only into ingest_file.

    A file missing required columns cannot be cleaned: it is read only to count its rows.
    """
    if m.missing(kind):
        # The staging table's name is fixed; the read is the same fragment the cleaning uses.
        cur.execute(
            f"create or replace temp table ingest_file as select * from {_READ_CSV}",
            csv_params(text, numbered),
        )
    else:
        select, params = clean_select(kind, text, m, store_path, numbered)
        cur.execute(f"create or replace temp table ingest_cleaned as {select}", params)


def _read_staged(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    text: TextFile,
    m: headers.Mapping,
    store_path: Path,
    numbered: Renumbered | None,
) -> Renumbered | None:
    """Read the file as it is, or from a renumbered copy when it must; the copy used.

    DuckDB reads the file as it is unless a record cannot be read (wrong number of cells, a
    misplaced quote: Broken) or the records do not match the lines (a blank line, which DuckDB
    skips and a spreadsheet shows, or a cell over several lines). Then Python reads it record
    by record (renumber.renumber: each line numbered as a spreadsheet shows it, broken records
    listed) and DuckDB reads that copy instead.
    """
    if numbered is None:
        try:
            _read(cur, kind, text, m, store_path, None)
        except duckdb.InterruptException:
            raise  # a stopping server, not a problem of the file
        except duckdb.Error as exc:
            text.check()  # binary bytes or mixed line ends explain a failed read better
            message = str(exc)
            if "Invalid unicode" in message and not text.verified:
                raise NotUtf8 from None
            if "CSV Error" in message:
                raise Broken from None
            first = message.splitlines()[0]
            raise Unreadable(f"The file could not be read as a table ({first}).") from None
        text.check()
        table = "ingest_file" if m.missing(kind) else "ingest_cleaned"
        records = cur.execute(f"select count(*) from {table}").fetchone()[0]
        if records + 1 == text.lines:
            return None
        numbered = renumbered(text)
    _read(cur, kind, text, m, store_path, numbered)
    return numbered


def _rows_read(
    cur: duckdb.DuckDBPyConnection, kind: str, text: TextFile, m: headers.Mapping
) -> int:
    """The data rows read (blank records left out); ingest_clean holds them when it can."""
    if m.missing(kind):
        n = len(text.headers)
        any_cell = f"coalesce({', '.join(f'c{i}' for i in range(n))}) is not null"
        return int(cur.execute(f"select count(*) from ingest_file where {any_cell}").fetchone()[0])
    sql.run(cur, "ingest_clean_view")
    return int(cur.execute("select count(*) from ingest_clean").fetchone()[0])


def stage(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    text: TextFile,
    m: headers.Mapping,
    store_path: Path,
    progress: Progress,
    numbered: Renumbered | None = None,
) -> Staged:
    """Load the file into temp tables, clean it (ingest_clean) and collect its problems.

    Every problem is counted; the first max_problems() by line are listed (memory and the
    import_rejects rows stay bounded whatever the file holds).
    """
    prepare(cur)
    progress(0.1, "reading and checking the file")
    numbered = _read_staged(cur, kind, text, m, store_path, numbered)
    progress(0.5, "matching lines")
    broken = numbered.broken if numbered else 0
    rows_read = _rows_read(cur, kind, text, m) + broken
    if not rows_read:
        raise Unreadable(NO_ROWS)
    structural = numbered.problems if numbered else []
    found = problems.collect(cur, kind, m, structural, broken, progress)
    listed = problems.listed(cur, found.total)
    warnings = problems.warnings(cur, kind, m) if text.hidden and not m.missing(kind) else []
    return Staged(rows_read, listed, m, found.total, found.rejected, warnings)
