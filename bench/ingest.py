"""Time the importer on 1M-row vendor-style appointments exports of several shapes.

Each export (UTF-8, UK dates, pound amounts, vendor headers, name and e-mail columns) is written
by DuckDB's COPY from `range(n)`; SHAPES says how each differs from the bench's own, and
vendor_shapes() is where a vendor's profile adds its own. Per shape, alternately, each in a
fresh Python process after an os.sync() (so none inherits another's heap or pays for another's
writes), median of --rounds:
  (a) clinic.ingest.import_file into a fresh store (price list imported first, not timed);
  (b) DuckDB's plain load `create table t as select * from read_csv(file, all_varchar=true)`;
  (c) with --pandas, on the bench shape: pandas.read_csv(dtype=str), then DuckDB's insert;
  (f) with --parts, (a) with the derived facts left out: what the facts cost.
Then the whole-process pair: `python -m clinic import appointments` against a Python process
doing (b), start-up included. Targets (issue 22): (a) <= 1.5x (b) for every shape (the worst
counts); the whole process <= 1.6x.
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

import duckdb
import pandas as pd

PRICES = (
    "Item,Kind,Price,Valid From\n"
    "Single Session,treatment,£150.00,2015-01-01\n"
    "Additional Session,treatment,£120.00,2015-01-01\n"
    "Compression Socks,product,£25.00,2015-01-01\n"
    "6 Week Review,follow-up,£0.00,2015-01-01\n"
)

# The columns of every shape, in the file's order: SQL over `i` (the row number, 0..n-1).
_COLUMNS = {
    "Booking ID": "'APT-' || i",
    "Date": "strftime(date '2023-01-01' + (i % 1000)::int, '%d/%m/%Y')",
    "Time": "printf('%02d:%02d', 9 + i % 9, (i % 4) * 15)",
    "Customer ID": "'C' || (i // 3)",
    "Name": "['Grace', 'Siân', 'Amelia', 'Olivia'][1 + i % 4] || ' ' "
    "|| ['Smith', 'Brown', 'Patel'][1 + i % 3]",
    "E-mail": "'client' || (i // 3) || '@example.co.uk'",
    "Therapist": "['Dr Amara Patel', 'Dr Ben Okafor', 'Nurse Chloe Evans'][1 + i % 3]",
    "Treatment": "['Single Session', 'Additional Session', 'Compression Socks', "
    "'6 Week Review'][1 + i % 4]",
    "Status": "['Completed', 'Completed', 'Attended', 'DNA', 'Cancelled'][1 + i % 5]",
    "Amount": "case when i % 4 = 0 then '' when i % 4 = 1 then '£150.00' "
    "else '£1,20' || (i % 10) || '.50' end",
    "Clinic": "['Ealing', 'Chiswick'][1 + i % 2]",
    "Vein Type": "['Spider', 'Reticular', 'Varicose', ''][1 + i % 4]",
    "Sclerosant": "['Asclera', 'STS', 'Polidocanol', ''][1 + i % 4]",
    "Form": "['foam', 'liquid', '', ''][1 + i % 4]",
    "Compression": "['Bought', 'Own', 'None', ''][1 + i % 4]",
}

# A number in 0..k-1 that looks random and is the same on every run (DuckDB's hash of the row
# number and a salt, so two columns never move together).
_RANDOM = "(hash(i, '{salt}') % {k})::int"
_SEVEN_YEARS = 2557  # days from 1 January 2019 to 31 December 2025
_PATIENTS = 333_333


@dataclass(frozen=True)
class Shape:
    """One kind of export: the columns that differ from the bench's own, its order and quoting."""

    about: str
    columns: dict[str, str] = field(default_factory=dict)
    order: str | None = None  # SQL over i: the rows are written in this order
    quote: tuple[str, ...] = ()  # columns quoted on every row


# Every shape is 1M rows of the same columns; each differs from "bench" in one respect, except
# "patients", the export of issue 22 (many of them at once).
SHAPES = {
    "bench": Shape("clients in runs of three, 1,000 days from 2023, 75% of amounts present"),
    "years": Shape(
        "each row on a random day of seven years (2019-2025)",
        {
            "Date": f"strftime(date '2019-01-01' + {_RANDOM.format(salt='d', k=_SEVEN_YEARS)}, "
            "'%d/%m/%Y')"
        },
    ),
    "shuffled": Shape("the bench's rows in random order", order=_RANDOM.format(salt="o", k=2**31)),
    "quoted": Shape(
        'every amount present and quoted, like "£1,120.00" and "£150.00"',
        {
            "Amount": "case when i % 3 = 0 then '£150.00' "
            "else '£1,' || lpad((i % 1000)::varchar, 3, '0') || '.00' end"
        },
        quote=("Amount",),
    ),
    "decade": Shape(
        "a decade of days (3,653 from 2016)",
        {"Date": "strftime(date '2016-01-01' + (i % 3653)::int, '%d/%m/%Y')"},
    ),
    "patients": Shape(
        f"{_PATIENTS:,} clients with about three appointments each, each on a random day of "
        "seven years; reviews and DNAs mixed in; every amount quoted",
        {
            "Customer ID": f"'C' || {_RANDOM.format(salt='c', k=_PATIENTS)}",
            "E-mail": f"'client' || {_RANDOM.format(salt='c', k=_PATIENTS)} || '@example.co.uk'",
            "Date": f"strftime(date '2019-01-01' + {_RANDOM.format(salt='d', k=_SEVEN_YEARS)}, "
            "'%d/%m/%Y')",
            "Treatment": "['Single Session', 'Single Session', 'Additional Session', "
            "'6 Week Review', '6 Week Review', 'Compression Socks'][1 + "
            + _RANDOM.format(salt="t", k=6)
            + "]",
            "Status": "['Completed', 'Completed', 'Completed', 'Completed', 'DNA', 'Cancelled', "
            "'Booked'][1 + " + _RANDOM.format(salt="s", k=7) + "]",
            "Amount": "['£150.00', '£1,120.00', '£120.00', '£0.00', '£25.00'][1 + "
            + _RANDOM.format(salt="a", k=5)
            + "]",
        },
        quote=("Amount",),
    ),
}


def vendor_shapes() -> dict[str, Shape]:
    """Shapes written as a vendor's system exports them (none yet).

    The hook for the vendor profiles of issue 18: once they exist, one shape per profile (its
    headers, status words, date and money formats) joins SHAPES here, so every bench run covers
    the exports clinics actually have.
    """
    return {}


def all_shapes() -> dict[str, Shape]:
    """The bench's own shapes and the vendors'."""
    return {**SHAPES, **vendor_shapes()}


def make_export(path: Path, rows: int, shape: str = "bench") -> None:
    """Write one shape of the synthetic vendor export with DuckDB's COPY."""
    s = all_shapes()[shape]
    columns = {**_COLUMNS, **s.columns}
    select = ", ".join(f'{expr} as "{name}"' for name, expr in columns.items())
    order = f" order by {s.order}" if s.order else ""
    quoted = ", ".join(f'"{c}"' for c in s.quote)
    quote = f", force_quote ({quoted})" if s.quote else ""
    con = duckdb.connect()
    con.execute("set enable_progress_bar = false")
    # COPY takes no bound parameters; every piece here is our own text, never user input.
    target = str(path).replace("'", "''")
    con.execute(
        f"copy (select {select} from range({int(rows)}) t(i){order}) "
        f"to '{target}' (header, delimiter ','{quote})"
    )
    con.close()


def time_import(workdir: Path, export: Path, round_no: int, rows: int) -> tuple[float, float]:
    """(a) our importer into a fresh store holding the price list: wall and CPU seconds."""
    from clinic.ingest import import_file
    from clinic.store import Store

    store = Store(workdir / f"a{round_no}.duckdb")
    try:
        assert import_file(store, "prices", PRICES.encode()).status == "committed"
        cpu, start = time.process_time(), time.perf_counter()
        result = import_file(store, "appointments", export)
        elapsed = time.perf_counter() - start, time.process_time() - cpu
        if result.status != "committed" or result.inserted != rows:
            raise SystemExit(f"import failed: {result.status} {result.errors[:3]}")
        return elapsed
    finally:
        store.close()


def time_import_without_facts(
    workdir: Path, export: Path, round_no: int, rows: int
) -> tuple[float, float]:
    """(f) our importer with the derived facts left out: what they cost (pages need them)."""
    from clinic import facts

    facts.refresh_import = lambda *_args: None
    return time_import(workdir, export, round_no, rows)


def time_plain(workdir: Path, export: Path, round_no: int) -> tuple[float, float]:
    """(b) DuckDB's own CSV load into a fresh file, every column as text: wall and CPU seconds."""
    con = duckdb.connect(str(workdir / f"b{round_no}.duckdb"))
    cpu, start = time.process_time(), time.perf_counter()
    con.execute(
        "create table t as select * from read_csv($p, all_varchar = true)", {"p": str(export)}
    )
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    con.close()
    return elapsed


def time_pandas(workdir: Path, export: Path, round_no: int) -> tuple[float, float]:
    """(c) pandas read_csv as text, then the frame inserted into DuckDB: wall and CPU seconds."""
    con = duckdb.connect(str(workdir / f"c{round_no}.duckdb"))
    cpu, start = time.process_time(), time.perf_counter()
    df = pd.read_csv(export, dtype=str, keep_default_na=False)
    con.register("df", df)
    con.execute("create table t as select * from df")
    elapsed = time.perf_counter() - start, time.process_time() - cpu
    con.close()
    return elapsed


def _process_store(workdir: Path, export: Path, r: int) -> list[str]:
    """A fresh store holding the price list for one whole-process round; the command to time."""
    import subprocess
    import sys

    db = workdir / f"p{r}.duckdb"
    prices = workdir / "prices.csv"
    prices.write_text(PRICES, encoding="utf-8")
    clinic = [sys.executable, "-m", "clinic", "--db", str(db), "import"]
    subprocess.run([*clinic, "prices", str(prices)], check=True, capture_output=True)
    return [*clinic, "appointments", str(export)]


# The baseline of the whole-process pair: a Python process that does the plain load.
_PLAIN_PROCESS = (
    "import sys, duckdb\n"
    "con = duckdb.connect(sys.argv[2])\n"
    "con.execute('create table t as select * from read_csv($p, all_varchar = true)', "
    "{'p': sys.argv[1]})\n"
    "con.close()\n"
)


def _timed_process(cmd: list[str]) -> tuple[float, float]:
    """Wall and CPU seconds of one whole process, start-up included, bytecode cached."""
    import resource
    import subprocess

    # An installed clinic has its bytecode compiled; PYTHONDONTWRITEBYTECODE (set on some
    # machines, this one included) would make every process compile ~45 modules again.
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
    root = Path(__file__).resolve().parents[1]
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, check=True, capture_output=True, cwd=root, env=env)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime


_METHODS = {
    "a": "time_import",
    "b": "time_plain",
    "c": "time_pandas",
    "f": "time_import_without_facts",
}


def _timed_in_child(
    method: str, workdir: Path, export: Path, r: int, rows: int
) -> tuple[float, float]:
    """Time one method in a fresh Python process, so no method inherits another's heap."""
    import json
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "bench.ingest",
            "--child",
            method,
            str(workdir),
            str(export),
            str(r),
            str(rows),
        ],
        check=True,
        capture_output=True,
        text=True,
        cwd=Path(__file__).resolve().parents[1],
    )
    timed = json.loads(out.stdout.strip().splitlines()[-1])
    return float(timed["seconds"]), float(timed["cpu"])


def _ratio(times: dict[str, list[float]], top: str, base: str) -> tuple[float, list[float]]:
    """Median of the round-by-round ratios top/base (each round's pair timed side by side)."""
    paired = [a / b for a, b in zip(times[top], times[base], strict=True)]
    return statistics.median(paired), paired


def _load() -> str:
    """The machine's load averages (1, 5, 15 minutes): other jobs share the 2 cores."""
    one, five, fifteen = os.getloadavg()
    return f"{one:.1f} / {five:.1f} / {fifteen:.1f}"


def _report(rows: int, rounds: int, results: dict[str, dict], process: dict | None) -> str:
    """The results as the Markdown tables of docs/PERFORMANCE.md."""
    import platform

    shapes = all_shapes()
    lines = [
        f"Machine: {platform.machine()}, {os.cpu_count()} CPUs, {platform.system()} "
        f"{platform.release()}; Python {platform.python_version()}, duckdb {duckdb.__version__}, "
        f"pandas {pd.__version__}; {rows:,} rows per export, median of {rounds} rounds, "
        "(a) and (b) alternating in fresh processes",
        "",
        "| shape | MB | (a) import s | (b) plain load s | a/b (median of rounds) | rounds a/b "
        "| a/b CPU | load before → after |",
        "|---|---:|---:|---:|---:|---|---:|---|",
    ]
    for name, res in results.items():
        t = res["times"]
        ratio, paired = _ratio(t, "a", "b")
        lines.append(
            f"| {name}: {shapes[name].about} | {res['mb']:.0f} | {statistics.median(t['a']):.2f} "
            f"| {statistics.median(t['b']):.2f} | **{ratio:.2f}** "
            f"| {', '.join(f'{p:.2f}' for p in paired)} "
            f"| {_ratio(t, 'a cpu', 'b cpu')[0]:.2f} | {res['load']} |"
        )
    worst = max(results, key=lambda n: _ratio(results[n]["times"], "a", "b")[0])
    lines += ["", f"Worst shape: {worst}, {_ratio(results[worst]['times'], 'a', 'b')[0]:.2f}x "
              "(target <= 1.5x)"]  # fmt: skip
    for name, res in results.items():
        if res["times"].get("f"):
            ratio = _ratio(res["times"], "f", "b")[0]
            lines.append(
                f"{name}: (f) the import without its derived facts "
                f"{statistics.median(res['times']['f']):.2f} s; f/b = {ratio:.2f} "
                f"(CPU {_ratio(res['times'], 'f cpu', 'b cpu')[0]:.2f})"
            )
        if res["times"].get("c"):
            ratio = _ratio(res["times"], "a", "c")[0]
            lines.append(
                f"{name}: (c) pandas read_csv + DuckDB insert "
                f"{statistics.median(res['times']['c']):.2f} s; a/c = {ratio:.2f} (target < 1)"
            )
    if process:
        t = process["times"]
        ratio, paired = _ratio(t, "a", "b")
        lines += [
            "",
            f"Whole process, shape {process['shape']}: `python -m clinic import appointments` "
            f"{statistics.median(t['a']):.2f} s against a Python process doing the plain load "
            f"{statistics.median(t['b']):.2f} s: **{ratio:.2f}x** (target <= 1.6x); rounds "
            f"{', '.join(f'{p:.2f}' for p in paired)}; CPU {_ratio(t, 'a cpu', 'b cpu')[0]:.2f}x; "
            f"load {process['load']}",
        ]
    return "\n".join(lines)


def _remove(paths: Iterable[Path]) -> None:
    """Delete a round's stores (and their side files and spill folders): 1M rows each."""
    import shutil

    for p in paths:
        if p.is_dir():
            shutil.rmtree(p)
        else:
            p.unlink()


def _run_shape(
    workdir: Path, name: str, rows: int, rounds: int, pandas: bool, parts: bool = False
) -> dict:
    """Write one shape's export; time (a), (b) (and (c), (f)) alternately, in fresh processes."""
    export = workdir / f"{name}.csv"
    make_export(export, rows, name)
    load_before = _load()
    methods = "ab" + ("c" if pandas else "") + ("f" if parts else "")
    times: dict[str, list[float]] = {k: [] for m in methods for k in (m, f"{m} cpu")}
    for r in range(rounds):
        # Every other round the other way round, so neither side always runs second.
        for method in methods if r % 2 == 0 else methods[::-1]:
            # Flush the previous method's written files first, so none pays for another's.
            os.sync()
            wall, cpu = _timed_in_child(method, workdir, export, r, rows)
            times[method].append(wall)
            times[f"{method} cpu"].append(cpu)
            _remove(workdir.glob(f"[abcf]{r}.duckdb*"))
    mb = export.stat().st_size / 1e6
    export.unlink()
    return {"times": times, "mb": mb, "load": f"{load_before} → {_load()}"}


def _run_process(workdir: Path, name: str, rows: int, rounds: int) -> dict:
    """Time `python -m clinic import` against a Python process doing the plain load."""
    import sys

    export = workdir / f"process-{name}.csv"
    make_export(export, rows, name)
    _timed_process(_process_store(workdir, export, rounds))  # untimed: writes the bytecode
    _remove(workdir.glob(f"p{rounds}.duckdb*"))
    load_before = _load()
    times: dict[str, list[float]] = {k: [] for k in ("a", "a cpu", "b", "b cpu")}
    for r in range(rounds):
        for method in "ab" if r % 2 == 0 else "ba":
            os.sync()
            if method == "a":
                wall, cpu = _timed_process(_process_store(workdir, export, r))
            else:
                plain = [sys.executable, "-c", _PLAIN_PROCESS, str(export), str(workdir / "q.db")]
                wall, cpu = _timed_process(plain)
            times[method].append(wall)
            times[f"{method} cpu"].append(cpu)
            _remove([*workdir.glob(f"p{r}.duckdb*"), *workdir.glob("q.db*")])
    export.unlink()
    return {"times": times, "shape": name, "load": f"{load_before} → {_load()}"}


def main(argv: list[str] | None = None) -> int:
    """Time every shape's import against the plain load, then the whole-process pair."""
    import json
    import sys

    argv = sys.argv[1:] if argv is None else argv
    if argv[:1] == ["--child"]:
        method, workdir, export, r, rows = argv[1:]
        fn = globals()[_METHODS[method]]
        counted = (int(rows),) if method in ("a", "f") else ()  # these check the rows imported
        args = (Path(workdir), Path(export), int(r), *counted)
        wall, cpu = fn(*args)
        print(json.dumps({"seconds": wall, "cpu": cpu}))
        return 0
    parser = argparse.ArgumentParser(prog="python -m bench.ingest", description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--shapes", nargs="*", default=list(all_shapes()))
    parser.add_argument("--pandas", action="store_true", help="time (c) on the bench shape too")
    parser.add_argument(
        "--parts", action="store_true", help="time (f), the import without its derived facts"
    )
    parser.add_argument(
        "--process-shape",
        default="patients",
        help="the shape of the whole-process pair ('' for none)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="bench-ingest-") as tmp:
        workdir = Path(tmp)
        # The children and the clinic processes share one pseudonym key, outside any store.
        os.environ.setdefault("CLINIC_KEY_FILE", str(workdir / "bench.key"))
        results = {}
        for name in args.shapes:
            pandas = args.pandas and name == "bench"
            results[name] = _run_shape(workdir, name, args.rows, args.rounds, pandas, args.parts)
            print(f"{name}: {_ratio(results[name]['times'], 'a', 'b')[0]:.2f}x", file=sys.stderr)
        process = None
        if args.process_shape:
            process = _run_process(workdir, args.process_shape, args.rows, args.rounds)
    print(_report(args.rows, args.rounds, results, process))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
