"""Targets on screen: the targets in force (for tiles and chart lines) and the manager's form
that sets one, with its history. The write is checked and audited by clinic.targets."""

from __future__ import annotations

from typing import Any

import streamlit as st

from clinic import formats, roles, targets
from clinic.targets import Target
from clinic.ui import cached, session, widgets
from clinic.ui.say import shown


def in_force() -> dict[str, Target]:
    """The target in force for each measure that has one ({} when none or unreadable)."""
    return cached.data(targets.current) or {}


def lines(found: dict[str, Target], measures: tuple[str, ...]) -> dict[str, float]:
    """The target values of `measures` that have one, for a chart's target lines."""
    return {m: found[m].value for m in measures if m in found}


def verdict(container: Any, found: dict[str, Target], measure: str, rate: float | None) -> None:
    """Under a tile: whether its rate meets the measure's target (nothing without a target)."""
    target = found.get(measure)
    if target is not None:
        met = target.met(rate)
        colour = "gray" if met is None else ("green" if met else "red")
        container.caption(f":{colour}[{target.verdict(rate)}]")


def verdicts(found: dict[str, Target], rates: Any) -> None:
    """Under a table of rates (measure, rate ...): one line per measure that has a target."""
    if cached.is_empty(rates):
        return
    said = [
        f"{formats.label(m)} {formats.percent(r)}, {found[m].verdict(r).lower()}"
        for m, r in zip(rates["measure"], rates["rate"], strict=True)
        if m in found
    ]
    if said:
        st.caption(" · ".join(said))


def editor(measures: tuple[str, ...], key: str) -> None:
    """The form a manager or admin sets or removes a measure's target with, and the history.

    Shown only to the roles that may set targets; clinic.targets checks the role again.
    """
    if not roles.can(session.role(), roles.WRITE_PAGE["targets"]):
        return
    found = in_force()
    with st.expander("Targets"):
        widgets.say_done()
        a, b = st.columns(2)
        measure = a.selectbox("Measure", measures, format_func=formats.label, key=f"{key}_measure")
        now = found.get(measure)
        way = "at least" if targets.MEASURES[measure] == "min" else "at most"
        value = b.number_input(
            f"Target: the rate {way} (%)",
            min_value=0.0,
            max_value=100.0,
            step=1.0,
            format="%.1f",
            value=now.value * 100 if now else None,
            key=f"{key}_value:{measure}",
        )
        st.caption(
            f"In force: {now.words()}, set by {now.set_by or 'the command line'} on "
            f"{formats.day(formats.uk_time(now.set_at))}."
            if now
            else "No target is set for this measure."
        )
        save, remove = st.columns(2)
        if save.button("Save target", type="primary", disabled=value is None, key=f"{key}_save"):
            _set(measure, None if value is None else value / 100)
        if remove.button("Remove target", disabled=now is None, key=f"{key}_remove"):
            _set(measure, None)
        widgets.table(cached.data(targets.history), f"{key}_history", "No target has been set yet.")


def _set(measure: str, value: float | None) -> None:
    """Record the target, then run the page again saying so (or say why it was refused)."""
    done = shown(
        lambda: (
            targets.set_target(
                cached.store(), measure, value, user=session.username(), role=session.role()
            )
            or True
        ),
        "The target could not be saved; try again, or tell the administrator.",
        (roles.NotAllowed, ValueError),
        "setting a target",
    )
    if done:
        said = "removed" if value is None else f"set to {formats.percent(value)}"
        widgets.restart_form({}, f"The target for {formats.label(measure).lower()} is {said}.")
