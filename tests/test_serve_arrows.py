"""The servers are a front-end of their own: they never import the app they serve.

`whatif.main` (the one entry point) hands them an `AppEntry`; nothing under `whatif.serve`
imports `whatif.tui` or `whatif.main`, or names them in its code, so the entry point and
the servers form no import circle. The names of the demo rule are the app's.
"""

from __future__ import annotations

import ast
import json
import subprocess
import sys
from pathlib import Path

import pytest

SERVE = Path(__file__).resolve().parent.parent / "serve"
SERVER_MODULES = ("whatif.serve.ssh.server", "whatif.serve.ssh.cli", "whatif.serve.ssh.session",
                  "whatif.serve.ssh.child", "whatif.serve.ssh.preload", "whatif.serve.ssh.gate",
                  "whatif.serve.ssh.limits", "whatif.serve.limits", "whatif.serve.demo", "whatif.serve.entry",
                  "whatif.serve.web.cli", "whatif.serve.web.server", "whatif.serve.web.session",
                  "whatif.serve.web.page", "whatif.serve.web.config")


def _is_app_module(name: str) -> bool:
    return name == "whatif.main" or name == "whatif.tui" or name.startswith("whatif.tui.")


@pytest.mark.parametrize("module", SERVER_MODULES)
def test_importing_a_server_module_loads_nothing_of_the_app(module):
    code = f"import json, sys; import {module}; print(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60, check=True)
    loaded = json.loads(result.stdout)
    assert module in loaded
    assert [name for name in loaded if _is_app_module(name)] == []


def _code_strings(tree: ast.AST) -> list[str]:
    """Every string constant of a module but its docstrings."""
    docstrings = set()
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                docstrings.add(id(body[0].value))
    return [node.value for node in ast.walk(tree)
            if isinstance(node, ast.Constant) and isinstance(node.value, str) and id(node) not in docstrings]


def test_no_server_module_names_the_app_or_the_entry_point():
    sources = sorted(SERVE.rglob("*.py"))
    assert sources
    for path in sources:
        tree = ast.parse(path.read_text(encoding="utf-8"))
        imported = [alias.name for node in ast.walk(tree) if isinstance(node, ast.Import) for alias in node.names]
        imported += [node.module or "" for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)]
        assert not [name for name in imported if _is_app_module(name)], path
        named = [text for text in _code_strings(tree) if "whatif.tui" in text or "whatif.main" in text]
        assert named == [], path


def test_saves_go_to_the_session_folder(tmp_path, monkeypatch):
    from whatif.engine.catalog import user_chips_path
    from whatif.engine.presets import user_presets_dir
    from whatif.serve.demo import create_session_dir, demo_environment, remove_session_dir

    session_dir = create_session_dir()
    try:
        for name, value in demo_environment(session_dir).items():
            monkeypatch.setenv(name, value)
        assert user_presets_dir() == session_dir
        assert user_chips_path().is_relative_to(session_dir)
        assert Path.home() == session_dir
        assert all((session_dir / sub).is_dir() for sub in ("config", "state", "data", "cache"))
    finally:
        remove_session_dir(session_dir)
    assert not session_dir.exists()


def test_the_entry_point_gives_the_servers_itself_and_its_preload_list():
    from whatif.main import visitor_app

    app = visitor_app()
    assert app.function == "whatif.main:main"
    assert app.command[1:] == ("-m", "whatif.main")
    assert "whatif.tui.app" in app.preload
    assert app.environment["OPENBLAS_NUM_THREADS"]  # set in the preloader before numpy loads


def test_an_app_entry_is_a_command_plus_args_and_optionally_a_function():
    from whatif.serve.entry import AppEntry

    app = AppEntry(command=("python", "-m", "pkg.main"), function="pkg.main:main").with_more_args("--tour", "/t")
    assert app.argv == ["python", "-m", "pkg.main", "--tour", "/t"]
    assert app.with_more_args("x").args == ("--tour", "/t", "x")
    for bad in ("pkg.main", "pkg.main:", "pkg..main:main", "pkg.main:ma-in"):
        with pytest.raises(ValueError):
            AppEntry(command=("python",), function=bad)
    with pytest.raises(ValueError):
        AppEntry(command=())
