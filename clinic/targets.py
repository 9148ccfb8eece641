"""Targets: a manager's goal per measure (six-week review at least 85%, no-show rate at most 5%),
kept with its history in the store and audited; judged on the rate itself (docs/METRICS.md).

No Streamlit here: pages show them through clinic/ui/targets.py; the command line could too.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from datetime import UTC, datetime

import pandas as pd

from clinic import audit, facts, formats, sql
from clinic.roles import check_write
from clinic.store import Store

# The measures a target may be set for and which way is good: at least (min) or at most (max).
MEASURES: dict[str, str] = {
    "review_6w": "min",
    "check_2w": "min",
    "spacing": "min",
    "compression": "min",
    "no_show": "max",
    "cancelled": "max",
    "course_continuation": "min",
    "complication_rate": "max",
}
COMPLIANCE = ("review_6w", "check_2w", "spacing", "compression")
ATTENDANCE = ("no_show", "cancelled", "course_continuation")


@dataclass(frozen=True)
class Target:
    """The target in force for a measure: at least or at most `value` (a rate 0..1)."""

    measure: str
    direction: str
    value: float
    set_by: str | None
    set_at: datetime

    def met(self, rate: float | None) -> bool | None:
        """Whether a rate meets the target; None when there is no rate to judge."""
        if rate is None or (isinstance(rate, float) and math.isnan(rate)):
            return None
        return rate >= self.value if self.direction == "min" else rate <= self.value

    def words(self) -> str:
        """The target in words: "at least 85%", "at most 5%"."""
        way = "at least" if self.direction == "min" else "at most"
        return f"{way} {formats.percent(self.value, 0 if self.value * 100 % 1 == 0 else 1)}"

    def verdict(self, rate: float | None) -> str:
        """One line for a tile: "Target at least 85%: met" (or not met, or nothing to judge)."""
        met = self.met(rate)
        said = "no rate to judge yet" if met is None else ("met" if met else "not met")
        return f"Target {self.words()}: {said}"


def history(store: Store) -> pd.DataFrame:
    """Every target set, newest first: [measure, direction, value, set_by, set_at, in_force]."""
    return store.query("targets_history")


def current(store: Store) -> dict[str, Target]:
    """The target in force for each measure that has one."""
    df = history(store)
    live = df[df["in_force"]]
    return {
        r.measure: Target(r.measure, r.direction, float(r.value), r.set_by, r.set_at)
        for r in live.itertuples()
    }


def set_target(
    store: Store, measure: str, value: float | None, *, user: str | None, role: str | None
) -> None:
    """Record a target for a measure (None withdraws it), checked against the role, audited.

    The facts read nothing a target changes, so they stay valid (facts.keep); the data version
    moves on, so every page shows the new target at once.
    """
    check_write(role, "targets")
    if measure not in MEASURES:
        raise ValueError(f"No target can be set for {measure!r}: use one of {', '.join(MEASURES)}.")
    if value is not None and not (0.0 <= float(value) <= 1.0):
        raise ValueError("A target is a rate between 0% and 100%.")
    direction = MEASURES[measure]
    text, params = sql.bind(
        "targets_set",
        {
            "measure": measure,
            "direction": direction,
            "value": None if value is None else float(value),
            "set_by": user,
            "set_at": datetime.now(UTC).replace(tzinfo=None),
        },
    )
    with store.writer(wait=True) as cur:
        cur.execute(text, params)
        facts.keep(cur)
    audit.log(
        store,
        user=user,
        role=role,
        action="set_target",
        outcome="ok",
        object=measure,
        details={"direction": direction, "value": value},
    )
