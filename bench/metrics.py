"""Time every metric function on synthetic stores of 10k, 100k, 1M and 10M sessions.

Each store is built with SQL alone (`insert ... select ... from range(n)`): patients with about
three sessions each, a six-week review for ~80% and a two-week check for varicose sessions,
socks sold at ~40% of sessions and side effects on ~5%. Every timing is the median of 5 runs and
is shown as a ratio to a floor query (`select sum(price_charged_gbp) from appointments`).
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from collections.abc import Callable
from datetime import date
from pathlib import Path

from clinic import attendance, facts, retention
from clinic import metrics as m
from clinic.store import Store

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)

_BUILD = [
    # hash() is unsigned; a signed copy keeps list indexing and arithmetic simple.
    "create macro hb(x) as (hash(x) % 1000000007)::bigint",
    """insert into prices values
        ('Single Session', 'treatment', '2023-01-01', 150, 30, 0, 0),
        ('Single Session', 'treatment', '2025-04-01', 165, 30, 0, 0),
        ('Additional Session', 'treatment', '2023-01-01', 120, 30, 0, 0),
        ('Compression Socks', 'product', '2023-01-01', 25, null, 0, 0),
        ('6 Week Review', 'follow-up', '2023-01-01', 0, 15, 0, 0),
        ('2 Week Check', 'follow-up', '2023-01-01', 0, 15, 0, 0)""",
    # Treatment sessions: patient i // 3 has sessions spaced 21..48 days apart over two years.
    """insert into appointments
    select
        'T' || i, date '2024-01-01' + ((i // 3) % 600 + (i % 3) * (21 + hb(i) % 28))::int,
        null, 'P' || (i // 3), 'Clinician ' || (hb(i // 3) % 6),
        case when i % 3 = 0 then 'Single Session' else 'Additional Session' end, 'treatment',
        case when hb(i) % 20 = 0 then 'cancelled' when hb(i) % 20 = 1 then 'no-show'
             else 'completed' end,
        case when hb(i) % 10 = 0 then 100 else null end,
        'Site ' || (hb(i // 3) % 3),
        ['spider', 'reticular', 'varicose'][1 + hb(i) % 3], 2.0,
        ['polidocanol', 'sodium tetradecyl sulfate', 'hypertonic saline'][1 + hb(i // 7) % 3],
        0.5, ['liquid', 'foam'][1 + hb(i // 5) % 2], 2.0, 'left leg',
        ['bought', 'own', 'none'][1 + hb(i // 11) % 3],
        ['self-pay', 'nhs', 'insurance'][1 + (hb(i // 3) % 10 = 0)::int], 0, 0, null
    from range($n) t(i)""",
    # Reviews for ~80% of sessions on day 30..60, checks for varicose sessions on day 7..17.
    """insert into appointments
    select 'R' || appointment_id, appointment_date + (30 + hb(appointment_id) % 31)::int, null,
        patient_ref, clinician, '6 Week Review', 'follow-up', 'completed', null, site,
        null, null, null, null, null, null, null, null, funding, 0, 0, null
    from appointments where kind = 'treatment' and hb(appointment_id) % 5 <> 0""",
    """insert into appointments
    select 'C' || appointment_id, appointment_date + (7 + hb(appointment_id) % 11)::int, null,
        patient_ref, clinician, '2 Week Check', 'follow-up', 'completed', null, site,
        null, null, null, null, null, null, null, null, funding, 0, 0, null
    from appointments where kind = 'treatment' and vein_type = 'varicose'""",
    """insert into appointments
    select 'S' || appointment_id, appointment_date, null, patient_ref, clinician,
        'Compression Socks', 'product', 'completed', null, site,
        null, null, null, null, null, null, null, null, funding, 0, 0, null
    from appointments
    where kind = 'treatment' and compression = 'bought' and hb(appointment_id) % 2 = 0""",
    """insert into side_effects
    select 'E' || appointment_id, appointment_id, appointment_date + 7,
        (select list(effect order by effect) from effect_terms)[1 + hb(appointment_id) % 23],
        'mild', hb(appointment_id) % 7 = 0, null, null, null, null, 'bench',
        'note ' || appointment_id, 0, 0
    from appointments where kind = 'treatment' and hb(appointment_id) % 20 = 0""",
]

AS_OF = date(2026, 1, 1)
F = m.Filters()
Y = m.Filters(start=date(2025, 1, 1), end=date(2025, 12, 31))


def functions() -> dict[str, Callable[[Store], object]]:
    """Every public metric call the dashboard makes, with typical arguments (the attendance and
    retention ones included)."""
    return {
        "revenue(session_type)": lambda s: m.revenue(s, F, "session_type"),
        "revenue(month, 1 year)": lambda s: m.revenue(s, Y, "month"),
        "revenue_monthly(kind)": lambda s: m.revenue_monthly(s, F, "kind"),
        "price_realisation": lambda s: m.price_realisation(s, F),
        "socks_attach_rate": lambda s: m.socks_attach_rate(s, F),
        "compliance": lambda s: m.compliance(s, F, AS_OF),
        "compliance_by(clinician)": lambda s: m.compliance_by(s, F, AS_OF, "clinician"),
        "call_list(page of 500)": lambda s: m.call_list(s, F, date(2025, 6, 30), 500),
        "complications": lambda s: m.complications(s, F),
        "complications(effect)": lambda s: m.complications(s, F, "effect"),
        "funnel(clinician)": lambda s: m.funnel(s, F),
        "spc": lambda s: m.spc(s, F),
        "serious_events(page of 200)": lambda s: m.serious_events(s, F, 200),
        "complication_records(text)": lambda s: m.complication_records(
            s, m.Filters(text="note t1")
        ),
        "kpis": lambda s: m.kpis(s, Y, AS_OF),
        "monthly_series": lambda s: m.monthly_series(s, F),
        "options": lambda s: m.options(s),
        "attendance": lambda s: attendance.attendance(s, F),
        "attendance(month)": lambda s: attendance.monthly(s, F),
        "no_show_funnel": lambda s: attendance.no_show_funnel(s, F),
        "lost_revenue": lambda s: attendance.lost_revenue(s, F),
        "continuation": lambda s: retention.continuation(s, F, AS_OF),
        "patients_by_month": lambda s: retention.patients_by_month(s, F),
        "cohorts": lambda s: retention.cohorts(s, F, AS_OF),
        "revenue_per_patient": lambda s: retention.revenue_per_patient(s, F),
        "stopped_courses(page of 500)": lambda s: retention.stopped_courses(s, F, AS_OF, 500),
    }


def build(path: Path, n: int) -> tuple[Store, float]:
    """A store with n treatment-session rows and their follow-ups, sales and reports.

    The derived facts are built in the same transaction by facts.rebuild, the function the
    importer's refresh uses for a large import; returns the store and that rebuild's seconds.
    """
    store = Store(path)
    with store.writer(wait=True) as cur:
        for statement in _BUILD:
            cur.execute(statement, {"n": n} if "$n" in statement else {})
        t0 = time.perf_counter()
        facts.rebuild(cur)
        seconds = time.perf_counter() - t0
    return store, seconds


def median_ms(fn: Callable[[], object], repeat: int = 5) -> float:
    """Median wall time of fn in milliseconds over `repeat` runs (after one warm-up)."""
    fn()
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t0) * 1000)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    """Build each store size, time each function, print size, function, ms, ratio to floor."""
    parser = argparse.ArgumentParser(prog="python -m bench.metrics")
    parser.add_argument("--sizes", type=int, nargs="*", help="override the sizes")
    args = parser.parse_args(argv)
    sizes = tuple(args.sizes) if args.sizes else SIZES
    print(f"{'sessions':>10}  {'rows':>10}  {'function':<28} {'ms':>9} {'x floor':>8}")
    with tempfile.TemporaryDirectory() as tmp:
        for n in sizes:
            store, seconds = build(Path(tmp) / f"bench{n}.duckdb", n)
            rows = store.scalar("select count(*) from appointments")
            print(f"{n:>10,}  {rows:>10,}  {'(facts.rebuild, once)':<28} {seconds * 1000:>9.1f}")
            floor = median_ms(
                lambda s=store: s.scalar("select sum(price_charged_gbp) from appointments")
            )
            print(
                f"{n:>10,}  {rows:>10,}  {'floor: sum(price_charged)':<28} {floor:>9.1f} {1:>8.1f}"
            )
            for name, fn in functions().items():
                ms = median_ms(lambda fn=fn, s=store: fn(s))
                print(
                    f"{n:>10,}  {rows:>10,}  {name:<28} {ms:>9.1f} {ms / floor:>8.1f}", flush=True
                )
            for import_id, (label, where) in enumerate(REFRESHES.items(), start=900):
                ms = refresh_ms(store, where, import_id)
                print(f"{n:>10,}  {rows:>10,}  {label:<28} {ms:>9.1f}")
            store.close()
    return 0


# Two import-time refreshes: the sessions of 1,000 patients spread over the whole history (every
# day's sums are recomputed), and a month's export (the appointments of the last 30 days).
REFRESHES = {
    "(refresh 1,000 patients)": "appointment_id in (select 'T' || i from range(3000) t(i))",
    "(refresh last 30 days)": (
        "appointment_date > (select max(appointment_date) - 30 from appointments)"
    ),
}


def refresh_ms(store: Store, where: str, import_id: int) -> float:
    """Milliseconds of the facts refresh after import `import_id` wrote the rows `where` selects."""
    with store.writer(wait=True) as cur:
        cur.execute(f"update appointments set import_id = {int(import_id)} where {where}")
        t0 = time.perf_counter()
        facts.refresh_import(cur, "appointments", import_id)
        return (time.perf_counter() - t0) * 1000


if __name__ == "__main__":
    raise SystemExit(main())
