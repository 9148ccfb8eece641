"""Targets: kept with their history, judged on the rate, refused to the wrong role, audited."""

from __future__ import annotations

import pandas as pd
import pytest

from clinic import audit, charts, facts, roles, targets
from clinic.store import Store
from tests.chartspec import spec_of
from tests.unit.test_charts import compliance_frame, issue_frame


def test_a_target_has_a_history_and_the_latest_is_in_force(store: Store) -> None:
    """85% then 90% for the review: 90% is in force, both rows stay; removing it leaves none."""
    targets.set_target(store, "review_6w", 0.85, user="max", role="manager")
    targets.set_target(store, "review_6w", 0.9, user="ann", role="admin")
    targets.set_target(store, "no_show", 0.05, user="max", role="manager")
    now = targets.current(store)
    assert (now["review_6w"].value, now["review_6w"].set_by) == (0.9, "ann")
    assert (now["no_show"].direction, now["no_show"].value) == ("max", 0.05)
    history = targets.history(store)
    assert len(history) == 3 and history["in_force"].sum() == 2
    targets.set_target(store, "review_6w", None, user="max", role="manager")
    assert "review_6w" not in targets.current(store)
    assert len(targets.history(store)) == 4


@pytest.mark.parametrize(
    ("measure", "value", "rate", "met"),
    [
        ("review_6w", 0.85, 0.85, True),  # exactly on target meets it
        ("review_6w", 0.85, 0.849, False),
        ("no_show", 0.05, 0.05, True),
        ("no_show", 0.05, 0.051, False),
        ("no_show", 0.05, None, None),  # nothing eligible: nothing to judge
        ("no_show", 0.05, float("nan"), None),
    ],
)
def test_met_is_judged_on_the_rate_itself(measure, value, rate, met) -> None:
    """At least / at most, the edge included; no rate is neither met nor missed."""
    t = targets.Target(measure, targets.MEASURES[measure], value, "max", pd.Timestamp(0))
    assert t.met(rate) is met


def test_verdict_words() -> None:
    """Tiles read "Target at least 85%: met" and "Target at most 2.5%: not met"."""
    review = targets.Target("review_6w", "min", 0.85, None, pd.Timestamp(0))
    assert review.verdict(0.9) == "Target at least 85%: met"
    no_show = targets.Target("no_show", "max", 0.025, None, pd.Timestamp(0))
    assert no_show.verdict(0.03) == "Target at most 2.5%: not met"
    assert no_show.verdict(None) == "Target at most 2.5%: no rate to judge yet"


@pytest.mark.parametrize("role", ["staff", "auditor"])
def test_staff_and_auditors_may_not_set_targets(store: Store, role: str) -> None:
    """The write itself checks the role: refused with a sentence, nothing stored."""
    with pytest.raises(roles.NotAllowed, match="may not change targets"):
        targets.set_target(store, "review_6w", 0.85, user="x", role=role)
    assert targets.history(store).empty


@pytest.mark.parametrize(("measure", "value"), [("revenue", 0.5), ("review_6w", 1.5)])
def test_bad_targets_are_refused(store: Store, measure: str, value: float) -> None:
    """An unknown measure or a rate outside 0..100% is a sentence, nothing stored."""
    with pytest.raises(ValueError):
        targets.set_target(store, measure, value, user="max", role="manager")
    assert targets.history(store).empty


def test_setting_a_target_is_audited_and_keeps_the_facts(store: Store) -> None:
    """The audit trail names the measure and value; the derived facts need no rebuild."""
    facts.ensure(store)
    version = store.data_version()
    targets.set_target(store, "no_show", 0.05, user="max", role="manager")
    assert store.data_version() == version + 1  # pages show the new target at once
    assert facts.is_fresh(store)
    rows = audit.entries(store, limit=5)
    row = rows[rows["action"] == "set_target"].iloc[0]
    assert (row["username"], row["object"]) == ("max", "no_show")
    assert '"value":0.05' in row["details"]


def test_chart_draws_one_target_line_per_measure_in_its_colour() -> None:
    """Targets for two measures: two dashed lines, each in its measure's colour, named."""
    fig = charts.compliance_over_time(issue_frame(), {"review_6w": 0.85, "compression": 0.9})
    shapes = spec_of(fig)["layout"]["shapes"]
    assert sorted((s["y0"], s["line"]["color"]) for s in shapes) == [
        (0.85, charts.SERIES_COLOURS["review_6w"]),
        (0.9, charts.SERIES_COLOURS["compression"]),
    ]
    notes = [a["text"] for a in spec_of(fig)["layout"]["annotations"]]
    assert "target six-week review 85%" in notes


def test_small_rates_get_an_axis_that_fits_them_and_their_target() -> None:
    """No-show rates near 3% with a 5% target: the axis stops well below 100%, above 5%."""
    frame = compliance_frame([("2026-01", "no_show", 100, 3), ("2026-02", "no_show", 100, 2)])
    top = spec_of(charts.compliance_over_time(frame, {"no_show": 0.05}))["layout"]["yaxis"]
    assert 0.05 < top["range"][1] < 0.2
