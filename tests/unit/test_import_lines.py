"""A problem's line is the line of the file, whatever the store already holds.

The cleaning queries join the file's rows with the store (sessions, prices): on a store with
data, hash joins can hand rows back in another order than the file's. Lines are numbered in the
read itself, before any join.
"""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from clinic import demo
from clinic.ingest import import_file, preview
from clinic.store import Store

EXAMPLES = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory):
    """A demo store (two years of sessions) and some of its treatment session ids."""
    s = Store(tmp_path_factory.mktemp("lines") / "filled.duckdb")
    demo.fill(s, seed=3, as_of=date(2026, 6, 30))
    ids = [
        row[0]
        for row in s.rows(
            "select appointment_id from appointments where kind = 'treatment' "
            "order by appointment_id desc limit 40"
        )
    ]
    yield s, ids
    s.close()


def _csv(rows: list[list[str]]) -> bytes:
    """Rows as CSV bytes."""
    out = io.StringIO()
    csv.writer(out, lineterminator="\n").writerows(rows)
    return out.getvalue().encode("utf-8")


# Each data row: "ok" (a good report), "bad" (an unreadable date), "blank" (every cell empty:
# counted as a line, never a row).
ROWS = st.lists(st.sampled_from(["ok", "ok", "bad", "blank"]), min_size=1, max_size=12)


def _side_effects(ids: list[str], shape: list[str]) -> tuple[bytes, dict[int, str], dict[int, str]]:
    """The file; the bad date on each line that has one; the appointment id on each row's line."""
    rows = [["Appointment ID", "Reported Date", "Effect", "Severity"]]
    bad, booked = {}, {}
    for i, what in enumerate(shape):
        line = i + 2
        if what == "blank":
            rows.append(["", "", "", ""])
            continue
        when = f"not a date {line}" if what == "bad" else "01/02/2026"
        rows.append([ids[i], when, "bruising", "mild"])
        booked[line] = ids[i]
        if what == "bad":
            bad[line] = when
    return _csv(rows), bad, booked


@EXAMPLES
@given(shape=ROWS)
def test_preview_names_the_lines_of_the_file(filled, shape):
    """Every problem sits on the line that holds it, and the first rows are in file order.

    Failed before the fix: on the demo store a 3-row file had lines 2 and 3 swapped.
    """
    store, ids = filled
    data, bad, booked = _side_effects(ids, shape)
    found = preview(store, "side-effects", data, "reports.csv")
    if not booked:
        assert [p.reason for p in found.problems][0].startswith("The file has a header row")
        return
    assert {p.line: p.value for p in found.problems} == bad
    assert all(p.column == "Reported Date" for p in found.problems)
    sample = found.sample
    assert list(sample["line"]) == sorted(booked)
    assert dict(zip(sample["line"], sample["appointment_id"], strict=True)) == booked


@EXAMPLES
@given(shape=ROWS.filter(lambda s: "bad" in s))
def test_a_refused_import_names_the_lines_of_the_file(filled, shape):
    """The refused import lists the same lines as the file holds (a staged import, store full)."""
    store, ids = filled
    data, bad, _booked = _side_effects(ids, shape)
    result = import_file(store, "side-effects", data, file_name="reports.csv")
    assert result.status == "rejected"
    assert {p.line: p.value for p in result.errors} == bad
