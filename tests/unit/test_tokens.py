"""API tokens on a real store: shown once, kept only as a hash, revoked for good, audited."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from clinic import audit, tokens
from clinic.store import Store

ROOT = Path(__file__).resolve().parents[2]


def test_a_token_is_kept_only_as_its_hash_and_checks_until_revoked(store: Store) -> None:
    """The store holds the SHA-256, never the token; check() knows it until it is revoked."""
    token = tokens.add(store, "booking-export", "staff", by="admin-os-user")
    assert token.startswith(tokens.PREFIX) and len(token) > 40
    dump = store.rows("select * from api_tokens")
    assert token not in repr(dump) and tokens.digest(token) in repr(dump)
    assert tokens.check(store, token) == tokens.Token("booking-export", "staff")
    assert tokens.check(store, token + "x") is None
    assert tokens.check(store, None) is None
    assert tokens.revoke(store, "booking-export", by="admin-os-user") == "staff"
    assert tokens.check(store, token) is None
    (listed,) = tokens.listed(store)
    assert listed["name"] == "booking-export" and listed["revoked_at"] is not None
    actions = [e.action for e in audit.entries(store, limit=5).itertuples()]
    assert "token-add" in actions and "token-revoke" in actions


def test_names_roles_and_revocations_are_checked(store: Store) -> None:
    """A bad name, an unknown role, a name taken (revoked ones too), an unknown revoke."""
    with pytest.raises(tokens.TokenError, match="not a token name"):
        tokens.add(store, "has space", "staff")
    with pytest.raises(tokens.TokenError, match="not a role"):
        tokens.add(store, "ok", "owner")
    tokens.add(store, "ok", "auditor")
    tokens.revoke(store, "ok")
    with pytest.raises(tokens.TokenError, match="already a token named ok"):
        tokens.add(store, "ok", "auditor")
    with pytest.raises(tokens.TokenError, match="no live token named ok"):
        tokens.revoke(store, "ok")


def test_the_command_line_prints_the_contracts_json_once(db_path: Path) -> None:
    """`tokens add NAME --role ROLE --json` prints {"name", "role", "token"}; `tokens list`
    never shows a token; `tokens revoke` an unknown name exits 2."""

    def cli(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run(
            [sys.executable, "-m", "clinic", "--db", str(db_path), *args],
            cwd=ROOT,
            capture_output=True,
            text=True,
        )

    made = cli("tokens", "add", "ci", "--role", "manager", "--json")
    assert made.returncode == 0, made.stderr
    document = json.loads(made.stdout)
    assert list(document) == ["name", "role", "token"] and document["role"] == "manager"
    listed = cli("tokens", "list", "--json")
    assert document["token"] not in listed.stdout
    assert [t["name"] for t in json.loads(listed.stdout)] == ["ci"]
    gone = cli("tokens", "revoke", "nobody")
    assert gone.returncode == 2 and "no live token named nobody" in gone.stderr
