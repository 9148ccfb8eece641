"""The README tells the truth: every setting and every command of the code is documented."""

from __future__ import annotations

import re
from pathlib import Path

from clinic.cli import build_parser

ROOT = Path(__file__).resolve().parents[2]
README = (ROOT / "README.md").read_text(encoding="utf-8")


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


def test_every_command_is_in_the_readme():
    """Each `python -m clinic` command appears in the README's command list."""
    parser = build_parser()
    sub = next(a for a in parser._actions if a.dest == "command")
    missing = sorted(name for name in sub.choices if not re.search(rf"^{name}\b", README, re.M))
    assert not missing, f"commands missing from the README: {missing}"


def test_readme_gives_the_two_commands():
    """The two set-up commands of the contract are in the README."""
    assert "make run" in README and "make test" in README
