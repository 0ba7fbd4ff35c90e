"""The wheel as a user gets it: built from this repository, installed with its dependencies
into a fresh virtual environment outside the checkout, and run from a folder that is not
the checkout either, so that nothing of the working tree can stand in for what was packaged.

The build (setuptools, in pip's isolated build environment) and the dependencies come from
PyPI; pip's cache makes reruns fast. Only when pip itself reports that the index cannot be
reached is the test skipped; any other failure to build or install fails it.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
NOT_PACKAGED = (".git", ".venv", "build", "*.egg-info", "__pycache__", ".pytest_cache", ".hypothesis", "dist")
# What pip prints when the index is out of reach (DNS, no route, proxy, timeouts); the
# test is skipped only when pip also says that this is why it found nothing to install.
OFFLINE_MARKERS = ("NameResolutionError", "NewConnectionError", "Failed to establish a new connection",
                   "Temporary failure in name resolution", "Name or service not known", "Network is unreachable",
                   "No route to host", "ConnectTimeoutError", "ProxyError")
NOT_FOUND_MARKERS = ("No matching distribution found", "Could not find a version that satisfies")
DEFAULT_NAME = "Llama 3.1 405B class on 16,384 H100"


def _pip(args: list[str], what: str) -> None:
    out = subprocess.run([sys.executable, "-m", "pip", *args], capture_output=True, text=True, timeout=600)
    if out.returncode == 0:
        return
    text = out.stdout + out.stderr
    offline = next((m for m in OFFLINE_MARKERS if m in text), None)
    if offline and any(m in text for m in NOT_FOUND_MARKERS):
        pytest.skip(f"{what}: pip cannot reach the package index ({offline})")
    pytest.fail(f"{what} failed (pip exit {out.returncode}):\n{text[-3000:]}")


@pytest.fixture(scope="module")
def wheel_env(tmp_path_factory) -> dict[str, Path]:
    started = time.monotonic()
    work = tmp_path_factory.mktemp("wheel")
    assert ROOT not in work.parents
    # Build from a clean copy: setuptools reuses build/ in the source tree, where a module
    # deleted since the last build would still be found and packaged.
    source = work / "source"
    shutil.copytree(ROOT, source, ignore=shutil.ignore_patterns(*NOT_PACKAGED))
    dist = work / "dist"
    _pip(["wheel", "--no-deps", "--quiet", "--wheel-dir", str(dist), str(source)], "building the wheel")
    wheel = next(dist.glob("*.whl"))
    venv = work / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True, timeout=120)
    _pip(["--python", str(venv / "bin" / "python"), "install", "--quiet", str(wheel)], "installing the wheel")
    cwd = work / "elsewhere"
    cwd.mkdir()
    print(f"wheel built and installed in {time.monotonic() - started:.1f} s")
    return {"wheel": wheel, "venv": venv, "cwd": cwd}


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "WHATIF_PRESETS", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep) if not p.startswith(str(ROOT)))
    return env


def _run(wheel_env, *argv: str) -> subprocess.CompletedProcess:
    return subprocess.run([str(wheel_env["venv"] / "bin" / argv[0]), *argv[1:]], capture_output=True, text=True,
                          cwd=wheel_env["cwd"], env=_env(), timeout=120)


def test_the_wheel_holds_the_package_data_and_one_top_level_name(wheel_env):
    names = set(zipfile.ZipFile(wheel_env["wheel"]).namelist())
    expected = {f"whatif/{p.relative_to(ROOT)}"
                for pattern in ("presets/*.toml", "presets/*.schema.json", "presets/tours/*/*.toml", "engine/data/*.toml",
                                "tui/**/*.tcss")
                for p in ROOT.glob(pattern)}
    assert "whatif/presets/default.toml" in expected and "whatif/presets/tours/article/tour.toml" in expected
    assert "whatif/tui/app.tcss" in expected and "whatif/engine/data/chips.toml" in expected
    assert expected <= names, sorted(expected - names)
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    assert {n.split("/")[0] for n in names if not n.split("/")[0].endswith(".dist-info")} == {"whatif"}


def test_version(wheel_env):
    out = _run(wheel_env, "whatif", "--version")
    assert (out.returncode, out.stdout, out.stderr) == (0, "whatif 0.2.0\n", "")


def test_presets_are_the_shipped_ones_inside_the_installed_package(wheel_env):
    out = _run(wheel_env, "whatif", "presets", "--json")
    assert out.returncode == 0, out.stderr
    rows = json.loads(out.stdout)
    site = wheel_env["venv"] / "lib"
    assert {Path(r["path"]).name for r in rows} == {p.name for p in (ROOT / "presets").glob("*.toml")}
    assert all(site in Path(r["path"]).parents and r["error"] is None for r in rows)
    default = next(r for r in rows if Path(r["path"]).name == "default.toml")
    assert default["name"] == DEFAULT_NAME
    listing = _run(wheel_env, "whatif", "presets")
    assert listing.returncode == 0 and f"{default['path']}\n    {DEFAULT_NAME}" in listing.stdout


def test_eval_of_the_default_preset(wheel_env):
    path = json.loads(_run(wheel_env, "whatif", "presets", "--json").stdout)
    default = next(r["path"] for r in path if r["path"].endswith("default.toml"))
    out = _run(wheel_env, "whatif", "eval", default)
    assert out.returncode == 0, out.stderr
    assert out.stdout.startswith(DEFAULT_NAME) and "Facility power" in out.stdout and "34.5 MW" in out.stdout
    data = json.loads(_run(wheel_env, "whatif", "eval", default, "--json").stdout)
    assert data["racks"] == 512


def test_only_whatif_is_importable_at_the_top_level(wheel_env):
    python = wheel_env["venv"] / "bin" / "python"
    for name in ("engine", "tui", "cli", "serve", "presets"):
        out = subprocess.run([str(python), "-c", f"import {name}"], capture_output=True, text=True,
                             cwd=wheel_env["cwd"], env=_env(), timeout=60)
        assert out.returncode == 1 and f"ModuleNotFoundError: No module named '{name}'" in out.stderr
    code = ("import whatif.engine, whatif.tui.app\n"
            "from whatif.engine.presets import shipped_presets_dir\n"
            "from whatif.engine.tours import load_tour, shipped_tours\n"
            "print(whatif.engine.__file__)\n"
            "print(len(load_tour(shipped_presets_dir() / 'tours' / 'article').stops))\n"
            "print(','.join(t.folder.name for t in shipped_tours()))")   # the palette's "Tour: ..." entries
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True, cwd=wheel_env["cwd"],
                         env=_env(), timeout=60)
    assert out.returncode == 0, out.stderr
    engine_file, stops, tours = out.stdout.split()
    assert wheel_env["venv"] in Path(engine_file).parents and int(stops) > 1 and tours == "article"


def test_the_app_starts_on_a_terminal_and_quits(wheel_env):
    from fixtures.pty_app import PtyApp

    app = PtyApp([str(wheel_env["venv"] / "bin" / "whatif")], cwd=wheel_env["cwd"], env=_env())
    try:
        app.wait_for(DEFAULT_NAME, "Training time", "Facility power", timeout=60)  # (a missing .tcss would crash it)
        app.send(b"\x11")  # ctrl+q
        assert app.wait_exit() == 0
    finally:
        app.close()
