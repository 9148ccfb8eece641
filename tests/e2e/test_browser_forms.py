"""Forms in a real browser: what the browser keeps after a save is what the page means."""

from __future__ import annotations

from e2e_support import USERS, login, settle

NO_ROLE = "Choose a role for the new account: the smallest one that lets them do their work."


def test_add_account_asks_for_a_role_then_empties_the_form(page) -> None:
    """No role chosen: a sentence and the typed fields kept; a role chosen: the account is made
    and the browser's form is empty again (the password too)."""
    login(page, USERS["admin"], next="/accounts")
    settle(page)
    page.get_by_label("User name").fill("formtester")
    page.get_by_label("Password", exact=True).fill("a-long-enough-passphrase")
    page.get_by_role("button", name="Add account").click()
    page.get_by_text(NO_ROLE).wait_for()
    assert page.get_by_label("User name").input_value() == "formtester"
    page.get_by_test_id("stSelectbox").filter(has_text="Role").first.click()
    page.get_by_role("option").filter(has_text="staff:").click()
    page.get_by_role("button", name="Add account").click()
    page.get_by_text("Account formtester created with role staff.").wait_for()
    settle(page)
    assert page.get_by_label("User name").input_value() == ""
    assert page.get_by_label("Password", exact=True).input_value() == ""
    role = page.get_by_test_id("stSelectbox").filter(has_text="Role").first.inner_text()
    assert "staff" not in role  # back to its placeholder, no role chosen
