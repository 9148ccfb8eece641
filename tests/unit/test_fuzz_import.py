"""Property tests: any text in a free-text cell imports and reads back, or is refused with a reason.

Profile: `clinic-bounded` (50 examples, `make test`) or `clinic-soak` (env CLINIC_SOAK=1).
"""

from __future__ import annotations

import csv
import io
import itertools
import os
import unicodedata

import pandas as pd
import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from clinic.export import _defuse, safe_csv
from clinic.ingest import import_file
from clinic.store import Store

settings.register_profile(
    "clinic-bounded",
    max_examples=50,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
settings.register_profile(
    "clinic-soak", max_examples=1000, deadline=None, suppress_health_check=list(HealthCheck)
)
PROFILE = settings.get_profile(
    "clinic-soak" if os.environ.get("CLINIC_SOAK") == "1" else "clinic-bounded"
)

_TRICKY = [
    "£",
    "\u00a0",
    '"',
    "'",
    "\r\n",
    "\n",
    "\r",
    "=",
    "+",
    "-",
    "@",
    ",",
    ";",
    "\t",
    "Siân",
    "🙂",
    "\u202e",
    '=HYPERLINK("http://x","see")',
    " ",
]
# Cells made of tricky pieces and ordinary text; now and then a very long one.
CELLS = st.one_of(
    st.lists(st.one_of(st.sampled_from(_TRICKY), st.text(max_size=8)), max_size=12).map("".join),
    st.text(max_size=200),
    st.builds(lambda s, n: s * n, st.sampled_from(["x", "£", "é\n"]), st.integers(1000, 20000)),
)
_ids = itertools.count(1)
_HEAD = ["Booking ID", "Date", "Customer ID", "Therapist", "Treatment", "Status", "Area"]


@pytest.fixture(scope="module")
def fuzz_store(tmp_path_factory: pytest.TempPathFactory):
    """One store with a price list, shared by every example (ids keep examples apart)."""
    folder = tmp_path_factory.mktemp("fuzz")
    s = Store(folder / "fuzz.duckdb")
    prices = b"Item,Kind,Price,Valid From\nSingle Session,treatment,150,2023-01-01\n"
    assert import_file(s, "prices", prices, file_name="prices.csv").status == "committed"
    yield s
    s.close()


def _csv(rows: list[list[str]], ending: str = "\r\n") -> bytes:
    """Rows as CSV bytes with RFC 4180 quoting."""
    out = io.StringIO()
    csv.writer(out, lineterminator=ending).writerows(rows)
    return out.getvalue().encode("utf-8")


def _trim(text: str) -> str | None:
    """DuckDB's trim(): leading and trailing Unicode spaces (Zs: space, NBSP ...) removed."""
    start, end = 0, len(text)
    while start < end and unicodedata.category(text[start]) == "Zs":
        start += 1
    while end > start and unicodedata.category(text[end - 1]) == "Zs":
        end -= 1
    return text[start:end] or None


def _allowed(text: str) -> tuple[str | None, str | None]:
    """What the store may keep of a cell: trimmed, line ends as is or made LF (mixed files)."""
    return _trim(text), _trim(text.replace("\r\n", "\n").replace("\r", "\n"))


def _check(store: Store, data: bytes, booking: str, column: str, cell: str) -> None:
    """Import data; committed means the cell reads back, otherwise every problem has a reason."""
    result = import_file(store, "appointments", data, file_name="fuzz.csv")
    if result.status == "committed":
        found = store.scalar(
            f"select {column} from appointments where appointment_id = $id", {"id": booking}
        )
        assert found in _allowed(cell), (cell, found)
    else:
        assert result.status in ("rejected", "unreadable")
        assert result.errors and all(p.reason for p in result.errors)
        assert all(p.line is None or p.line >= 1 for p in result.errors)


@settings(PROFILE)
@given(area=CELLS, clinician=CELLS)
def test_free_text_cells_import_or_are_refused(fuzz_store, area, clinician):
    """Arbitrary text in Area and Therapist: read back as written, or refused with a reason."""
    booking = f"F{next(_ids)}"
    data = _csv(
        [_HEAD, [booking, "03/04/2025", "C1", clinician, "Single Session", "Completed", area]]
    )
    _check(fuzz_store, data, booking, "treated_area", area)
    if fuzz_store.scalar(
        "select count(*) from appointments where appointment_id = $id", {"id": booking}
    ):
        found = fuzz_store.scalar(
            "select clinician from appointments where appointment_id = $id", {"id": booking}
        )
        assert found in _allowed(clinician), (clinician, found)


@settings(PROFILE)
@given(area=CELLS)
def test_safe_csv_export_reimports(fuzz_store, area):
    """A row exported by safe_csv imports again; the text differs only by the formula guard."""
    booking = f"S{next(_ids)}"
    frame = pd.DataFrame(
        [[booking, "2025-04-03", "C1", "Dr A", "Single Session", "Completed", area]],
        columns=_HEAD,
    )
    data = safe_csv(frame)
    result = import_file(fuzz_store, "appointments", data, file_name="export.csv")
    if result.status != "committed":
        assert result.errors and all(p.reason for p in result.errors)
        return
    found = fuzz_store.scalar(
        "select treated_area from appointments where appointment_id = $id", {"id": booking}
    )
    # safe_csv's documented formula guard: apostrophes at the start and after each ';'.
    assert found in _allowed(_defuse(area)), (area, found)


@pytest.fixture(scope="module")
def macros():
    """A DuckDB connection holding the importer's parsing macros."""
    import duckdb

    from clinic import sql

    con = duckdb.connect()
    con.execute(sql.load("ingest_macros")[0])
    yield con
    con.close()


@settings(PROFILE)
@given(text=st.from_regex(r"£?-?[0-9]{1,4}([./:, -][0-9]{1,4}){0,3}", fullmatch=True))
@example(text="03/04/2025")
@example(text="31/02/2025")
@example(text="01/13/2025")
@example(text="14:45")
@example(text="25:00")
@example(text="£150.00")
@example(text="£1,234.50")
@example(text="120")
@example(text="£12.35")
def test_shortcuts_agree_with_the_general_rules(macros, text):
    """A date, time or amount parses the same by a macro's shortcut as by its general rule."""
    # The shortcuts take the plain forms as they are; padded with spaces, the same text can only
    # take the general rule (which trims), so the two must agree.
    for macro in ("ingest_date", "ingest_time", "ingest_money"):
        plain, padded = macros.execute(
            f"select {macro}($s), {macro}($p)", {"s": text, "p": f" {text} "}
        ).fetchone()
        assert plain == padded, (macro, text, plain, padded)


# Terms as the vocabularies hold them (spaces, dashes, case) and the padding exports add.
_TERMS = ["completed", "no-show", "Did Not Attend", "single session", "self_pay", "DVT", "ok"]
_PADS = ["", " ", "  ", "\u00a0", "\t", "\u3000"]


@settings(PROFILE)
@given(
    text=st.one_of(
        st.builds(
            lambda pad, term, case, end: pad + case(term) + end,
            st.sampled_from(_PADS),
            st.sampled_from(_TERMS),
            st.sampled_from([str, str.upper, str.title, lambda t: t.replace(" ", "  ")]),
            st.sampled_from(_PADS),
        ),
        st.text(max_size=20),
    )
)
@example(text=" Completed ")
@example(text="\u00a0no show")
def test_lookup_finds_what_the_normal_form_finds(macros, text):
    """A vocabulary lookup answers exactly as a lookup of the value's full normal form."""
    found, normal = macros.execute(
        "select ingest_lookup(m, $s), m[ingest_norm($s)] "
        "from (select map(list(ingest_norm(t)), list(t)) as m from unnest($terms) as u(t))",
        {"s": text, "terms": _TERMS},
    ).fetchone()
    assert found == normal, (text, found, normal)
