"""The dimensions a report may be grouped by (allow-lists of group-by columns) and digest periods.

Light on purpose: the command line offers them as choices without loading the metrics.
"""

from __future__ import annotations

REVENUE_BY = ("session_type", "month", "clinician", "site", "funding")
COMPLICATIONS_BY = ("effect", "clinician", "sclerosant", "form", "vein_type", "month")
# A digest covers the last complete Monday-to-Sunday week or calendar month.
DIGEST_PERIODS = ("week", "month")
ATTENDANCE_BY = ("clinician", "site", "month", "service")
