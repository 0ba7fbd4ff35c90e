"""`whatif serve-ssh` as a host runs it: the console script in a subprocess."""

from __future__ import annotations

import asyncio
import os
import re
import signal
import stat
import subprocess
import sys
from pathlib import Path

import asyncssh

from fixtures.ssh_visitor import Visitor
from whatif.serve.ssh.cli import exposure_warning
from whatif.serve.limits import is_loopback

WHATIF = [sys.executable, "-m", "whatif", "serve-ssh"]
ARTICLE_TOUR = Path(__file__).resolve().parents[1] / "presets" / "tours" / "article"


def _run(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([*WHATIF, *args], capture_output=True, text=True, timeout=30, env=env)


def test_bad_preset_or_tour_or_password_setup_is_a_one_line_error(tmp_path):
    missing = _run("--preset", str(tmp_path / "nope.toml"))
    assert missing.returncode == 2 and "nope.toml" in missing.stderr and "Traceback" not in missing.stderr
    empty = _run("--tour", str(tmp_path))
    assert empty.returncode == 2 and "no .toml presets" in empty.stderr
    env = {k: v for k, v in os.environ.items() if k != "WHATIF_SSH_PASSWORD"}
    env["XDG_CONFIG_HOME"] = str(tmp_path / "config")
    nopass = _run("--auth", "password", "--port", "0", env=env)
    assert nopass.returncode == 2 and "needs a password" in nopass.stderr
    badlog = _run("--log-file", str(tmp_path / "no" / "such" / "dir.log"))
    assert badlog.returncode == 2 and "--log-file" in badlog.stderr and "Traceback" not in badlog.stderr
    badport = _run("--port", "70000")
    assert badport.returncode == 2 and "0-65535" in badport.stderr


def test_binding_beyond_loopback_without_auth_warns():
    assert is_loopback("127.0.0.1") and is_loopback("::1") and is_loopback("localhost")
    assert not is_loopback("0.0.0.0") and not is_loopback("::") and not is_loopback("192.168.1.20")
    assert exposure_warning("127.0.0.1", "none") is None
    assert exposure_warning("0.0.0.0", "password") is None
    warning = exposure_warning("0.0.0.0", "none")
    assert warning and warning.startswith("WARNING") and "anyone" in warning


async def test_serve_generates_a_private_host_key_serves_a_tour_and_stops_on_ctrl_c(tmp_path):
    env = {**os.environ, "XDG_CONFIG_HOME": str(tmp_path / "config"), "WHATIF_SSH_PASSWORD": "letmein"}
    server = await asyncio.create_subprocess_exec(
        *WHATIF, "--port", "0", "--auth", "password", "--tour", str(ARTICLE_TOUR),
        env=env, stderr=asyncio.subprocess.PIPE)
    try:
        banner = b""
        while b"Ctrl+C stops the server" not in banner:
            line = await asyncio.wait_for(server.stderr.readline(), 20)
            assert line, banner.decode()
            banner += line
        port = int(re.search(rb"ssh -p (\d+) demo@127\.0\.0\.1", banner).group(1))
        key_path = tmp_path / "config" / "whatif" / "ssh_host_ed25519_key"
        assert stat.S_IMODE(key_path.stat().st_mode) == 0o600
        fingerprint = asyncssh.read_private_key(key_path).get_fingerprint()
        assert fingerprint.encode() in banner

        async with asyncssh.connect("127.0.0.1", port, known_hosts=None, username="demo",
                                    password="letmein", client_keys=None) as conn:
            result = await asyncio.wait_for(conn.run(), 10)  # no terminal: the hint
            assert conn.get_server_host_key().get_fingerprint() == fingerprint
        assert result.exit_status == 1 and "needs a terminal" in result.stdout

        visitor = await Visitor.connect(port, password="letmein")  # with a terminal: the tour
        await visitor.until_text("GPT-4", "^q Quit")
        await visitor.close()

        server.send_signal(signal.SIGINT)
        assert await asyncio.wait_for(server.wait(), 20) == 0
    finally:
        if server.returncode is None:
            server.kill()
            await server.wait()


def test_presenter_credentials_that_cannot_work_are_a_one_line_error(tmp_path):
    empty = tmp_path / "empty"
    empty.write_text("\n")
    blank = _run("--presenter-password-file", str(empty), "--port", "0")
    assert blank.returncode == 2 and "first line is empty" in blank.stderr
    missing = _run("--presenter-keys", str(tmp_path / "nope"), "--port", "0",
                   "--host-key", str(tmp_path / "host_key"))
    assert missing.returncode == 2 and "--presenter-keys" in missing.stderr and "Traceback" not in missing.stderr
    same = tmp_path / "same"
    same.write_text("lectern\n")
    clash = _run("--auth", "password", "--password-file", str(same), "--presenter-password-file", str(same))
    assert clash.returncode == 2 and "must differ" in clash.stderr
