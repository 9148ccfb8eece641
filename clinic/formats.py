"""How values read on screen and in reports: UK dates and times, months, money, words not codes.

One module so that every page, table, chart and report says a date, a month or an amount the
same way (the README promises dd/mm/yyyy). The store keeps timestamps as naive UTC; people read
them in UK time. No Streamlit here: the CLI and the charts use it too.
"""

from __future__ import annotations

import math
from datetime import UTC, date, datetime
from decimal import ROUND_HALF_UP, Decimal
from zoneinfo import ZoneInfo

import pandas as pd

UK = ZoneInfo("Europe/London")

# Python strftime, Streamlit's table columns (momentJS) and plotly axes (d3) say the same thing.
DAY = "%d/%m/%Y"  # 05/12/2026
TIME = "%d/%m/%Y %H:%M"  # 05/12/2026 14:03 (UK time)
MONTH = "%b %Y"  # Dec 2026
TABLE_DAY = "DD/MM/YYYY"
TABLE_TIME = "DD/MM/YYYY HH:mm"
TABLE_MONTH = "MMM YYYY"
TABLE_MONEY = "£%,.2f"  # sprintf-js: "," adds thousands separators
TABLE_COUNT = "%,d"
AXIS_MONTH = MONTH
AXIS_DAY = DAY
EMPTY = "–"

MEASURE_LABELS = {
    "review_6w": "Six-week review",
    "check_2w": "Two-week check (varicose)",
    "spacing": "Sessions 28+ days apart",
    "compression": "Compression recorded",
    "no_show": "No-show (DNA)",
    "cancelled": "Cancelled",
    "late_cancelled": "Cancelled late",
    "course_continuation": "Course continued (second session within 120 days)",
    "new_patients": "New patients",
    "returning_patients": "Returning patients",
    "revenue_per_patient": "Revenue per patient",
    "complication_rate": "Complication rate",
    "lost_gbp": "Lost at list price",
    "sessions_per_patient": "Sessions per patient",
    "per_patient_gbp": "Revenue per patient",
    "booking_ref": "Booking reference",
    "last_session": "Last session",
    "days_since": "Days since",
    "session_ref": "Session (booking reference)",
    "longest_days": "Longest (days)",
}

# Codes the store keeps that people read as words (a value not listed is shown as it is).
WORDS = {
    "self-pay": "Self-pay",
    "nhs": "NHS",
    "insurance": "Insurance",
    "not recorded": "Not recorded",
    "treatment": "Treatment",
    "follow-up": "Follow-up",
    "product": "Product",
}


def _missing(value: object) -> bool:
    """Whether a value is empty (None, NaN, NaT, blank text)."""
    if value is None or value is pd.NaT or (isinstance(value, str) and not value.strip()):
        return True
    return isinstance(value, float) and math.isnan(value)


def _when(value: object) -> datetime | date:
    """A date, datetime or Timestamp from a value of either kind or from ISO text."""
    if isinstance(value, pd.Timestamp):
        return value.to_pydatetime()
    if isinstance(value, datetime | date):
        return value
    text = str(value).strip()
    return datetime.fromisoformat(text) if len(text) > 10 else date.fromisoformat(text)


def day(value: object) -> str:
    """A day as people in the UK write it: 05/12/2026 (empty values as a dash)."""
    if _missing(value):
        return EMPTY
    return f"{_when(value):{DAY}}"


def read_day(text: str) -> date:
    """A date typed or linked: ISO 2025-04-03 or UK 03/04/2025 (3 April, never read as US)."""
    text = text.strip()
    try:
        return date.fromisoformat(text)
    except ValueError:
        return datetime.strptime(text, DAY).date()  # raises ValueError if neither


def uk_time(value: object) -> datetime | None:
    """A stored timestamp (naive means UTC) as an aware datetime in UK time; None when empty."""
    if _missing(value):
        return None
    moment = _when(value)
    if not isinstance(moment, datetime):
        moment = datetime(moment.year, moment.month, moment.day)
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UK)


def utc_start_of(day: date) -> datetime:
    """The stored (naive UTC) timestamp at which a UK calendar day begins."""
    midnight = datetime(day.year, day.month, day.day, tzinfo=UK)
    return midnight.astimezone(UTC).replace(tzinfo=None)


def timestamp(value: object) -> str:
    """A stored timestamp (UTC) as UK wall-clock time: 05/12/2026 14:03."""
    moment = uk_time(value)
    return EMPTY if moment is None else f"{moment:{TIME}}"


def month(value: object) -> str:
    """A month (`2026-12`, a date or a timestamp) as people say it: Dec 2026."""
    if _missing(value):
        return EMPTY
    return f"{month_start(value):{MONTH}}"


def month_start(value: object) -> date:
    """The first day of the month of `2026-12`, a date or a timestamp."""
    if isinstance(value, str) and len(value.strip()) == 7:
        value = value.strip() + "-01"
    when = _when(value)
    return date(when.year, when.month, 1)


def money(value: object, pence: bool = True) -> str:
    """Pounds with thousands separators: £1,234.50, or £1,235 when `pence` is False."""
    if _missing(value):
        return EMPTY
    # Half up from the decimal text, as a till rounds (format() rounds 0.5 to even on floats).
    amount = Decimal(str(value)).quantize(Decimal("0.01" if pence else "1"), ROUND_HALF_UP)
    text = f"£{abs(amount):,}"
    return "-" + text if amount < 0 else text


def percent(rate: object, digits: int = 1) -> str:
    """A fraction as a percentage (73.4%); a dash when there is no denominator."""
    if _missing(rate):
        return EMPTY
    return f"{float(rate):.{digits}%}"  # type: ignore[arg-type]


def label(name: object) -> str:
    """A measure or column name in words: review_6w -> Six-week review, vein_type -> Vein type."""
    if _missing(name):
        return ""
    text = str(name)
    return MEASURE_LABELS.get(text, text.replace("_", " ").capitalize())


def word(value: object) -> str:
    """A stored code as people say it (nhs -> NHS); any other value as it is."""
    return WORDS.get(str(value), str(value))
