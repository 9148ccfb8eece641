"""Every command of the contract as data, and the argument parser built from it.

A command names its handler as "module:function"; clinic.cli.main imports that module only
when the command runs, so `--help`, a usage error and one command never load another
command's modules (pandas, the importer, SciPy ...). Only light modules are imported here.
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from dataclasses import dataclass, field

from clinic.cli.output import parse_date, parse_month
from clinic.dimensions import ATTENDANCE_BY, COMPLICATIONS_BY, DIGEST_PERIODS, REVENUE_BY
from clinic.roles import ROLES

DESCRIPTION = "The command line: `python -m clinic COMMAND` (contract in docs/CONTRACTS.md)."
# Options every command takes before or after its name: `clinic --db X init` = `clinic init --db X`.
GLOBAL_OPTIONS = {"db": "store path (default: $CLINIC_DB or data/clinic.duckdb)"}


@dataclass(frozen=True)
class Option:
    """One argument of a command: its names and argparse's keyword options."""

    names: tuple[str, ...]
    options: dict = field(default_factory=dict)


def opt(*names: str, **options: object) -> Option:
    """An Option, written like argparse's add_argument."""
    return Option(names, options)


@dataclass(frozen=True)
class Command:
    """A command: its words ("users", "add"), help, handler ("module:function") and options."""

    words: tuple[str, ...]
    help: str
    run: str
    options: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Group:
    """A command word that takes a second one ("report revenue"); `dest` keeps the second."""

    word: str
    help: str
    dest: str


JSON = opt("--json", action="store_true", help="print one JSON document")
REPORT_JSON = opt("--json", action="store_true", help="one JSON document on stdout")
PLAIN_JSON = opt("--json", action="store_true")
SESSION_RANGE = (
    opt("--from", dest="start", type=parse_date, help="first session date (inclusive)"),
    opt("--to", dest="end", type=parse_date, help="last session date (inclusive)"),
    opt("--site", help="only this site"),
    opt("--clinician", help="only this clinician"),
    opt("--funding", help="only this funding: self-pay, nhs or insurance"),
)

GROUPS = (
    Group(
        "report",
        "revenue, compliance, complications, attendance, retention, the governance pack",
        "report",
    ),
    Group("export", "export records as CSV", "export"),
    Group("users", "manage accounts", "users_command"),
    Group("audit", "check or show the audit trail", "audit_command"),
    Group("sso", "single-sign-on roles", "sso_command"),
    Group("map", "value and header mappings saved per source system", "map_command"),
    Group("tokens", "bearer tokens of the HTTP API", "tokens_command"),
)

# In the order `clinic --help` lists them.
COMMANDS = (
    Command(
        ("init",),
        "create or migrate the store",
        "clinic.cli.setup:init",
        (
            opt("--demo", action="store_true", help="fill with two years of synthetic data"),
            opt("--seed", type=int, default=7),
        ),
    ),
    Command(
        ("import",),
        "import an export file",
        "clinic.cli.imports:import_file",
        (
            opt("kind", help="appointments | side-effects | prices"),
            opt("file", help="the CSV or XLSX export"),
            opt("--user", help="who is importing (recorded in the import history)"),
            opt(
                "--source",
                help="the booking system (fresha, zenoti ...) or source of saved mappings; "
                "detected from the header when left out",
            ),
            JSON,
        ),
    ),
    Command(
        ("map", "value"),
        "read a source's value as one of our words (TERM 'skip': leave its rows out)",
        "clinic.cli.mapping:map_value",
        (opt("source"), opt("column"), opt("value"), opt("term"), opt("--user")),
    ),
    Command(
        ("map", "header"),
        "read a source's header as one of our columns",
        "clinic.cli.mapping:map_header",
        (opt("source"), opt("header"), opt("column"), opt("--user")),
    ),
    Command(
        ("map", "list"),
        "list saved mappings",
        "clinic.cli.mapping:map_list",
        (opt("--source"), JSON),
    ),
    Command(
        ("map", "remove"),
        "remove a saved value mapping",
        "clinic.cli.mapping:map_remove",
        (opt("source"), opt("column"), opt("value"), opt("--user")),
    ),
    Command(
        ("undo",),
        "revert one import",
        "clinic.cli.imports:undo",
        (
            opt("import_id", type=int),
            opt("--user", help="who is undoing (recorded in the audit trail)"),
            JSON,
        ),
    ),
    Command(
        ("report", "revenue"),
        "revenue by a dimension",
        "clinic.cli.reports:report",
        (
            *SESSION_RANGE,
            opt("--by", choices=REVENUE_BY, default="session_type"),
            REPORT_JSON,
        ),
    ),
    Command(
        ("report", "compliance"),
        "follow-up compliance",
        "clinic.cli.reports:report",
        (
            *SESSION_RANGE,
            opt("--as-of", dest="as_of", type=parse_date, help="figures as of this date (today)"),
            REPORT_JSON,
        ),
    ),
    Command(
        ("report", "complications"),
        "complication rates",
        "clinic.cli.reports:report",
        (
            *SESSION_RANGE,
            opt("--by", choices=COMPLICATIONS_BY, default=None),
            opt("--serious", action="store_true", help="serious reports only"),
            REPORT_JSON,
        ),
    ),
    Command(
        ("report", "pack"),
        "the month's clinical governance pack as PDF; audited",
        "clinic.cli.notify:write_pack",
        (
            opt("--month", required=True, type=parse_month, help="the month, as 2026-11"),
            opt("--as-of", dest="as_of", type=parse_date, help="figures as of this date (today)"),
            opt("--out", help="the PDF file to write"),
            opt("--json", action="store_true", help="print the pack's figures (JSON)"),
        ),
    ),
    Command(
        ("digest",),
        "e-mail the last week's or month's figures, each role its own; audited",
        "clinic.cli.notify:send_digest",
        (
            opt("--period", choices=DIGEST_PERIODS, default="week"),
            opt(
                "--as-of",
                dest="as_of",
                type=parse_date,
                help="the digest covers the last complete period before this date (today)",
            ),
            opt(
                "--to",
                action="append",
                metavar="ADDR",
                help="only these accounts' addresses (repeat the option)",
            ),
            opt("--out", help="write one role's digest as an HTML file instead of sending"),
            opt("--role", choices=ROLES, default="manager", help="whose digest --out writes"),
        ),
    ),
    Command(
        ("alert",),
        "e-mail an import's serious events to managers and auditors (again, after a failure)",
        "clinic.cli.notify:send_alert",
        (opt("import_id", type=int),),
    ),
    Command(
        ("report", "attendance"),
        "no-show and cancellation rates",
        "clinic.cli.reports:report",
        (
            *SESSION_RANGE,
            opt("--by", choices=ATTENDANCE_BY, default=None),
            REPORT_JSON,
        ),
    ),
    Command(
        ("report", "retention"),
        "course continuation, new and returning patients, revenue per patient",
        "clinic.cli.reports:report",
        (
            *SESSION_RANGE,
            opt("--as-of", dest="as_of", type=parse_date, help="figures as of this date (today)"),
            REPORT_JSON,
        ),
    ),
    Command(
        ("export", "complications"),
        "complication records",
        "clinic.cli.reports:export_complications",
        (
            opt("--from", dest="start", type=parse_date, help="first reported date (inclusive)"),
            opt("--to", dest="end", type=parse_date, help="last reported date (inclusive)"),
            opt("--effect", help="only this side-effect term"),
            opt("--clinician", help="only sessions of this clinician"),
            opt("--out", help="file to write (default: stdout)"),
        ),
    ),
    Command(
        ("users", "add"),
        "add an account (password: first line of stdin)",
        "clinic.cli.admin:users_add",
        (
            opt("name"),
            opt("--role", required=True, choices=ROLES),
            opt("--email"),
        ),
    ),
    Command(("users", "list"), "list accounts", "clinic.cli.admin:users_list", (PLAIN_JSON,)),
    Command(
        ("users", "disable"),
        "refuse further logins and end sessions",
        "clinic.cli.admin:users_disable",
        (opt("name"),),
    ),
    Command(
        ("users", "enable"),
        "allow a disabled account again",
        "clinic.cli.admin:users_enable",
        (opt("name"),),
    ),
    Command(
        ("users", "unlock"),
        "clear a lockout after failed logins (e.g. a locked-out admin)",
        "clinic.cli.admin:users_unlock",
        (opt("name"),),
    ),
    Command(
        ("users", "reset-password"),
        "set a new password (first line of stdin)",
        "clinic.cli.admin:users_reset_password",
        (opt("name"),),
    ),
    Command(
        ("audit", "verify"),
        "check the keyed chain and its anchor (exit 3 broken)",
        "clinic.cli.admin:audit_verify",
        (PLAIN_JSON,),
    ),
    Command(
        ("audit", "show"),
        "the newest audit rows",
        "clinic.cli.admin:audit_show",
        (
            opt("--limit", type=int, default=50),
            PLAIN_JSON,
        ),
    ),
    Command(
        ("backup",), "back up the store into a new folder", "clinic.cli.admin:backup", (opt("dir"),)
    ),
    Command(
        ("restore",),
        "restore a backup into the --db store",
        "clinic.cli.admin:restore",
        (
            opt("dir"),
            opt("--force", action="store_true", help="replace a store that holds data"),
        ),
    ),
    Command(
        ("sso", "set"),
        "grant a role to an e-mail address",
        "clinic.cli.admin:sso_set",
        (
            opt("email"),
            opt("role", choices=ROLES),
        ),
    ),
    Command(
        ("tokens", "add"),
        "make an API token (shown once; only its hash is kept)",
        "clinic.cli.tokens:add",
        (opt("name"), opt("--role", required=True, choices=ROLES), PLAIN_JSON),
    ),
    Command(("tokens", "list"), "list API tokens", "clinic.cli.tokens:listed", (PLAIN_JSON,)),
    Command(
        ("tokens", "revoke"),
        "revoke an API token (calls with it get 401)",
        "clinic.cli.tokens:revoke",
        (opt("name"),),
    ),
)


class _Subcommands(argparse._SubParsersAction):
    """A subcommand that keeps a global option given before it and refuses a second, other one.

    argparse copies every option of a subcommand over the caller's, its defaults included, so
    `clinic --db OTHER init` acted on the default store. Global options have no default at any
    level (SUPPRESS): the one given wins, and two different ones are an error (exit 2).
    """

    def __call__(
        self,
        parser: argparse.ArgumentParser,
        namespace: argparse.Namespace,
        values: Sequence[str],
        option_string: str | None = None,
    ) -> None:
        given = {k: v for k, v in vars(namespace).items() if k in GLOBAL_OPTIONS}
        super().__call__(parser, namespace, values, option_string)
        for key, before in given.items():
            after = getattr(namespace, key)
            if after != before:
                raise argparse.ArgumentError(
                    None, f"--{key} is given twice ({before} and {after}); give it once."
                )


class _Parser(argparse.ArgumentParser):
    """An argument parser whose subcommands (at every depth) are _Subcommands."""

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)
        self.register("action", "parsers", _Subcommands)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for every command of COMMANDS; a parsed command's `run` names it."""
    common = argparse.ArgumentParser(add_help=False)
    for name, text in GLOBAL_OPTIONS.items():
        common.add_argument(f"--{name}", default=argparse.SUPPRESS, help=text)
    parser = _Parser(prog="clinic", description=DESCRIPTION, parents=[common])
    top = parser.add_subparsers(dest="command", required=True)
    groups = {g.word: g for g in GROUPS}
    second: dict[str, argparse._SubParsersAction] = {}
    for command in COMMANDS:
        first = command.words[0]
        if len(command.words) == 1:
            sub, help_text = top, command.help
        else:
            if first not in second:
                group = groups[first]
                p = top.add_parser(first, parents=[common], help=group.help)
                second[first] = p.add_subparsers(dest=group.dest, required=True)
            sub, help_text = second[first], command.help
        p = sub.add_parser(command.words[-1], parents=[common], help=help_text)
        for option in command.options:
            p.add_argument(*option.names, **option.options)
        p.set_defaults(run=command.run)
    return parser
