"""Admin widgets: the price list and a price change, accounts, imports and the audit trail."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import pandas as pd
import streamlit as st

from clinic import audit as audit_trail
from clinic import auth, formats, ingest
from clinic.ui import cached, session, upload, widgets
from clinic.ui.say import attempt, plain


def imports(user: str | None = None, limit: int = 200) -> pd.DataFrame | None:
    """The import history, newest first; only `user`'s imports when given."""
    s = cached.store()
    return attempt(
        lambda: s.query("imports_recent", user_name=user, row_limit=limit),
        "The import history could not be read.",
    )


# Who sees what the drop folder (CLINIC_INBOX) took and refused: the roles that see all imports.
INBOX_ROLES = frozenset({"admin", "manager"})


def inbox_recent(limit: int = 20) -> pd.DataFrame | None:
    """The newest files the drop folder handled (imported, refused, duplicates), newest first."""
    s = cached.store()
    return attempt(
        lambda: s.query("inbox_recent", row_limit=limit),
        "The drop folder's history could not be read.",
    )


def price_list() -> pd.DataFrame | None:
    """Every price with its history; `current` marks the price in force today."""
    s = cached.store()
    return attempt(
        lambda: s.query("prices_timeline", today=cached.as_of()),
        "The price list could not be read.",
    )


def price_csv(
    item: str, kind: str, price: float, valid_from: date, duration_min: int | None = None
) -> bytes:
    """A one-row prices export, as staff would upload it, for a price change made on screen."""
    frame = pd.DataFrame(
        [
            {
                "item": item.strip(),
                "kind": kind,
                "price": f"{price:.2f}",
                "valid_from": valid_from.isoformat(),
                "duration_min": "" if duration_min is None else str(duration_min),
            }
        ]
    )
    return frame.to_csv(index=False).encode("utf-8")


def add_price(
    item: str, kind: str, price: float, valid_from: date, duration_min: int | None = None
) -> ingest.ImportResult:
    """Record a new price from a date through the importer, and audit it as a price change."""
    if not item.strip():
        raise ValueError("Give the item a name.")
    if price < 0:
        raise ValueError("A price cannot be negative.")
    result = ingest.import_file(
        cached.store(),
        "prices",
        price_csv(item, kind, price, valid_from, duration_min),
        file_name="price-change.csv",
        user=session.username(),
        role=session.role(),
    )
    effect = result.price_effect
    session.audit(
        "price_change",
        result.status,
        object=item.strip(),
        kind=kind,
        price_gbp=round(float(price), 2),
        valid_from=valid_from.isoformat(),
        import_id=result.import_id,
        revalued_appointments=effect.appointments if effect else 0,
        revenue_change_gbp=effect.change_gbp if effect else 0.0,
    )
    return result


PRICE_KINDS = ("treatment", "follow-up", "product")


@dataclass(frozen=True)
class PriceNow:
    """An item's kind (its latest price row's), price in force today and duration."""

    kind: str
    price_gbp: float
    duration_min: int | None


def price_now(prices: pd.DataFrame | None, item: str | None) -> PriceNow | None:
    """Where the Change a price form starts for an item; None for a new item (no defaults)."""
    if cached.is_empty(prices) or not item:
        return None
    rows = prices[prices["item"] == item]  # newest first (prices_timeline)
    if rows.empty:
        return None
    current = rows[rows["current"].fillna(False).astype(bool)]
    row = (current if not current.empty else rows).iloc[0]
    duration = row["duration_min"]
    return PriceNow(
        str(rows.iloc[0]["kind"]),
        float(row["price_gbp"]),
        None if pd.isna(duration) else int(duration),
    )


def kind_index(now: PriceNow | None) -> int | None:
    """The Kind box starts at the item's own kind; a new item's kind is chosen, never assumed."""
    return PRICE_KINDS.index(now.kind) if now and now.kind in PRICE_KINDS else None


def price_preview(
    item: str | None,
    kind: str | None,
    price: float | None,
    valid_from: date | None,
    duration_min: int | None = None,
) -> ingest.PriceEffect | None:
    """Check a price change without saving it and say what saving it would do; None (with
    what is missing said) when it cannot be saved as it stands."""
    missing = [
        what
        for what, value in (
            ("an item", item),
            ("its kind", kind),
            ("a price", price),
            ("the date it applies from", valid_from),
        )
        if value is None or value == ""
    ]
    if missing:
        listed = ", ".join(missing[:-1]) + " and " + missing[-1] if len(missing) > 1 else missing[0]
        st.caption(f"To save a price, give {listed}.")
        return None
    found = upload.preview(
        "prices", price_csv(item, kind, price, valid_from, duration_min), "price-change.csv", None
    )
    if found is None:
        return None
    for problem in found.problems:
        st.error(
            f"{formats.label(problem.column) if problem.column else 'Price'}: {problem.reason}"
        )
    if found.problems:
        return None
    upload.say_price_effect(found.price_effect)
    return found.price_effect


def save_price(
    item: str, kind: str, price: float, valid_from: date, duration_min: int | None = None
) -> None:
    """Save a price change; the page then runs again, saying what the save re-valued."""
    result = attempt(
        lambda: add_price(item, kind, price, valid_from, duration_min),
        "The price could not be saved.",
    )
    if result is None:
        return
    if result.status != "committed" or result.price_effect is None:
        upload.show_result(result)
        return
    effect = result.price_effect
    said = [
        f"Saved: {plain(item.strip())} at {formats.money(price)} from {formats.day(valid_from)}."
    ]
    said += [f"{plain(i)} is now a {a}." for i, _b, a in effect.kind_changes]
    said.append(upload.revaluation_sentence(effect, done=True))
    widgets.restart_form({}, " ".join(said))


def items_of(prices: pd.DataFrame | None) -> list[str]:
    """The distinct items of the price list, alphabetically."""
    return [] if cached.is_empty(prices) else sorted(prices["item"].dropna().unique().tolist())


def audit_entries(
    start: date | None, end: date | None, user: str | None, action: str | None
) -> pd.DataFrame | None:
    """Audit rows between two UK dates (inclusive), for a user and an action; None on failure."""
    return attempt(
        lambda: audit_trail.entries(
            cached.store(),
            # The trail shows UK time, so its days are UK days: 01/07 begins at 23:00 UTC.
            start=formats.utc_start_of(start) if start else None,
            end=formats.utc_start_of(end + timedelta(days=1)) if end else None,
            user=(user or "").strip() or None,
            action=(action or "").strip() or None,
        ),
        "The audit trail could not be read.",
    )


def accounts() -> pd.DataFrame | None:
    """The accounts (no password hashes); None with a sentence when they cannot be read."""
    return attempt(lambda: auth.list_users(cached.store()), "The accounts could not be read.")


ROLE_DUTIES = {
    "staff": "uploads exports, records side effects, sees the call list",
    "auditor": "reads complication records and the audit trail, changes nothing",
    "manager": "revenue, compliance and complications; edits prices",
    "admin": "everything, including accounts",
}


# The Add account form's fields and their empty values.
ACCOUNT_FIELDS = {"acc_name": "", "acc_role": None, "acc_email": "", "acc_password": ""}


NO_ROLE = "Choose a role for the new account: the smallest one that lets them do their work."


def add_account(name: str, role: str | None, password: str, email: str | None) -> bool:
    """Create an account (True); a missing role or the policy's refusal is shown as a sentence."""
    if role is None:
        st.error(NO_ROLE)
        return False
    done = attempt(
        lambda: auth.add_user(
            cached.store(), name.strip(), role, password, email or None, actor=session.actor()
        ),
        "The account could not be created.",
    )
    if done is None:
        return False
    widgets.restart_form(ACCOUNT_FIELDS, f"Account {plain(name.strip())} created with role {role}.")
    return True


def set_account_disabled(name: str, disabled: bool) -> None:
    """Disable (ending its sessions) or re-enable an account."""
    change = auth.disable_user if disabled else auth.enable_user
    done = attempt(
        lambda: change(cached.store(), name, actor=session.actor()) or True,
        "The account could not be changed.",
    )
    if done:
        st.success(f"Account {plain(name)} {'disabled' if disabled else 'enabled'}.")


def usernames(accounts: pd.DataFrame | None) -> list[str]:
    """The user names of an accounts table."""
    return [] if cached.is_empty(accounts) else [str(u) for u in accounts["username"]]
