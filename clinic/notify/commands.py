"""Command-line handlers: `clinic digest`, `clinic report pack`, `clinic alert IMPORT_ID`.

Each `add_*` adds its parser to the command line's subparsers and returns the handler, which
takes the parsed arguments and the open store and returns the exit code of the contract (0 done,
2 usage, unreadable input or a mail server that would not take the message, 4 refused). The
handlers print their own sentences, so they stand apart from the CLI's internals.
"""

from __future__ import annotations

import argparse
import getpass
import json
import os
import re
import sys
from collections.abc import Callable
from datetime import date, datetime
from pathlib import Path

from clinic import audit, auth, config
from clinic.notify import alerts, digest, mail, pack, recipients
from clinic.store import Store

OK, USAGE, REFUSED = 0, 2, 4
Handler = Callable[[argparse.Namespace, Store], int]


def _day(text: str) -> date:
    """A command-line date: ISO 2025-04-03 or UK 03/04/2025."""
    for fmt in ("%Y-%m-%d", "%d/%m/%Y"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise argparse.ArgumentTypeError(f"{text!r} is not a date (use 2025-04-03 or 03/04/2025)")


def _month(text: str) -> str:
    """A month as YYYY-MM (2026-11)."""
    if not re.fullmatch(r"\d{4}-(0[1-9]|1[0-2])", text.strip()):
        raise argparse.ArgumentTypeError(f"{text!r} is not a month (use 2026-11)")
    return text.strip()


def _fail(sentence: str, code: int = USAGE) -> int:
    """Print a sentence on stderr as every command does, and return the exit code."""
    print(f"clinic: {sentence}", file=sys.stderr)
    return code


def _user() -> str | None:
    """Who runs the command, for the audit trail (None where there is no login name)."""
    try:
        return getpass.getuser()
    except Exception:  # no login name in some containers; the action is still audited
        return None


def _write(path: Path, data: bytes) -> str | None:
    """Write a private file (0600), never through a symbolic link; a sentence if it fails."""
    if path.is_symlink():
        return f"{path} is a symbolic link; name a new or ordinary file."
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
    except OSError as exc:
        return f"Could not write {path}: {exc.strerror}."
    return None


# -- digest --------------------------------------------------------------------------------------
def cmd_digest(args: argparse.Namespace, store: Store) -> int:
    """Send the digest to every account with an e-mail (or --to), or write one role's to --out."""
    as_of = args.as_of or config.as_of()
    user = _user()
    if args.out:
        d = digest.build_digest(store, args.period, as_of, args.role)
        problem = _write(Path(args.out), d.standalone_html().encode("utf-8"))
        if problem:
            return _fail(problem)
        audit.log(
            store, user=user, role=None, action="digest-write", outcome="ok",
            object=d.period.words(),
            details={"period": args.period, "as_of": as_of.isoformat(), "for_role": args.role},
        )  # fmt: skip
        print(f"Wrote the {args.role}'s digest of the {d.period.words()} to {args.out}.")
        return OK
    try:
        settings = mail.settings()
    except mail.MailError as exc:
        return _fail(str(exc))
    if settings is None:
        return _fail(
            "No mail server is configured: set CLINIC_SMTP_HOST (and CLINIC_SMTP_PORT, "
            "CLINIC_SMTP_USER ...; README, Configuration), or write the digest to a file with "
            "--out FILE.html."
        )
    try:
        people = recipients.chosen(store, args.to) if args.to else recipients.accounts(store)
    except ValueError as exc:
        return _fail(str(exc), REFUSED)
    if not people:
        return _fail(
            "No enabled account has an e-mail address: add one with "
            "`clinic users add NAME --role ROLE --email ADDRESS`."
        )
    try:
        done = digest.send_digests(store, args.period, as_of, people, settings, user=user)
    except mail.MailError as exc:
        return _fail(str(exc))
    for d in done:
        print(f"{d.role}: sent to {len(d.accepted)} of {len(d.recipients)}.")
        for who, why in d.refused.items():
            print(f"  refused {who}: {why}")
    return OK if not any(d.refused for d in done) else USAGE


def add_digest(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> Handler:
    """Add `digest` to the command line; return its handler."""
    p = sub.add_parser("digest", parents=[common], help="e-mail the week's or month's figures")
    p.add_argument("--period", choices=digest.PERIODS, default="week")
    p.add_argument(
        "--as-of", dest="as_of", type=_day, help="the last complete period before it (today)"
    )
    p.add_argument(
        "--to", action="append", metavar="ADDR", help="only these accounts' addresses (repeat)"
    )
    p.add_argument("--out", help="write one role's digest as an HTML file instead of sending")
    p.add_argument("--role", choices=auth.ROLES, default="manager", help="with --out")
    return cmd_digest


# -- the governance pack -------------------------------------------------------------------------
def cmd_pack(args: argparse.Namespace, store: Store) -> int:
    """Write the month's governance pack as PDF to --out (and, with --json, print its figures)."""
    as_of = args.as_of or config.as_of()
    if args.json:
        json.dump(pack.pack_figures(store, args.month, as_of), sys.stdout, ensure_ascii=False)
        sys.stdout.write("\n")
        if not args.out:
            return OK
    if not args.out:
        return _fail("Name the PDF to write with --out FILE.pdf (or print the figures: --json).")
    data = pack.build_pack(store, args.month, as_of)
    problem = _write(Path(args.out), data)
    if problem:
        return _fail(problem)
    audit.log(
        store, user=_user(), role=None, action="pack-write", outcome="ok", object=args.month,
        details={"month": args.month, "as_of": as_of.isoformat(), "bytes": len(data)},
    )  # fmt: skip
    print(f"Wrote the governance pack of {args.month} to {args.out}.", file=sys.stderr)
    return OK


def add_pack(reports: argparse._SubParsersAction, common: argparse.ArgumentParser) -> Handler:
    """Add `pack` under `report`; return its handler."""
    p = reports.add_parser("pack", parents=[common], help="the monthly governance pack (PDF)")
    p.add_argument("--month", required=True, type=_month, help="the month, as 2026-11")
    p.add_argument("--as-of", dest="as_of", type=_day, help="figures as of this date (today)")
    p.add_argument("--out", help="the PDF file to write")
    p.add_argument("--json", action="store_true", help="print the pack's figures as JSON")
    return cmd_pack


# -- alerts --------------------------------------------------------------------------------------
def cmd_alert(args: argparse.Namespace, store: Store) -> int:
    """Send (or send again, after a failure) the serious-event alert of one import."""
    try:
        result = alerts.alert_for_import(store, args.import_id)
    except ValueError as exc:
        return _fail(str(exc))
    except mail.MailError as exc:
        return _fail(str(exc))
    if result.outcome == "not sent":
        return _fail(result.sentence)
    print(result.sentence)
    return OK


def add_alert(sub: argparse._SubParsersAction, common: argparse.ArgumentParser) -> Handler:
    """Add `alert IMPORT_ID` to the command line; return its handler."""
    p = sub.add_parser("alert", parents=[common], help="e-mail an import's serious events")
    p.add_argument("import_id", type=int)
    return cmd_alert
