"""The audit trail: hash chain, tamper detection, no clinical free text, filters, CLI exit codes."""

from __future__ import annotations

import json
import threading
from datetime import datetime, timedelta

import pytest

from clinic import audit, cli
from clinic.store import Store


def _fill(store: Store, n: int = 5) -> None:
    """Append n simple audit rows by two users."""
    for i in range(n):
        audit.log(
            store,
            user="ann" if i % 2 == 0 else "bob",
            role="admin" if i % 2 == 0 else "staff",
            action="import" if i % 2 else "login",
            outcome="ok",
            object=f"import-{i}",
            details={"rows": i, "file_sha256": "ab" * 32},
        )


def test_empty_trail_verifies(store):
    """A store with no audit rows is intact."""
    result = audit.verify(store)
    assert (result.ok, result.rows, result.first_bad_seq) == (True, 0, None)


def test_fresh_trail_verifies_and_chains(store):
    """Rows are numbered from 1 and each links to the hash of the one before."""
    _fill(store, 5)
    result = audit.verify(store)
    assert result.ok and result.rows == 5
    rows = store.rows("select seq, prev_hash, hash from audit_log order by seq")
    assert [r[0] for r in rows] == [1, 2, 3, 4, 5]
    assert rows[0][1] == audit.GENESIS
    assert all(rows[i][1] == rows[i - 1][2] for i in range(1, 5))


@pytest.mark.parametrize(
    "change",
    [
        "update audit_log set outcome = 'failed' where seq = 3",
        "update audit_log set username = 'mallory' where seq = 3",
        "update audit_log set details = '{\"rows\":99}' where seq = 3",
        "update audit_log set logged_at = logged_at + interval 1 second where seq = 3",
        "update audit_log set object = null where seq = 3",
    ],
)
def test_edited_row_is_found(store, change):
    """A row changed with plain SQL fails verification at that row."""
    _fill(store, 5)
    store.rows(change)
    result = audit.verify(store)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert "3" in result.reason


def test_deleted_row_is_found(store):
    """A deleted row breaks the chain at the row after it."""
    _fill(store, 5)
    store.rows("delete from audit_log where seq = 2")
    result = audit.verify(store)
    assert not result.ok
    assert result.first_bad_seq == 3
    assert result.rows == 4


def test_deleted_and_renumbered_rows_are_found(store):
    """Deleting a row and renumbering the rest to hide the gap still breaks the chain."""
    _fill(store, 5)
    store.rows("delete from audit_log where seq = 2")
    store.rows("update audit_log set seq = seq - 1 where seq > 2")
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 2


def test_reordered_rows_are_found(store):
    """Swapping the sequence numbers of two rows is detected."""
    _fill(store, 5)
    store.rows("update audit_log set seq = 100 where seq = 2")
    store.rows("update audit_log set seq = 2 where seq = 4")
    store.rows("update audit_log set seq = 4 where seq = 100")
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 2


def test_clinical_free_text_never_reaches_the_trail(store):
    """Keys such as notes are dropped (and named) before the row is written."""
    audit.log(
        store,
        user="ann",
        role="staff",
        action="side-effect-add",
        outcome="ok",
        object="R-1",
        details={"notes": "Painful bruise on left calf", "Comment": "called GP", "count": 1},
    )
    stored = store.scalar("select details from audit_log")
    assert "Painful" not in stored and "GP" not in stored
    assert json.loads(stored) == {"_dropped": ["Comment", "notes"], "count": 1}


def test_long_values_are_cut(store):
    """String values longer than 200 characters are shortened."""
    audit.log(store, user="a", role=None, action="x", outcome="ok", details={"q": "y" * 500})
    stored = json.loads(store.scalar("select details from audit_log"))
    assert len(stored["q"]) == audit.MAX_VALUE_CHARS + 3


def test_entries_filters_and_orders(store):
    """Entries come newest first, filtered by user, action, time and limit."""
    _fill(store, 5)
    assert list(audit.entries(store)["seq"]) == [5, 4, 3, 2, 1]
    assert list(audit.entries(store, user="bob")["seq"]) == [4, 2]
    assert list(audit.entries(store, action="login")["seq"]) == [5, 3, 1]
    assert list(audit.entries(store, limit=2)["seq"]) == [5, 4]
    later = datetime.now() + timedelta(days=1)
    assert audit.entries(store, start=later).empty
    assert len(audit.entries(store, end=later)) == 5


def test_log_does_not_wait_for_an_import(store):
    """An audit row is written while another thread holds the import lock."""
    inside, release = threading.Event(), threading.Event()

    def hold_import() -> None:
        with store.writer() as cur:
            cur.execute("update data_version set version = version")
            inside.set()
            release.wait(10)

    worker = threading.Thread(target=hold_import)
    worker.start()
    try:
        assert inside.wait(10)
        audit.log(store, user="ann", role="admin", action="page-view", outcome="ok")
    finally:
        release.set()
        worker.join()
    assert audit.verify(store).rows == 1


def test_concurrent_logs_keep_one_chain(store):
    """Many threads logging at once still produce one unbroken chain."""

    def work(n: int) -> None:
        for i in range(20):
            audit.log(store, user=f"u{n}", role="staff", action="view", outcome="ok", object=str(i))

    threads = [threading.Thread(target=work, args=(n,)) for n in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    result = audit.verify(store)
    assert result.ok and result.rows == 120


def test_cli_audit_verify_exit_codes(store, db_path, capsys):
    """`audit verify` exits 0 on an intact trail and 3 naming the first bad row otherwise."""
    _fill(store, 3)
    store.close()
    assert cli.main(["audit", "verify", "--db", str(db_path)]) == 0
    assert "intact" in capsys.readouterr().out
    broken = Store(db_path)
    broken.rows("update audit_log set outcome = 'x' where seq = 2")
    broken.close()
    assert cli.main(["audit", "verify", "--json", "--db", str(db_path)]) == 3
    payload = json.loads(capsys.readouterr().out)
    assert payload["ok"] is False and payload["first_bad_seq"] == 2


def test_cli_audit_show_json(store, db_path, capsys):
    """`audit show --json` prints the newest rows as one JSON list."""
    _fill(store, 3)
    store.close()
    assert cli.main(["audit", "show", "--json", "--limit", "2", "--db", str(db_path)]) == 0
    rows = json.loads(capsys.readouterr().out)
    assert [r["seq"] for r in rows] == [3, 2]
    assert rows[0]["logged_at"].endswith("Z")


def test_role_comes_from_the_account_when_not_given(store):
    """An entry logged with only a user name records that account's role."""
    from clinic import auth

    auth.add_user(store, "sam", "staff", "a-long-password-1")
    audit.log(store, user="sam", role=None, action="import", outcome="committed")
    audit.log(store, user="nobody", role=None, action="import", outcome="committed")
    rows = store.rows("select username, role from audit_log where action = 'import' order by seq")
    assert rows == [("sam", "staff"), ("nobody", None)]
    assert audit.verify(store).ok


def _rewrite_from(store: Store, seq: int, key: bytes | None) -> None:
    """Edit row `seq` and recompute every later hash with the package's own function."""
    rows = store.rows(
        "select seq, logged_at, username, role, action, outcome, object, details, prev_hash "
        "from audit_log where seq >= $s order by seq",
        {"s": seq},
    )
    prev = rows[0][8]
    for r in rows:
        outcome = "failed" if r[0] == seq else r[5]
        digest = audit._row_hash(prev, r[0], r[1], r[2], r[3], r[4], outcome, r[6], r[7], key)
        store.rows(
            "update audit_log set outcome = $o, prev_hash = $p, hash = $h where seq = $s",
            {"o": outcome, "p": prev, "h": digest, "s": r[0]},
        )
        prev = digest


def test_deleting_the_newest_rows_is_found(store):
    """Rows deleted from the end leave an intact chain; the anchor file names the lost rows."""
    _fill(store, 5)
    store.rows("delete from audit_log where seq >= 4")
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 4
    assert "ends at row 3" in result.reason and "records row 4" in result.reason


def test_deleting_every_row_is_found(store):
    """An emptied trail is not "intact": the anchor file says rows were written."""
    _fill(store, 5)
    store.rows("delete from audit_log")
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 1


def test_rows_recomputed_with_the_packages_function_are_found(store):
    """Edited rows rehashed without the key (plain SHA-256, as before) fail at the edit."""
    _fill(store, 5)
    _rewrite_from(store, 3, None)
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 3
    assert "not keyed" in result.reason


def test_rows_recomputed_with_the_key_are_found_by_the_anchor(store):
    """Even with the key, a rewritten row differs from the hash anchored when it was written."""
    from clinic import config

    _fill(store, 5)
    _rewrite_from(store, 3, config.audit_key(store.path))
    result = audit.verify(store)
    assert not result.ok and result.first_bad_seq == 3
    assert "differs from the hash anchored" in result.reason


def test_a_missing_anchor_or_key_is_found(store):
    """Deleting the anchor file, or the key, does not make a keyed trail pass."""
    from clinic import config

    _fill(store, 2)
    anchor = config.audit_anchor_path(store.path)
    kept = anchor.read_bytes()
    anchor.unlink()
    assert "anchor file" in audit.verify(store).reason and not audit.verify(store).ok
    anchor.write_bytes(kept)
    assert audit.verify(store).ok
    config.audit_key_path(store.path).unlink()
    result = audit.verify(store)
    assert not result.ok and "key" in result.reason and result.first_bad_seq == 1


def test_a_plain_trail_verifies_up_to_the_switch_to_the_key(store):
    """An older store's plain SHA-256 rows still verify; the first keyed row marks the switch."""
    from clinic import config

    prev = audit.GENESIS
    for seq in (1, 2, 3):  # as the package wrote them before the key existed
        at = datetime(2026, 1, seq, 9, 0)
        digest = audit._row_hash(prev, seq, at, "ann", "admin", "login", "ok", None, None)
        store.rows(
            "insert into audit_log values ($s, $at, 'ann', 'admin', 'login', 'ok', null, null, "
            "$p, $h)",
            {"s": seq, "at": at, "p": prev, "h": digest},
        )
        prev = digest
    old = audit.verify(store)
    assert old.ok and old.keyed_from is None and "plain SHA-256" in old.reason
    assert not config.audit_key_path(store.path).exists()
    _fill(store, 2)
    rows = store.rows("select seq, action, hash from audit_log order by seq")
    assert [(s, a) for s, a, _h in rows[3:]] == [
        (4, audit.SWITCH_ACTION),
        (5, "login"),
        (6, "import"),
    ]
    assert all(h.startswith(audit.KEYED) for _s, _a, h in rows[3:])
    result = audit.verify(store)
    assert result.ok and result.keyed_from == 4 and result.anchored == 3
    assert "Rows 1-3 are chained by plain SHA-256" in result.reason
    assert "Rows 4-6 are chained by HMAC-SHA-256" in result.reason
    store.rows("update audit_log set username = 'eve' where seq = 2")
    _rewrite_from(store, 2, None)  # the plain part recomputed: the switch row no longer links
    assert audit.verify(store).first_bad_seq == 4


def test_every_write_reaches_the_system_log(store, monkeypatch):
    """Each row's sequence number and hash go to the system log (a syslog server on loopback)."""
    import socket

    server = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    server.bind(("127.0.0.1", 0))
    server.settimeout(5)
    monkeypatch.setenv("CLINIC_SYSLOG", f"127.0.0.1:{server.getsockname()[1]}")
    monkeypatch.setattr(audit, "_syslog_logger", None)
    try:
        _fill(store, 2)
        received = [server.recv(4096).decode() for _ in range(2)]
    finally:
        server.close()
        audit.logging.getLogger("clinic.audit.anchor").handlers.clear()
    hashes = [h for (h,) in store.rows("select hash from audit_log order by seq")]
    for seq, (message, digest) in enumerate(zip(received, hashes, strict=True), start=1):
        assert f"clinic audit clinic.duckdb seq={seq} hash={digest}" in message
