"""The command line: `python -m clinic COMMAND` (contract in docs/CONTRACTS.md).

Its rooms, each importing only those before it: output (exit codes, CliError, dates, JSON and
tables), commands (every command as data, and the parser), main (signals, dispatch), session
(the store and its failures); the handlers by area (setup, imports, reports, admin) are loaded
by name when their command runs.
"""

from clinic.cli.commands import build_parser
from clinic.cli.main import main
from clinic.cli.output import OK, REFUSED, REJECTED, USAGE, CliError

__all__ = ["OK", "REFUSED", "REJECTED", "USAGE", "CliError", "build_parser", "main"]
