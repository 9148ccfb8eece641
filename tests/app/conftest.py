"""AppTest fixtures: a small hand-built store, an empty store, and a helper to open a page."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from clinic.store import close_all, open_store

ROOT = Path(__file__).resolve().parents[2]
AS_OF = "2026-06-30"

PRICES = [
    ("Single Session", "treatment", "2025-01-01", 120),
    ("Single Session", "treatment", "2026-03-01", 130),
    ("Additional Session", "treatment", "2025-01-01", 100),
    ("Compression Socks", "product", "2025-01-01", 25),
    ("Review", "follow-up", "2025-01-01", 0),
]
# id, date, patient, clinician, item, kind, status, charged, site, vein, sclerosant, form, compr.
APPOINTMENTS = [
    ("A1", "2026-01-10", "p1", "Dr Ames", "Single Session", "treatment", "completed", None,
     "Ealing", "spider", "polidocanol", "liquid", "bought"),
    ("A2", "2026-01-10", "p1", "Dr Ames", "Compression Socks", "product", "completed", None,
     "Ealing", None, None, None, None),
    ("A3", "2026-02-20", "p1", "Dr Ames", "Review", "follow-up", "completed", None,
     "Ealing", None, None, None, None),
    ("A4", "2026-02-15", "p2", "Dr Brook", "Single Session", "treatment", "completed", 110,
     "Chelsea", "varicose", "sodium tetradecyl sulfate", "foam", "own"),
    ("A5", "2026-03-15", "p2", "Dr Brook", "Additional Session", "treatment", "completed", None,
     "Chelsea", "varicose", "sodium tetradecyl sulfate", "foam", "none"),
    ("A6", "2026-04-01", "p3", "Dr Ames", "Single Session", "treatment", "cancelled", None,
     "Ealing", "spider", None, None, None),
    ("A7", "2026-05-05", "p3", "Dr Ames", "Single Session", "treatment", "completed", None,
     "Ealing", "spider", "polidocanol", "liquid", "bought"),
]  # fmt: skip
SIDE_EFFECTS = [
    ("R1", "A1", "2026-01-15", "bruising", "mild", False, "settled in a week"),
    ("R2", "A4", "2026-02-20", "deep vein thrombosis", "severe", True, "=HYPERLINK(x) <b>a</b>"),
]


def seed(path: Path) -> None:
    """Fill a store with the hand-built rows above through plain SQL inserts."""
    store = open_store(path)
    with store.writer() as cur:
        cur.execute(
            "insert into imports (import_id, kind, file_name, user_name, started_at, status,"
            " rows_read, inserted) values (1, 'appointments', 'seed.csv',"
            " 'staff', now(), 'committed', 7, 7)"
        )
        for item, kind, valid_from, price in PRICES:
            cur.execute(
                "insert into prices values ($i, $k, $d, $p, 30, 1, 1)",
                {"i": item, "k": kind, "d": valid_from, "p": price},
            )
        for a in APPOINTMENTS:
            cur.execute(
                "insert into appointments (appointment_id, appointment_date, patient_ref,"
                " clinician, item, kind, status, price_charged_gbp, site, vein_type, sclerosant,"
                " form, compression, funding, import_id, first_import_id) values"
                " ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, 'self-pay', 1, 1)",
                {str(i + 1): v for i, v in enumerate(a)},
            )
        for r in SIDE_EFFECTS:
            cur.execute(
                "insert into side_effects (report_id, appointment_id, reported_date, effect,"
                " severity, medical_attention, notes, import_id, first_import_id) values"
                " ($1, $2, $3, $4, $5, $6, $7, 1, 1)",
                {str(i + 1): v for i, v in enumerate(r)},
            )


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Clear Streamlit caches and close stores so each test sees only its own store."""
    monkeypatch.setenv("CLINIC_AS_OF", AS_OF)
    st.cache_data.clear()
    st.cache_resource.clear()
    yield
    st.cache_data.clear()
    st.cache_resource.clear()
    close_all()


@pytest.fixture
def seeded(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CLINIC_DB pointing at a store holding the small hand-built clinic."""
    path = tmp_path / "seeded.duckdb"
    seed(path)
    monkeypatch.setenv("CLINIC_DB", str(path))
    return path


@pytest.fixture(scope="session")
def _demo_store(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Two years of the synthetic clinic (clinic.demo), built once for the session."""
    from datetime import date

    from clinic import demo
    from clinic.store import Store

    path = tmp_path_factory.mktemp("demo") / "demo.duckdb"
    store = Store(path)
    demo.fill(store, seed=7, as_of=date.fromisoformat(AS_OF))
    store.close()
    return path


@pytest.fixture
def demo_db(_demo_store: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CLINIC_DB pointing at the demo store."""
    monkeypatch.setenv("CLINIC_DB", str(_demo_store))
    monkeypatch.setenv("CLINIC_KEY_FILE", str(_demo_store) + ".key")
    return _demo_store


@pytest.fixture
def empty(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """CLINIC_DB pointing at a migrated store with no data."""
    path = tmp_path / "empty.duckdb"
    open_store(path)
    monkeypatch.setenv("CLINIC_DB", str(path))
    return path


@pytest.fixture
def open_app() -> Callable[..., AppTest]:
    """Run the dashboard as `role`, optionally with a query string, then open `page` (with
    widget values from `state`)."""

    def run(
        role: str, page: str | None = None, query: dict | None = None, state: dict | None = None
    ) -> AppTest:
        at = AppTest.from_file(str(ROOT / "dashboard.py"), default_timeout=60)
        at.session_state["user"] = {"username": role, "role": role}
        if query:
            at.query_params.update(query)
        at.run()
        for key, value in (state or {}).items():  # widget values given before the page runs
            at.session_state[key] = value
        if page is not None:
            at.switch_page(page).run()
        return at

    return run
