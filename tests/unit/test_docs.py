"""The docs tell the truth: settings, commands, import format, roles and links match the code."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from clinic import auth
from clinic.cli import build_parser
from clinic.store import Store

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")
DOCS = ROOT / "docs"
IMPORT = (DOCS / "IMPORT.md").read_text(encoding="utf-8")
CONTRACTS = (DOCS / "CONTRACTS.md").read_text(encoding="utf-8")
DATA = ROOT / "clinic" / "data"
# Every file a user's clone holds as text (what the product, its tests and its docs are made
# of), leaving out what tools and test runs write beside them.
GENERATED = {".venv", ".git", ".pytest_cache", ".ruff_cache", ".hypothesis", "__pycache__"}
TEXT_FILES = [
    p
    for pattern in ("*.md", "*.py", "*.sql", "*.toml", "*.txt", "Makefile", ".ci/*", ".gitignore")
    for p in ROOT.rglob(pattern)
    if p.is_file() and not GENERATED & set(p.relative_to(ROOT).parts)
]
MARKDOWN = [p for p in TEXT_FILES if p.suffix == ".md"]


def _settings_in_code() -> set[str]:
    """Every CLINIC_* environment variable the product reads."""
    found: set[str] = set()
    for path in [ROOT / "dashboard.py", *(ROOT / "clinic").rglob("*.py")]:
        found |= set(re.findall(r"\bCLINIC_[A-Z_]+\b", path.read_text(encoding="utf-8")))
    return found


def test_every_setting_is_in_the_readme():
    """A setting read by the code but missing from the README's table fails here."""
    missing = sorted(s for s in _settings_in_code() if f"`{s}`" not in README)
    assert not missing, f"undocumented settings: {missing}"


def test_every_make_variable_is_in_the_readme():
    """A variable the Makefile lets a user set (`PORT ?= 8501`) is explained in the README."""
    makefile = (ROOT / "Makefile").read_text(encoding="utf-8")
    variables = re.findall(r"^(\w+)\s*\?=", makefile, re.M)
    assert "PORT" in variables
    missing = [v for v in variables if not re.search(rf"`[^`]*\b{v}=[^`]*`", README)]
    assert not missing, f"Makefile variables the README does not show: {missing}"


def test_every_command_is_in_the_readme():
    """Each `python -m clinic` command appears in the README's command list."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    missing = sorted(name for name in sub.choices if not re.search(rf"^{name}\b", README, re.M))
    assert not missing, f"commands missing from the README: {missing}"


def test_readme_gives_the_two_commands():
    """The two set-up commands of the contract are in the README."""
    assert "make run" in README and "make test" in README


# -- docs/CONTRACTS.md: the command line and the roles -------------------------------------------
def _leaf_commands(
    parser: argparse.ArgumentParser, path: tuple[str, ...] = ()
) -> list[tuple[tuple[str, ...], argparse.ArgumentParser]]:
    """Every runnable command of the parser as (words, its parser): ("users", "add") ..."""
    subs = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)]
    if not subs:
        return [(path, parser)]
    return [
        leaf
        for name, child in subs[0].choices.items()
        for leaf in _leaf_commands(child, (*path, name))
    ]


def _entries(doc: str) -> list[str]:
    """The command list of a doc: each entry a command line with its indented continuation."""
    block = doc.split("\n## The command line", 1)[1].split("```", 2)[1]
    entries: list[str] = []
    for line in block.splitlines():
        if line and not line[0].isspace():
            entries.append(line)
        elif entries:
            entries[-1] += "\n" + line
    return entries


@pytest.mark.parametrize(
    ("words", "sub"),
    [pytest.param(w, s, id=" ".join(w)) for w, s in _leaf_commands(build_parser())],
)
def test_every_command_and_option_is_in_the_contract(words, sub) -> None:
    """docs/CONTRACTS.md lists each command with all its options and the choices they take."""
    entry = next((e for e in _entries(CONTRACTS) if e.startswith(" ".join(words))), None)
    assert entry, f"{' '.join(words)} is not in docs/CONTRACTS.md"
    for action in sub._actions:
        if action.dest in ("help", "db"):
            continue  # --db is stated once for every command
        if action.option_strings:
            assert any(o in entry for o in action.option_strings), (words, action.option_strings)
        if action.choices and action.dest not in ("role",):
            missing = [c for c in action.choices if c not in entry]
            assert not missing, (words, action.dest, missing)
    assert "--db" in CONTRACTS


def _roles_table(doc: str) -> list[list[str]]:
    """The cells of the page/role table of a doc, header excluded."""
    lines = [ln for ln in doc.splitlines() if ln.startswith("| ")]
    start = next(i for i, ln in enumerate(lines) if ln.startswith("| page | admin"))
    rows = []
    for line in lines[start + 1 :]:  # the |---| line does not start with "| "
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) != 5:
            break
        rows.append(cells)
    return rows


@pytest.mark.parametrize("name", ["README.md", "docs/CONTRACTS.md"])
def test_roles_table_is_the_matrix_auth_enforces(name: str) -> None:
    """Each row of the role table marks exactly the roles clinic.auth lets open that page."""
    rows = _roles_table((ROOT / name).read_text(encoding="utf-8"))
    assert len(rows) == len(auth.PAGES)
    for page, cells in zip(auth.PAGES, rows, strict=True):
        for role, cell in zip(("admin", "manager", "staff", "auditor"), cells[1:], strict=True):
            assert bool(cell) is auth.can(role, page), (name, page, role, cell)


# -- docs/IMPORT.md: the import format ------------------------------------------------------------
def test_every_column_and_alias_is_in_the_import_doc() -> None:
    """Every canonical column, alias and dropped header of aliases.json is in docs/IMPORT.md."""
    aliases = json.loads((DATA / "aliases.json").read_text(encoding="utf-8"))
    for kind, table in aliases.items():
        section = IMPORT.split(f"\n## {kind}\n", 1)[1].split("\n## ", 1)[0]
        for column, names in table["columns"].items():
            row = next((r for r in section.splitlines() if r.startswith(f"| `{column}` |")), "")
            assert row, f"{kind}.{column} has no row in docs/IMPORT.md"
            assert ("| yes |" in row) is (column in table["required"]), (kind, column)
            missing = [n for n in names if not re.search(rf"[|,] {re.escape(n)}[ ,|]", row)]
            assert not missing, (kind, column, missing)
        for name in table["identifying"]:
            assert re.search(rf"\b{re.escape(name)}\b", section), (kind, name)


def test_every_word_of_the_vocabulary_is_in_the_import_doc() -> None:
    """Every value and synonym of vocabulary.json appears in docs/IMPORT.md (any case)."""
    vocabulary = json.loads((DATA / "vocabulary.json").read_text(encoding="utf-8"))
    text = IMPORT.lower()
    missing = [
        (field, word)
        for field, values in vocabulary.items()
        for value, words in values.items()
        for word in [value, *words]
        if field != "medical_attention" and word.lower() not in text
    ]
    assert not missing, missing


def test_serious_effects_in_the_import_doc_are_the_stores(store: Store) -> None:
    """The effect table of docs/IMPORT.md says serious for exactly the store's serious terms."""
    rows = re.findall(r"^\| ([a-z][a-z ]+) \| (yes|no) \|", IMPORT, re.M)
    documented = {effect: flag == "yes" for effect, flag in rows}
    assert documented == dict(store.rows("select effect, serious from effect_terms"))


# -- the project stands on its own -----------------------------------------------------------------
OUTSIDE = ("../" + "shared", "/work" + "/", "shared/" + "samples", "shared/" + "design")


def test_nothing_points_outside_the_repository() -> None:
    """No doc, code or test names the team's shared folder or an absolute path outside the clone."""
    found = [
        f"{p.relative_to(ROOT)}: {needle}"
        for p in TEXT_FILES
        for needle in OUTSIDE
        if needle in p.read_text(encoding="utf-8", errors="replace")
    ]
    assert not found, found


def test_every_doc_link_resolves() -> None:
    """Each relative link or image of a Markdown file names a file of the repository."""
    broken = []
    for doc in MARKDOWN:
        for target in re.findall(r"\]\(([^)\s]+)\)", doc.read_text(encoding="utf-8")):
            if re.match(r"[a-z]+:|#", target):
                continue
            if not (doc.parent / target.split("#")[0]).resolve().is_file():
                broken.append(f"{doc.relative_to(ROOT)} -> {target}")
    assert not broken, broken


def test_every_named_doc_exists() -> None:
    """A Markdown file named in code, SQL or docs (METRICS.md, docs/IMPORT.md ...) exists here."""
    have = {p.name for p in MARKDOWN}
    named = {
        (p.relative_to(ROOT), name)
        for p in TEXT_FILES
        for name in re.findall(r"\b([A-Z][A-Z_]+\.md)\b", p.read_text(encoding="utf-8"))
    }
    missing = sorted(str(n) for n in named if n[1] not in have)
    assert not missing, missing


def test_sample_exports_are_in_the_repository() -> None:
    """data/samples holds the three exports the tests use, and git tracks them (not ignored)."""
    samples = ROOT / "data" / "samples"
    names = {"price_list.csv", "appointments_export.csv", "side_effects_export.csv"}
    assert names <= {p.name for p in samples.iterdir()}
    if shutil.which("git") is None or not (ROOT / ".git").exists():
        pytest.skip("not a git checkout")
    ignored = subprocess.run(
        ["git", "check-ignore", *(str(samples / n) for n in sorted(names))],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert ignored.stdout == "", f"git ignores {ignored.stdout}"
    store = subprocess.run(
        ["git", "check-ignore", "-q", "data/clinic.duckdb"], cwd=ROOT, capture_output=True
    )
    assert store.returncode == 0, "the store data/clinic.duckdb is not git-ignored"
