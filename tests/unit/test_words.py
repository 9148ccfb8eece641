"""Counts in sentences agree in number: "1 problem", "2 problems", "1 row was"."""

from __future__ import annotations

import pytest

from clinic.words import count, were


@pytest.mark.parametrize(
    ("n", "noun", "plural", "said"),
    [
        (0, "problem", None, "0 problems"),
        (1, "problem", None, "1 problem"),
        (2, "problem", None, "2 problems"),
        (1204, "row", None, "1,204 rows"),
        (1, "matching report", None, "1 matching report"),
        (3, "entry", "entries", "3 entries"),
        (1, "entry", "entries", "1 entry"),
    ],
)
def test_count(n: int, noun: str, plural: str | None, said: str) -> None:
    """The noun follows the number, with thousands separators."""
    assert count(n, noun, plural) == said


def test_were() -> None:
    """The verb agrees with the count."""
    assert [were(n) for n in (0, 1, 2)] == ["were", "was", "were"]
