"""Accounts: Argon2id, lockout, disabled accounts, sessions, role matrix, audit, CLI."""

from __future__ import annotations

import io
import json
from datetime import datetime

import pytest
from argon2 import PasswordHasher

from clinic import audit, auth, cli

PW = "correct horse battery"


@pytest.fixture
def ann(store):
    """An admin account called ann."""
    return auth.add_user(store, "ann", "admin", PW, "ann@clinic.example")


def _actions(store) -> list[tuple[str, str]]:
    """(action, outcome) of every audit row, oldest first."""
    return [tuple(r) for r in store.rows("select action, outcome from audit_log order by seq")]


def test_password_is_stored_as_argon2id(store, ann):
    """The stored hash is Argon2id and never the password."""
    stored = store.scalar("select password_hash from accounts where username = 'ann'")
    assert stored.startswith("$argon2id$") and PW not in stored


def test_list_users_has_no_hashes(store, ann):
    """The account list carries no password hash."""
    users = auth.list_users(store)
    assert list(users["username"]) == ["ann"]
    assert not [c for c in users.columns if "hash" in c]


@pytest.mark.parametrize("password", ["", "short", "123456789"])
def test_short_passwords_are_refused(store, password):
    """Passwords under 10 characters are refused with a sentence."""
    with pytest.raises(auth.PasswordPolicyError, match="at least 10 characters"):
        auth.add_user(store, "bob", "staff", password)


@pytest.mark.parametrize(
    ("name", "password"),
    [
        ("bob", "1234567890"),  # a top-100 password
        ("bob", "Password123!"),  # a common password dressed up
        ("bob", "qwertyuiop"),  # a keyboard row
        ("bob", "abcdefghijk"),  # a sequence
        ("bob", "summer2024"),  # a word and a year
        ("bob", "aaaaaaaaaaaa"),  # a repeat
        ("clinician-bob", "clinician-bob1"),  # the user name with a digit
    ],
)
def test_guessable_passwords_are_refused(store, name, password):
    """Common, breached-style and pattern passwords are refused however long (NIST 800-63B)."""
    with pytest.raises(auth.PasswordPolicyError, match="too easy to guess"):
        auth.add_user(store, name, "staff", password)
    assert auth.list_users(store).empty
    auth.add_user(store, name, "admin", PW)
    with pytest.raises(auth.PasswordPolicyError, match="too easy to guess"):
        auth.reset_password(store, name, password)
    assert auth.authenticate(store, name, PW)


@pytest.mark.parametrize(
    "password", ["correct horse battery", "a brand new secret", "Tr0ub4dor&3x", "kV9#pQ2!zr"]
)
def test_passphrases_are_accepted(store, password):
    """Phrases of unrelated words and random strings pass the policy."""
    auth.add_user(store, "bob", "staff", password)
    assert auth.authenticate(store, "bob", password)


def test_unknown_role_and_duplicate_name_are_refused(store, ann):
    """A role outside ROLES and a second account of the same name are refused."""
    with pytest.raises(auth.AuthError, match="Unknown role"):
        auth.add_user(store, "bob", "owner", PW)
    with pytest.raises(auth.AuthError, match="already exists"):
        auth.add_user(store, "ann", "staff", PW)


def test_login_ok_and_wrong_password(store, ann):
    """The right password logs in; a wrong one or an unknown user gets the same sentence."""
    ok = auth.authenticate(store, "ann", PW)
    assert ok and ok.user == auth.User("ann", "admin", "ann@clinic.example")
    wrong = auth.authenticate(store, "ann", "not the password")
    unknown = auth.authenticate(store, "nobody", PW)
    assert not wrong and not unknown
    assert wrong.reason == unknown.reason == auth.REFUSED
    assert _actions(store)[-3:] == [("login", "ok"), ("login", "failed"), ("login", "failed")]


def test_lockout_after_repeated_failures(store, ann, monkeypatch):
    """After N failures even the right password is refused, with the everyday sentence."""
    monkeypatch.setenv("CLINIC_LOCKOUT_ATTEMPTS", "3")
    monkeypatch.setenv("CLINIC_LOCKOUT_MINUTES", "15")
    for _ in range(2):
        assert auth.authenticate(store, "ann", "wrong password").reason == auth.REFUSED
    third = auth.authenticate(store, "ann", "wrong password")
    assert third.reason == auth.REFUSED
    refused = auth.authenticate(store, "ann", PW)
    assert refused.user is None and refused.reason == auth.REFUSED
    minutes = store.scalar(
        "select datediff('minute', now() at time zone 'UTC', locked_until) from accounts"
    )
    assert 14 <= minutes <= 15
    assert ("lockout", "ok") in _actions(store)
    assert _actions(store)[-1] == ("login", "locked")
    store.rows("update accounts set locked_until = locked_until - interval 1 hour")
    assert auth.authenticate(store, "ann", PW)


def test_locked_and_unknown_accounts_get_the_same_answer(store, ann, monkeypatch):
    """A locked account answers exactly as a name that does not exist: no user enumeration."""
    monkeypatch.setenv("CLINIC_LOCKOUT_ATTEMPTS", "2")
    for _ in range(2):
        auth.authenticate(store, "ann", "wrong password")
    for password in (PW, "wrong password"):
        locked = auth.authenticate(store, "ann", password)
        unknown = auth.authenticate(store, "annie", password)
        assert locked.user is None and locked.reason == unknown.reason
    assert unknown.reason == auth.REFUSED
    # The audit trail still says why, for the administrator.
    assert _actions(store)[-4:] == [
        ("login", "locked"),
        ("login", "failed"),
        ("login", "locked"),
        ("login", "failed"),
    ]


def test_a_locked_out_admin_is_unlocked_from_the_command_line(
    store, db_path, ann, monkeypatch, capsys
):
    """`users unlock NAME` (or `users reset-password NAME`) lets a locked-out admin back in."""
    monkeypatch.setenv("CLINIC_LOCKOUT_ATTEMPTS", "2")
    for _ in range(2):
        auth.authenticate(store, "ann", "wrong password")
    assert not auth.authenticate(store, "ann", PW)
    store.close()
    assert cli.main(["users", "unlock", "ann", "--db", str(db_path)]) == 0
    assert "ann unlocked" in capsys.readouterr().out
    assert cli.main(["users", "unlock", "nobody", "--db", str(db_path)]) == 2
    again = type(store)(db_path)
    try:
        assert auth.authenticate(again, "ann", PW)
        assert ("account-unlock", "ok") in _actions(again)
        for _ in range(2):
            auth.authenticate(again, "ann", "wrong password")
        auth.reset_password(again, "ann", "a brand new secret")
        assert auth.authenticate(again, "ann", "a brand new secret")
    finally:
        again.close()


def test_success_resets_the_failure_count(store, ann, monkeypatch):
    """Failures only lock when they come in a row."""
    monkeypatch.setenv("CLINIC_LOCKOUT_ATTEMPTS", "3")
    for _ in range(2):
        auth.authenticate(store, "ann", "wrong password")
    assert auth.authenticate(store, "ann", PW)
    for _ in range(2):
        auth.authenticate(store, "ann", "wrong password")
    assert auth.authenticate(store, "ann", PW)


def test_disabled_account_is_refused_and_can_be_enabled(store, ann):
    """A disabled account cannot log in; enabling it again restores access."""
    auth.disable_user(store, "ann")
    result = auth.authenticate(store, "ann", PW)
    assert result.user is None and "disabled" in result.reason
    auth.enable_user(store, "ann")
    assert auth.authenticate(store, "ann", PW)


def test_hash_is_upgraded_when_parameters_change(store, ann):
    """A hash made with weaker parameters is replaced at the next successful login."""
    weak = PasswordHasher(time_cost=1, memory_cost=8192, parallelism=1).hash(PW)
    store.rows("update accounts set password_hash = $h", {"h": weak})
    assert auth.authenticate(store, "ann", PW)
    upgraded = store.scalar("select password_hash from accounts")
    assert upgraded != weak and not PasswordHasher().check_needs_rehash(upgraded)


def test_reset_password(store, ann):
    """After a reset only the new password works."""
    auth.reset_password(store, "ann", "a brand new secret")
    assert not auth.authenticate(store, "ann", PW)
    assert auth.authenticate(store, "ann", "a brand new secret")
    with pytest.raises(auth.AuthError, match="no user"):
        auth.reset_password(store, "zed", "a brand new secret")


def test_session_lifecycle(store, ann):
    """A token maps to its user until revoked; only its SHA-256 is stored."""
    token = auth.create_session(store, "ann")
    assert auth.user_for_session(store, token).username == "ann"
    stored = store.scalar("select count(*) from web_sessions where token_sha256 = $t", {"t": token})
    assert stored == 0
    assert auth.revoke_session(store, token).username == "ann"
    assert auth.user_for_session(store, token) is None
    assert auth.user_for_session(store, "made-up") is None
    assert auth.user_for_session(store, None) is None
    assert ("logout", "ok") in _actions(store)


def test_idle_session_expires(store, ann, monkeypatch):
    """A session unused for longer than the idle timeout ends."""
    monkeypatch.setenv("CLINIC_IDLE_MINUTES", "30")
    token = auth.create_session(store, "ann")
    store.rows("update web_sessions set last_seen_at = last_seen_at - interval 29 minute")
    assert auth.user_for_session(store, token) is not None  # and last_seen moves to now
    store.rows("update web_sessions set last_seen_at = last_seen_at - interval 31 minute")
    assert auth.user_for_session(store, token) is None
    store.rows("update web_sessions set last_seen_at = now() at time zone 'UTC'")
    assert auth.user_for_session(store, token) is None  # revoked, not just stale


@pytest.mark.parametrize(
    "change",
    [
        lambda s: auth.disable_user(s, "ann"),
        lambda s: auth.set_role(s, "ann", "staff"),
        lambda s: auth.reset_password(s, "ann", "another long secret"),
        lambda s: auth.revoke_user_sessions(s, "ann"),
    ],
    ids=["disabled", "role-changed", "password-reset", "revoked"],
)
def test_account_changes_end_sessions(store, ann, change):
    """Disabling, a role change, a password reset or revoking all end open sessions."""
    token = auth.create_session(store, "ann")
    change(store)
    assert auth.user_for_session(store, token) is None


def test_no_session_for_disabled_account(store, ann):
    """A disabled account cannot get a new session."""
    auth.disable_user(store, "ann")
    with pytest.raises(auth.AuthError):
        auth.create_session(store, "ann")


ALL = set(auth.PAGES)


@pytest.mark.parametrize(
    ("role", "pages"),
    [
        ("admin", ALL),
        (
            "manager",
            {
                "overview",
                "revenue",
                "follow-ups",
                "attendance",
                "complications",
                "upload",
                "prices",
                "audit",
            },
        ),
        ("staff", {"follow-ups", "upload", "audit"}),
        ("auditor", {"overview", "complications", "records", "audit"}),
        (None, set()),
        ("owner", set()),
    ],
)
def test_role_matrix_matches_the_contract(role, pages):
    """can() follows docs/CONTRACTS.md "Roles" for every page."""
    assert {p for p in auth.PAGES if auth.can(role, p)} == pages


def test_partial_page_rights_are_data():
    """Staff see only the call list; manager and staff see imports only on the audit page."""
    assert sorted(auth.FOLLOWUPS_CALL_LIST_ONLY) == ["staff"]
    assert auth.AUDIT_SCOPE == {
        "admin": "all",
        "auditor": "all",
        "manager": "imports",
        "staff": "own-imports",
    }


def test_account_changes_are_audited(store):
    """Every account change leaves an audit row naming the account, never the password."""
    auth.add_user(store, "bob", "staff", PW)
    auth.disable_user(store, "bob")
    auth.enable_user(store, "bob")
    auth.reset_password(store, "bob", "another long secret")
    auth.set_role(store, "bob", "manager")
    actions = [a for a, _ in _actions(store)]
    assert actions == [
        "account-add",
        "account-disable",
        "account-enable",
        "account-reset-password",
        "account-role",
    ]
    assert store.scalar("select count(*) from audit_log where object = 'bob'") == 5
    text = " ".join(str(v) for row in store.rows("select * from audit_log") for v in row)
    assert PW not in text and "another long secret" not in text
    assert audit.verify(store).ok


def test_sso_roles(store):
    """An e-mail address maps to its granted role, case-insensitively."""
    assert auth.role_for_email(store, "Kim@Clinic.example") is None
    auth.set_sso_role(store, "Kim@Clinic.example", "auditor")
    assert auth.role_for_email(store, "kim@clinic.example") == "auditor"
    auth.set_sso_role(store, "kim@clinic.example", "manager")
    assert auth.role_for_email(store, " KIM@clinic.example ") == "manager"
    with pytest.raises(auth.AuthError):
        auth.set_sso_role(store, "kim@clinic.example", "owner")


def test_demo_accounts(store):
    """One account per role with a working random password; a second call creates none."""
    created = auth.demo_accounts(store)
    assert set(created) == set(auth.ROLES)
    assert len(set(created.values())) == 4
    for name, password in created.items():
        assert len(password) >= auth.MIN_PASSWORD_CHARS
        assert auth.authenticate(store, name, password).user.role == name
    assert auth.demo_accounts(store) == {}


def test_cli_users(store, db_path, monkeypatch, capsys):
    """`users add` reads the password from stdin, refuses short ones with exit 2, lists users."""
    store.close()
    db = ["--db", str(db_path)]
    monkeypatch.setattr("sys.stdin", io.StringIO("short\n"))
    assert cli.main(["users", "add", "bob", "--role", "staff", *db]) == 2
    assert "at least 10 characters" in capsys.readouterr().err
    monkeypatch.setattr("sys.stdin", io.StringIO(PW + "\nignored second line\n"))
    assert cli.main(["users", "add", "bob", "--role", "staff", "--email", "b@x.example", *db]) == 0
    assert cli.main(["users", "list", "--json", *db]) == 0
    out = capsys.readouterr().out.splitlines()[-1]
    [row] = json.loads(out)
    assert (row["username"], row["role"], row["email"], row["disabled"]) == (
        "bob",
        "staff",
        "b@x.example",
        False,
    )
    assert cli.main(["users", "disable", "bob", *db]) == 0
    assert cli.main(["users", "disable", "nobody", *db]) == 2
    monkeypatch.setattr("sys.stdin", io.StringIO("a brand new secret\n"))
    assert cli.main(["users", "reset-password", "bob", *db]) == 0
    assert cli.main(["users", "add", "carl", "--role", "owner", *db]) == 2


def test_utc_times_are_naive_utc(store, ann):
    """Session times are stored as UTC (close to the database's own UTC clock)."""
    auth.create_session(store, "ann")
    created = store.scalar("select created_at from web_sessions")
    utc_now = store.scalar("select now() at time zone 'UTC'")
    assert isinstance(created, datetime)
    assert abs((utc_now - created).total_seconds()) < 60
