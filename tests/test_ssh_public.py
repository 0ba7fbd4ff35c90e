"""`whatif serve-ssh` holds up in public: what hostile or broken clients cannot do to visitors.

Silent sockets and logged-in connections that never open a session wait in the lobby
(serve/ssh/limits.py), not in a seat, and are closed after their deadlines; wrong
passwords are paced per address and limited per connection; absurd terminal sizes are
clamped and window-change storms coalesce; a visitor who closes their input ends the
session without noise in the log. Clients come from several loopback addresses
(127.0.0.2, ...: Linux routes all of 127/8 to lo) to stand for several hosts.
"""

from __future__ import annotations

import asyncio
import logging
import sys
import time

import asyncssh
import pytest

from fixtures.ssh_visitor import FIXTURE_APP, Visitor, wait_until
from whatif.serve.ssh.config import ServeConfig
from whatif.serve.ssh.server import DemoServer

pytestmark = pytest.mark.skipif(sys.platform != "linux", reason="needs Linux (PTYs, 127/8 on lo)")


@pytest.fixture
def serve(serve):
    """The shared server fixture (tests/conftest.py), serving the small fixture app."""
    return lambda **options: serve(app=options.pop("app", FIXTURE_APP), **options)


class SilentSocket:
    """A TCP connection that never says a word (not even its SSH version)."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer

    @classmethod
    async def open(cls, port: int, source: str) -> SilentSocket:
        return cls(*await asyncio.open_connection("127.0.0.1", port, local_addr=(source, 0)))

    async def closed_by_server(self, timeout_s: float) -> bool:
        """Read (the server's version line) until the server closes; False if it does not in time."""
        try:
            async with asyncio.timeout(timeout_s):
                while await self.reader.read(4096):
                    pass
        except TimeoutError:
            return False
        except OSError:
            pass  # reset: closed as well
        return True

    def close(self) -> None:
        self.writer.close()


async def _connect(port: int, source: str = "127.0.0.1", **options) -> asyncssh.SSHClientConnection:
    return await asyncssh.connect("127.0.0.1", port, local_addr=(source, 0), known_hosts=None,
                                  username="demo", client_keys=None, **options)


async def test_silent_sockets_neither_lock_visitors_out_nor_stay(serve):
    """Old server: 36 silent sockets filled every connection slot for the 30 s login timeout."""
    server = await serve(login_timeout_s=3)
    # One address gets 24 places in the lobby; its next sockets are closed at once.
    per_address = server.config.max_pending_per_address
    one_host = [await SilentSocket.open(server.port, "127.0.0.2") for _ in range(per_address + 4)]
    refused = await asyncio.gather(*(s.closed_by_server(1.0) for s in one_host[per_address:]))
    assert all(refused) and server.lobby.count("127.0.0.2") == per_address
    # Ten more hosts fill the lobby (64) and more: the busiest address makes room each time.
    many_hosts = [await SilentSocket.open(server.port, f"127.0.0.{3 + i % 10}") for i in range(80)]
    assert await wait_until(lambda: len(server.lobby) == server.config.max_pending, 5)

    started = time.monotonic()
    visitor = await Visitor.connect(server.port)  # from 127.0.0.1
    await visitor.until_text("COUNT=0")
    first_screen_s = time.monotonic() - started
    assert first_screen_s < 10, first_screen_s
    assert len(server.sessions) == 1

    # Every silent socket still open is closed at the login timeout (3 s here, 10 s by default).
    still_open = [s for s in one_host[:per_address] + many_hosts if not s.reader.at_eof()]
    assert still_open
    closed = await asyncio.gather(*(s.closed_by_server(5.0) for s in still_open))
    assert all(closed)
    assert await wait_until(lambda: len(server.lobby) == 0, 5)
    visitor.send("+")
    await visitor.until_text("COUNT=1")  # the visitor never noticed
    await visitor.close()
    for s in one_host + many_hosts:
        s.close()


async def test_logged_in_connections_without_a_session_are_closed_and_hold_no_seat(serve):
    """`ssh -N` with --auth none: logged in, no session. Old server: they held every slot."""
    server = await serve(max_sessions=2, session_start_timeout_s=1.5)
    idle = await asyncio.gather(*(_connect(server.port, f"127.0.0.{2 + i % 3}") for i in range(24)))
    assert not server.sessions  # none of them holds a seat
    visitor = await Visitor.connect(server.port)
    await visitor.until_text("COUNT=0")
    assert len(server.sessions) == 1
    closed_at = time.monotonic()
    await asyncio.wait_for(asyncio.gather(*(conn.wait_closed() for conn in idle)), 5)
    assert time.monotonic() - closed_at < 3
    visitor.send("+")
    await visitor.until_text("COUNT=1")  # a visitor who did open a session stays
    await visitor.close()


class _Guesser(asyncssh.SSHClient):
    """Tries one password after another on a single connection."""

    def __init__(self, passwords: list[str], attempts: list[float]) -> None:
        self._passwords = passwords
        self._attempts = attempts

    def password_auth_requested(self) -> str | None:
        if not self._passwords:
            return None
        self._attempts.append(time.monotonic())
        return self._passwords.pop(0)


async def test_wrong_passwords_are_paced_per_address_and_limited_per_connection(serve):
    """Old server: 100 wrong passwords on one connection took 0.2 s."""
    server = await serve(auth="password", password="correct horse")
    attempts: list[float] = []
    started = time.monotonic()
    with pytest.raises((asyncssh.Error, OSError)):
        await _connect(server.port, client_factory=lambda: _Guesser([f"guess {n}" for n in range(10)], attempts),
                       preferred_auth="password")
    elapsed_s = time.monotonic() - started
    # Three attempts, then the connection is closed; each answer waited longer (0, 0.5, 1 s).
    assert len(attempts) == 3
    assert attempts[2] - attempts[1] > attempts[1] - attempts[0] and elapsed_s >= 1.4, (attempts, elapsed_s)

    # Reconnecting does not reset it: the address's next attempt waits (2 s), right or wrong.
    started = time.monotonic()
    visitor = await Visitor.connect(server.port, password="correct horse", preferred_auth="password")
    assert time.monotonic() - started >= 1.8
    await visitor.until_text("COUNT=0")
    # Another address is not slowed down by this one's failures.
    started = time.monotonic()
    other = await _connect(server.port, "127.0.0.2", password="correct horse", preferred_auth="password")
    assert time.monotonic() - started < 1.5
    other.close()
    await visitor.close()


async def test_an_absurd_terminal_is_clamped(serve):
    """Old server: 5000x5000 became 1000x400 (first screen 2.2 MB, 20 s of CPU for the real app)."""
    server = await serve()
    visitor = await Visitor.connect(server.port, columns=5000, rows=5000)
    await visitor.until_text("SIZE 400x150 END")
    await visitor.close()


async def test_a_storm_of_window_changes_costs_the_app_a_few_resizes(serve):
    server = await serve()
    visitor = await Visitor.connect(server.port, columns=80, rows=24)
    await visitor.until_text("SIZE 80x24 END")
    (session,) = server.sessions
    applied = []
    resize = session.child.resize
    session.child.resize = lambda size: (applied.append(size), resize(size))
    for n in range(300):
        visitor.process.change_terminal_size(90 + n % 7, 20 + n % 5)
    visitor.resize(100, 30)
    await visitor.until_text("SIZE 100x30 END")
    assert 1 <= len(applied) <= 10, len(applied)
    assert (applied[-1].columns, applied[-1].rows) == (100, 30)  # the last size wins
    visitor.send("+")
    await visitor.until_text("COUNT=1")
    await visitor.close()


async def test_a_visitor_closing_their_input_ends_the_session_quietly(serve, caplog):
    """Old server: writes to the closing channel raised BrokenPipeError, logged as tracebacks."""
    server = await serve()
    with caplog.at_level(logging.INFO):
        for delay_s in (0.0, 0.5):
            visitor = await Visitor.connect(server.port)
            await asyncio.sleep(delay_s)  # while the app draws its first screen, and after
            visitor.process.stdin.write_eof()
            assert await wait_until(lambda: not server.sessions, 5)
            await asyncio.wait_for(visitor.conn.wait_closed(), 5)  # the server closes the connection
    assert "BrokenPipe" not in caplog.text and "Traceback" not in caplog.text
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
