"""The arrows between the parts, checked on the source: front-ends depend on the engine, the
engine on nothing of ours above it, the server on nothing of the app, and no module of
ours imports itself back through others (no import circles, lazy imports included)."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Repository folder -> installed package.
PACKAGES = {"whatif": "whatif", "engine": "whatif.engine", "cli": "whatif.cli", "tui": "whatif.tui",
            "serve": "whatif.serve"}
# Which of our parts each part may import (itself always).
ALLOWED = {
    "whatif.engine": set(),
    "whatif.cli": {"whatif.engine"},
    "whatif.tui": {"whatif.engine"},
    "whatif.serve": {"whatif.engine"},
    "whatif": {"whatif.engine", "whatif.cli", "whatif.tui", "whatif.serve"},  # the entry point dispatches
}
UI_LIBRARIES = ("textual", "rich")


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in PACKAGES.items():
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            found[".".join((package, *parts))] = path
    return found


MODULES = _modules()


def _part(module: str) -> str:
    for part in sorted(ALLOWED, key=len, reverse=True):
        if module == part or module.startswith(part + "."):
            return part
    raise AssertionError(module)


def _imports(module: str, path: Path) -> set[str]:
    """Every module `module` imports, at the top, in functions or under TYPE_CHECKING."""
    names: set[str] = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([base] if base else [])])
            names.add(base)
            names.update(f"{base}.{alias.name}" for alias in node.names if f"{base}.{alias.name}" in MODULES)
    return names


GRAPH = {module: {name for name in _imports(module, path) if name in MODULES and name != module}
         for module, path in MODULES.items()}


def test_each_part_imports_only_what_it_may():
    wrong = [f"{module} imports {name}" for module, names in GRAPH.items() for name in names
             if _part(name) != _part(module) and _part(name) not in ALLOWED[_part(module)]]
    assert not wrong, "\n".join(sorted(wrong))


def test_the_engine_and_the_server_import_no_ui_library():
    for module, path in MODULES.items():
        if _part(module) in ("whatif.engine", "whatif.serve", "whatif.cli"):
            ui = {n for n in _imports(module, path) if n.split(".")[0] in UI_LIBRARIES}
            assert not ui, f"{module} imports {ui}"


def test_no_import_circles():
    # Packages import their __init__ implicitly; an edge to a package's own __init__ is not a circle.
    def cycle_from(start: str) -> list[str] | None:
        stack = [(start, [start])]
        seen = set()
        while stack:
            node, trail = stack.pop()
            for nxt in GRAPH[node]:
                if nxt == start:
                    return trail + [start]
                if nxt not in seen:
                    seen.add(nxt)
                    stack.append((nxt, trail + [nxt]))
        return None

    circles = {" -> ".join(c) for m in GRAPH if (c := cycle_from(m))}
    assert not circles, "\n".join(sorted(circles))


def test_importing_every_engine_module_loads_no_ui_at_run_time():
    code = (
        "import importlib, pkgutil, sys, whatif.engine as e\n"
        "for m in pkgutil.walk_packages(e.__path__, 'whatif.engine.'):\n"
        "    importlib.import_module(m.name)\n"
        "bad = [m for m in sys.modules if m.split('.')[0] in ('textual', 'rich')]\n"
        "assert not bad, bad\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr


def test_the_graph_is_read():
    # The checks above mean something only if the imports were found.
    assert "whatif.engine.scenario" in GRAPH["whatif.engine.resolve"]
    assert "whatif.engine.evaluate" in GRAPH["whatif.tui.session"]
