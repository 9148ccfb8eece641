"""The command line's side of a handoff: a store held by a running dashboard server gets the
command sent to that server (clinic.service.handoff), whose answer is printed as the command's
own output, with its exit code."""

from __future__ import annotations

import argparse
import getpass
import json
import os
import socket
import sys
from pathlib import Path
from typing import Any

from clinic.cli.output import REFUSED

SUFFIX = ".handoff"
# Commands that read a password from stdin: the CLI reads it (a terminal prompt stays local).
READS_PASSWORD = frozenset({"clinic.cli.admin:users_add", "clinic.cli.admin:users_reset_password"})
# Checks made where the caller is, before handing over (they name the caller's own paths).
CHECKED_HERE = {"clinic.cli.imports:import_file": "clinic.cli.imports:check_file"}


def handoff_path(db: Path) -> Path:
    """The file beside the store where its server leaves its port and secret."""
    return db.with_name(db.name + SUFFIX)


def hand_over(args: argparse.Namespace, db: Path) -> int | None:
    """Run the command on the dashboard server holding `db`; its exit code, having printed its
    output, or None when no server of this store answers (the caller says the store is held)."""
    found = handoff_path(db.resolve())
    try:
        info = json.loads(found.read_text(encoding="ascii"))
        port, secret = int(info["port"]), str(info["secret"])
    except (OSError, ValueError, KeyError, TypeError):
        return None
    try:
        conn = socket.create_connection(("127.0.0.1", port), timeout=5)
    except OSError:
        return None
    with conn:
        from clinic.cli.admin import _password_from_stdin
        from clinic.cli.main import load
        from clinic.cli.output import CliError

        stdin = ""
        try:
            if args.run in CHECKED_HERE:
                load(CHECKED_HERE[args.run])(args)
            if args.run in READS_PASSWORD:
                stdin = _password_from_stdin() + "\n"
        except CliError as exc:
            print(f"clinic: {exc}", file=sys.stderr)
            return exc.code
        try:
            user = getpass.getuser()
        except Exception:  # no login name in some containers
            user = None
        request = {
            "secret": secret,
            "argv": args.handoff_argv,
            "cwd": os.getcwd(),
            "store": str(db.resolve()),
            "user": user,
            "stdin": stdin,
        }
        conn.sendall(json.dumps(request).encode() + b"\n")
        conn.settimeout(None)  # an import may take minutes
        try:
            return _print_answer(conn.makefile("rb"))
        except BaseException as exc:
            if not isinstance(exc, Exception):  # a stop signal: the server carries on
                print(
                    "clinic: the dashboard server carries on with the command handed to it; "
                    "`clinic audit show` and the import list say how it ended.",
                    file=sys.stderr,
                )
            raise


def _print_answer(answer: Any) -> int:
    """Print a server's answer as the command's own output; its exit code."""
    try:
        header = json.loads(answer.readline(4096))
        code, out_len, err_len = int(header["code"]), int(header["stdout"]), int(header["stderr"])
    except (ValueError, KeyError, TypeError):
        print(
            "clinic: the dashboard server stopped before it answered; the store keeps every "
            "change it committed (the import list and `clinic audit show` say which).",
            file=sys.stderr,
        )
        return REFUSED
    _copy(answer, out_len, sys.stdout)
    _copy(answer, err_len, sys.stderr)
    return code


def _copy(answer: Any, size: int, stream: Any) -> None:
    """Copy `size` bytes of the answer to a standard stream, in pieces."""
    stream.flush()
    while size > 0:
        piece = answer.read(min(size, 1 << 16))
        if not piece:
            break
        stream.buffer.write(piece)
        size -= len(piece)
    stream.buffer.flush()
