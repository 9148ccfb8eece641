"""A booking system's export rewritten as our appointments format, in SQL, before it is imported.

The plan (clinic.ingest.plan: which header is which field, which are dropped and why) is pure
Python over the header row; the rows are rewritten by DuckDB statements: values mapped through
the source's saved words and the profile's, dates read in the profile's formats, attendance from
flags, late cancellations from the cancelled-at time, identifying columns hashed (when there is
no client id) and dropped. No row passes through Python.

A file in our own format with vocabulary columns (side effects) goes through the same reading,
word lookup and "not ours" rows (`remap`): one piece serves both kinds of file.

Over 400 lines: the rewrite and the check of our own format share the reading of the file, the
lookup of words and the listing of unmapped values; split, each half would import the other's.
"""

from __future__ import annotations

import os
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from clinic import config, sql
from clinic.ingest import header_words as hw
from clinic.ingest import value_maps
from clinic.ingest.plan import Plan
from clinic.ingest.profiles import VALUE_FIELDS, VOCABULARY_COLUMNS, Profile

OUT_COLUMNS = (
    "appointment_id",
    "date",
    "start_time",
    "client_id",
    "clinician",
    "service",
    "status",
    "price",
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
    "late_cancellation",
)
_TIME_FORMATS = ["%H:%M:%S", "%H:%M", "%I:%M %p", "%I:%M%p", "%H.%M"]
_TRUE = "('true', 't', 'yes', 'y', '1', 'x')"


# -- SQL ------------------------------------------------------------------------------------------
def _col(plan_: Plan, name: str) -> str:
    """The trimmed text of a field's column, or NULL (column names come from positions only)."""
    return f"nullif(trim(c{plan_.used[name]}), '')" if name in plan_.used else "null::varchar"


def _split_formats(formats: list[str]) -> tuple[list[str], list[str]]:
    """Naive formats and formats with a zone (a trailing Z reads as +0000)."""
    naive = [f for f in formats if "%z" not in f and not f.endswith("Z")]
    zoned = [f[:-1] + "%z" if f.endswith("Z") else f for f in formats if f not in naive]
    return naive, zoned


def _ts(expr: str, zoned: bool) -> str:
    """A timestamp (UK local time) read with the bound formats $naive and $zoned."""
    naive = f"try_strptime({expr}, $naive)"
    if not zoned:
        return naive
    text = f"regexp_replace({expr}, 'Z$', '+0000')"
    return f"coalesce({naive}, (try_strptime({text}, $zoned) at time zone 'Europe/London'))"


def _truthy(expr: str) -> str:
    """A flag's cell as true: yes/true/1, or any date or time (arrived_at, a journey time)."""
    return (
        f"(lower({expr}) in {_TRUE} or regexp_matches(coalesce({expr}, ''), '\\d{{1,4}}[-/:]\\d'))"
    )


def _left_out(fields: tuple[str, ...] | list[str]) -> str:
    """Whether a row is mapped as not ours in any of its vocabulary columns (m_<field>)."""
    return " or ".join(f"coalesce(m_{f} = 'skip', false)" for f in fields) or "false"


def rows_sql(plan_: Plan, zoned: bool) -> str:
    """The statement that rewrites vendor_raw as vendor_rows (our columns, mapped terms)."""
    p = plan_
    used = set(p.used)
    date_parts = []
    if "datetime" in used:
        date_parts.append(f"{_ts(_col(p, 'datetime'), zoned)}::date")
    if "date" in used:
        date_parts.append(f"{_ts(_col(p, 'date'), zoned)}::date")
    date = f"coalesce({', '.join(date_parts)})" if date_parts else "null::date"
    time_parts = []
    if "start_time" in used:
        time_parts.append(f"try_strptime(upper({_col(p, 'start_time')}), $times)::time")
    if "slot" in used:
        time_parts.append(f"try_strptime(split_part({_col(p, 'slot')}, '-', 1), $times)::time")
    if "datetime" in used:
        dt = _col(p, "datetime")
        time_parts.append(f"case when {dt} like '%:%' then {_ts(dt, zoned)}::time end")
    time = f"coalesce({', '.join(time_parts)})" if time_parts else "null::time"
    identity = ", ".join(f"lower(regexp_replace(trim(c{i}), '\\s+', ' ', 'g'))" for i in p.identity)
    if "client_id" in used:
        client = _col(p, "client_id")
    elif identity:
        client = f"'h' || left(sha256($key || '|' || concat_ws('|', {identity})), 24)"
    else:
        client = "null::varchar"
    lookups = ",\n        ".join(
        f"maps.terms['{f}:' || vendor_key({_col(p, f)})] as m_{f}"
        if f in used
        else f"null::varchar as m_{f}"
        for f in VALUE_FIELDS
    )
    raws = ",\n        ".join(f"{_col(p, f)} as v_{f}" for f in VALUE_FIELDS)
    flags = {
        f: _truthy(_col(p, f)) if f in used else "false"
        for f in ("arrived", "no_show", "cancelled")
    }
    cancelled_at = (
        _ts(_col(p, "cancelled_at"), zoned) if "cancelled_at" in used else "null::timestamp"
    )
    flagged = p.profile.attendance == "flags" or {"arrived", "no_show", "cancelled"} & used
    if "status" in used or not flagged:
        status = "m_status"
    else:
        status = (
            "case when f_cancelled or cancelled_at is not null then 'cancelled'"
            " when f_no_show then 'no-show' when f_arrived then 'completed' else 'booked' end"
        )
    late_flag = _truthy(_col(p, "late")) if "late" in used else "null::boolean"
    return f"""
create or replace temp table vendor_rows as
with read as (
    select
        line,
        {_col(p, "appointment_id")} as appointment_id,
        {date} as date,
        {time} as start_time,
        {client} as client_id,
        {_col(p, "clinician")} as clinician,
        {raws},
        {lookups},
        {_col(p, "price")} as price,
        {_col(p, "site")} as site,
        {_col(p, "vein_diameter_mm")} as vein_diameter_mm,
        {_col(p, "concentration_pct")} as concentration_pct,
        {_col(p, "volume_ml")} as volume_ml,
        {_col(p, "treated_area")} as treated_area,
        {cancelled_at} as cancelled_at,
        {late_flag} as late_flag,
        {flags["arrived"]} as f_arrived,
        {flags["no_show"]} as f_no_show,
        {flags["cancelled"]} as f_cancelled,
        {_col(p, "date") if "date" in used else _col(p, "datetime")} as date_text,
    from vendor_raw cross join vendor_maps as maps
),
attended as (select *, {status} as status_term from read)
select
    *,
    {_left_out(VALUE_FIELDS)} as left_out,
    case
        when status_term = 'late cancellation' then true
        when status_term <> 'cancelled' then null
        when late_flag is not null then late_flag
        when cancelled_at is not null and date is not null
            then cancelled_at > (date + coalesce(start_time, time '00:00')) - interval 48 hours
    end as late_cancellation,
from attended
"""


_OUT_SQL = """
select
    coalesce(appointment_id || {parts}, 'h' || left(sha256($key || '|' || concat_ws('|',
        strftime(date, '%Y-%m-%d'), start_time::varchar, clinician, m_service, client_id)), 16))
        as appointment_id,
    strftime(date, '%Y-%m-%d') as date,
    left(start_time::varchar, 5) as start_time,
    client_id,
    clinician,
    m_service as service,
    case when status_term = 'late cancellation' then 'cancelled' else status_term end as status,
    {price} as price,
    site,
    m_vein_type as vein_type,
    vein_diameter_mm,
    m_sclerosant as sclerosant,
    concentration_pct,
    m_form as form,
    volume_ml,
    treated_area,
    m_compression as compression,
    m_funding as funding,
    case late_cancellation when true then 'yes' when false then 'no' end as late_cancellation,
from vendor_rows
where not left_out
order by line
"""


def _vocabulary_rows(
    store, source: str | None, profile: Profile | None, fields: tuple[str, ...]
) -> tuple[list, list, list, list]:
    """(field, matched value, term, priority) rows: saved first, then the profile, then ours."""
    f, v, t, pr = [], [], [], []

    def add(name: str, value: str, term: str, priority: int) -> None:
        f.append(name)
        v.append(hw.value_key(value))
        t.append(term)
        pr.append(priority)

    for name, value, term in value_maps.loaded(store, source) if source else []:
        add(name, value, term, 0)
    for name, table in profile.values.items() if profile else []:
        for value, term in table.items():
            add(name, value, term, 1)
    for name in fields:
        if name == "status":
            for term, words in value_maps.vocabulary()["status"].items():
                for word in (term, *words):
                    add(name, word, "late cancellation" if "late" in word else term, 2)
        elif name == "service":
            for item in value_maps.terms(store, "service"):
                add(name, item, item, 2)
        else:
            for term, words in value_maps.vocabulary()[name].items():
                for word in (term, *words):
                    add(name, word, term, 2)
    return f, v, t, pr


@dataclass
class Translated:
    """A file rewritten in our format, or what stops it."""

    path: Path | None  # the rewritten CSV (a private temporary file), None when stopped
    unmapped: list[dict]  # {column, value, rows, first_line}
    problems: list[tuple[int | None, str | None, str | None, str]]  # (line, column, value, reason)
    left_out: int
    rows_read: int
    order_note: str | None = None  # how the day/month order was settled

    def close(self) -> None:
        """Delete the rewritten file."""
        if self.path is not None:
            self.path.unlink(missing_ok=True)


def _order(cur, plan_: Plan, naive: list[str], zoned: list[str]) -> tuple[list, list, str | None]:
    """Settle day/month order of a profile that says 'detect' from the dates of this file."""
    if plan_.profile.order != "detect":
        return naive, zoned, None
    positions = [plan_.used[f] for f in ("datetime", "date") if f in plan_.used]
    if not positions:
        return naive, zoned, None
    view = " union all ".join(f"select c{i} as v from vendor_raw" for i in positions)
    cur.execute(f"create or replace temp view vendor_dates as {view}")
    first, second = cur.execute(sql.load("vendor_day_month")[0]).fetchone()
    if first and second:
        raise ValueError(
            f"The dates in {', '.join(plan_.headers[i] for i in positions)} mix day-first and "
            "month-first order "
            "(some read 13/01, others 01/13): export them again in one order."
        )

    def swap(formats: list[str]) -> list[str]:
        return [
            x.replace("%m/%d", "\0").replace("%d/%m", "%m/%d").replace("\0", "%d/%m")
            for x in formats
        ]

    if second:
        return naive, zoned, "Dates read month first (a date such as 11/13 settles it)."
    note = (
        "Dates read day first (a date such as 13/11 settles it)."
        if first
        else "Dates read day first: no date in the file settles the order, so the UK order is used."
    )
    return swap(naive), swap(zoned), note


_MAX_LISTED = 50
# What a profile's id_parts may add to an id that covers several rows (Zenoti's invoice number).
_ID_PART = {
    "service": "m_service",
    "start_time": "left(start_time::varchar, 5)",
    "clinician": "clinician",
    "date": "strftime(date, '%Y-%m-%d')",
}


def _read(cur, store, text, source: str | None, profile: Profile | None, fields) -> None:
    """vendor_raw (the file's cells as text, c<position>) and vendor_maps (words to ours)."""
    columns = {f"c{i}": "VARCHAR" for i in range(len(text.headers))}
    bound = {"path": str(text.path), "delim": text.delimiter, "columns": columns}
    try:
        cur.execute(*sql.bind("vendor_read", bound))
    except duckdb.Error as exc:  # a ragged row or an unclosed quote: a sentence, not a traceback
        line = re.search(r"CSV Error on Line: (\d+)", str(exc))
        where = f"Line {line.group(1)}" if line else "A line"
        raise ValueError(
            f"{where} does not split into the header's {len(columns)} columns (a cell too many, "
            "or a quote not closed): correct that row or export the file again."
        ) from None
    f, v, t, pr = _vocabulary_rows(store, source, profile, tuple(fields))
    cur.execute(sql.load("vendor_key")[0])
    cur.execute(*sql.bind("vendor_maps", {"f": f, "v": v, "t": t, "p": pr}))


def _temporary_csv() -> Path:
    """A private temporary file for a rewrite (deleted by Translated.close)."""
    fd, name = tempfile.mkstemp(prefix="clinic-vendor-", suffix=".csv")
    os.close(fd)
    return Path(name)


def translate(cur, store, text, plan_: Plan, source: str | None) -> Translated:
    """Rewrite an opened export (reader.TextFile) under a plan; nothing is written to the store."""
    _read(cur, store, text, source, plan_.profile, VALUE_FIELDS)
    naive, zoned = _split_formats(list(plan_.profile.formats))
    naive, zoned, note = _order(cur, plan_, naive, zoned)
    params: dict[str, object] = {"naive": naive or ["%Y-%m-%d"], "times": _TIME_FORMATS}
    if zoned:
        params["zoned"] = zoned
    if "client_id" not in plan_.used and plan_.identity:
        params["key"] = config.pseudonym_key(store.path)
    statement = rows_sql(plan_, bool(zoned))
    cur.execute(statement, {k: v for k, v in params.items() if f"${k}" in statement})
    rows_read = cur.execute("select count(*) from vendor_rows").fetchone()[0]
    unmapped = _unmapped(cur, [f for f in VALUE_FIELDS if f in plan_.used], plan_.header)
    problems = _problems(cur, plan_, params)
    left_out = cur.execute("select count(*) from vendor_rows where left_out").fetchone()[0]
    if unmapped or problems:
        return Translated(None, unmapped, problems, left_out, rows_read, note)
    out = _temporary_csv()
    parts = " || ".join(f"'/' || coalesce({_ID_PART[x]}, '')" for x in plan_.profile.id_parts)
    literal = str(out).replace("'", "''")
    price = (
        "price"
        if plan_.profile.price == "charged"
        else ("case when status_term = 'completed' then price end")
    )
    select = _OUT_SQL.format(parts=parts or "''", price=price)
    cur.execute(
        f"copy ({select}) to '{literal}' (header true, delimiter ',')",
        {"key": config.pseudonym_key(store.path)},
    )
    return Translated(out, [], [], left_out, rows_read, note)


def _unmapped(cur, fields: list[str], header_of: Callable[[str], str | None]) -> list[dict]:
    """One row per distinct value no mapping knows, with its rows and first line."""
    parts = [
        f"""
        select '{name}' as field, vendor_key(v_{name}) as k, any_value(v_{name}) as value,
               count(*) as n, min(line) as first_line
        from vendor_rows where v_{name} is not null and m_{name} is null
        group by k
        """
        for name in fields
    ]
    if not parts:
        return []
    rows = cur.execute(" union all ".join(parts) + " order by first_line limit 1000").fetchall()
    return [
        {
            "column": name,
            "header": header_of(name),
            "value": value,
            "rows": n,
            "first_line": line,
        }
        for name, _k, value, n, line in rows
    ]


def _problems(
    cur, plan_: Plan, params: dict
) -> list[tuple[int | None, str | None, str | None, str]]:
    """Dates and times the profile's formats cannot read (the first few, with their lines)."""
    checks = []
    for name in ("datetime", "date", "cancelled_at"):
        if name in plan_.used:
            col = _col(plan_, name)
            zoned = "zoned" in params
            checks.append(
                f"select line, {plan_.used[name]} as pos, {col} as value from vendor_raw "
                f"where {col} is not null and {_ts(col, zoned)} is null"
            )
    if not checks:
        return []
    statement = " union all ".join(checks) + f" order by line limit {_MAX_LISTED}"
    wanted = {k: v for k, v in params.items() if f"${k}" in statement}
    rows = cur.execute(statement, wanted).fetchall()
    shown = ", ".join(examples(params["naive"] + params.get("zoned", []))[:3])
    return [
        (
            line,
            plan_.headers[pos],
            value,
            f"not a date or time as {plan_.profile.title} writes them ({shown})",
        )
        for line, pos, value in rows
    ]


def examples(formats: list[str]) -> list[str]:
    """Each date format as a person reads it: 13 January 2026 at 14:45 written that way."""
    moment = datetime(2026, 1, 13, 14, 45, tzinfo=UTC)
    return list(dict.fromkeys(moment.strftime(f) for f in formats))


def remap(
    cur, store, text, kind: str, used: dict[str, int], source: str | None, rewrite: bool
) -> Translated:
    """Check the vocabulary columns of a file in our own format (reader.TextFile) and map them.

    `used` is field -> column position. A value that neither the source's saved mappings nor our
    vocabulary knows is listed in `unmapped` (the file is stopped). Otherwise, when `rewrite`
    (the source has saved mappings), the file is rewritten with our words, without the rows
    mapped as not ours, each used column under the name c<its position>; else `path` is None and
    the file imports as it is. Nothing is written to the store.
    """
    fields = [f for f in VOCABULARY_COLUMNS[kind] if f in used]
    _read(cur, store, text, source, None, fields)
    looked_up = "".join(
        f", nullif(trim(c{used[f]}), '') as v_{f},"
        f" maps.terms['{f}:' || vendor_key(nullif(trim(c{used[f]}), ''))] as m_{f}"
        for f in fields
    )
    cur.execute(
        "create or replace temp table vendor_rows as"
        f" with looked as (select vendor_raw.*{looked_up} from vendor_raw cross join vendor_maps"
        f" as maps) select *, {_left_out(fields)} as left_out from looked"
    )
    rows_read = cur.execute("select count(*) from vendor_rows").fetchone()[0]
    left_out = cur.execute("select count(*) from vendor_rows where left_out").fetchone()[0]
    unmapped = _unmapped(cur, fields, lambda f: text.headers[used[f]])
    if unmapped or not rewrite:
        return Translated(None, unmapped, [], left_out, rows_read)
    out = _temporary_csv()
    mapped = {used[f]: f for f in fields}
    select = ", ".join(
        f"m_{mapped[i]} as c{i}" if i in mapped else f"c{i}" for i in sorted(used.values())
    )
    literal = str(out).replace("'", "''")
    cur.execute(
        f"copy (select {select} from vendor_rows where not left_out order by line)"
        f" to '{literal}' (header true, delimiter ',')"
    )
    return Translated(out, [], [], left_out, rows_read)
