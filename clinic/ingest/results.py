"""What an import or a preview tells: its problems, counts, status and price effect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # a preview's sample is a DataFrame; an import never loads pandas
    import pandas as pd


@dataclass
class Problem:
    """One reason a file or a row was refused (line as a spreadsheet shows it, header = 1)."""

    line: int | None
    column: str | None
    value: str | None
    reason: str

    def to_json(self) -> dict:
        """The contract shape of one error."""
        return {
            "line": self.line,
            "column": self.column,
            "value": self.value,
            "reason": self.reason,
        }


@dataclass(frozen=True)
class PriceEffect:
    """What saving price rows changes beyond the price list itself.

    `appointments` completed appointments without a charged price are re-valued by
    `change_gbp` in all (their revenue goes from `before_gbp` to `after_gbp`);
    `kind_changes` lists (item, kind before, kind after) for items whose kind changes.
    """

    appointments: int
    before_gbp: float
    after_gbp: float
    change_gbp: float
    kind_changes: tuple[tuple[str, str, str], ...] = ()


@dataclass
class ImportResult:
    """What an import did: counts, problems and its status (committed, rejected, unreadable)."""

    import_id: int | None
    kind: str
    file_name: str
    file_sha256: str
    rows_read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    rejected: int = 0
    errors: list[Problem] = field(default_factory=list)
    status: str = "committed"
    price_effect: PriceEffect | None = None  # a committed price list: what it re-valued
    # Every problem found; `errors` lists the first max_problems() of them and then one more
    # that says how many there are in all.
    problem_count: int = 0
    # Values stored as written that deserve a look (invisible or direction-changing characters).
    warnings: list[Problem] = field(default_factory=list)

    def to_json(self) -> dict:
        """Exactly the document `import --json` prints."""
        return {
            "import_id": self.import_id,
            "kind": self.kind,
            "file_sha256": self.file_sha256,
            "rows_read": self.rows_read,
            "inserted": self.inserted,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rejected": self.rejected,
            "errors": [p.to_json() for p in self.errors],
        }


@dataclass
class Preview:
    """What an import would do, computed without writing anything."""

    headers: list[str]
    mapping: dict[str, str | None]
    missing_required: list[str]
    ignored: list[str]
    dropped: list[str]
    sample: pd.DataFrame
    problems: list[Problem]
    rows_read: int
    price_effect: PriceEffect | None = None  # a clean price list: what importing it changes
    # Every problem found (`problems` lists the first max_problems() and a count of the rest).
    problem_count: int = 0
    warnings: list[Problem] = field(default_factory=list)


def more_problems(total: int, listed: int) -> Problem:
    """The last problem of a list cut short: how many there are in all."""
    return Problem(
        None,
        None,
        None,
        f"{total:,} problems in all; the first {listed:,} by line are listed. Fix these (often "
        "one cause, such as a wrongly mapped column) and check the file again.",
    )
