"""`whatif serve-web` as a host runs it: the console script in a subprocess."""

from __future__ import annotations

import asyncio
import re
import signal
import socket
import subprocess
import sys
from pathlib import Path

import aiohttp

from whatif.serve.web.cli import exposure_warning

WHATIF = [sys.executable, "-m", "whatif", "serve-web"]
ARTICLE_TOUR = Path(__file__).resolve().parents[1] / "presets" / "tours" / "article"


def _run(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WHATIF, *args], capture_output=True, text=True, timeout=30)


def _one_line_error(result: subprocess.CompletedProcess[str], *needles: str) -> None:
    assert result.returncode == 2, result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "Traceback" not in result.stderr, result.stderr
    assert all(needle in lines[0] for needle in needles), lines[0]


def test_bad_options_are_one_line_errors(tmp_path):
    _one_line_error(_run("--preset", str(tmp_path / "nope.toml")), "nope.toml")
    _one_line_error(_run("--tour", str(tmp_path)), "no .toml presets")
    _one_line_error(_run("--log-file", str(tmp_path / "no" / "dir.log")), "--log-file")
    _one_line_error(_run("--port", "70000"), "0-65535")
    _one_line_error(_run("--max-sessions", "0"), "at least 1")
    _one_line_error(_run("--password-file", str(tmp_path / "missing.txt")), "--password-file", "missing.txt")
    (tmp_path / "empty.txt").write_text("\n")
    _one_line_error(_run("--password-file", str(tmp_path / "empty.txt")), "first line is empty")
    _one_line_error(_run("--port", "eighty"), "invalid int value")
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        _one_line_error(_run("--port", str(taken.getsockname()[1])), "cannot listen on 127.0.0.1")


def test_binding_beyond_loopback_without_a_password_warns():
    assert exposure_warning("127.0.0.1", None) is None
    assert exposure_warning("0.0.0.0", "s3cret") is None
    warning = exposure_warning("0.0.0.0", None)
    assert warning and warning.startswith("WARNING") and "anyone" in warning


def test_whatif_help_lists_serve_web():
    result = subprocess.run([sys.executable, "-m", "whatif", "--help"], capture_output=True, text=True, timeout=30)
    assert re.search(r"^\s+serve-web\s+serve the app to web browsers", result.stdout, flags=re.M)


async def test_serve_web_serves_a_tour_and_stops_on_ctrl_c(tmp_path):
    (tmp_path / "password.txt").write_text("letmein\n")
    server = await asyncio.create_subprocess_exec(
        *WHATIF, "--port", "0", "--tour", str(ARTICLE_TOUR), "--password-file", str(tmp_path / "password.txt"),
        "--log-file", str(tmp_path / "web.log"), stderr=asyncio.subprocess.PIPE)
    try:
        banner = b""
        while b"Ctrl+C stops the server" not in banner:
            line = await asyncio.wait_for(server.stderr.readline(), 20)
            assert line, banner.decode()
            banner += line
        port = int(re.search(rb"visitors: http://127\.0\.0\.1:(\d+)/", banner).group(1))
        assert b"(password," in banner
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            async with client.post(f"http://127.0.0.1:{port}/login", data={"password": "letmein"}) as response:
                assert response.status == 200 and "textual.js" in await response.text()
        server.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(server.wait(), 20) == 0
        assert "logged in (visitor)" in (tmp_path / "web.log").read_text()
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()


def test_only_serve_web_imports_the_web_libraries():
    # textual-serve and aiohttp cost start-up time (python -X importtime): `whatif eval` and
    # --help must not pay for them.
    code = ("import sys; from whatif.main import main; main(sys.argv[1:]); "
            "loaded = [m for m in sys.modules if m.split('.')[0] in ('aiohttp', 'textual_serve', 'jinja2')]; "
            "sys.stderr.write(repr(loaded))")
    root = Path(__file__).resolve().parents[1]
    for args in (["eval", "presets/default.toml"], ["--help"]):
        result = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, timeout=60,
                                cwd=root)
        assert result.stderr.endswith("[]"), (args, result.stderr[-500:])


def test_presenter_passwords_that_cannot_work_are_one_line_errors(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    blank = _run("--presenter-password-file", str(empty), "--port", "0")
    assert blank.returncode == 2 and "--presenter-password-file" in blank.stderr and "empty" in blank.stderr
    same = tmp_path / "same"
    same.write_text("lectern\n")
    clash = _run("--password-file", str(same), "--presenter-password-file", str(same), "--port", "0")
    assert clash.returncode == 2 and "must differ" in clash.stderr
