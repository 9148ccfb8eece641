"""`--db` (every global option) before or after the command names the store; two differ: exit 2."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import pytest

from clinic import cli

# Every command of the command line with the arguments it needs (a path is made relative to the
# test's folder). The first test checks this table covers every command the parser knows.
COMMANDS: list[list[str]] = [
    ["init"],
    ["import", "appointments", "{tmp}/missing.csv"],
    ["undo", "1"],
    ["report", "revenue"],
    ["report", "compliance"],
    ["report", "complications"],
    ["report", "attendance"],
    ["report", "retention"],
    ["report", "pack", "--month", "2026-10"],
    ["digest"],  # no mail server in the tests' environment: a sentence, exit 2
    ["alert", "1"],
    ["export", "complications", "--out", "{tmp}/out.csv"],
    ["users", "add", "bob", "--role", "staff"],
    ["users", "list"],
    ["users", "disable", "bob"],
    ["users", "enable", "bob"],
    ["users", "reset-password", "bob"],
    ["users", "unlock", "bob"],
    ["audit", "verify"],
    ["audit", "show"],
    ["backup", "{tmp}/backup"],
    ["restore", "{tmp}/not-a-backup"],
    ["sso", "set", "a@clinic.example", "auditor"],
    ["map", "value", "fresha", "status", "Walked out", "no-show"],
    ["map", "header", "fresha", "Team Lead", "clinician"],
    ["map", "list"],
    ["map", "remove", "fresha", "status", "Walked out"],
    ["tokens", "add", "ci", "--role", "staff"],
    ["tokens", "list"],
    ["tokens", "revoke", "ci"],
]


def _leaves(parser: argparse.ArgumentParser, path: tuple[str, ...] = ()) -> set[tuple[str, ...]]:
    """The command paths (("users", "add"), ...) a parser accepts."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return {path}
    return {leaf for name, p in subs[0].choices.items() for leaf in _leaves(p, (*path, name))}


def _depth(command: list[str]) -> int:
    """How many words name the command ("users add" = 2)."""
    return 2 if command[0] in ("report", "export", "users", "audit", "sso", "map", "tokens") else 1


def _placements(command: list[str], flag: list[str]) -> dict[str, list[str]]:
    """The command line with `flag` before the command, between its words, and at the end."""
    depth = _depth(command)
    found = {"before": [*flag, *command], "after": [*command, *flag]}
    if depth == 2:
        found["between"] = [command[0], *flag, *command[1:]]
    return found


def _filled(command: list[str], tmp: Path) -> list[str]:
    """The command with {tmp} replaced by the test's folder."""
    return [word.replace("{tmp}", str(tmp)) for word in command]


def test_the_table_covers_every_command():
    """A new command must be added to COMMANDS, so the tests below cover it."""
    table = {tuple(c[: _depth(c)]) for c in COMMANDS}
    assert table == _leaves(cli.build_parser())


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_db_names_the_store_wherever_it_is_given(command, tmp_path):
    """Before the command, between its words or after it, --db X parses as X."""
    parser = cli.build_parser()
    words = _filled(command, tmp_path)
    for where, argv in _placements(words, ["--db", "named.duckdb"]).items():
        assert parser.parse_args(argv).db == "named.duckdb", where
    assert not hasattr(parser.parse_args(words), "db")


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_every_command_acts_on_the_named_store_only(command, tmp_path, monkeypatch, capsys):
    """Run for real with --db before the command: the default store (CLINIC_DB) is never opened.

    Failed before the fix for every command: `clinic --db X CMD` opened $CLINIC_DB instead.
    """
    default = tmp_path / "default.duckdb"
    named = tmp_path / "named.duckdb"
    monkeypatch.setenv("CLINIC_DB", str(default))
    monkeypatch.setattr("sys.stdin", io.StringIO("a-long-password-1\n"))
    code = cli.main(["--db", str(named), *_filled(command, tmp_path)])
    err = capsys.readouterr().err
    assert code in (cli.OK, cli.USAGE, cli.REJECTED), err
    assert "Traceback" not in err
    assert named.exists()
    assert not default.exists() and not default.with_name(default.name + ".wal").exists()


@pytest.mark.parametrize("command", COMMANDS, ids=lambda c: " ".join(c[:2]))
def test_two_different_stores_are_refused(command, tmp_path, capsys):
    """--db given twice with different values: exit 2, a sentence, and no store opened."""
    one, two = tmp_path / "one.duckdb", tmp_path / "two.duckdb"
    words = _filled(command, tmp_path)
    depth = _depth(words)
    argv = ["--db", str(one), *words[:depth], "--db", str(two), *words[depth:]]
    assert cli.main(argv) == cli.USAGE
    assert "--db is given twice" in capsys.readouterr().err
    assert not one.exists() and not two.exists()
    # The same store named twice is no conflict.
    parsed = cli.build_parser().parse_args(["--db", str(one), *words, "--db", str(one)])
    assert parsed.db == str(one)
