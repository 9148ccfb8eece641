"""The first visitors of a freshly started server, several at once, each get their own page."""

from __future__ import annotations

import threading

import pytest
from e2e_support import AS_OF, LOCKOUT_ATTEMPTS, PASSWORD, USERS, e2e_conftest
from protocol import session_cookie, visit

# Deep links the first visitors open at the same moment, and the role opening each.
FIRST = [("manager", "overview"), ("auditor", "overview"), ("manager", "revenue"),
         ("auditor", "records")]  # fmt: skip


def test_first_visitors_at_once_each_get_their_page(request, tmp_path, monkeypatch) -> None:
    """Before the fix the second of two first visitors read "You do not have access" (the first
    switched Streamlit's pages-folder mode off while the second's run was already in it)."""
    env = {
        "CLINIC_DB": str(tmp_path / "clinic.duckdb"),
        "CLINIC_KEY_FILE": str(tmp_path / "pseudonym.key"),
        "CLINIC_AS_OF": AS_OF.isoformat(),
        "CLINIC_LOCKOUT_ATTEMPTS": str(LOCKOUT_ATTEMPTS),
    }
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    e2e = e2e_conftest(request)
    e2e._seed(tmp_path / "clinic.duckdb")  # before the server: one process holds the file
    server = e2e.Server(tmp_path / "clinic.duckdb", env=env)
    try:
        cookies = {role: session_cookie(server.url, USERS[role], PASSWORD) for role, _ in FIRST}
        seen: dict[int, object] = {}
        start = threading.Barrier(len(FIRST))

        def first_visit(i: int, role: str, page: str) -> None:
            start.wait(timeout=60)
            seen[i] = visit(server.url, cookies[role], page, "from=2025-01-01&to=2025-12-31")

        threads = [
            threading.Thread(target=first_visit, args=(i, role, page))
            for i, (role, page) in enumerate(FIRST)
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(timeout=180)
    finally:
        server.stop()
    for i, (role, page) in enumerate(FIRST):
        assert seen[i].errors == [], (role, page, seen[i].errors)
        assert seen[i].elements.get("heading", 0) >= 1, (role, page, seen[i].elements)
    if any(not v.elements.get("metric") for i, v in seen.items() if FIRST[i][1] == "overview"):
        pytest.fail("an Overview came without its tiles")
