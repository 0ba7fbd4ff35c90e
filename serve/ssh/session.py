"""One SSH session channel <-> one app process on its own PTY, in its own session folder.

The session creates the visitor's folder (serve/demo.py), starts the app in it (child.py),
pumps bytes, ends the app on exit, disconnect, idle timeout or shutdown, and removes the
folder.

Bytes flow both ways without interpretation, except that the app's output passes through
an `OutputGate` (crash text stays server-side). Output to the visitor is flow-controlled:
when the SSH channel's buffer is full we stop reading the PTY, so a slow visitor slows
only their own app. The PTY master is non-blocking; keystrokes the PTY cannot take yet
are queued and the channel stops reading once the queue is long.
"""

from __future__ import annotations

import asyncio
import logging
import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import asyncssh

from whatif.serve.demo import create_session_dir, first_ended, remove_session_dir
from whatif.serve.limits import idle_expired
from whatif.serve.ssh.child import AppChild, TermSize
from whatif.serve.ssh.gate import TERMINAL_RESET, OutputGate

if TYPE_CHECKING:
    from whatif.serve.relay import Relay
    from whatif.serve.ssh.config import ServeConfig
    from whatif.serve.ssh.preload import Preloader


class SeatKeeper(Protocol):
    """What a session needs of its server (serve.ssh.server.DemoServer): its settings, the
    preloader, and a seat to hold while the visitor is in."""

    config: ServeConfig
    preloader: Preloader | None
    relay: Relay | None  # presenter mode (serve/relay.py)

    def claim_seat(self, session: DemoSession) -> bool: ...
    def release_seat(self, session: DemoSession) -> None: ...


class Connection(Protocol):
    """What a session needs of its SSH connection (serve.ssh.server._Connection)."""

    def app_starting(self) -> None: ...  # the connection has a seat: it leaves the lobby
    def close(self) -> None: ...

log = logging.getLogger("whatif.ssh")

_READ_CHUNK_BYTES = 64 * 1024
_INPUT_QUEUE_LIMIT_BYTES = 64 * 1024
# After the app exits, how long to keep draining its PTY for the last output.
_DRAIN_AFTER_EXIT_S = 0.5
# After a session ended, how long its connection may stay open for the channel to close.
_CLOSE_AFTER_END_S = 2.0
# Window changes are applied at most this often: a storm of them costs the app one
# layout per interval (the last size always wins).
RESIZE_INTERVAL_S = 0.1

MSG_CRASH = (
    "\r\nSorry, the whatif demo stopped unexpectedly; the error was logged on the server.\r\n"
    "Reconnect to start a fresh one.\r\n"
)
MSG_STARTING = "Starting your whatif app...\r\n"
MSG_SHUTDOWN = "\r\nThe whatif demo server is shutting down. Thanks for trying it!\r\n"


def msg_no_terminal(port: int, username: str, host: str) -> str:
    return (
        "whatif demo is a full-screen app and needs a terminal: "
        f"connect with `ssh -p {port} {username}@{host}` (no -T, no command).\n"
    )


def msg_full(max_sessions: int) -> str:
    return (
        f"All {max_sessions} seats of the whatif demo are taken right now. "
        "Please try again in a minute!\r\n"
    )


def msg_idle(idle_timeout_s: float) -> str:
    minutes = idle_timeout_s / 60
    shown = f"{minutes:g} minute" + ("" if minutes == 1 else "s")
    return f"\r\nClosing the whatif demo after {shown} without a key press. Thanks for trying it!\r\n"


class DemoSession(asyncssh.SSHServerSession):  # type: ignore[type-arg]
    """The visitor's channel and their app."""

    def __init__(self, server: SeatKeeper, peer: str, where: tuple[str, int], username: str,
                 connection: Connection | None = None, presenter: bool = False) -> None:
        self._server = server
        self.presenter = presenter  # logged in as the presenter (presenter mode)
        self._relay_env: dict[str, str] = {}
        self._connection = connection
        self._started = False
        self._applied_size: TermSize | None = None
        self._resize_timer: asyncio.TimerHandle | None = None
        self.peer = peer
        self._where = where
        self._username = username
        self._chan: Any = None
        self._term_type: str | None = None
        self._size = TermSize.from_client(0, 0)
        self._has_pty = False
        self.child: AppChild | None = None
        self.session_dir: Path | None = None
        self._gate = OutputGate()
        self._input = bytearray()
        self._reading_app = False
        self._writing_to_app = False
        self._channel_paused = False
        self._output_done = asyncio.Event()
        self._gone = asyncio.Event()
        self._shutdown = asyncio.Event()
        self._last_input_s = time.monotonic()
        self.task: asyncio.Task[None] | None = None
        self.started_s = time.monotonic()

    # --- SSH requests -------------------------------------------------------------------

    def connection_made(self, chan: Any) -> None:
        self._chan = chan

    def pty_requested(self, term_type: str, term_size: tuple[int, int, int, int], term_modes: Any) -> bool:
        self._has_pty = True
        self._term_type = term_type
        self._size = TermSize.from_client(*term_size)
        return True

    def terminal_size_changed(self, width: int, height: int, pixwidth: int, pixheight: int) -> None:
        self._size = TermSize.from_client(width, height, pixwidth, pixheight)
        if self._resize_timer is None:
            self._apply_size()

    def _apply_size(self) -> None:
        """Give the app the latest size, unless it has it; then hold further changes for
        RESIZE_INTERVAL_S (the timer applies whatever the last one was)."""
        self._resize_timer = None
        if self.child is None or self._size == self._applied_size:
            return
        try:
            self.child.resize(self._size)
        except OSError:
            return  # the app is already gone
        self._applied_size = self._size
        self._resize_timer = asyncio.get_running_loop().call_later(RESIZE_INTERVAL_S, self._apply_size)

    def shell_requested(self) -> bool:
        return True  # the "shell" is the app; nothing else is ever started

    def exec_requested(self, command: str) -> bool:
        log.info("%s: refused exec request %r", self.peer, command[:200])
        self._chan.write_stderr(self._hint().encode())
        return False

    def subsystem_requested(self, subsystem: str) -> bool:
        log.info("%s: refused subsystem %r", self.peer, subsystem[:200])
        return False

    def break_received(self, msec: int) -> bool:
        return False

    def signal_received(self, signal: str) -> None:
        log.info("%s: ignored signal request %r", self.peer, signal)

    def session_started(self) -> None:
        if not self._has_pty:
            log.info("%s: no terminal requested; sent the hint", self.peer)
            self._finish_channel(self._hint(), status=1)
            return
        self._started = True
        if not self._server.claim_seat(self):
            log.info("%s: turned away, all %d seats taken", self.peer, self._server.config.max_sessions)
            self._finish_channel(msg_full(self._server.config.max_sessions), status=1)
            return
        if self._connection is not None:
            self._connection.app_starting()
        self.task = asyncio.get_running_loop().create_task(self._run(), name=f"whatif-ssh {self.peer}")

    def data_received(self, data: bytes, datatype: Any) -> None:
        self._last_input_s = time.monotonic()
        self._input += data
        self._flush_input()

    def eof_received(self) -> bool:
        # The visitor closed their input: the session ends as if they had left (nothing
        # more is written to the channel; asyncssh answers with our EOF, and the session's
        # cleanup closes the channel).
        self._gone.set()
        self._stop_reading_app()
        return False

    def connection_lost(self, exc: Exception | None) -> None:
        self._gone.set()
        self._stop_reading_app()
        if self._resize_timer is not None:
            self._resize_timer.cancel()
            self._resize_timer = None
        if self._started and self._connection is not None:
            self._connection.close()  # one app per connection: once it is over, so is the connection

    def pause_writing(self) -> None:
        self._stop_reading_app()

    def resume_writing(self) -> None:
        if not self._output_done.is_set():
            self._start_reading_app()

    # --- lifecycle ----------------------------------------------------------------------

    def request_shutdown(self) -> None:
        self._shutdown.set()

    def _hint(self) -> str:
        host, port = self._where
        return msg_no_terminal(port, self._username or "demo", host)

    async def _run(self) -> None:
        self._write(MSG_STARTING.encode())  # starting takes seconds; say so before the screen opens
        try:
            self.session_dir = create_session_dir("whatif-ssh-")
            spawn_size = self._size
            relay = self._server.relay
            if relay is not None:
                self._relay_env = relay.child_env("presenter" if self.presenter else "follower")
            self.child = await AppChild.spawn(
                self._server.config.app, self._term_type, spawn_size, self.session_dir,
                preloader=self._server.preloader, extra_env=self._relay_env,
            )
            self._applied_size = spawn_size
            log.info("%s: app started (pid %d%s, %s, %dx%d)", self.peer, self.child.pid,
                     ", preloaded" if self.child.preloaded else "", self._term_type, self._size.columns,
                     self._size.rows)
            self._apply_size()  # a resize may have arrived while it started
            self._flush_input()
            self._start_reading_app()
            reason = await self._wait_for_end()
            await self._end(reason)
        except Exception:
            log.exception("%s: session failed", self.peer)
            if self.child is not None:
                await self.child.stop(self._server.config.grace_s)
            self._finish_channel(TERMINAL_RESET.decode() + MSG_CRASH, status=1)
        finally:
            self._cleanup()

    async def _wait_for_end(self) -> str:
        assert self.child is not None
        return await first_ended({
            "exited": self.child.process.wait(),
            "disconnected": self._gone.wait(),
            "idle": idle_expired(lambda: self._last_input_s, self._server.config.idle_timeout_s),
            "shutdown": self._shutdown.wait(),
        })

    async def _end(self, reason: str) -> None:
        assert self.child is not None
        grace_s = self._server.config.grace_s
        if reason == "exited":
            try:
                await asyncio.wait_for(self._output_done.wait(), _DRAIN_AFTER_EXIT_S)
            except TimeoutError:
                pass  # something else holds the PTY open; stop() below ends it
            self._stop_reading_app()
            status = await self.child.stop(grace_s)
            self._report_exit(status)
            return
        self._stop_reading_app()
        status = await self.child.stop(grace_s)
        log.info("%s: app ended (%s, pid %d, status %s, %.0f s)", self.peer, reason,
                 self.child.pid, status, time.monotonic() - self.started_s)
        if reason == "idle":
            self._finish_channel(TERMINAL_RESET.decode() + msg_idle(self._server.config.idle_timeout_s), 0)
        elif reason == "shutdown":
            self._finish_channel(TERMINAL_RESET.decode() + MSG_SHUTDOWN, 0)

    def _report_exit(self, status: int | None) -> None:
        assert self.child is not None
        if self._gate.looks_crashed(status):
            log.error("%s: app crashed (pid %d, status %s); its output:\n%s", self.peer,
                      self.child.pid, status, self._gate.held_text().rstrip() or "(nothing)")
            self._finish_channel(TERMINAL_RESET.decode() + MSG_CRASH, status=1)
            return
        log.info("%s: app quit (pid %d, %.0f s)", self.peer, self.child.pid, time.monotonic() - self.started_s)
        leftover = self._gate.release()
        if self._gate.on_alt_screen:
            leftover += TERMINAL_RESET
        self._write(leftover)
        self._finish_channel("", status=0)

    def _finish_channel(self, message: str, status: int) -> None:
        if self._gone.is_set():
            return
        self._write(message.encode())
        try:
            self._chan.exit(status)
        except OSError:  # the channel closed meanwhile
            self._gone.set()

    def _cleanup(self) -> None:
        self._stop_reading_app()
        if self.child is not None:
            if self._writing_to_app:
                asyncio.get_running_loop().remove_writer(self.child.master_fd)
                self._writing_to_app = False
            self.child.close_master()
        if self.session_dir is not None:
            remove_session_dir(self.session_dir)
        if self._server.relay is not None:
            self._server.relay.revoke(self._relay_env)
        self._server.release_seat(self)
        if self._chan is not None:
            self._chan.close()  # after EOF from the visitor it is still half-open; else a no-op
        if self._connection is not None:
            # Normally the channel closes first (connection_lost closes the connection); a
            # client that never closes its end loses the connection shortly after.
            asyncio.get_running_loop().call_later(_CLOSE_AFTER_END_S, self._connection.close)

    # --- byte pumps ---------------------------------------------------------------------

    def _write(self, data: bytes) -> None:
        if data and not self._gone.is_set():
            try:
                self._chan.write(data)
            except OSError:  # BrokenPipeError: the channel is closing; the visitor is gone
                self._gone.set()
                self._stop_reading_app()

    def _start_reading_app(self) -> None:
        if self.child is None or self.child.master_fd < 0 or self._reading_app or self._gone.is_set():
            return
        asyncio.get_running_loop().add_reader(self.child.master_fd, self._on_app_output)
        self._reading_app = True

    def _stop_reading_app(self) -> None:
        if self._reading_app and self.child is not None:
            asyncio.get_running_loop().remove_reader(self.child.master_fd)
        self._reading_app = False

    def _on_app_output(self) -> None:
        assert self.child is not None
        try:
            data = os.read(self.child.master_fd, _READ_CHUNK_BYTES)
        except BlockingIOError:
            return
        except OSError:  # EIO: every copy of the PTY slave is closed, the app is gone
            data = b""
        if not data:
            self._stop_reading_app()
            self._output_done.set()
            return
        self._write(self._gate.feed(data))

    def _flush_input(self) -> None:
        """Hand queued keystrokes to the PTY without blocking; queue the rest."""
        if self.child is None or self.child.master_fd < 0:
            if len(self._input) > _INPUT_QUEUE_LIMIT_BYTES:
                del self._input[_INPUT_QUEUE_LIMIT_BYTES:]  # typed before the app started
            return
        loop = asyncio.get_running_loop()
        written = 0
        if self._input:
            try:
                written = os.write(self.child.master_fd, self._input)
            except BlockingIOError:
                written = 0
            except OSError:  # the app is gone; its end is handled elsewhere
                self._input.clear()
        del self._input[:written]
        if self._input and not self._writing_to_app:
            loop.add_writer(self.child.master_fd, self._flush_input)
            self._writing_to_app = True
        elif not self._input and self._writing_to_app:
            loop.remove_writer(self.child.master_fd)
            self._writing_to_app = False
        self._throttle_visitor(len(self._input) > _INPUT_QUEUE_LIMIT_BYTES)

    def _throttle_visitor(self, pause: bool) -> None:
        if pause == self._channel_paused or self._gone.is_set():
            return
        if pause:
            self._chan.pause_reading()
        else:
            self._chan.resume_reading()
        self._channel_paused = pause
