"""Counts in sentences people read: "1 problem", "2 problems" (money: clinic.formats.money)."""

from __future__ import annotations


def count(n: int, noun: str, plural: str | None = None) -> str:
    """`n` with thousands separators and the noun in the number it needs ("1 row", "2 rows")."""
    return f"{n:,} {noun if n == 1 else plural or noun + 's'}"


def were(n: int) -> str:
    """The verb that agrees with a count: "1 row was", "2 rows were"."""
    return "was" if n == 1 else "were"
