"""`whatif serve-ssh` end to end: a real server on a free loopback port, asyncssh clients.

The real app is used wherever the point is what a visitor sees; the fixture app
(tests/fixtures/ssh_fixture_app.py) only where the real app cannot show it: the
environment contract, a crash on purpose, and quick limit checks.
"""

from __future__ import annotations

import asyncio
import logging
import os
import stat
import sys
from pathlib import Path

import asyncssh
import pytest

from whatif.engine.evaluate import evaluate
from whatif.engine.presets import default_preset_path, load_preset
from whatif.engine.units import fmt
from fixtures.ssh_visitor import FIXTURE_APP, REAL_APP, Visitor, process_gone, type_count, wait_until
from whatif.serve.ssh.gate import ALT_SCREEN_ENTER
from whatif.serve.ssh.session import MSG_STARTING
from whatif.serve.ssh.config import ServeConfig
from whatif.serve.ssh.server import DemoServer, ServeError, load_or_create_host_key

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="PTY handling is tested on Linux")


def _default_outputs(**values) -> dict[str, float]:
    scenario = load_preset(default_preset_path())
    if values:
        scenario = scenario.with_values(values)
    return evaluate(scenario).values


# --- what a visitor sees (real app) ------------------------------------------------------


async def test_first_screen_typing_and_resize(serve):
    server = await serve()
    visitor = await Visitor.connect(server.port, columns=120, rows=36)
    before = _default_outputs()
    assert fmt("training_days", before["training_days"]) == "76.7 days"
    await visitor.until_text("Training time", "76.7 days", "34.5 MW", "^q Quit")
    # Only our own line comes before the app's screen: nothing the app printed leaked.
    assert visitor.raw.startswith(MSG_STARTING.encode() + ALT_SCREEN_ENTER)

    await type_count(visitor, 32768)
    after = _default_outputs(**{"cluster.count": 32768})
    # Hand check: twice the chips, MFU 39.9 % -> 34.5 % (bubble) and goodput 0.885 -> 0.834: 47.0 days, 68.9 MW.
    assert (fmt("training_days", after["training_days"]), fmt("facility_mw", after["facility_mw"])) == (
        "47.0 days", "68.9 MW")
    await visitor.until_text("47.0 days", "68.9 MW", "32,768 x NVIDIA H100")

    # A resize reaches the app (SIGWINCH via the controlling terminal) and it lays out again.
    assert visitor.find(" ^q Quit")[0] == 35  # footer on the last row
    visitor.resize(100, 30)
    await visitor.until(lambda: "^q Quit" in visitor.screen.lines()[29])
    await visitor.settle()
    footer = visitor.screen.lines()[29]
    assert footer.endswith("^p palette") and len(footer) <= 100
    assert "32,768 x NVIDIA H100" in visitor.text() and "days" in visitor.text()  # same app, same state
    await visitor.close()


async def test_two_visitors_get_independent_apps_and_a_disconnect_ends_only_its_own(serve):
    server = await serve()
    first, second = await asyncio.gather(Visitor.connect(server.port), Visitor.connect(server.port))
    await asyncio.gather(first.until_text("76.7 days", "^q Quit"), second.until_text("76.7 days", "^q Quit"))
    sessions = {session.peer: session for session in server.sessions}
    assert len({s.child.pid for s in sessions.values()}) == 2
    assert len({s.session_dir for s in sessions.values()}) == 2

    await type_count(first, 32768)
    await first.until_text("47.0 days")
    await second.settle()
    assert "76.7 days" in second.text() and "47.0 days" not in second.text()

    # The first visitor leaves: their app's whole process group and folder are gone.
    first_port = first.conn.get_extra_info("sockname")[1]
    (leaving,) = [s for s in sessions.values() if s.peer.endswith(f":{first_port}")]
    pid, folder = leaving.child.pid, leaving.session_dir
    assert folder.is_dir()
    assert os.getpgid(pid) == pid  # its own process group, so one signal reaches all of it
    await first.close()
    assert await wait_until(lambda: len(server.sessions) == 1, 10)
    assert process_gone(pid)
    assert not folder.exists()

    # The other visitor's app is untouched and still answers.
    await type_count(second, 8192)
    await second.until_text("8,192 x NVIDIA H100")
    await second.close()
    assert await wait_until(lambda: not server.sessions, 10)


# --- the environment contract and failures (fixture app) --------------------------------


async def test_app_gets_its_pty_as_controlling_terminal_and_the_agreed_environment(serve):
    server = await serve(FIXTURE_APP)
    visitor = await Visitor.connect(server.port, columns=100, rows=30, term="screen-256color")
    await visitor.until_text("COUNT=0", "SIZE 100x30")
    env_line = visitor.find("ENV")[1]
    assert "term=screen-256color colorterm=truecolor demo=1" in env_line
    assert "columns_set=False lines_set=False ctty=True" in env_line
    (session,) = server.sessions
    assert visitor.find("PRESETS")[1] == f"PRESETS {session.session_dir}"
    assert visitor.find("CONFIG")[1] == f"CONFIG {session.session_dir / 'config'}"
    assert visitor.find("STATE")[1] == f"STATE {session.session_dir / 'state'}"
    assert visitor.find("DATA")[1] == f"DATA {session.session_dir / 'data'}"
    assert visitor.find("CACHE")[1] == f"CACHE {session.session_dir / 'cache'}"
    assert visitor.find("TMPDIR")[1] == f"TMPDIR {session.session_dir}"
    assert visitor.find("TEMP")[1] == f"TEMP {session.session_dir}"  # what tempfile really uses

    visitor.send("+")
    await visitor.until_text("COUNT=1")
    visitor.resize(90, 20)
    await visitor.until_text("SIZE 90x20")
    visitor.send(b"\x03")  # ctrl+c quits the fixture
    await visitor.until_closed()
    assert visitor.process.exit_status == 0


async def test_a_visitors_home_is_their_session_folder_not_the_server_users(serve, tmp_path, monkeypatch):
    server_home = tmp_path / "server-home"
    server_home.mkdir()
    monkeypatch.setenv("HOME", str(server_home))
    server = await serve(FIXTURE_APP)
    visitor = await Visitor.connect(server.port)
    await visitor.until_text("COUNT=0", "HOME ")
    (session,) = server.sessions
    home = Path(visitor.find("HOME")[1].removeprefix("HOME "))
    assert home == session.session_dir and home.is_dir()
    assert not home.is_relative_to(server_home)
    await visitor.close()
    assert await wait_until(lambda: not home.exists(), 10)  # the folder goes with the session
    assert list(server_home.iterdir()) == []


async def test_a_full_channel_pauses_reading_the_app_until_it_drains(serve):
    """Back-pressure: when the visitor's channel is full (asyncssh calls pause_writing), the
    server stops reading that app's PTY, so a slow visitor slows only their own app."""
    server = await serve(FIXTURE_APP)
    visitor = await Visitor.connect(server.port)
    await visitor.until_text("COUNT=0")
    await visitor.settle()
    (session,) = server.sessions
    session.pause_writing()
    visitor.send("+")
    await visitor.settle(quiet_s=0.5)
    assert "COUNT=1" not in visitor.text()  # drawn by the app, waiting in the PTY
    session.resume_writing()
    await visitor.until_text("COUNT=1")
    await visitor.close()


async def test_crash_resets_the_terminal_and_logs_the_error_on_the_server(serve, caplog):
    server = await serve(FIXTURE_APP)
    visitor = await Visitor.connect(server.port)
    await visitor.until_text("COUNT=0")
    pid = server.sessions[0].child.pid
    with caplog.at_level(logging.ERROR, logger="whatif.ssh"):
        visitor.send("x")
        await visitor.until_closed()
    tail = bytes(visitor.raw[-600:])
    for reset in (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?1006l", b"\x1b[?25h", b"\x1b[0m"):
        assert reset in tail
    assert b"stopped unexpectedly" in tail
    assert b"Traceback" not in visitor.raw and b"fixture crash on purpose" not in visitor.raw
    assert visitor.process.exit_status == 1
    assert "fixture crash on purpose" in caplog.text
    assert process_gone(pid)

    # The server keeps serving.
    again = await Visitor.connect(server.port)
    await again.until_text("COUNT=0")
    await again.close()


async def test_idle_visitor_is_told_and_disconnected(serve):
    server = await serve(FIXTURE_APP, idle_timeout_s=1.5)
    visitor = await Visitor.connect(server.port)
    await visitor.until_text("COUNT=0")
    pid = server.sessions[0].child.pid
    await visitor.until_closed(timeout_s=10)
    assert b"without a key press" in visitor.raw[-300:]
    assert b"\x1b[?1049l" in visitor.raw[-300:]
    assert process_gone(pid)


async def test_max_sessions_turns_the_next_visitor_away_politely(serve):
    server = await serve(FIXTURE_APP, max_sessions=1)
    first = await Visitor.connect(server.port)
    await first.until_text("COUNT=0")
    second = await Visitor.connect(server.port)
    await second.until_closed(timeout_s=10)
    assert b"All 1 seats of the whatif demo are taken" in second.raw
    assert second.process.exit_status == 1
    assert len(server.sessions) == 1

    await first.close()
    assert await wait_until(lambda: not server.sessions, 10)
    third = await Visitor.connect(server.port)  # the seat is free again
    await third.until_text("COUNT=0")
    await third.close()


async def test_server_shutdown_says_goodbye_and_stops_every_app(serve):
    server = await serve(FIXTURE_APP)
    visitor = await Visitor.connect(server.port)
    await visitor.until_text("COUNT=0")
    pid = server.sessions[0].child.pid
    await asyncio.wait_for(server.close(), 10)
    await visitor.until_closed(timeout_s=5)
    assert b"shutting down" in visitor.raw[-200:]
    assert process_gone(pid)


# --- only the app is reachable ------------------------------------------------------------


async def _connect(port: int, **options) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect("127.0.0.1", port, known_hosts=None, username="demo",
                                  client_keys=options.pop("client_keys", None), **options)


async def test_session_without_a_terminal_gets_a_one_line_hint(serve):
    server = await serve(FIXTURE_APP)
    async with await _connect(server.port) as conn:
        result = await asyncio.wait_for(conn.run(term_type=None, encoding="utf-8"), 10)
    assert result.exit_status == 1
    assert result.stdout.count("\n") == 1
    assert f"ssh -p {server.port} demo@127.0.0.1" in result.stdout
    assert not server.sessions


async def test_exec_and_sftp_and_forwarding_are_refused(serve):
    server = await serve(FIXTURE_APP)
    async with await _connect(server.port) as conn:
        with pytest.raises(asyncssh.ChannelOpenError):
            await asyncio.wait_for(conn.run("id", term_type="xterm"), 10)
        with pytest.raises((asyncssh.SFTPError, asyncssh.ChannelOpenError)):
            await asyncio.wait_for(conn.start_sftp_client(), 10)
        with pytest.raises(asyncssh.ChannelOpenError):
            await asyncio.wait_for(conn.open_connection("127.0.0.1", server.port), 10)
        with pytest.raises(asyncssh.ChannelListenError):
            await asyncio.wait_for(conn.forward_remote_port("127.0.0.1", 0, "127.0.0.1", 22), 10)
    assert not server.sessions


async def test_one_app_per_connection(serve):
    server = await serve(FIXTURE_APP)
    visitor = await Visitor.connect(server.port)
    await visitor.until_text("COUNT=0")
    with pytest.raises(asyncssh.ChannelOpenError):
        await asyncio.wait_for(visitor.conn.create_process(term_type="xterm", term_size=(80, 24)), 10)
    assert len(server.sessions) == 1
    await visitor.close()


# --- authentication and the host key ------------------------------------------------------


async def test_password_auth(serve):
    server = await serve(FIXTURE_APP, auth="password", password="correct horse")
    with pytest.raises(asyncssh.PermissionDenied):
        await _connect(server.port, password="wrong")
    visitor = await Visitor.connect(server.port, password="correct horse")
    await visitor.until_text("COUNT=0")
    await visitor.close()


async def test_key_auth(serve, tmp_path):
    allowed = asyncssh.generate_private_key("ssh-ed25519")
    stranger = asyncssh.generate_private_key("ssh-ed25519")
    keys_file = tmp_path / "authorized_keys"
    keys_file.write_bytes(allowed.export_public_key())
    server = await serve(FIXTURE_APP, auth="keys", authorized_keys=keys_file)
    with pytest.raises(asyncssh.PermissionDenied):
        await _connect(server.port, client_keys=[stranger])
    visitor = await Visitor.connect(server.port, client_keys=[allowed])
    await visitor.until_text("COUNT=0")
    await visitor.close()


def test_bad_auth_settings_are_one_line_errors(tmp_path):
    with pytest.raises(ServeError, match="needs a password"):
        DemoServer(ServeConfig(app=FIXTURE_APP, host_key_path=tmp_path / "k", auth="password"))
    with pytest.raises(ServeError, match="needs --authorized-keys"):
        DemoServer(ServeConfig(app=FIXTURE_APP, host_key_path=tmp_path / "k", auth="keys"))


def test_host_key_is_generated_once_private_and_reused(tmp_path):
    path = tmp_path / "whatif" / "ssh_host_ed25519_key"
    key = load_or_create_host_key(path)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert load_or_create_host_key(path).get_fingerprint() == key.get_fingerprint()
    path.chmod(0o644)
    with pytest.raises(ServeError, match="chmod 600"):
        load_or_create_host_key(path)
