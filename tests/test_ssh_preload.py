"""The preloader: visitors' apps are forked from a process that imported the app once.

What a visitor sees is the same (tests/test_ssh_server.py runs through it); here: the
apps really are its forks, each in its own session on its own terminal, reaped when they
end; and when the preloader dies, sessions end cleanly and new visitors still get an app.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from fixtures.ssh_visitor import FIXTURE_APP, REAL_APP, Visitor, process_gone, wait_until
from whatif.serve.entry import AppEntry
from whatif.serve.ssh.config import ServeConfig
from whatif.serve.ssh.server import DemoServer

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PTY handling is tested on Linux")


def _parent(pid: int) -> int:
    return int(Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[1])


async def _server(tmp_path: Path, **options) -> DemoServer:
    options.setdefault("app", REAL_APP)
    server = DemoServer(ServeConfig(host="127.0.0.1", port=0, host_key_path=tmp_path / "host_key", **options))
    await server.start()
    return server


async def test_only_an_app_given_as_a_function_is_preloaded(tmp_path):
    assert REAL_APP.function is not None and REAL_APP.preload
    server = DemoServer(ServeConfig(app=FIXTURE_APP, host="127.0.0.1", port=0, host_key_path=tmp_path / "k"))
    await server.start()
    try:
        assert server.preloader is None  # a script: started as a process for every visitor
    finally:
        await asyncio.wait_for(server.close(), 20)


async def test_the_preloader_runs_the_function_it_is_given_under_the_demo_rule(tmp_path, monkeypatch):
    """Any app given as "module:function" is preloaded (here the tests' fixture, not whatif),
    and its forks get the same folders as an app started on its own: HOME, config, state
    and presets in the visitor's session folder, not the server user's HOME."""
    monkeypatch.setenv("PYTHONPATH", str(Path(__file__).parent))  # where `fixtures` is
    monkeypatch.setenv("HOME", str(tmp_path))
    app = AppEntry(command=FIXTURE_APP.command, args=("--flag",), function="fixtures.ssh_fixture_app:main",
                   preload=("textual.app",))
    server = await _server(tmp_path, app=app)
    try:
        assert server.preloader is not None and server.preloader.alive
        visitor = await Visitor.connect(server.port)
        await visitor.until_text("COUNT=0", "HOME ")
        (session,) = server.sessions
        assert session.child.preloaded and _parent(session.child.pid) == server.preloader.process.pid
        assert visitor.find("HOME")[1] == f"HOME {session.session_dir}"
        assert visitor.find("STATE")[1] == f"STATE {session.session_dir / 'state'}"
        assert visitor.find("PRESETS")[1] == f"PRESETS {session.session_dir}"
        assert visitor.find("ARGS")[1] == "ARGS --flag"
        assert "demo=1" in visitor.find("ENV")[1]
        await visitor.close()
    finally:
        await asyncio.wait_for(server.close(), 20)
    assert not server._preloader_dir.exists()  # the preloader's own (read-only) folder goes too


async def test_apps_are_forks_of_the_preloader_each_leading_its_own_session(tmp_path):
    server = await _server(tmp_path)
    try:
        assert server.preloader is not None and server.preloader.alive
        preloader_pid = server.preloader.process.pid
        first, second = await asyncio.gather(Visitor.connect(server.port), Visitor.connect(server.port))
        await asyncio.gather(first.until_text("76.7 days"), second.until_text("76.7 days"))
        pids = [session.child.pid for session in server.sessions]
        assert len(set(pids)) == 2 and all(session.child.preloaded for session in server.sessions)
        for pid in pids:
            assert _parent(pid) == preloader_pid
            assert os.getsid(pid) == pid and os.getpgid(pid) == pid
            # Its terminal is the visitor's PTY (the controlling terminal), not the server's.
            assert os.readlink(f"/proc/{pid}/fd/0").startswith("/dev/pts/")
        await first.close()
        assert await wait_until(lambda: len(server.sessions) == 1, 10)
        (left,) = set(pids) - {server.sessions[0].child.pid}
        assert process_gone(left)  # stopped and reaped by the preloader: no zombie left
        await second.close()
        assert await wait_until(lambda: not server.sessions, 10)
    finally:
        await asyncio.wait_for(server.close(), 20)
    assert process_gone(preloader_pid)


async def test_when_the_preloader_dies_sessions_end_and_new_visitors_still_get_an_app(tmp_path):
    server = await _server(tmp_path)
    try:
        visitor = await Visitor.connect(server.port)
        await visitor.until_text("76.7 days")
        app_pid = server.sessions[0].child.pid
        os.kill(server.preloader.process.pid, signal.SIGKILL)
        await visitor.until_closed(timeout_s=10)
        assert await wait_until(lambda: process_gone(app_pid), 10)
        assert not server.preloader.alive

        late = await Visitor.connect(server.port)  # started as its own process instead
        await late.until_text("76.7 days")
        assert _parent(server.sessions[0].child.pid) == os.getpid()
        assert not server.sessions[0].child.preloaded
        await late.close()
    finally:
        await asyncio.wait_for(server.close(), 20)


async def test_preload_can_be_turned_off(tmp_path):
    server = await _server(tmp_path, preload=False)
    try:
        assert server.preloader is None
        visitor = await Visitor.connect(server.port)
        await visitor.until_text("76.7 days")
        assert _parent(server.sessions[0].child.pid) == os.getpid()
        await visitor.close()
    finally:
        await asyncio.wait_for(server.close(), 20)
