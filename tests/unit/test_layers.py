"""The house: clinic's real import graph (read with ast) has floors, arrows only go down a floor
or stay on it, no circle, and no module over about 400 lines without a reason at its top.

Floors, top to bottom (docs/ARCHITECTURE.md draws them):
  doors   dashboard.py, pages/, clinic.cli, clinic.__main__: what a person opens or runs
  ui      clinic.ui, clinic.ui_server, clinic.web: Streamlit and HTTP, role checks on screen
  domain  everything else in clinic: import, metrics, facts, charts, accounts, audit, exports
  store   clinic.store, clinic.sql: the DuckDB file and the query files
  base    clinic.config, formats, words, roles, dimensions, stats, scope: no clinic import above

`python tests/unit/test_layers.py` prints the graph floor by floor, to redraw the house.
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterable
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
FLOORS = ("base", "store", "domain", "ui", "doors")
_BASE = {"clinic", "config", "formats", "words", "roles", "dimensions", "stats", "scope"}
_STORE = {"store", "sql"}
# "About 400": a module a few lines over is not a hall; past this it needs its reason.
LONG = 420
# The reason a long module gives, in its docstring: "Over 400 lines: ...".
_REASON = re.compile(r"^\s*Over 400 lines:", re.M)


def floor_of(module: str) -> str:
    """The floor of a module name (pages.x and dashboard are doors)."""
    parts = module.split(".")
    if parts[0] != "clinic":
        return "doors"
    room = parts[1] if len(parts) > 1 else "clinic"
    if room in ("cli", "__main__", "service"):  # service: the command line's server side
        return "doors"
    if room in ("ui", "ui_server", "web"):
        return "ui"
    if room in _STORE:
        return "store"
    if room in _BASE:
        return "base"
    return "domain"


def modules(root: Path = ROOT) -> dict[str, Path]:
    """Every module of the clinic package, the pages and the entry point, by dotted name."""
    files = [*sorted((root / "clinic").rglob("*.py")), *sorted((root / "pages").glob("*.py"))]
    found = {}
    for path in [*files, *root.glob("dashboard.py")]:
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def _target(name: str, known: Iterable[str]) -> str | None:
    """The module an imported name lives in: itself, else its nearest known package."""
    known = set(known)
    while name and name not in known:
        name = name.rpartition(".")[0]
    return name or None


def imports(name: str, path: Path, known: set[str]) -> set[str]:
    """The clinic modules a module imports anywhere (functions and TYPE_CHECKING included)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {_target(a.name, known) for a in node.names if a.name.startswith("clinic")}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                up = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*up, *([base] if base else [])])
            if base.split(".")[0] != "clinic":
                continue
            # `from clinic import audit` names a module; `from clinic.store import Store` a name.
            found |= {_target(f"{base}.{a.name}", known) for a in node.names}
    found.discard(None)
    found.discard(name)
    return found  # type: ignore[return-value]


def graph(root: Path = ROOT) -> dict[str, set[str]]:
    """The import graph: module -> the clinic modules it imports."""
    found = modules(root)
    known = set(found)
    return {name: imports(name, path, known) for name, path in found.items()}


def arrows_up(edges: dict[str, set[str]]) -> list[str]:
    """Every import that points to a higher floor."""
    return sorted(
        f"{a} ({floor_of(a)}) imports {b} ({floor_of(b)})"
        for a, targets in edges.items()
        for b in targets
        if FLOORS.index(floor_of(b)) > FLOORS.index(floor_of(a))
    )


def circles(edges: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected groups of more than one module (Tarjan's algorithm)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        on_stack.add(v)
        for w in sorted(edges.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on_stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = []
            while True:
                w = stack.pop()
                on_stack.discard(w)
                group.append(w)
                if w == v:
                    break
            if len(group) > 1:
                found.append(sorted(group))

    for v in sorted(edges):
        if v not in index:
            visit(v)
    return found


def long_without_reason(paths: dict[str, Path]) -> list[str]:
    """Modules over LONG lines whose docstring does not say why ("Over 400 lines: ...")."""
    bad = []
    for name, path in sorted(paths.items()):
        text = path.read_text(encoding="utf-8")
        lines = len(text.splitlines())
        if lines > LONG and not _REASON.search(ast.get_docstring(ast.parse(text)) or ""):
            bad.append(f"{name}: {lines} lines")
    return bad


def test_no_import_points_up_a_floor() -> None:
    """Pages over ui over the domain over the store over the base: never an arrow up."""
    assert arrows_up(graph()) == []


def test_no_circle_of_imports() -> None:
    """No group of modules imports itself round, directly or through others."""
    assert circles(graph()) == []


def test_no_long_module_without_a_reason() -> None:
    """A module over about 400 lines says at its top why it is one room."""
    assert long_without_reason(modules()) == []


def test_every_module_has_a_floor_and_the_graph_is_read() -> None:
    """The graph holds the rooms the drawing shows, with the arrows known to be there."""
    edges = graph()
    assert {"clinic.ingest.job", "clinic.store", "clinic.cli.main", "dashboard"} <= set(edges)
    assert "clinic.ingest.stage" in edges["clinic.ingest.job"]  # from clinic.ingest.stage ...
    assert "clinic.sql" in edges["clinic.store"]  # from clinic import sql
    assert {floor_of(m) for m in edges} == set(FLOORS)


@pytest.mark.parametrize(
    ("edges", "up", "circle"),
    [
        ({"clinic.store": {"clinic.metrics"}}, ["clinic.store (store)"], []),
        ({"clinic.config": {"clinic.ui.cached"}}, ["clinic.config (base)"], []),
        ({"clinic.metrics": {"clinic.cli.output"}}, ["clinic.metrics (domain)"], []),
        (
            {"clinic.facts": {"clinic.metrics"}, "clinic.metrics": {"clinic.facts"}},
            [],
            [["clinic.facts", "clinic.metrics"]],
        ),
        (
            {"clinic.a": {"clinic.b"}, "clinic.b": {"clinic.c"}, "clinic.c": {"clinic.a"}},
            [],
            [["clinic.a", "clinic.b", "clinic.c"]],
        ),
        (
            {"pages.overview": {"clinic.ui", "clinic.metrics"}, "clinic.ui": {"clinic.store"}},
            [],
            [],
        ),
    ],
)
def test_the_checks_find_what_they_look_for(edges, up, circle) -> None:
    """An arrow up and a circle in a made-up graph are found; a graph of arrows down passes."""
    assert [a.split(" imports ")[0] for a in arrows_up(edges)] == up
    assert circles(edges) == circle


def test_a_long_module_needs_its_reason(tmp_path: Path) -> None:
    """A long module without "Over 400 lines:" in its docstring is named; with it, it passes."""
    body = "x = 1\n" * LONG
    hall = tmp_path / "hall.py"
    hall.write_text('"""A hall."""\n' + body)
    room = tmp_path / "room.py"
    room.write_text('"""A room.\n\nOver 400 lines: one table of rules.\n"""\n' + body)
    short = tmp_path / "short.py"
    short.write_text('"""Short."""\nx = 1\n')
    paths = {"clinic.hall": hall, "clinic.room": room, "clinic.short": short}
    assert long_without_reason(paths) == [f"clinic.hall: {LONG + 1} lines"]


def test_imports_are_read_wherever_they_are(tmp_path: Path) -> None:
    """Imports inside functions, relative imports and names from a module all count as arrows."""
    (tmp_path / "clinic" / "ingest").mkdir(parents=True)
    for name in ("__init__", "store", "ingest/__init__", "ingest/job", "ingest/headers"):
        (tmp_path / "clinic" / f"{name}.py").write_text("")
    (tmp_path / "clinic" / "ingest" / "job.py").write_text(
        "from . import headers\n"
        "def run():\n"
        "    from clinic.store import Store\n"
        "    import clinic.ingest\n"
    )
    known = set(modules(tmp_path))
    path = tmp_path / "clinic" / "ingest" / "job.py"
    found = imports("clinic.ingest.job", path, known)
    assert found == {"clinic.ingest.headers", "clinic.store", "clinic.ingest"}


if __name__ == "__main__":
    edges = graph()
    for floor in reversed(FLOORS):
        print(f"== {floor}")
        for name in sorted(m for m in edges if floor_of(m) == floor):
            lines = len(modules()[name].read_text(encoding="utf-8").splitlines())
            print(f"  {name} ({lines}) -> {', '.join(sorted(edges[name])) or '-'}")
