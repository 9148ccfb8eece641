"""The one way the app writes a day, a time, a month, an amount and a measure (clinic.formats)."""

from __future__ import annotations

import re
from datetime import date, datetime
from pathlib import Path

import pandas as pd
import pytest

from clinic import formats


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (date(2026, 12, 5), "05/12/2026"),
        (datetime(2026, 12, 5, 23, 59), "05/12/2026"),
        (pd.Timestamp("2026-02-03"), "03/02/2026"),
        ("2026-02-03", "03/02/2026"),
        (None, "–"),
        (pd.NaT, "–"),
        (float("nan"), "–"),
    ],
)
def test_day_is_uk(value: object, shown: str) -> None:
    """Days read dd/mm/yyyy whatever they come as; an empty one is a dash."""
    assert formats.day(value) == shown


@pytest.mark.parametrize(
    ("stored", "shown"),
    [
        (datetime(2026, 12, 5, 14, 3), "05/12/2026 14:03"),  # GMT: UTC is UK time
        (datetime(2026, 7, 1, 13, 3), "01/07/2026 14:03"),  # BST: one hour ahead
        (datetime(2026, 3, 29, 0, 59), "29/03/2026 00:59"),  # the last minute of GMT
        (datetime(2026, 3, 29, 1, 0), "29/03/2026 02:00"),  # clocks go forward
        (datetime(2026, 10, 24, 23, 30), "25/10/2026 00:30"),  # BST crosses midnight
        ("2026-12-05 14:03:59.9", "05/12/2026 14:03"),
        (None, "–"),
    ],
)
def test_timestamps_are_uk_wall_clock(stored: object, shown: str) -> None:
    """Stored timestamps are UTC; people read them in UK time, summer time included."""
    assert formats.timestamp(stored) == shown


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        ("2026-01", "Jan 2026"),
        (date(2026, 12, 31), "Dec 2026"),
        (pd.Timestamp("2024-02-29"), "Feb 2024"),
        (None, "–"),
    ],
)
def test_months_in_words(value: object, shown: str) -> None:
    """Months read "Jan 2026", never 2026-01."""
    assert formats.month(value) == shown


@pytest.mark.parametrize(
    ("amount", "pence", "shown"),
    [
        (76592, True, "£76,592.00"),
        (1234.5, True, "£1,234.50"),
        (1234.5, False, "£1,235"),  # half up, as a till rounds (not to even)
        (2.675, True, "£2.68"),  # the float is 2.67499..., its text is not
        (194912.4, False, "£194,912"),
        (-5, True, "-£5.00"),
        (-0.001, True, "£0.00"),  # no "-£0.00"
        (0, True, "£0.00"),
        (None, True, "–"),
    ],
)
def test_money_has_pounds_and_separators(amount: object, pence: bool, shown: str) -> None:
    """Money reads £1,234.50 (tables) or £1,235 (tiles): a pound sign and thousands separators."""
    assert formats.money(amount, pence=pence) == shown


@pytest.mark.parametrize(
    ("name", "shown"),
    [
        ("review_6w", "Six-week review"),
        ("check_2w", "Two-week check (varicose)"),
        ("spacing", "Sessions 28+ days apart"),
        ("compression", "Compression recorded"),
        ("vein_type", "Vein type"),
        (None, ""),
    ],
)
def test_labels_are_words(name: str | None, shown: str) -> None:
    """Measures and column names are said in words, never as internal codes."""
    assert formats.label(name) == shown


def test_percent() -> None:
    """Rates read as percentages with one decimal; no denominator reads as a dash."""
    assert (formats.percent(0.7338), formats.percent(None), formats.percent(1)) == (
        "73.4%",
        "–",
        "100.0%",
    )


@pytest.mark.parametrize(
    ("day", "utc"),
    [
        (date(2026, 7, 1), datetime(2026, 6, 30, 23, 0)),  # BST: the UK day starts at 23:00 UTC
        (date(2026, 12, 5), datetime(2026, 12, 5, 0, 0)),  # GMT
        (date(2026, 3, 29), datetime(2026, 3, 29, 0, 0)),  # the clocks go forward at 01:00 UTC
        (date(2026, 3, 30), datetime(2026, 3, 29, 23, 0)),
    ],
)
def test_a_uk_day_starts_at_uk_midnight(day: date, utc: datetime) -> None:
    """Filtering stored UTC times by a UK day starts at UK midnight, summer time included."""
    assert formats.utc_start_of(day) == utc


@pytest.mark.parametrize(
    ("text", "day"),
    [
        ("2025-04-03", date(2025, 4, 3)),
        ("03/04/2025", date(2025, 4, 3)),
        (" 31/12/2026 ", date(2026, 12, 31)),
    ],
)
def test_read_day_reads_iso_and_uk_day_first(text: str, day: date) -> None:
    """A typed or linked date: ISO, or UK with the day first (03/04 is 3 April)."""
    assert formats.read_day(text) == day


@pytest.mark.parametrize("text", ["04/13/2025", "31/02/2026", "yesterday", ""])
def test_read_day_refuses_what_is_not_a_uk_or_iso_date(text: str) -> None:
    """A US-order date, an impossible date or words are refused, never guessed."""
    with pytest.raises(ValueError):
        formats.read_day(text)


def test_one_money_and_one_date_formatter() -> None:
    """Sentences, pages and reports format money and days through clinic.formats only: no module
    writes its own £ format or day pattern (the CLI's argument parser reads, it does not write)."""
    root = Path(__file__).resolve().parents[2]
    own = re.compile(r"£\{|:%d/%m/%Y|strftime\(\s*\"%d/%m/%Y")
    for path in [*(root / "clinic").rglob("*.py"), *(root / "pages").glob("*.py")]:
        if path.name != "formats.py":
            assert not own.search(path.read_text(encoding="utf-8")), path
