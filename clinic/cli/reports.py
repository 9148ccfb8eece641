"""`report revenue|compliance|complications` and `export complications`."""

from __future__ import annotations

import argparse
import math
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from clinic import attendance, config, export, formats, metrics, retention
from clinic.cli.output import OK, USAGE, CliError, emit, login_name, table, write_private
from clinic.store import Store


def _filters(args: argparse.Namespace) -> metrics.Filters:
    """Session filters from --from/--to/--site/--clinician/--funding, refusing an inverted range."""
    if args.start and args.end and args.start > args.end:
        raise CliError("--from must not be after --to.", USAGE)
    return metrics.Filters(
        start=args.start,
        end=args.end,
        site=args.site,
        clinician=args.clinician,
        funding=args.funding,
    )


def _json_value(value: object) -> object:
    """A cell as JSON: NaN -> null, numpy scalars -> Python, dates ISO."""
    if value is None or value is pd.NaT or value is pd.NA:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    if isinstance(value, date):
        return value.isoformat()
    return value


def _rows(df: pd.DataFrame) -> list[dict]:
    """The frame as a list of JSON-ready dicts."""
    return [
        {c: _json_value(v) for c, v in zip(df.columns, row, strict=True)}
        for row in df.itertuples(index=False, name=None)
    ]


def _show(value: object, column: str) -> str:
    """A cell for the readable table: £ money, % rates, UK days and months, measures in words."""
    value = _json_value(value)
    if value is None:
        return formats.EMPTY
    if column.endswith("_gbp"):
        return formats.money(value)
    if column in ("rate", "ci_low", "ci_high"):
        return formats.percent(value)
    if column == "month":
        return formats.month(value)
    if column == "measure":
        return formats.label(value)
    if isinstance(value, str) and len(value) == 10 and value[4] == "-" and value[7] == "-":
        return formats.day(value)
    return str(value)


def _title(args: argparse.Namespace) -> str:
    """What a report shows, in words: "Revenue by session type", "Complication rate" ..."""
    if args.report == "revenue":
        return f"Revenue by {args.by.replace('_', ' ')}"
    if args.report == "compliance":
        return "Follow-up compliance"
    if args.report == "retention":
        return "Retention"
    if args.report == "attendance":
        return "Attendance" + (f" by {args.by}" if args.by else "")
    by = f" by {args.by.replace('_', ' ')}" if args.by else ""
    return f"Complication rate{by}" + (", serious events only" if args.serious else "")


def _table(df: pd.DataFrame, heading: str) -> Callable[[], str]:
    """A function rendering a heading line and the frame as an aligned plain-text table."""

    def render() -> str:
        if df.empty:
            return f"{heading}\nNo rows match."
        cells = [
            [_show(v, c) for c, v in zip(df.columns, row, strict=True)]
            for row in df.itertuples(index=False, name=None)
        ]
        return f"{heading}\n{table(list(df.columns), cells, right=True)}"

    return render


def report(args: argparse.Namespace, store: Store) -> int:
    """Print one report of the contract as a table or, with --json, as a list of rows."""
    f = _filters(args)
    as_of = getattr(args, "as_of", None) or config.as_of()
    summary: list[dict] = []
    if args.report == "revenue":
        df = metrics.revenue(store, f, args.by)
    elif args.report == "compliance":
        df = metrics.compliance(store, f, as_of)
    elif args.report == "attendance":
        df = attendance.attendance(store, f, args.by)
    elif args.report == "retention":
        summary = retention.summary(store, f, as_of)
        # The table shows every row's fields under one header; counts stay whole numbers.
        df = pd.DataFrame(summary)
        for col in ("eligible", "met", "patients"):
            df[col] = df[col].astype("Int64")
    else:
        df = metrics.complications(store, f, by=args.by, serious=args.serious)
    # Every report says which dates it covers: the dashboard defaults to the last 12 months and
    # the CLI to every date, and the same store gives different totals. The JSON document stays
    # the contract's list of rows, so there the heading goes to stderr.
    heading = f"{_title(args)}, {metrics.describe_period(f, as_of, metrics.date_bounds(store))}"
    if args.json:
        print(heading, file=sys.stderr)
    # Retention rows differ in shape: each keeps only its own fields (docs/CONTRACTS.md).
    rows = summary if args.report == "retention" else _rows(df)
    emit(args, rows, _table(df, heading))
    return OK


def export_complications(args: argparse.Namespace, store: Store) -> int:
    """Write complication records as safe CSV to --out or stdout."""
    if args.start and args.end and args.start > args.end:
        raise CliError("--from must not be after --to.", USAGE)
    r = metrics.Filters(
        start=args.start, end=args.end, effect=args.effect, clinician=args.clinician
    )
    data = export.complications_csv(store, r, user=login_name())
    if args.out:
        write_private(Path(args.out), data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return OK
