"""Who receives what: accounts with an e-mail address, and the parts each role may read.

A part of a mail follows the role matrix of the dashboard (auth.PAGES_BY_ROLE): revenue goes
only to roles that may open the Revenue page (never staff), complication figures and serious
events to roles of the Complications page, compliance rates to those who see them on
Follow-ups, the count of reviews due to everyone who sees the call list.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from clinic import auth
from clinic.store import Store

# Each part of a digest and the page whose roles may read it ("compliance": the Follow-ups
# page's rates, which the call-list-only roles do not see). Freshness goes to everyone.
PARTS: dict[str, str | None] = {
    "sessions": "overview",
    "revenue": "revenue",
    "compliance": "follow-ups",
    "complications": "complications",
    "serious": "complications",
    "call_list": "follow-ups",
    "attendance": "attendance",
    "freshness": None,
}
# Who is alerted at once when an import brings a serious event.
ALERT_ROLES = ("manager", "auditor")


@dataclass(frozen=True)
class Recipient:
    """An account that can be mailed."""

    username: str
    role: str
    email: str


def may_read(role: str, part: str) -> bool:
    """Whether a role may receive a part of a digest or pack (keys of PARTS)."""
    page = PARTS[part]
    if page is None:
        return role in auth.ROLES
    if part == "compliance" and role in auth.FOLLOWUPS_CALL_LIST_ONLY:
        return False
    return auth.can(role, page)


def parts_for(role: str) -> frozenset[str]:
    """Every part a role may receive."""
    return frozenset(p for p in PARTS if may_read(role, p))


def accounts(store: Store, roles: Iterable[str] | None = None) -> list[Recipient]:
    """Enabled accounts with an e-mail address, of `roles` (None = every role), by role, name."""
    wanted = set(auth.ROLES if roles is None else roles)
    rows = store.query("notify_recipients").itertuples(index=False)
    return [Recipient(r.username, r.role, r.email) for r in rows if r.role in wanted]


def chosen(store: Store, addresses: Iterable[str]) -> list[Recipient]:
    """The accounts of the given addresses; an address that is no account's is refused.

    Figures go only to people whose role is known, so a typed address must be an account's.
    """
    known = {r.email.lower(): r for r in accounts(store)}
    wanted = [a.strip() for a in addresses if a.strip()]
    unknown = [a for a in wanted if a.lower() not in known]
    if unknown:
        raise ValueError(
            f"{', '.join(unknown)} {'is' if len(unknown) == 1 else 'are'} not the e-mail address "
            "of an enabled account: figures go only to accounts, whose role decides what they "
            "may read (add one with `clinic users add NAME --role ROLE`)."
        )
    return list({known[a.lower()].username: known[a.lower()] for a in wanted}.values())
