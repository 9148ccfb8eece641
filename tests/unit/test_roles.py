"""Every write checks the role it is made for (the role matrix), not only the page it is on."""

from __future__ import annotations

import pytest

from clinic import auth
from clinic.ingest import import_file, record_side_effect, undo
from clinic.store import Store

PRICES = b"Item,Kind,Price,Valid From\nSingle Session,treatment,150,2023-01-01\n"
APPTS = (
    b"Booking ID,Date,Customer ID,Therapist,Treatment,Status\n"
    b"A1,03/04/2025,C1,Dr X,Single Session,Completed\n"
)


def _refusals(store: Store, action: str) -> list[tuple]:
    """(user, role, outcome) of the audit rows of one action that were refused."""
    return store.rows(
        "select username, role, outcome from audit_log where action = $a and outcome = 'refused'",
        {"a": action},
    )


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_only_admins_and_managers_change_the_price_list(store: Store, role: str):
    """A prices import as staff or auditor is refused, audited, and writes nothing."""
    with pytest.raises(auth.NotAllowed, match=f"Your role \\({role}\\) may not change the price"):
        import_file(store, "prices", PRICES, user="sam", role=role)
    assert store.scalar("select count(*) from prices") == 0
    assert store.scalar("select count(*) from imports") == 0
    assert _refusals(store, "import") == [("sam", role, "refused")]
    for allowed in ("admin", "manager", None):  # None: the command line
        assert import_file(store, "prices", PRICES, role=allowed).status == "committed"


def test_auditors_import_and_record_nothing(store: Store):
    """An auditor may read records but neither import appointments nor record a side effect."""
    import_file(store, "prices", PRICES)
    with pytest.raises(auth.NotAllowed):
        import_file(store, "appointments", APPTS, user="aud", role="auditor")
    with pytest.raises(auth.NotAllowed, match="side-effect reports"):
        record_side_effect(store, {"appointment_id": "A1"}, user="aud", role="auditor")
    assert store.scalar("select count(*) from appointments") == 0
    assert import_file(store, "appointments", APPTS, role="staff").status == "committed"


def test_undo_checks_the_kind_and_whose_import_it_is(store: Store):
    """Staff may undo their own imports of what they may import, nothing else."""
    prices = import_file(store, "prices", PRICES, user="mia", role="manager")
    theirs = import_file(store, "appointments", APPTS, user="mia", role="manager")
    with pytest.raises(auth.NotAllowed, match="price list"):
        undo(store, prices.import_id, user="sam", role="staff")
    with pytest.raises(auth.NotAllowed, match="only your own imports"):
        undo(store, theirs.import_id, user="sam", role="staff")
    assert store.scalar("select count(*) from appointments") == 1
    assert len(_refusals(store, "undo")) == 2
    assert undo(store, theirs.import_id, user="mia", role="manager").removed == 1
    own = import_file(store, "appointments", APPTS, user="sam", role="staff")
    assert undo(store, own.import_id, user="sam", role="staff").removed == 1


@pytest.mark.parametrize(
    "change",
    [
        lambda s, a: auth.add_user(s, "eve", "admin", "a-long-password-1", actor=a),
        lambda s, a: auth.disable_user(s, "ann", actor=a),
        lambda s, a: auth.enable_user(s, "ann", actor=a),
        lambda s, a: auth.reset_password(s, "ann", "another-long-one-2", actor=a),
        lambda s, a: auth.set_role(s, "ann", "staff", actor=a),
        lambda s, a: auth.revoke_user_sessions(s, "ann", actor=a),
        lambda s, a: auth.set_sso_role(s, "eve@example.com", "admin", actor=a),
    ],
    ids=["add", "disable", "enable", "reset", "role", "sessions", "sso"],
)
def test_only_admins_change_accounts(store: Store, change):
    """Every account change made for a manager or staff member is refused and audited."""
    auth.add_user(store, "ann", "admin", "a-long-password-0")
    before = store.rows("select * exclude (created_at) from accounts order by username")
    for role in ("manager", "staff", "auditor"):
        with pytest.raises(auth.NotAllowed, match="may not change accounts"):
            change(store, auth.User("mia", role))
    assert store.rows("select * exclude (created_at) from accounts order by username") == before
    assert len(_refusals(store, "account-change")) == 3
    change(store, auth.User("root", "admin"))
