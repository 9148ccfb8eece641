"""Realistic synthetic clinic data, written as vendor exports and loaded by the real importer."""

from __future__ import annotations

import shutil
import tempfile
import time
from datetime import date, timedelta
from pathlib import Path

import duckdb

from clinic import formats, sql
from clinic.store import Store, StoreError

# The clinician and sclerosant who report side effects two to two and a half times as often as
# the others (queries/demo_side_effects_export.sql), so the funnel plot has something to show.
OUTLIER_CLINICIAN = "Dr Ben Okafor"
OUTLIER_SCLEROSANT = "sodium tetradecyl sulfate"
SESSIONS_PER_YEAR = 1500
EXPORT_FILES = {
    "prices": "price_list.csv",
    "appointments": "appointments_export.csv",
    "side-effects": "side_effects_export.csv",
}


class DemoError(StoreError):
    """The demo data could not be generated or imported (message is for the user)."""


def _window(end: date, years: int) -> tuple[date, date, date]:
    """First day of the data, the day the first prices took effect, and the price-rise day."""
    try:
        first_day = end.replace(year=end.year - years) + timedelta(days=1)
    except ValueError:  # 29 February
        first_day = end.replace(year=end.year - years, day=28) + timedelta(days=1)
    # The latest 1 April at least three months before the end, so the rise shows in the data.
    rise_year = end.year if (end - date(end.year, 4, 1)).days >= 90 else end.year - 1
    rise_day = max(date(rise_year, 4, 1), first_day + timedelta(days=30))
    return first_day, date(first_day.year, 1, 1), rise_day


def _create_table(con: duckdb.DuckDBPyConnection, name: str, params: dict) -> None:
    """Materialise queries/NAME.sql as a table of the same name in the scratch database."""
    text, bound = sql.bind(name, params)
    con.sql(text, params=bound).create(name)  # a fresh scratch database: the name is free


def _write_csv(con: duckdb.DuckDBPyConnection, name: str, params: dict, path: Path) -> None:
    """Write the rows of queries/NAME.sql to a CSV file with a header line."""
    text, bound = sql.bind(name, params)
    con.sql(text, params=bound).write_csv(str(path), header=True)


def generate_exports(
    folder: Path, n_sessions: int, seed: int = 7, *, end: date | None = None, years: int = 2
) -> dict[str, Path]:
    """Write prices, appointments and side-effects CSVs of a clinic with n_sessions sessions."""
    if n_sessions < 1 or years < 1:
        raise DemoError("The demo needs at least one session and one year.")
    end = end or date.today()
    first_day, first_valid, rise_day = _window(end, years)
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    paths = {kind: folder / name for kind, name in EXPORT_FILES.items()}
    # A scratch database file rather than memory: 10M sessions would not fit comfortably.
    scratch = Path(tempfile.mkdtemp(prefix="clinic-demo-", dir=folder))
    con = duckdb.connect(str(scratch / "generator.duckdb"))
    try:
        # Small exports come out in a fixed order (same seed, same bytes); a memory cap makes
        # 10M-session runs spill to the scratch folder instead of filling RAM.
        con.execute("set preserve_insertion_order = true")
        con.execute("set memory_limit = '3GB'")
        con.execute("set temp_directory = $dir", {"dir": str(scratch / "spill")})
        con.execute(sql.load("demo_random")[0])
        _create_table(con, "demo_price_list", {"first_valid": first_valid, "rise_day": rise_day})
        _create_table(
            con,
            "demo_sessions",
            {"seed": seed, "n_sessions": n_sessions, "first_day": first_day, "last_day": end},
        )
        _write_csv(con, "demo_price_list_export", {}, paths["prices"])
        con.execute(sql.load("demo_list_prices")[0])
        _write_csv(
            con, "demo_appointments_export", {"seed": seed, "last_day": end}, paths["appointments"]
        )
        _write_csv(
            con,
            "demo_side_effects_export",
            {
                "seed": seed,
                "last_day": end,
                "outlier_clinician": OUTLIER_CLINICIAN,
                "outlier_sclerosant": OUTLIER_SCLEROSANT,
            },
            paths["side-effects"],
        )
    except duckdb.Error as exc:
        raise DemoError(f"The demo data could not be generated: {exc}") from None
    finally:
        con.close()
        shutil.rmtree(scratch, ignore_errors=True)
    return paths


def _mark_demo(store: Store) -> None:
    """Record in the store that its data is synthetic."""
    with store.writer(wait=True, data=False) as cur:
        sql.run(cur, "store_meta_mark_demo")


def is_demo(store: Store) -> bool:
    """True when the store was filled by fill() (false on a store without the flag or table)."""
    found = store.scalar(
        "select count(*) from information_schema.tables where table_name = 'store_meta'"
    )
    if not found:
        return False
    return store.scalar("select value from store_meta where key = 'demo'") == "true"


def fill(store: Store, seed: int = 7, *, as_of: date | None = None, years: int = 2) -> str:
    """Import about `years` years of a synthetic clinic ending at as_of; return a summary line."""
    from clinic.ingest import import_file

    if store.scalar("select count(*) from appointments") and not is_demo(store):
        raise DemoError(
            "This store already holds clinic data; demo data only goes into an empty store "
            "(use another --db path)."
        )
    end = as_of or date.today()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="clinic-demo-") as tmp:
        paths = generate_exports(Path(tmp), SESSIONS_PER_YEAR * years, seed, end=end, years=years)
        # Prices first: the appointments importer rejects services missing from the price list.
        for kind in ("prices", "appointments", "side-effects"):
            result = import_file(store, kind, paths[kind], file_name=paths[kind].name, user="demo")
            if result.status != "committed":
                problems = "; ".join(
                    f"line {p.line} {p.column}: {p.reason}" for p in result.errors[:3]
                )
                raise DemoError(f"The demo {kind} export was not accepted: {problems}")
    _mark_demo(store)
    return _summary(store, end, time.perf_counter() - started)


def _summary(store: Store, end: date, seconds: float) -> str:
    """One line of counts describing what the store now holds."""
    sessions, booked, patients, clinicians, sites, first = store.rows(
        "select count(*), count(*) filter (where status = 'booked'), count(distinct patient_ref),"
        " count(distinct clinician), count(distinct site), min(appointment_date)"
        " from appointments where kind = 'treatment'"
    )[0]
    others = dict(store.rows("select kind, count(*) from appointments group by kind"))
    reports = store.scalar("select count(*) from side_effects")
    return (
        f"Demo data: {sessions:,} treatment sessions ({booked:,} booked ahead) of {patients:,} "
        f"patients, {others.get('follow-up', 0):,} follow-up visits, "
        f"{others.get('product', 0):,} sock sales, {reports:,} side-effect reports; "
        f"{clinicians} clinicians at {sites} sites, {formats.day(first)} to {formats.day(end)} "
        f"(generated and imported in {seconds:.1f} s)."
    )
