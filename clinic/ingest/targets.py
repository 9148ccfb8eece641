"""Where each kind of export is stored: the allow-list of table and column names.

These are the only table and column names ever placed in generated SQL (identifiers cannot be
bound as parameters), never text from a file.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """Where one kind of export is stored: table, key columns and stored columns."""

    table: str
    keys: tuple[str, ...]
    columns: tuple[str, ...]
    key_label: str


TARGETS = {
    "appointments": Target(
        "appointments",
        ("appointment_id",),
        (
            "appointment_id",
            "appointment_date",
            "start_time",
            "patient_ref",
            "clinician",
            "item",
            "kind",
            "status",
            "price_charged_gbp",
            "site",
            "vein_type",
            "vein_diameter_mm",
            "sclerosant",
            "concentration_pct",
            "form",
            "volume_ml",
            "treated_area",
            "compression",
            "funding",
        ),
        "appointment id",
    ),
    "side-effects": Target(
        "side_effects",
        ("report_id",),
        (
            "report_id",
            "appointment_id",
            "reported_date",
            "effect",
            "severity",
            "medical_attention",
            "onset_date",
            "resolved_date",
            "action",
            "outcome",
            "reported_by",
            "notes",
        ),
        "report id",
    ),
    "prices": Target(
        "prices",
        ("item", "valid_from"),
        ("item", "kind", "valid_from", "price_gbp", "duration_min"),
        "item and valid-from date",
    ),
}
# The column of the file that names a duplicate key (for the problem's `column`).
KEY_COLUMN = {"appointments": "appointment_id", "side-effects": "report_id", "prices": "item"}
# Columns stored as the file writes them (names, ids, free text): where hidden characters matter.
VERBATIM = {
    "appointments": ("appointment_id", "clinician", "site", "treated_area"),
    "side-effects": ("report_id", "appointment_id", "action", "outcome", "reported_by", "notes"),
    "prices": ("item",),
}
# The cleaning query of each kind (queries/ingest_<kind>_clean.sql).
CLEAN_QUERY = {
    "appointments": "ingest_appointments_clean",
    "side-effects": "ingest_side_effects_clean",
    "prices": "ingest_prices_clean",
}
