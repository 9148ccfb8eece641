"""Load a query from queries/NAME.sql and run it with exactly the parameters it names."""

from __future__ import annotations

import re
from functools import cache
from typing import TYPE_CHECKING

from clinic.config import QUERIES

if TYPE_CHECKING:
    import duckdb

# `$name` outside quotes and comments; good enough for our own hand-written files.
_PARAM = re.compile(r"(?<![\w$])\$([A-Za-z_]\w*)")
_COMMENT = re.compile(r"--[^\n]*|/\*.*?\*/", re.S)
_STRING = re.compile(r"'(?:[^']|'')*'")


class QueryParamsError(ValueError):
    """A call whose parameters differ from the `$names` in the SQL file."""


@cache
def load(name: str) -> tuple[str, frozenset[str]]:
    """Return the SQL text of queries/NAME.sql and the set of its `$params`."""
    path = QUERIES / f"{name}.sql"
    text = path.read_text(encoding="utf-8")
    code = _STRING.sub("''", _COMMENT.sub("", text))
    return text, frozenset(_PARAM.findall(code))


def params_of(name: str) -> frozenset[str]:
    """The parameter names a query file expects."""
    return load(name)[1]


def bind(name: str, params: dict | None = None) -> tuple[str, dict]:
    """Return (sql, params) after checking the call names exactly the file's parameters."""
    text, expected = load(name)
    given = set(params or {})
    if given != expected:
        missing = sorted(expected - given)
        extra = sorted(given - expected)
        raise QueryParamsError(f"query {name!r}: missing parameters {missing}, unexpected {extra}")
    return text, dict(params or {})


def run(
    cur: duckdb.DuckDBPyConnection, name: str, /, **params: object
) -> duckdb.DuckDBPyConnection:
    """Run queries/NAME.sql on a cursor with exactly its parameters, bound; the cursor to fetch."""
    # Positional-only, so that a query may name a parameter $name.
    text, bound = bind(name, params)
    return cur.execute(text, bound)
