"""The role matrix of docs/CONTRACTS.md "Roles" as data: who sees which page, who writes what.

Light on purpose (no database, no hashing): the command line's parser offers these roles and
the pages ask `can` before they read anything. clinic.auth re-exports every name.
"""

from __future__ import annotations

ROLES = ("admin", "manager", "staff", "auditor")

PAGES = (
    "overview",
    "revenue",
    "follow-ups",
    "attendance",
    "complications",
    "records",
    "upload",
    "prices",
    "audit",
    "accounts",
)
PAGES_BY_ROLE: dict[str, frozenset[str]] = {
    "admin": frozenset(PAGES),
    "manager": frozenset(
        {
            "overview",
            "revenue",
            "follow-ups",
            "attendance",
            "complications",
            "upload",
            "prices",
            "audit",
        }
    ),
    "staff": frozenset({"follow-ups", "upload", "audit"}),
    "auditor": frozenset({"overview", "complications", "records", "audit"}),
}
# Roles that see only the review call list on the Follow-ups page (no compliance rates).
FOLLOWUPS_CALL_LIST_ONLY = frozenset({"staff"})
# What the "Imports and audit trail" page shows each role: the whole trail, the imports
# table only, or only the imports this user made.
AUDIT_SCOPE: dict[str, str] = {
    "admin": "all",
    "auditor": "all",
    "manager": "imports",
    "staff": "own-imports",
}

# Writes follow the role matrix too: the page whose roles may make each kind of write. An
# import of a kind, its undo and a side effect recorded on screen ("manual") are writes of that
# kind; account changes belong to Accounts.
WRITE_PAGE = {
    "appointments": "upload",
    "side-effects": "upload",
    "manual": "upload",
    "prices": "prices",
    "accounts": "accounts",
    "targets": "attendance",  # managers and admins
}
_WRITE_WORDS = {
    "appointments": "appointments",
    "side-effects": "side-effect reports",
    "manual": "side-effect reports",
    "prices": "the price list",
    "accounts": "accounts",
    "targets": "targets",
}


class NotAllowed(PermissionError):
    """A write the role may not make (whatever page it came from); the message is a sentence."""


def can(role: str | None, page: str) -> bool:
    """Whether a role may open a page (page keys as in PAGES)."""
    return page in PAGES_BY_ROLE.get(role or "", frozenset())


def check_write(role: str | None, what: str) -> None:
    """Raise NotAllowed unless `role` may make writes of `what` (a WRITE_PAGE key).

    The pages hide what a role may not do; this is the check the writes themselves make, with
    the role of the person the UI serves. None is the command line, run by whoever holds the
    store's files (already able to change anything).
    """
    if role is not None and not can(role, WRITE_PAGE[what]):
        raise NotAllowed(
            f"Your role ({role}) may not change {_WRITE_WORDS[what]}; ask a manager or an "
            "administrator."
        )
