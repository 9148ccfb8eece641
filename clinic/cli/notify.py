"""`digest`, `report pack` and `alert IMPORT_ID`: numbers that come to people (clinic.notify)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from clinic import audit, config
from clinic.cli.output import OK, REFUSED, USAGE, CliError, login_name, print_json, write_private
from clinic.notify import alerts, digest, mail, pack, recipients
from clinic.store import Store


def send_digest(args: argparse.Namespace, store: Store) -> int:
    """Send each role its digest (or only to --to), or write one role's to --out."""
    as_of = args.as_of or config.as_of()
    user = login_name()
    if args.out:
        d = digest.build_digest(store, args.period, as_of, args.role)
        write_private(Path(args.out), d.standalone_html().encode("utf-8"))
        audit.log(
            store,
            user=user,
            role=None,
            action="digest-write",
            outcome="ok",
            object=d.period.words(),
            details={"period": args.period, "as_of": as_of.isoformat(), "for_role": args.role},
        )
        print(f"Wrote the {args.role}'s digest of the {d.period.words()} to {args.out}.")
        return OK
    try:
        settings = mail.settings()
    except mail.MailError as exc:
        raise CliError(str(exc), USAGE) from None
    if settings is None:
        raise CliError(
            "No mail server is configured: set CLINIC_SMTP_HOST (and CLINIC_SMTP_PORT, "
            "CLINIC_SMTP_USER ...; README, Configuration), or write the digest to a file with "
            "--out FILE.html.",
            USAGE,
        )
    try:
        people = recipients.chosen(store, args.to) if args.to else recipients.accounts(store)
    except ValueError as exc:
        raise CliError(str(exc), REFUSED) from None
    if not people:
        raise CliError(
            "No enabled account has an e-mail address: add one with "
            "`clinic users add NAME --role ROLE --email ADDRESS`.",
            USAGE,
        )
    try:
        done = digest.send_digests(store, args.period, as_of, people, settings, user=user)
    except mail.MailError as exc:
        raise CliError(str(exc), USAGE) from None
    for d in done:
        print(f"{d.role}: sent to {len(d.accepted)} of {len(d.recipients)}.")
        for who, why in d.refused.items():
            print(f"  refused {who}: {why}")
    return OK if not any(d.refused for d in done) else USAGE


def write_pack(args: argparse.Namespace, store: Store) -> int:
    """Write the month's governance pack as PDF to --out (and, with --json, print its figures)."""
    as_of = args.as_of or config.as_of()
    if not args.out and not args.json:
        raise CliError("Name the PDF to write with --out FILE.pdf (or print the figures: --json).")
    if args.json:
        print_json(pack.pack_figures(store, args.month, as_of))
    if not args.out:
        return OK
    data = pack.build_pack(store, args.month, as_of)
    write_private(Path(args.out), data)
    audit.log(
        store,
        user=login_name(),
        role=None,
        action="pack-write",
        outcome="ok",
        object=args.month,
        details={"month": args.month, "as_of": as_of.isoformat(), "bytes": len(data)},
    )
    # With --json, stdout holds only the JSON document.
    print(f"Wrote the governance pack of {args.month} to {args.out}.", file=sys.stderr)
    return OK


def send_alert(args: argparse.Namespace, store: Store) -> int:
    """Send (or send again, after a failure) the serious-event alert of one import."""
    try:
        result = alerts.alert_for_import(store, args.import_id)
    except (ValueError, mail.MailError) as exc:
        raise CliError(str(exc), USAGE) from None
    if result.outcome in ("not sent", "no mail server"):
        raise CliError(result.sentence, USAGE)
    print(result.sentence)
    return OK
