"""Commands of the command line: report revenue|compliance|complications, export complications."""

from __future__ import annotations

import argparse
import getpass
import math
import os
import sys
from collections.abc import Callable
from datetime import date
from pathlib import Path

import pandas as pd

from clinic import config, formats, metrics
from clinic.cli import OK, USAGE, CliError, _date, _emit
from clinic.store import Store

Handler = Callable[[argparse.Namespace, Store], int]

REPORT_REVENUE_BY = ("session_type", "month", "clinician", "site", "funding")


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
    if value is None or value is pd.NaT:
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
        head = list(df.columns)
        widths = [max(len(h), *(len(r[i]) for r in cells)) for i, h in enumerate(head)]
        lines = [heading, "  ".join(h.ljust(w) for h, w in zip(head, widths, strict=True))]
        lines += ["  ".join(c.rjust(w) for c, w in zip(r, widths, strict=True)) for r in cells]
        return "\n".join(lines)

    return render


def cmd_report(args: argparse.Namespace, store: Store) -> int:
    """Print one report of the contract as a table or, with --json, as a list of rows."""
    f = _filters(args)
    as_of = getattr(args, "as_of", None) or config.as_of()
    if args.report == "revenue":
        df = metrics.revenue(store, f, args.by)
    elif args.report == "compliance":
        df = metrics.compliance(store, f, as_of)
    else:
        df = metrics.complications(store, f, by=args.by, serious=args.serious)
    # Every report says which dates it covers: the dashboard defaults to the last 12 months and
    # the CLI to every date, and the same store gives different totals. The JSON document stays
    # the contract's list of rows, so there the heading goes to stderr.
    heading = f"{_title(args)}, {metrics.describe_period(f, as_of, metrics.date_bounds(store))}"
    if args.json:
        print(heading, file=sys.stderr)
    _emit(args, _rows(df), _table(df, heading))
    return OK


def cmd_export(args: argparse.Namespace, store: Store) -> int:
    """Write complication records as safe CSV to --out or stdout."""
    if args.start and args.end and args.start > args.end:
        raise CliError("--from must not be after --to.", USAGE)
    r = metrics.Filters(
        start=args.start, end=args.end, effect=args.effect, clinician=args.clinician
    )
    from clinic import export

    try:
        user = getpass.getuser()
    except Exception:  # no login name in some containers; the export is still audited
        user = None
    data = export.complications_csv(store, r, user=user)
    if args.out:
        _write_out(Path(args.out), data)
    else:
        sys.stdout.buffer.write(data)
        sys.stdout.flush()
    return OK


def _write_out(path: Path, data: bytes) -> None:
    """Write an export to a file, never through a symbolic link (a link could point anywhere)."""
    if path.is_symlink():
        raise CliError(f"{path} is a symbolic link; name a new or ordinary file.", USAGE)
    try:
        # O_NOFOLLOW also refuses a link put there after the check; the file is private (0600).
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        raise CliError(f"Could not write {path}: {exc.strerror}.", USAGE) from None


def _range_options(p: argparse.ArgumentParser) -> None:
    """--from/--to (ISO or UK dates) plus --site/--clinician/--funding session filters."""
    p.add_argument("--from", dest="start", type=_date, help="first session date (inclusive)")
    p.add_argument("--to", dest="end", type=_date, help="last session date (inclusive)")
    p.add_argument("--site", help="only this site")
    p.add_argument("--clinician", help="only this clinician")
    p.add_argument("--funding", help="only this funding: self-pay, nhs or insurance")


def register(
    sub: argparse._SubParsersAction, common: argparse.ArgumentParser
) -> dict[str, Handler]:
    """Add this area's subcommands; return their handlers by command name."""
    report = sub.add_parser("report", parents=[common], help="revenue, compliance, complications")
    reports = report.add_subparsers(dest="report", required=True)

    p = reports.add_parser("revenue", parents=[common], help="revenue by a dimension")
    _range_options(p)
    p.add_argument("--by", choices=REPORT_REVENUE_BY, default="session_type")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")

    p = reports.add_parser("compliance", parents=[common], help="follow-up compliance")
    _range_options(p)
    p.add_argument("--as-of", dest="as_of", type=_date, help="figures as of this date (today)")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")

    p = reports.add_parser("complications", parents=[common], help="complication rates")
    _range_options(p)
    p.add_argument("--by", choices=metrics.COMPLICATIONS_BY, default=None)
    p.add_argument("--serious", action="store_true", help="serious reports only")
    p.add_argument("--json", action="store_true", help="one JSON document on stdout")

    export = sub.add_parser("export", parents=[common], help="export records as CSV")
    exports = export.add_subparsers(dest="export", required=True)
    p = exports.add_parser("complications", parents=[common], help="complication records")
    p.add_argument("--from", dest="start", type=_date, help="first reported date (inclusive)")
    p.add_argument("--to", dest="end", type=_date, help="last reported date (inclusive)")
    p.add_argument("--effect", help="only this side-effect term")
    p.add_argument("--clinician", help="only sessions of this clinician")
    p.add_argument("--out", help="file to write (default: stdout)")
    return {"report": cmd_report, "export": cmd_export}
