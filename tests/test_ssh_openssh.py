"""`whatif serve-ssh` with the OpenSSH client, the one visitors actually use.

Skipped when `ssh` is not installed (.ci/run tries to install openssh-client). The client
runs on its own PTY, like in a terminal window, so its terminal type, size and resizes
travel the real way.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import shutil
import struct
import termios

import pytest

from fixtures.ssh_screen import Screen
from fixtures.ssh_visitor import REAL_APP, process_gone, wait_until
from whatif.serve.ssh.config import ServeConfig
from whatif.serve.ssh.server import DemoServer

SSH = shutil.which("ssh")
pytestmark = pytest.mark.skipif(SSH is None, reason="OpenSSH client (ssh) is not installed")

TIMEOUT_S = 20.0


def _ssh_argv(port: int, *extra: str, program: str | None = None) -> list[str]:
    return [program or SSH, "-F", "/dev/null", "-p", str(port),
            "-o", "StrictHostKeyChecking=no", "-o", "UserKnownHostsFile=/dev/null",
            "-o", "BatchMode=yes", "-o", "LogLevel=ERROR", *extra, "demo@127.0.0.1"]


@pytest.fixture
async def server(tmp_path):
    demo = DemoServer(ServeConfig(app=REAL_APP, host_key_path=tmp_path / "host_key", port=0))
    await demo.start()
    yield demo
    await asyncio.wait_for(demo.close(), 20)


async def _run(argv: list[str], *command: str) -> tuple[int, str, str]:
    process = await asyncio.create_subprocess_exec(
        *argv, *command, stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE)
    out, err = await asyncio.wait_for(process.communicate(), TIMEOUT_S)
    return process.returncode, out.decode(errors="replace"), err.decode(errors="replace")


def _set_size(fd: int, columns: int, rows: int) -> None:
    fcntl.ioctl(fd, termios.TIOCSWINSZ, struct.pack("HHHH", rows, columns, 0, 0))


def _take_controlling_terminal() -> None:
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class TerminalWindow:
    """`ssh` running in a terminal of its own: we hold the PTY master, like a terminal emulator."""

    def __init__(self, columns: int, rows: int) -> None:
        self.master, self.slave = os.openpty()
        _set_size(self.slave, columns, rows)
        os.set_blocking(self.master, False)
        self.screen = Screen(columns, rows)
        self.process: asyncio.subprocess.Process | None = None
        self._data = asyncio.Event()
        self._eof = False

    async def start(self, argv: list[str]) -> None:
        env = {**os.environ, "TERM": "xterm-256color"}
        env.pop("COLORTERM", None)
        self.process = await asyncio.create_subprocess_exec(
            *argv, stdin=self.slave, stdout=self.slave, stderr=self.slave, env=env,
            start_new_session=True, preexec_fn=_take_controlling_terminal)
        os.close(self.slave)
        asyncio.get_running_loop().add_reader(self.master, self._read)

    def _read(self) -> None:
        try:
            data = os.read(self.master, 65536)
        except BlockingIOError:
            return
        except OSError:
            data = b""
        if not data:
            self._eof = True
            asyncio.get_running_loop().remove_reader(self.master)
        self.screen.feed(data)
        self._data.set()

    async def until_text(self, *needles: str) -> None:
        async def wait() -> None:
            while not all(n in self.screen.text() for n in needles):
                if self._eof:
                    raise EOFError(self.screen.text())
                self._data.clear()
                await self._data.wait()
        try:
            await asyncio.wait_for(wait(), TIMEOUT_S)
        except TimeoutError:
            raise TimeoutError(f"never showed {needles}:\n{self.screen.text()}") from None

    def resize(self, columns: int, rows: int) -> None:
        """What a terminal emulator does: set the size; the kernel tells ssh (SIGWINCH)."""
        self.screen.resize(columns, rows)
        _set_size(self.master, columns, rows)

    def send(self, data: bytes) -> None:
        os.write(self.master, data)

    async def wait(self) -> int:
        assert self.process is not None
        return await asyncio.wait_for(self.process.wait(), TIMEOUT_S)

    def close(self) -> None:
        if not self._eof:
            asyncio.get_running_loop().remove_reader(self.master)
        os.close(self.master)


async def test_openssh_visitor_sees_the_app_resizes_it_and_quits(server):
    window = TerminalWindow(120, 36)
    try:
        await window.start(_ssh_argv(server.port))
        await window.until_text("Training time", "76.7 days", "34.5 MW", "^q Quit")
        assert window.screen.lines()[35].startswith(" ^q Quit")
        (session,) = server.sessions
        pid = session.child.pid

        window.resize(100, 30)
        await window.until_text("^p palette")
        await asyncio.wait_for(_footer_on_row(window, 29), TIMEOUT_S)

        window.send(b"\x11")  # ctrl+q: the app quits, the session ends, ssh exits cleanly
        assert await window.wait() == 0
        assert await wait_until(lambda: not server.sessions, 10)
        assert process_gone(pid)
    finally:
        window.close()


async def _footer_on_row(window: TerminalWindow, row: int) -> None:
    while "^q Quit" not in window.screen.lines()[row]:
        window._data.clear()
        await window._data.wait()


async def test_openssh_without_a_terminal_gets_a_one_line_hint(server):
    status, out, _ = await _run(_ssh_argv(server.port, "-T"))
    assert status == 1
    assert out.strip().splitlines() == [out.strip()]
    assert f"ssh -p {server.port} demo@127.0.0.1" in out
    assert not server.sessions


async def test_openssh_commands_sftp_scp_and_forwarding_are_refused(server, tmp_path):
    status, out, err = await _run(_ssh_argv(server.port), "id")
    assert status == 255 and "exec request failed" in err and "uid=" not in out

    status, _, err = await _run(_ssh_argv(server.port, "-N", "-o", "ExitOnForwardFailure=yes",
                                          "-R", "0:127.0.0.1:9"))
    assert status == 255 and "forwarding failed" in err

    sftp = shutil.which("sftp")
    if sftp:
        argv = [a if a != "-p" else "-P" for a in _ssh_argv(server.port, program=sftp)]
        status, _, err = await _run([*argv[:-1], "-b", "/dev/null", argv[-1]])
        assert status != 0 and "subsystem request failed" in err
    scp = shutil.which("scp")
    if scp:
        argv = [a if a != "-p" else "-P" for a in _ssh_argv(server.port, program=scp)]
        target = tmp_path / "copy"
        status, _, _ = await _run([*argv[:-1], "-O", f"{argv[-1]}:/etc/hostname", str(target)])
        assert status != 0 and not target.exists()
    assert not server.sessions


async def test_openssh_visitor_has_no_screenshot_command_and_writes_nowhere_else(tmp_path, monkeypatch):
    """Textual's palette command "Screenshot" saved SVGs into the server user's Downloads;
    in demo mode the app drops it. Whatever the visitor does, the server user's HOME
    stays as it was: everything the app writes is in the session folder, removed after."""
    server_home = tmp_path / "server-home"
    server_home.mkdir()
    monkeypatch.setenv("HOME", str(server_home))
    demo = DemoServer(ServeConfig(app=REAL_APP, host_key_path=tmp_path / "host_key", port=0))
    await demo.start()
    window = TerminalWindow(120, 36)
    try:
        await window.start(_ssh_argv(demo.port))
        await window.until_text("76.7 days", "^q Quit")
        (session,) = demo.sessions
        window.send(b"\x10")  # ctrl+p: the command palette
        await window.until_text("Search for commands")
        window.send(b"theme")
        await window.until_text("Change the current theme")  # Textual's system commands are listed
        window.send(b"\x1b")  # close it, open it again, search the screenshot
        await asyncio.sleep(0.5)
        window.send(b"\x10")
        await window.until_text("Search for commands")
        window.send(b"screenshot")
        await window.until_text("screenshot")
        await asyncio.sleep(1.0)  # the palette searches as it goes; give it time to list anything
        assert "SVG" not in window.screen.text(), window.screen.text()
        window.send(b"\r\x1b")  # run whatever is selected (nothing), close the palette
        await asyncio.sleep(0.5)
        assert session.session_dir.is_dir()
        folder = session.session_dir
        window.send(b"\x11")  # ctrl+q
        assert await window.wait() == 0
        assert await wait_until(lambda: not folder.exists(), 10)
    finally:
        window.close()
        await asyncio.wait_for(demo.close(), 20)
    assert list(server_home.iterdir()) == []


async def test_openssh_wrong_passwords_are_paced_and_cut_off(tmp_path):
    """OpenSSH asks for the password by keyboard-interactive first: the same pacing and
    limit apply. The client would try 10 times; the server hangs up after 3."""
    askpass = tmp_path / "askpass.sh"
    prompts = tmp_path / "prompts"
    askpass.write_text(f'#!/bin/sh\necho "$*" >> {prompts}\necho wrong\n')
    askpass.chmod(0o700)
    demo = DemoServer(ServeConfig(app=REAL_APP, host_key_path=tmp_path / "host_key", port=0,
                                  auth="password", password="correct horse", preload=False))
    await demo.start()
    try:
        argv = [SSH, "-F", "/dev/null", "-p", str(demo.port), "-o", "StrictHostKeyChecking=no",
                "-o", "UserKnownHostsFile=/dev/null", "-o", "NumberOfPasswordPrompts=10",
                "-o", "PubkeyAuthentication=no", "-T", "demo@127.0.0.1"]
        process = await asyncio.create_subprocess_exec(
            *argv, stdin=asyncio.subprocess.DEVNULL, stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.PIPE,
            env={**os.environ, "SSH_ASKPASS": str(askpass), "SSH_ASKPASS_REQUIRE": "force", "DISPLAY": ":0"})
        started = asyncio.get_running_loop().time()
        _, err = await asyncio.wait_for(process.communicate(), TIMEOUT_S)
        elapsed_s = asyncio.get_running_loop().time() - started
    finally:
        await asyncio.wait_for(demo.close(), 20)
    assert process.returncode == 255
    assert prompts.read_text().count("assword") == 3, prompts.read_text()
    assert "Too many authentication failures" in err.decode() and elapsed_s >= 1.4
