"""The preloader: visitors' apps are forked from a process that imported the app once.

What a visitor sees is the same (tests/test_ssh_server.py runs through it); here: the
apps really are its forks, each in its own session on its own terminal, reaped when they
end; and when the preloader dies, running apps go on and a new preloader takes over.
"""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

import pytest

from fixtures.ssh_visitor import FIXTURE_APP, REAL_APP, Visitor, process_gone, type_count, wait_until
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
    and its forks get the same folders as an app started on its own: HOME, the XDG homes,
    TMPDIR and presets in the visitor's session folder, not the server user's HOME."""
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
        assert visitor.find("DATA")[1] == f"DATA {session.session_dir / 'data'}"
        assert visitor.find("CACHE")[1] == f"CACHE {session.session_dir / 'cache'}"
        assert visitor.find("TMPDIR")[1] == f"TMPDIR {session.session_dir}"
        # tempfile's cached folder in the preloader is dropped in the fork.
        assert visitor.find("TEMP")[1] == f"TEMP {session.session_dir}"
        assert visitor.find("ARGS")[1] == "ARGS --flag"
        assert "demo=1" in visitor.find("ENV")[1]
        await visitor.close()
    finally:
        await asyncio.wait_for(server.close(), 20)
    assert not server.preloads.folder.exists()  # the preloader's own (read-only) folder goes too


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


async def test_when_the_preloader_dies_running_apps_go_on_and_a_new_one_takes_over(tmp_path, caplog):
    """kill -9 of the preloader: the visitor's app (its fork, in its own session) keeps
    running and answering; the server watches it by pidfd, not through the preloader; a
    new preloader forks the next visitors' apps (plain starts until it is ready)."""
    server = await _server(tmp_path)
    try:
        visitor = await Visitor.connect(server.port)
        await visitor.until_text("76.7 days", "^q Quit")
        (session,) = server.sessions
        first_preloader = server.preloader.process.pid
        os.kill(first_preloader, signal.SIGKILL)
        assert await wait_until(lambda: not server.preloader.alive or server.preloader.process.pid != first_preloader, 5)

        # The app goes on: it answers keys, and the session is the same one.
        await type_count(visitor, 64)
        await visitor.until_text("64 x NVIDIA H100")
        assert server.sessions == [session] and not process_gone(session.child.pid)

        assert await wait_until(lambda: server.preloader.alive and server.preloader.process.pid != first_preloader, 20)
        late = await Visitor.connect(server.port)
        await late.until_text("76.7 days")
        (late_session,) = [s for s in server.sessions if s is not session]
        assert late_session.child.preloaded and _parent(late_session.child.pid) == server.preloader.process.pid

        # The orphaned app still ends cleanly: the visitor quits, the session and app are gone.
        pid = session.child.pid
        visitor.send(b"\x11")  # ctrl+q, then "Discard" (the count was changed)
        await visitor.until_text("Quit and discard", "Keep editing")
        row = next(i for i, line in enumerate(visitor.screen.lines()) if "Keep editing" in line)
        visitor.click(visitor.screen.lines()[row].index("Discard") + 2, row)
        await visitor.until_closed()
        assert visitor.process.exit_status == 0  # unknown status, but it left its screen cleanly
        assert await wait_until(lambda: server.sessions == [late_session], 10)
        assert await wait_until(lambda: process_gone(pid), 10)
        await late.close()
    finally:
        await asyncio.wait_for(server.close(), 20)
    assert "preloader stopped" in caplog.text


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
