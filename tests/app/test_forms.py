"""Forms and page names as a person meets them: defaults, confirmations, what a save says."""

from __future__ import annotations

from pathlib import Path

import pytest

from clinic import auth, ui
from clinic.store import open_store


@pytest.mark.parametrize("role", auth.ROLES)
def test_menu_and_page_give_each_page_one_name(seeded: Path, open_app, role: str) -> None:
    """Every page of a role has the same name in the menu and as its title ("Imports" for the
    managers' and staff's audit page, which shows only imports)."""
    at = open_app(role)
    # AppTest keeps the pages st.navigation registered, with the menu title as page_name.
    menu = {
        Path(str(info["script_path"])).name: info["page_name"]
        for info in at._registered_pages.values()
        if info.get("script_path")
    }
    for key, _title, file, _url, _icon in ui.pages_for(role):
        at.switch_page(file).run()
        assert at.title[0].value == menu[Path(file).name], (role, key)
    expected = "Audit trail" if role in ("admin", "auditor") else "Imports"
    assert menu["audit.py"] == expected


def _fill_account(at, name: str, role: str | None) -> None:
    """Fill in the Add account form (the role only when given) and submit it."""
    at.text_input(key="acc_name").input(name)
    at.text_input(key="acc_password").input("a-long-enough-passphrase")
    if role is not None:
        at.selectbox(key="acc_role").set_value(role)
    at.button(key="acc_add").click().run()
    assert not at.exception, [e.value for e in at.exception]


def test_new_account_has_no_default_role(seeded: Path, open_app) -> None:
    """Without a chosen role nothing is created and a sentence says to choose one (least
    privilege); with one the account gets exactly that role and the form empties."""
    at = open_app("admin", "pages/accounts.py")
    assert at.selectbox(key="acc_role").value is None
    _fill_account(at, "newbie", None)
    assert [e.value for e in at.error] == [ui.NO_ROLE]
    assert open_store(seeded).rows("select username from accounts where username = 'newbie'") == []
    assert at.text_input(key="acc_name").value == "newbie"  # kept, to add the role and retry
    _fill_account(at, "newbie", "staff")
    assert "Account newbie created with role staff." in [s.value for s in at.success]
    assert open_store(seeded).rows("select role from accounts where username = 'newbie'") == [
        ("staff",)
    ]
    assert at.text_input(key="acc_name").value == ""
    assert at.selectbox(key="acc_role").value is None
