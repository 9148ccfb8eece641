"""The digest (HTML) and the governance pack (PDF) to download, each cut to the viewer's role.

Built when fetched (clinic.notify: the figures, kaleido's chart images, WeasyPrint's PDF take
seconds), offered to this browser session alone and audited like every download
(widgets.offer_file). The e-mailed digest and `clinic report pack` are the same documents.
"""

from __future__ import annotations

from datetime import date
from typing import Any

import streamlit as st

from clinic import formats
from clinic.notify import digest, pack
from clinic.notify.recipients import may_read
from clinic.ui import cached, widgets
from clinic.ui.session import Viewer

HTML = "text/html; charset=utf-8"
PDF = "application/pdf"
PACK_MONTHS = 12  # complete months offered, the latest first


def digest_links(user: Viewer) -> None:
    """Links to the last week's and the last month's digest for the viewer's role."""
    as_of = cached.as_of()
    s = cached.store()
    for kind in digest.PERIODS:
        p = digest.period_for(kind, as_of)

        def build(kind: str = kind) -> tuple[bytes, dict[str, Any]]:
            d = digest.build_digest(s, kind, as_of, user.role)
            details = {
                "period": kind,
                "start": d.period.start.isoformat(),
                "end": d.period.end.isoformat(),
                "as_of": as_of.isoformat(),
            }
            return d.standalone_html().encode("utf-8"), details

        span = p.words().removeprefix("week of ")
        widgets.offer_file(
            f"{'Weekly' if kind == 'week' else 'Monthly'} digest, {span} (HTML)",
            f"digest-{kind}-{p.start.isoformat()}.html",
            f"download_digest_{kind}",
            build,
            action="digest-download",
            media_type=HTML,
        )


def may_take_pack(role: str) -> bool:
    """Whether a role is offered the governance pack: it must read complications and serious
    events (what the pack is about); compliance is left out for a role that may not read it."""
    return may_read(role, "complications") and may_read(role, "serious")


def pack_link(user: Viewer) -> None:
    """A month to choose and a link to that month's governance pack, cut to the viewer's role."""
    if not may_take_pack(user.role):
        return
    as_of = cached.as_of()
    last = formats.month_start(as_of)
    months = [_months_before(last, n) for n in range(1, PACK_MONTHS + 1)]
    month = st.selectbox("Governance pack of", months, format_func=formats.month, key="pack_month")
    s = cached.store()

    def build() -> tuple[bytes, dict[str, Any]]:
        data = pack.build_pack(s, month, as_of, role=user.role)
        return data, {"month": f"{month:%Y-%m}", "as_of": as_of.isoformat()}

    widgets.offer_file(
        f"Governance pack, {formats.month(month)} (PDF)",
        f"governance-pack-{month:%Y-%m}.pdf",
        "download_pack",
        build,
        action="pack-download",
        media_type=PDF,
    )


def _months_before(first: date, n: int) -> date:
    """The first day of the month `n` months before the month starting `first`."""
    index = first.year * 12 + first.month - 1 - n
    return date(index // 12, index % 12 + 1, 1)
