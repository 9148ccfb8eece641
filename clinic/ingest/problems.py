"""Find what is wrong with a staged file: every problem counted, the first ones by line listed.

Each column lists at most max_problems() rows (a top-N by line), and each repeated key is one
problem naming its first lines and how many there are: memory stays bounded by the number of
distinct repeated keys, never by the number of rows (or their square).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

import duckdb

from clinic import config, sql
from clinic.ingest import headers
from clinic.ingest.results import Problem, more_problems
from clinic.ingest.scan import HIDDEN_CHARS
from clinic.ingest.targets import KEY_COLUMN, TARGETS, VERBATIM

# Where a problem sits among the problems of its line (queries/ingest_problems_table.sql).
_BROKEN_RECORD, _HEADER = -3, -2
_HIDDEN_REASON = (
    "holds invisible or direction-changing characters ({chars}), so it can show as a different "
    "text from the one stored; it is stored as written: check it in the source system"
)


@dataclass
class Found:
    """How many problems a file has in all and how many of its rows they reject."""

    total: int
    rejected: int


def as_lists(problems: list[Problem]) -> dict[str, list]:
    """Problems as the parallel lists the *_add queries unnest (one statement for them all)."""
    # executemany runs one statement per row: 1 s for 1,000 rows.
    return {
        "line": [p.line for p in problems],
        "column": [p.column for p in problems],
        "value": [p.value for p in problems],
        "reason": [p.reason for p in problems],
    }


def _add(cur: duckdb.DuckDBPyConnection, pos: int, problems: list[Problem]) -> None:
    """Add problems found in Python to ingest_problems."""
    if problems:
        sql.run(cur, "ingest_problems_add", pos=pos, **as_lists(problems))


def _header_problems(kind: str, m: headers.Mapping) -> list[Problem]:
    """Problems of the header row: a column mapped twice, a required column missing."""
    found = [
        Problem(1, h, None, f"a second column maps to {canonical}; map it or ignore it")
        for h, canonical in m.duplicates
    ]
    for canonical in m.missing(kind):
        expected = ", ".join(headers.expected_headers(kind, canonical))
        reason = f"required column {canonical} not found; expected one of the headers {expected}"
        found.append(Problem(1, canonical, None, reason))
    return found


def collect(
    cur: duckdb.DuckDBPyConnection,
    kind: str,
    m: headers.Mapping,
    structural: list[tuple[int, str]],
    broken: int,
    progress: Callable[[float, str], None],
) -> Found:
    """Put the problems of the header, the records and every value into ingest_problems."""
    sql.run(cur, "ingest_problems_table")
    _add(cur, _BROKEN_RECORD, [Problem(line, None, None, why) for line, why in structural])
    header = _header_problems(kind, m)
    _add(cur, _HEADER, header)
    found = Found(broken + len(header), broken)
    if m.missing(kind):
        return found
    progress(0.6, "collecting problems")
    values = _value_problems(cur, kind, m)
    repeated = _repeated_keys(cur, kind, m)
    rejected = found.rejected
    if values or repeated:
        rejected += _rejected_rows(cur, kind)
    return Found(found.total + values + repeated, rejected)


def _value_problems(cur: duckdb.DuckDBPyConnection, kind: str, m: headers.Mapping) -> int:
    """List the first rejected values of each column; return how many there are in all."""
    cols = headers.columns(kind)
    counted = " + ".join(f"count(e_{c})" for c in cols)
    bad_values = int(cur.execute(f"select {counted} from ingest_clean").fetchone()[0])
    if not bad_values:
        return 0
    for pos, c in enumerate(cols):
        # Never the raw client id, even in the record of a rejected file. Column names come
        # from the alias table's allow-list (identifiers cannot be bound).
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
            {"pos": pos, "header": m.header_of(c) or c, "n": config.max_problems()},
        )
    return bad_values


def _repeated_keys(cur: duckdb.DuckDBPyConnection, kind: str, m: headers.Mapping) -> int:
    """Keep the keys the file repeats in ingest_dups, list one problem each; how many there are."""
    target = TARGETS[kind]
    keys = ", ".join(target.keys)
    label_expr = " || ' from ' || ".join(f"{k}::varchar" for k in target.keys)
    not_null = " and ".join(f"{k} is not null" for k in target.keys)
    # Key columns come from TARGETS (identifiers cannot be bound).
    cur.execute(
        f"""
        create or replace temp table ingest_dups as
        select {keys}, {label_expr} as label, min(line, 6) as lines, count(*) as n
        from ingest_clean where {not_null}
        group by {keys} having count(*) > 1
        """
    )
    repeated = int(cur.execute("select count(*) from ingest_dups").fetchone()[0])
    if repeated:
        key_col = KEY_COLUMN[kind]
        sql.run(
            cur,
            "ingest_duplicate_problems",
            header=m.header_of(key_col) or key_col,
            label=target.key_label,
            n=config.max_problems(),
        )
    return repeated


def _rejected_rows(cur: duckdb.DuckDBPyConnection, kind: str) -> int:
    """The rows with a rejected value or a repeated key."""
    target = TARGETS[kind]
    any_bad = " or ".join(f"c.e_{c} is not null" for c in headers.columns(kind))
    on = " and ".join(f"d.{k} = c.{k}" for k in target.keys)
    return int(
        cur.execute(
            f"""
            select count(*) from ingest_clean c left join ingest_dups d on {on}
            where {any_bad} or d.n is not null
            """
        ).fetchone()[0]
    )


def listed(cur: duckdb.DuckDBPyConnection, total: int) -> list[Problem]:
    """The first max_problems() problems by line, and one more saying how many there are."""
    rows = sql.run(cur, "ingest_problems_listed", n=config.max_problems()).fetchall()
    found = [Problem(int(r[0]), r[1], r[2], r[3]) for r in rows]
    if total > len(found):
        found.append(more_problems(total, len(found)))
    return found


def warnings(cur: duckdb.DuckDBPyConnection, kind: str, m: headers.Mapping) -> list[Problem]:
    """The first max_problems() values of verbatim columns that hold hidden characters."""
    limit = config.max_problems()
    found: list[Problem] = []
    for c in VERBATIM[kind]:
        # Column names from VERBATIM's allow-list (identifiers cannot be bound).
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
