"""The README's "Demo in a browser" commands run as pasted: each server starts (on a free
port: `--port 0` is added, the last --port wins), serves its page, and stops on ctrl+c."""

from __future__ import annotations

import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]


def _block() -> list[str]:
    text = (ROOT / "README.md").read_text(encoding="utf-8")
    body = text.split("## Demo in a browser", 1)[1].split("\n## ", 1)[0]
    return re.findall(r"^    (\S.*)$", body, flags=re.M)


def test_the_section_has_the_promised_commands():
    lines = _block()
    servers = [line for line in lines if line.startswith(".venv/bin/whatif serve-web")]
    assert len(servers) == 3
    assert any("--tour presets/tours/article" in line for line in servers)
    assert any("--password-file demo-password.txt" in line for line in servers)


@pytest.fixture
def pasted_in(tmp_path):
    """A folder to paste into: the checkout's presets and this venv's console script."""
    (tmp_path / "presets").symlink_to(ROOT / "presets")
    (tmp_path / ".venv").symlink_to(Path(sys.executable).parent.parent)
    return tmp_path


def test_the_section_runs_as_pasted(pasted_in):
    assert (pasted_in / ".venv" / "bin" / "whatif").exists(), "the tests run from the project's .venv"
    for line in _block():
        if not line.startswith(".venv/bin/whatif serve-web"):
            subprocess.run(line, shell=True, cwd=pasted_in, check=True, timeout=10)
            continue
        argv = shlex.split(line, comments=True) + ["--port", "0"]
        server = subprocess.Popen(argv, cwd=pasted_in, stderr=subprocess.PIPE, text=True)
        try:
            banner = ""
            deadline = time.monotonic() + 30
            while "Ctrl+C stops the server" not in banner and time.monotonic() < deadline:
                banner += server.stderr.readline()
            assert "Ctrl+C stops the server" in banner, (line, banner)
            assert "WARNING" not in banner, line
            port = re.search(r"visitors: http://[^:]+:(\d+)/", banner).group(1)
            with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=10) as response:
                page = response.read().decode()
            assert ("textual.js" in page) != ("password" in line), line  # a password: the login form
            server.send_signal(signal.SIGINT)
            assert server.wait(20) == 0, line
        finally:
            if server.poll() is None:
                server.kill()
                server.wait()
