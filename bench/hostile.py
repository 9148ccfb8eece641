"""Peak memory of importing hostile files as big as the upload limit, each in a fresh process.

Each file is written to a temp folder, then a child process does what the server does with an
upload: it holds the store open (a price list imported), reads the file's bytes into memory
(Streamlit keeps an upload as bytes), runs the preview and then the import. The child reports
its peak RSS (getrusage), its RSS before the file was read, the outcome and the time taken; the
parent kills a child past --cap-mb and says so. Run: `python -m bench.hostile [--mb 200]
[--only NAME ...]`. The bound this measures is stated in docs/SECURITY.md and PERFORMANCE.md.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from collections.abc import Callable, Iterator
from pathlib import Path

HEADER = "Booking ID,Date,Time,Customer ID,Name,Therapist,Treatment,Status,Amount\n"
ROW = "A1,03/04/2025,10:00,C1,Ann Lee,Dr X,Single Session,Completed,150\n"
PRICES = b"Item,Kind,Price,Valid From\nSingle Session,treatment,150,2023-01-01\n"


def _fill(size: int, rows: Callable[[int], str], head: str = HEADER) -> bytes:
    """A CSV of `head` and rows(i) for i = 0, 1, ... up to about `size` bytes."""
    out = io.StringIO()
    out.write(head)
    written, i = len(head), 0
    while written < size:
        line = rows(i)
        out.write(line)
        written += len(line.encode("utf-8"))
        i += 1
    return out.getvalue().encode("utf-8")


def honest(size: int) -> bytes:
    """The yardstick: the same rows with distinct appointment ids, imported whole."""
    return _fill(size, lambda i: ROW.replace("A1,", f"A{i},", 1))


def repeated_ids(size: int) -> bytes:
    """One row again and again: every row repeats the first one's appointment id."""
    return _fill(size, lambda _i: ROW)


def repeated_pairs(size: int) -> bytes:
    """Every appointment id twice: as many duplicate keys as half the rows."""
    return _fill(size, lambda i: ROW.replace("A1,", f"A{i // 2},", 1))


def every_value_bad(size: int) -> bytes:
    """Every checked value of every row is wrong: nine problems a row."""
    return _fill(size, lambda i: f",31/02/2025,25:99,,Ann,,Nothing {i},Maybe,12abc\n")


def broken_rows(size: int) -> bytes:
    """Every other row has more cells than the header: a structural problem on half the lines."""
    return _fill(size, lambda i: ROW.replace("A1,", f"A{i},", 1) + ("x,y\n" if i % 2 else ""))


def blank_lines(size: int) -> bytes:
    """A row, then the rest of the file blank lines, then a row."""
    body = "\n" * max(0, size - len(HEADER) - 2 * len(ROW))
    return (HEADER + ROW + body + ROW.replace("A1,", "A2,")).encode()


def one_huge_cell(size: int) -> bytes:
    """One row whose Name cell is nearly the whole file."""
    return (HEADER + ROW.replace("Ann Lee", "x" * size)).encode()


def many_columns(size: int) -> bytes:
    """As many columns as are read (500), most of them extra, short cells."""
    extra = 500 - HEADER.count(",") - 1
    head = HEADER.rstrip("\n") + "".join(f",Extra {j}" for j in range(extra)) + "\n"
    cells = ",1" * extra
    return _fill(size, lambda i: ROW.replace("A1,", f"A{i},", 1).rstrip("\n") + cells + "\n", head)


def wide_header(size: int) -> bytes:
    """A header line of the whole file: far more columns than are read."""
    return b"c," * (size // 2 - 2) + b"c\n1\n"


def astral_text(size: int) -> bytes:
    """Four-byte characters (emoji) in an ignored column: the widest text Python can hold."""
    name = "\U0001f600" * 64
    return _fill(size, lambda i: ROW.replace("A1,", f"A{i},", 1).replace("Ann Lee", name))


# -- workbooks ---------------------------------------------------------------------------------
_TYPES = (
    '<?xml version="1.0" encoding="UTF-8"?><Types xmlns="http://schemas.openxmlformats.org/'
    'package/2006/content-types"><Default Extension="rels" ContentType="application/'
    'vnd.openxmlformats-package.relationships+xml"/><Default Extension="xml" ContentType='
    '"application/xml"/><Override PartName="/xl/workbook.xml" ContentType="application/'
    'vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml"/><Override PartName='
    '"/xl/worksheets/sheet1.xml" ContentType="application/vnd.openxmlformats-officedocument.'
    'spreadsheetml.worksheet+xml"/></Types>'
)
_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/officeDocument" '
    'Target="xl/workbook.xml"/></Relationships>'
)
_BOOK = (
    '<?xml version="1.0" encoding="UTF-8"?><workbook xmlns="http://schemas.openxmlformats.org/'
    'spreadsheetml/2006/main" xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/'
    'relationships"><sheets><sheet name="Export" sheetId="1" r:id="rId1"/></sheets></workbook>'
)
_BOOK_RELS = (
    '<?xml version="1.0" encoding="UTF-8"?><Relationships xmlns="http://schemas.openxmlformats.'
    'org/package/2006/relationships"><Relationship Id="rId1" Type="http://schemas.'
    'openxmlformats.org/officeDocument/2006/relationships/worksheet" '
    'Target="worksheets/sheet1.xml"/></Relationships>'
)


def _col(i: int) -> str:
    """Spreadsheet column letters of a 0-based index."""
    name, i = "", i + 1
    while i:
        i, r = divmod(i - 1, 26)
        name = chr(65 + r) + name
    return name


def _xml_row(r: int, cells: list[str]) -> str:
    """One <row> of inline-string cells."""
    inner = "".join(
        f'<c r="{_col(c)}{r}" t="inlineStr"><is><t>{v}</t></is></c>' for c, v in enumerate(cells)
    )
    return f'<row r="{r}">{inner}</row>'


def workbook(
    rows: Iterator[str], dimension: str | None = None, level: int = zipfile.ZIP_DEFLATED
) -> bytes:
    """A one-sheet XLSX whose sheet XML holds the given <row> elements, written as a stream."""
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", level, compresslevel=9) as z:
        z.writestr("[Content_Types].xml", _TYPES)
        z.writestr("_rels/.rels", _RELS)
        z.writestr("xl/workbook.xml", _BOOK)
        z.writestr("xl/_rels/workbook.xml.rels", _BOOK_RELS)
        with z.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as sheet:
            ns = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
            dim = f'<dimension ref="{dimension}"/>' if dimension else ""
            sheet.write(f'<?xml version="1.0"?><worksheet xmlns="{ns}">{dim}<sheetData>'.encode())
            for row in rows:
                sheet.write(row.encode())
            sheet.write(b"</sheetData></worksheet>")
    return out.getvalue()


def _sheet_rows(n: int, row: Callable[[int], list[str]]) -> Iterator[str]:
    """The header row then n data rows."""
    yield _xml_row(1, HEADER.rstrip("\n").split(","))
    for i in range(n):
        yield _xml_row(i + 2, row(i))


def xlsx_repeated_ids(_size: int, rows: int = 200_000) -> bytes:
    """200,000 identical rows in a small workbook (the 259 KB file of issue 16)."""
    return workbook(_sheet_rows(rows, lambda _i: ROW.rstrip("\n").split(",")))


def xlsx_at_the_limit(_size: int) -> bytes:
    """An honest workbook whose sheet unpacks to just under the unpacked-size limit."""
    from clinic import config

    rows = (config.max_xlsx_unpacked_mb() << 20) // 560
    return workbook(
        _sheet_rows(rows, lambda i: ROW.replace("A1,", f"A{i},", 1).rstrip("\n").split(","))
    )


def xlsx_bomb(size: int) -> bytes:
    """A sheet that unpacks to about 1 GB (400 times a few MB): rows of one long repeated cell."""
    cell = "x" * 30_000
    return workbook(_sheet_rows(max(1, min(size * 400, 2**30) // 32_000), lambda _i: [cell]))


def xlsx_far_cell(_size: int, dimension: str | None = "A1:XFD1048576") -> bytes:
    """A header and one cell in the last column of the last row (XFD1048576): a huge sheet."""
    rows = iter(
        [
            _xml_row(1, HEADER.rstrip("\n").split(",")),
            '<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>',
        ]
    )
    return workbook(rows, dimension)


def xlsx_far_cell_undeclared(size: int) -> bytes:
    """The same far cell in a sheet that declares no dimension: only a bounded read finds it."""
    return xlsx_far_cell(size, None)


FILES: dict[str, tuple[Callable[[int], bytes], str]] = {
    "honest export (CSV)": (honest, "csv"),
    "repeated ids (CSV)": (repeated_ids, "csv"),
    "every id twice (CSV)": (repeated_pairs, "csv"),
    "every value bad (CSV)": (every_value_bad, "csv"),
    "broken rows (CSV)": (broken_rows, "csv"),
    "blank lines (CSV)": (blank_lines, "csv"),
    "one huge cell (CSV)": (one_huge_cell, "csv"),
    "500 columns (CSV)": (many_columns, "csv"),
    "wide header (CSV)": (wide_header, "csv"),
    "emoji text (CSV)": (astral_text, "csv"),
    "200,000 repeated ids (XLSX)": (xlsx_repeated_ids, "xlsx"),
    "honest sheet at the limit (XLSX)": (xlsx_at_the_limit, "xlsx"),
    "zip bomb (XLSX)": (xlsx_bomb, "xlsx"),
    "cell at XFD1048576 (XLSX)": (xlsx_far_cell, "xlsx"),
    "undeclared far cell (XLSX)": (xlsx_far_cell_undeclared, "xlsx"),
}


# -- the child: one import as the server runs it -------------------------------------------------
def _rss_mb() -> float:
    """This process's resident memory now, in MB."""
    return int(Path("/proc/self/statm").read_text().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child(path: Path, workdir: Path) -> dict:
    """Preview then import one file as the upload page does; what it took."""
    from clinic import ingest
    from clinic.store import Store

    store = Store(workdir / "store.duckdb")
    assert ingest.import_file(store, "prices", PRICES).status == "committed"
    base = _rss_mb()
    start = time.perf_counter()
    data = path.read_bytes()
    preview = ingest.preview(store, "appointments", data, path.name)
    result = ingest.import_file(store, "appointments", data, file_name=path.name, user="bench")
    seconds = time.perf_counter() - start
    # VmHWM, not getrusage: Linux keeps ru_maxrss across exec, so a child would report the
    # parent's peak at the fork (the parent holds the generated file).
    status = Path("/proc/self/status").read_text()
    peak = int(status.split("VmHWM:")[1].split()[0]) / 1024
    first = result.errors[0].reason if result.errors else ""
    last = result.errors[-1].reason if result.errors else ""
    return {
        "status": result.status,
        "preview_problems": len(preview.problems),
        "problems": len(result.errors),
        "first": first[:90],
        "last": last[:90],
        "problem_count": getattr(result, "problem_count", None),
        "base_mb": round(base),
        "peak_mb": round(peak),
        "seconds": round(seconds, 1),
    }


def measure(name: str, data: bytes, suffix: str, cap_mb: int, env: dict | None = None) -> dict:
    """Run one child on a file; its report, or the cap it was killed at."""
    with tempfile.TemporaryDirectory(prefix="clinic-hostile-") as tmp:
        path = Path(tmp) / f"hostile.{suffix}"
        path.write_bytes(data)
        del data
        args = [sys.executable, "-m", "bench.hostile", "--child", str(path), tmp]
        child_env = {**os.environ, **(env or {}), "CLINIC_KEY_FILE": f"{tmp}/k.key"}
        root = Path(__file__).resolve().parent.parent
        proc = subprocess.Popen(args, stdout=subprocess.PIPE, env=child_env, cwd=root)
        peak = 0.0
        while proc.poll() is None:
            try:
                pages = int(Path(f"/proc/{proc.pid}/statm").read_text().split()[1])
            except (OSError, IndexError):
                break
            peak = max(peak, pages * os.sysconf("SC_PAGE_SIZE") / 2**20)
            if peak > cap_mb:
                proc.kill()
                proc.wait()
                return {"name": name, "status": f"killed past {cap_mb} MB", "peak_mb": round(peak)}
            time.sleep(0.05)
        out = proc.stdout.read().decode() if proc.stdout else ""
        if proc.wait() != 0 or not out.strip():
            return {"name": name, "status": f"child failed (exit {proc.returncode})"}
        return {"name": name, **json.loads(out.strip().splitlines()[-1])}


def main(argv: list[str]) -> None:
    """Generate each hostile file, import it in a fresh process, print a table of peak RSS."""
    p = argparse.ArgumentParser(prog="python -m bench.hostile")
    p.add_argument("--mb", type=float, default=None, help="file size (default: the upload limit)")
    p.add_argument("--only", nargs="*", help="names (substrings) of the files to run")
    p.add_argument("--cap-mb", type=int, default=6000, help="kill a child past this RSS")
    p.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = p.parse_args(argv)
    if args.child:
        print(json.dumps(child(Path(args.child[0]), Path(args.child[1]))), flush=True)
        return
    from clinic import config

    mb = args.mb or config.max_upload_mb()
    size = int(mb * 2**20 * 0.98)  # under the limit, whatever rounding the writer does
    print(f"hostile files of about {mb:g} MB; each imported in a fresh process")
    print(f"{'file':30} {'size MB':>8} {'base':>6} {'peak':>6} {'s':>6}  outcome")
    for name, (make, suffix) in FILES.items():
        if args.only and not any(o.lower() in name.lower() for o in args.only):
            continue
        data = make(size)
        file_mb = len(data) / 2**20
        r = measure(name, data, suffix, args.cap_mb)
        outcome = r["status"]
        if "problems" in r:
            outcome += f", {r['problems']} problems listed: {r['first']}"
        print(
            f"{name:30} {file_mb:8.1f} {r.get('base_mb', ''):>6} {r.get('peak_mb', ''):>6} "
            f"{r.get('seconds', ''):>6}  {outcome}",
            flush=True,
        )


if __name__ == "__main__":
    main(sys.argv[1:])
