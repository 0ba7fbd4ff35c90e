"""The README's plan, solve-by-choice and diff examples run as pasted (exit 0)."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

import pytest

from whatif.cli.main import main

ROOT = Path(__file__).resolve().parents[1]
SECTIONS = ("## Plan a site", "## Why two scenarios differ")


def _commands() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    found = []
    for title in SECTIONS:
        body = text.split(title, 1)[1].split("\n## ", 1)[0]
        found += re.findall(r"^    \.venv/bin/whatif (.+)$", body, flags=re.M)
    return found


def test_the_sections_have_the_promised_examples():
    commands = _commands()
    assert any(c.startswith("plan presets/default.toml --power-cap-mw 100 --deadline-days 90") for c in commands)
    assert any(c.startswith("diff presets/") for c in commands)
    assert any(c.startswith("solve ") and "cluster.chip" in c for c in commands)


@pytest.mark.parametrize("command", _commands())
def test_readme_example_runs(command, monkeypatch, capsys):
    monkeypatch.chdir(ROOT)
    assert main(shlex.split(command)) == 0
    assert capsys.readouterr().out.strip()
