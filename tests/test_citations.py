"""Every file and every docs/model.md section that the repository cites exists in it.

Explanations, data-file sources, docstrings and presets cite where a number or a rule comes
from. A citation a reader cannot open is worse than none, so this scans the text files of
engine/, cli/, tui/, serve/, whatif/, docs/, presets/ and README.md for

- file citations: `docs/<name>.md`, `<name>.md`, `engine/data/<name>.toml`, and any other
  relative path ending in .md or .toml (`presets/default.toml`, `../../article-gpt4.toml`);
  a path resolves from the repository root or from the citing file's folder, a bare name
  from the citing file's folder, the root, docs/ or anywhere in the repository;
- section citations `§N` / `§N.M`: in this project § always means a section of
  docs/model.md, so each must be a `## N.` (or `### N.M`) heading there.

Paths under `~` or `$VAR` (user configuration), files of other repositories and file names
that are not citations are listed below with the reason.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SCANNED = ("engine", "cli", "tui", "serve", "whatif", "docs", "presets", "README.md")
TEXT_SUFFIXES = {".py", ".toml", ".md", ".tcss", ".txt", ".cfg", ".ini"}
SKIP_DIRS = {".git", ".venv", "__pycache__", "build", "node_modules", ".pytest_cache", ".hypothesis"}
MODEL_DOC = ROOT / "docs" / "model.md"

# A relative path or bare file name ending in .md or .toml. Not preceded by a path or name
# character, so `~/.config/whatif/chips.toml` (user configuration) is never matched piecemeal.
_FILE = re.compile(r"(?<![\w./~$-])((?:\.{1,2}/|[\w-]+/)*[\w.-]*\w\.(?:md|toml))(?![\w/-])")
_SECTION = re.compile(r"§(\d+)(?:\.(\d+))?")
# The old form cited a file by 'section N'; the project cites docs/model.md §N instead.
_OLD_FORM = re.compile(r"\.md(?:'s)?,? sections? \d|section-\d")

# Files of other repositories, cited by name after their owner/repo.
EXTERNAL = {"MODEL_CARD.md": "meta-llama/llama-models"}
# Placeholders in usage text (`whatif FILE.toml`, `compare A.toml B.toml`, `DIR/tour.toml`).
PLACEHOLDERS = {"FILE", "PRESET", "DIR", "A", "B", "C", "P"}
# The user's own files, named wherever they are explained (never files of this repository).
USER_FILES = {"config.toml": "the user's settings file", ".taplo.toml": "the user's editor configuration"}
# (citing file, name): names that are examples or defaults, not citations.
NOT_CITATIONS = {
    ("README.md", "presets/a.toml"): "example command line",
    ("README.md", "presets/b.toml"): "example command line",
    ("README.md", "a.toml"): "example of opening two presets in tabs",
    ("README.md", "b.toml"): "example of opening two presets in tabs",
    ("tui/screens/help.py", "a.toml"): "example of opening two presets in tabs",
    ("tui/screens/help.py", "b.toml"): "example of opening two presets in tabs",
    ("tui/launch.py", "MORE.toml"): "usage line: more preset files",
    ("engine/tours.py", "01-h100.toml"): "example tour stop in the docstring",
    ("engine/tours.py", "file.toml"): "example in an error message",
}


def _text_files() -> list[Path]:
    files: list[Path] = []
    for entry in SCANNED:
        path = ROOT / entry
        if path.is_file():
            files.append(path)
            continue
        for folder, dirs, names in os.walk(path):
            dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
            files.extend(Path(folder) / n for n in names if Path(n).suffix in TEXT_SUFFIXES)
    return sorted(files)


def _repo_names() -> set[str]:
    names: set[str] = set()
    for folder, dirs, files in os.walk(ROOT):
        dirs[:] = [d for d in dirs if d not in SKIP_DIRS and not d.endswith(".egg-info")]
        names.update(files)
    return names


def _resolves(cited: str, citing: Path, repo_names: set[str]) -> bool:
    if "/" in cited:
        return any((base / cited).resolve().is_file() for base in (ROOT, citing.parent))
    if any((base / cited).is_file() for base in (citing.parent, ROOT, ROOT / "docs")):
        return True
    return cited in repo_names


def file_citations(text: str) -> list[tuple[int, str]]:
    """(line number, cited path) for every .md / .toml citation in `text`."""
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in _FILE.finditer(line):
            cited = match.group(1)
            repo = EXTERNAL.get(cited)
            if repo and repo in line[:match.start()]:
                continue
            if any(part.split(".")[0] in PLACEHOLDERS for part in cited.split("/")):
                continue
            found.append((number, cited))
    return found


def model_sections() -> set[str]:
    """'3' for `## 3. ...`, '5.2' for `### 5.2 ...` in docs/model.md."""
    sections = set()
    for line in MODEL_DOC.read_text(encoding="utf-8").splitlines():
        match = re.match(r"#{2,3} (\d+(?:\.\d+)?)\.?\s", line)
        if match:
            sections.add(match.group(1))
    return sections


def section_citations(text: str) -> list[tuple[int, str]]:
    found = []
    for number, line in enumerate(text.splitlines(), 1):
        for match in _SECTION.finditer(line):
            found.append((number, match.group(0)[1:]))
    return found


def _missing_files(files: list[Path]) -> list[str]:
    repo_names = _repo_names()
    missing = []
    for path in files:
        rel = path.relative_to(ROOT).as_posix()
        for number, cited in file_citations(path.read_text(encoding="utf-8")):
            if cited in USER_FILES or (rel, cited) in NOT_CITATIONS or _resolves(cited, path, repo_names):
                continue
            missing.append(f"{rel}:{number}: {cited}")
    return missing


def test_the_scan_sees_the_citations():
    files = _text_files()
    assert ROOT / "engine" / "model.py" in files and ROOT / "README.md" in files
    assert ROOT / "presets" / "default.toml" in files
    cited = {c for p in files for _, c in file_citations(p.read_text(encoding="utf-8"))}
    assert {"docs/model.md", "docs/model-notes.md", "engine/data/chips.toml"} <= cited
    assert any(section_citations(p.read_text(encoding="utf-8")) for p in files)


def test_every_cited_file_exists():
    missing = _missing_files(_text_files())
    assert not missing, "citations of files that are not in the repository:\n" + "\n".join(missing)


def test_every_cited_model_section_exists():
    sections = model_sections()
    assert {str(n) for n in range(1, 15)} <= sections
    missing = []
    for path in _text_files():
        rel = path.relative_to(ROOT).as_posix()
        for number, section in section_citations(path.read_text(encoding="utf-8")):
            if section not in sections:
                missing.append(f"{rel}:{number}: §{section}")
    assert not missing, "citations of docs/model.md sections that do not exist:\n" + "\n".join(missing)


def test_no_citation_by_old_section_form():
    old = []
    for path in _text_files():
        rel = path.relative_to(ROOT).as_posix()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
            if _OLD_FORM.search(line):
                old.append(f"{rel}:{number}: {line.strip()[:100]}")
    assert not old, "cite docs/model.md §N, not 'model.md section N':\n" + "\n".join(old)


@pytest.mark.parametrize(("text", "cited"), [
    ("see datacenter.md B8", ["datacenter.md"]),
    ("(docs/calibration.md)", ["docs/calibration.md"]),
    ('preset = "../../article-gpt4.toml"', ["../../article-gpt4.toml"]),
    ("in `~/.config/whatif/chips.toml` or $WHATIF_CHIPS", []),
    ("meta-llama/llama-models MODEL_CARD.md", []),
    ("extension .md, .csv or .json", []),
    ("engine/data/*.toml", []),
    ("`whatif FILE.toml`, DIR/tour.toml", []),
])
def test_file_citation_pattern(text, cited):
    assert [c for _, c in file_citations(text)] == cited


def test_a_missing_file_is_caught(tmp_path):
    citing = tmp_path / "x.py"
    citing.write_text('"""Sources: datacenter.md B8; docs/model.md §5; claims.md."""\n', encoding="utf-8")
    names = _repo_names()
    unresolved = [c for _, c in file_citations(citing.read_text()) if not _resolves(c, citing, names)]
    assert unresolved == ["datacenter.md", "claims.md"]
