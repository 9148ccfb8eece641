"""One owner of the store: the CLI hands its command to the dashboard server that holds it.

DuckDB lets one process hold a file and no other open it, so while the dashboard serves a store
`python -m clinic backup|import|report|users ...` could not open it (exit 4). Now the server,
when it starts, listens on an ephemeral port of 127.0.0.1 and writes `<store>.handoff` (mode
0600, beside the store, like its key files): the port, its process id and a fresh 256-bit
secret. A CLI that finds the store locked reads that file (so only the store's owner, or root,
can) and sends its arguments, working folder, OS user name and, for the commands that read a
password, the password line. The server parses and runs the same command with the same
handlers on its own store instance, one handed-over command at a time, with this thread's
stdout and stderr captured, and answers the exit code and both outputs, which the CLI prints
as they are: the same text, the same `--json`, the same exit code as when it runs itself. Each
handed-over command is audited (`cli-handoff`) as the calling OS user.

`init` and `restore` onto the served store make no sense handed over and are refused (exit 4,
a sentence saying to stop the server first). Paths are resolved against the caller's working
folder and read or written by the server process, so they must be where the server may reach
them (under systemd: the unit's ReadWritePaths; not a home folder).

Wire format, one connection per command: the request is one JSON line; the answer is one JSON
line {"code", "stdout", "stderr"} (byte counts) followed by the two outputs' bytes.
"""

from __future__ import annotations

import argparse
import getpass
import hmac
import io
import json
import os
import secrets
import socketserver
import sys
import threading
from collections.abc import Callable
from contextlib import contextmanager, suppress
from pathlib import Path
from typing import Any

from clinic.cli.handover import handoff_path
from clinic.cli.output import OK, REFUSED, USAGE

MAX_REQUEST = 1 << 20  # arguments and a password line: far less than a mebibyte
# Namespace fields holding a path the caller named (relative to its working folder).
PATH_FIELDS = ("file", "dir", "out")
NOT_HANDED = {
    "clinic.cli.setup:init": (
        "init is not run through the dashboard server that holds {path}: the server created "
        "and migrated the store when it started. Stop the server first to run init on it, or "
        "name another store with --db."
    ),
    "clinic.cli.admin:restore": (
        "restore would replace {path}, which the running dashboard server holds. Stop the "
        "server first, or restore into another file with --db."
    ),
}


# -- this thread's standard streams ------------------------------------------------------------
_local = threading.local()


class _Switch:
    """sys.stdout, sys.stderr or sys.stdin: this thread's captured stream while it runs a
    handed-over command, else the process's own (other threads' output is never captured)."""

    def __init__(self, name: str, original: Any) -> None:
        self._name, self._original = name, original

    def _target(self) -> Any:
        return getattr(_local, self._name, None) or self._original

    def write(self, text: str) -> int:
        """Write to this thread's stream."""
        return self._target().write(text)

    def flush(self) -> None:
        """Flush this thread's stream."""
        self._target().flush()

    def readline(self, size: int = -1) -> str:
        """Read a line from this thread's stream."""
        return self._target().readline(size)

    def __getattr__(self, attr: str) -> Any:
        return getattr(self._target(), attr)


_installed_lock = threading.Lock()
_getuser = getpass.getuser


def _caller_or_own() -> str:
    """The handed-over command's calling OS user, else this process's (getpass.getuser)."""
    return getattr(_local, "user", None) or _getuser()


def _install() -> None:
    """Switch sys.stdout/stderr/stdin and getpass.getuser to per-thread ones (once)."""
    with _installed_lock:
        for name in ("stdout", "stderr", "stdin"):
            if not isinstance(getattr(sys, name), _Switch):
                setattr(sys, name, _Switch(name, getattr(sys, name)))
        getpass.getuser = _caller_or_own


@contextmanager
def _captured(stdin: str, user: str) -> Any:
    """This thread's stdout and stderr captured (bytes), stdin given, the caller's user name."""
    out = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    err = io.TextIOWrapper(io.BytesIO(), encoding="utf-8", write_through=True)
    _local.stdout, _local.stderr, _local.stdin = out, err, io.StringIO(stdin)
    _local.user = user
    try:
        yield out, err
    finally:
        _local.stdout = _local.stderr = _local.stdin = _local.user = None


# -- the server side ---------------------------------------------------------------------------
def _words(args: argparse.Namespace) -> str:
    """The command's words ("report revenue") for the audit trail."""
    from clinic.cli.commands import GROUPS

    second = [getattr(args, g.dest, None) for g in GROUPS if g.word == args.command]
    return " ".join([args.command, *(w for w in second if w)])


class Listener:
    """The loopback endpoint of a server holding the store at `path` (see the module doc)."""

    def __init__(self, path: Path) -> None:
        """Listen on 127.0.0.1 (an ephemeral port) and write the handoff file beside the store."""
        self.path = path.resolve()
        self.file = handoff_path(self.path)
        self._secret = secrets.token_hex(32)
        _install()
        listener = self

        class Handler(socketserver.StreamRequestHandler):
            def handle(self) -> None:
                listener._answer(self.rfile, self.wfile)

        self._server = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._write_file()
        self._thread = threading.Thread(
            target=self._server.serve_forever, name="clinic-handoff", daemon=True
        )
        self._thread.start()

    def _write_file(self) -> None:
        """Write port, pid and secret into the handoff file: private (0600), whole or not at all."""
        text = json.dumps(
            {"port": self.port, "pid": os.getpid(), "secret": self._secret, "store": str(self.path)}
        )
        temp = self.file.with_name(f".{self.file.name}.{os.getpid()}")
        fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC | os.O_NOFOLLOW, 0o600)
        with os.fdopen(fd, "w", encoding="ascii") as fh:
            fh.write(text + "\n")
        os.replace(temp, self.file)

    def close(self) -> None:
        """Stop taking commands and remove the handoff file (if it is still this server's)."""
        self._server.shutdown()
        self._server.server_close()
        with suppress(OSError, ValueError):
            if json.loads(self.file.read_text(encoding="ascii"))["secret"] == self._secret:
                self.file.unlink()

    def _answer(self, rfile: Any, wfile: Any) -> None:
        """Read one request, run it (or refuse it), write the answer."""
        line = rfile.readline(MAX_REQUEST + 1)
        try:
            request = json.loads(line)
            secret = str(request.get("secret", ""))
            user = str(request.get("user") or "")[:200] or None
        except (ValueError, AttributeError):
            request, secret, user = {}, "", None
        if not hmac.compare_digest(secret.encode(), self._secret.encode()):
            self._audit(user, "-", "refused", {"reason": "wrong secret"})
            _reply(wfile, REFUSED, b"", b"clinic: the dashboard server refused the command.\n")
            return
        try:
            argv = [str(a) for a in request["argv"]]
            cwd = Path(str(request["cwd"]))
            store = Path(str(request["store"])).resolve()
            stdin = str(request.get("stdin") or "")
        except (KeyError, TypeError):
            _reply(wfile, USAGE, b"", b"clinic: the handed-over command could not be read.\n")
            return
        code, stdout, stderr, words = run_command(
            self.path, argv, user=user, stdin=stdin, cwd=cwd, store=store
        )
        self._audit(user, words or "-", "ok" if code == OK else "failed", {"exit": code})
        _reply(wfile, code, stdout, stderr)

    def _audit(self, user: str | None, words: str, outcome: str, details: dict) -> None:
        """One audit row for a handed-over command (or a refused attempt)."""
        from clinic import audit
        from clinic.store import StoreError, open_store

        with suppress(StoreError):
            audit.log(
                open_store(self.path),
                user=user,
                role=None,
                action="cli-handoff",
                outcome=outcome,
                object=words,
                details=details,
            )


_one_at_a_time = threading.Lock()


def run_command(
    path: Path,
    argv: list[str],
    *,
    user: str | None,
    stdin: str = "",
    cwd: Path | None = None,
    store: Path | None = None,
) -> tuple[int, bytes, bytes, str]:
    """Run one command of the command line on the store this process serves at `path`, as
    `python -m clinic ARGV` would, one at a time: (exit code, stdout, stderr, its words).

    `cwd`: the caller's folder, against which the paths it named are resolved. `store`: the
    store the caller meant (refused unless it is `path`). The HTTP API's reports come here too,
    so their JSON is the command line's by construction.
    """
    _install()
    with _one_at_a_time, _captured(stdin, user or "") as (out, err):
        words: list[str] = []
        code = _guarded(lambda: _run(path, argv, cwd, store or path, words))
        out.flush()
        err.flush()
        return code, out.buffer.getvalue(), err.buffer.getvalue(), " ".join(words)


def _run(path: Path, argv: list[str], cwd: Path | None, store: Path, words: list[str]) -> int:
    """Parse and run one command on the served store (see run_command)."""
    from clinic.cli.commands import build_parser
    from clinic.cli.main import load
    from clinic.cli.session import run
    from clinic.store import open_store

    try:
        args = build_parser().parse_args(argv)
    except SystemExit as exc:
        return USAGE if exc.code else OK
    words.append(_words(args))
    if store != path:
        print(f"clinic: this server holds {path}, not {store}.", file=sys.stderr)
        return REFUSED
    if args.run in NOT_HANDED:
        print(f"clinic: {NOT_HANDED[args.run].format(path=path)}", file=sys.stderr)
        return REFUSED
    for name in PATH_FIELDS if cwd is not None else ():
        value = getattr(args, name, None)
        if isinstance(value, str) and value and value != "-":
            setattr(args, name, str(cwd / value))
    return run(args, load(args.run), opener=lambda _db: open_store(path))


def _guarded(command: Callable[[], int]) -> int:
    """The CLI's own mapping of an unexpected failure to a sentence and exit 2."""
    from clinic.cli.main import guarded

    return guarded(command)


def _reply(wfile: Any, code: int, stdout: bytes, stderr: bytes) -> None:
    """Write one answer: the header line, then both outputs."""
    header = json.dumps({"code": code, "stdout": len(stdout), "stderr": len(stderr)})
    with suppress(OSError):  # the caller went away: the command has run all the same
        wfile.write(header.encode() + b"\n" + stdout + stderr)
        wfile.flush()
