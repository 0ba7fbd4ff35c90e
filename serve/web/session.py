"""One browser visitor: their WebSocket <-> their app process, in their own session folder.

The app runs Textual's WebDriver and speaks textual-serve's packet protocol on its
standard streams; textual-serve's `AppService` decodes it (its `run`) and we start the
process (`WebApp._open_app_process`): textual-serve's own start copies the server's whole
environment into the app through a shell, where the demo rule (serve/demo.py) gives it a
clean one, a folder of its own as HOME and for saves, and its own process group.

The session ends on the app's exit, the visitor leaving, the idle timeout or the server
shutting down; then the app's process group is stopped, what it printed on standard error
goes to the server log if it crashed (never to the visitor), and the folder is removed.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from asyncio.streams import FlowControlMixin
from asyncio.subprocess import PIPE, Process
from collections.abc import Mapping
from importlib.metadata import version
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

from aiohttp import WSMsgType, web
from textual_serve.app_service import AppService
from textual_serve.download_manager import DownloadManager

from whatif.serve.demo import (create_session_dir, first_ended, remove_session_dir, stop_process_group,
                               visitor_environment)
from whatif.serve.limits import clamp_terminal_size, idle_expired

if TYPE_CHECKING:
    from whatif.serve.entry import AppEntry
    from whatif.serve.limits import Seats
    from whatif.serve.ssh.preload import ForkedProcess, Preloader, PreloaderKeeper
    from whatif.serve.web.config import WebConfig

log = logging.getLogger("whatif.web")

# Standard error kept per app for the log when it crashes (a traceback is a few kB).
_STDERR_LIMIT_BYTES = 256 * 1024
# After the app's end, how long its output may take to drain before the session closes.
_DRAIN_AFTER_EXIT_S = 1.0
# The browser leaves the alternate screen and shows the cursor before a closing message.
_SCREEN_RESET = b"\x1b[?1049l\x1b[?25h\x1b[0m\x1b[2J\x1b[H"

MSG_CRASH = "Sorry, the whatif demo stopped unexpectedly; the error was logged on the server."
MSG_SHUTDOWN = "The whatif demo server is shutting down. Thanks for trying it!"


def msg_full(max_sessions: int) -> str:
    return f"All {max_sessions} seats of the whatif demo are taken right now. Please try again in a minute!"


def msg_idle(idle_timeout_s: float) -> str:
    minutes = idle_timeout_s / 60
    shown = f"{minutes:g} minute" + ("" if minutes == 1 else "s")
    return f"Closing the whatif demo after {shown} without a key press. Thanks for trying it!"


def web_driver_environment() -> dict[str, str]:
    """What makes a Textual app draw for the browser: the WebDriver on its standard
    streams, in truecolor. Textual reads these when it is imported, so a preloader gets
    them too (server.py)."""
    return {
        "TEXTUAL_DRIVER": "textual.drivers.web_driver:WebDriver",
        "TEXTUAL_COLOR_SYSTEM": "truecolor",
        "TERM_PROGRAM": "textual",
        "TERM_PROGRAM_VERSION": version("textual-serve"),
    }


def first_size_environment(columns: int, rows: int) -> dict[str, str]:
    """The app's first size, read by the WebDriver when it starts (the browser sends its
    real size at once)."""
    return {"COLUMNS": str(columns), "ROWS": str(rows)}


class SessionHost(Protocol):
    """What a session needs of its server (serve.web.server.WebDemoServer): its settings,
    the app (config.app with the WebDriver's environment), the preloader, and seats."""

    config: WebConfig
    app: AppEntry
    preloads: PreloaderKeeper
    seats: Seats[WebSession]
    download_manager: DownloadManager

    def child_environment(self, role: str) -> dict[str, str]: ...
    def environment_ended(self, environment: dict[str, str]) -> None: ...


class _Ended(asyncio.StreamReader):
    """A standard error stream that is already at its end, for AppService.run (see WebApp)."""

    def __init__(self) -> None:
        super().__init__()
        self.feed_eof()


class PipedProcess:
    """An app the preloader forked on pipes, as AppService uses a Process: its pid, its
    three streams, wait() and returncode (None when unknown: see preload.ForkedProcess)."""

    def __init__(self, forked: ForkedProcess, stdin: asyncio.StreamWriter, stdout: asyncio.StreamReader,
                 stderr: asyncio.StreamReader) -> None:
        self.forked = forked
        self.stdin, self.stdout, self.stderr = stdin, stdout, stderr

    @property
    def pid(self) -> int:
        return self.forked.pid

    @property
    def returncode(self) -> int | None:
        return self.forked.returncode

    async def wait(self) -> int | None:
        return await self.forked.wait()

    @classmethod
    async def fork(cls, preloader: Preloader, args: list[str], env: dict[str, str], cwd: str) -> PipedProcess:
        loop = asyncio.get_running_loop()
        stdin_read, stdin_write = os.pipe()
        stdout_read, stdout_write = os.pipe()
        stderr_read, stderr_write = os.pipe()
        try:
            forked = await preloader.spawn(args, env, cwd, [stdin_read, stdout_write, stderr_write])
        except BaseException:
            for fd in (stdin_write, stdout_read, stderr_read):
                os.close(fd)
            raise
        finally:
            for fd in (stdin_read, stdout_write, stderr_write):  # the fork has its copies
                os.close(fd)
        readers = []
        for fd in (stdout_read, stderr_read):
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda r=reader: asyncio.StreamReaderProtocol(r), os.fdopen(fd, "rb", 0))
            readers.append(reader)
        transport, protocol = await loop.connect_write_pipe(FlowControlMixin, os.fdopen(stdin_write, "wb", 0))
        return cls(forked, asyncio.StreamWriter(transport, protocol, None, loop), *readers)


class WebApp(AppService):
    """One visitor's app process, started under the demo rule (forked by the preloader when
    there is one); textual-serve's AppService does the rest (the packet protocol, resize,
    focus, quit)."""

    def __init__(self, entry: AppEntry, session_dir: Path, environment: Mapping[str, str],
                 preloader: Preloader | None = None, **service: Any) -> None:
        super().__init__(" ".join(entry.argv), **service)  # the command is only ever logged
        self.entry = entry
        self.session_dir = session_dir
        self.environment = dict(environment)
        self.preloader = preloader
        self.stderr = bytearray()
        self._stderr_task: asyncio.Task[None] | None = None

    @property
    def process(self) -> Process | PipedProcess | None:
        return self._process

    @property
    def preloaded(self) -> bool:
        return isinstance(self._process, PipedProcess)

    def exited(self) -> bool:
        process = self._process
        if isinstance(process, PipedProcess):
            return process.forked.exited
        return process is not None and process.returncode is not None

    # Overrides AppService._open_app_process (private; textual-serve is pinned to 1.1.x in
    # pyproject.toml and tests/test_web_server.py checks the method is still there): the
    # app's argv without a shell (or a fork of the preloader), the demo environment, its
    # folder, its own process group.
    async def _open_app_process(self, width: int = 80, height: int = 24) -> Process | PipedProcess:  # type: ignore[override]
        env = {**self.environment, **first_size_environment(*clamp_terminal_size(width, height))}
        process: Process | PipedProcess | None = None
        if self.preloader is not None and self.preloader.alive:
            try:
                process = await PipedProcess.fork(self.preloader, list(self.entry.args), env, str(self.session_dir))
            except (OSError, TimeoutError) as exc:
                log.warning("preloader could not start an app (%s); starting it on its own", exc)
        if process is None:
            process = await asyncio.create_subprocess_exec(
                *self.entry.argv, stdin=PIPE, stdout=PIPE, stderr=PIPE, cwd=self.session_dir, env=env,
                start_new_session=True)
        assert process.stdin is not None and process.stderr is not None
        self._process, self._stdin = process, process.stdin  # type: ignore[assignment]
        # AppService.run copies the app's standard error to the server's standard output;
        # it goes to the server log instead, and only when the app crashed.
        self._stderr_task = asyncio.ensure_future(self._keep_stderr(process.stderr))
        process.stderr = _Ended()
        return process  # type: ignore[return-value]

    async def _keep_stderr(self, stream: asyncio.StreamReader) -> None:
        while chunk := await stream.read(65536):
            room = _STDERR_LIMIT_BYTES - len(self.stderr)
            if room > 0:
                self.stderr += chunk[:room]

    @property
    def running(self) -> asyncio.Task[None] | None:
        """AppService's task that relays the app's output; done when the output ends."""
        return self._task

    async def end(self, grace_s: float) -> int | None:
        """Ask the app to quit, then stop its process group; its exit status."""
        process = self._process
        if process is None:
            return None
        if not self.exited():
            await self.send_meta({"type": "quit"})  # False (ignored) when it is already gone
            try:
                await asyncio.wait_for(process.wait(), grace_s)
            except TimeoutError:
                pass
        status = await stop_process_group(process, grace_s, self.exited)
        for task in (self._task, self._stderr_task):
            if task is not None:
                try:
                    await asyncio.wait_for(task, _DRAIN_AFTER_EXIT_S)
                except (TimeoutError, asyncio.CancelledError):
                    pass
        if self._stdin is not None:
            self._stdin.close()
        self._task = None
        return status

    def stderr_text(self) -> str:
        return self.stderr.decode("utf-8", errors="replace")


class WebSession:
    """A visitor's WebSocket and their app, from a seat to the folder's removal."""

    def __init__(self, host: SessionHost, websocket: web.WebSocketResponse, peer: str, role: str) -> None:
        self._host = host
        self.websocket = websocket
        self.peer = peer
        self.role = role
        self.app: WebApp | None = None
        self.session_dir: Path | None = None
        self.started_s = time.monotonic()
        self._last_input_s = time.monotonic()
        self._shutdown = asyncio.Event()
        self._app_said_exit = asyncio.Event()  # its "exit" message: it quits; the socket closes after
        self.task: asyncio.Task[None] | None = None

    def request_shutdown(self) -> None:
        self._shutdown.set()

    async def run(self, columns: int, rows: int) -> None:
        self.task = asyncio.current_task()
        config = self._host.config
        # Presenter mode's presenter has a seat of their own: a full audience never locks them out.
        if not self._host.seats.claim(self, beyond_capacity=self.role == "presenter"):
            log.info("%s: turned away, all %d seats taken", self.peer, config.max_sessions)
            await self._say(msg_full(config.max_sessions))
            await self.websocket.close()
            return
        role_environment: dict[str, str] = {}
        try:
            self.session_dir = create_session_dir("whatif-web-")
            role_environment = self._host.child_environment(self.role)
            environment = {**visitor_environment(self.session_dir, self._host.app.environment), **role_environment}
            self.app = WebApp(self._host.app, self.session_dir, environment, self._host.preloads.preloader,
                              write_bytes=self._send_bytes,
                              write_str=self._send_str, close=self._on_app_exit,
                              download_manager=self._host.download_manager)
            await self.app.start(*clamp_terminal_size(columns, rows))
            assert self.app.process is not None
            log.info("%s: app started (pid %d%s, %s, %dx%d)", self.peer, self.app.process.pid,
                     ", preloaded" if self.app.preloaded else "", self.role, columns, rows)
            reason = await self._wait_for_end()
            await self._end(reason)
        except Exception:
            log.exception("%s: session failed", self.peer)
            if self.app is not None:
                await self.app.end(config.grace_s)
            await self._say(MSG_CRASH)
        finally:
            if self.session_dir is not None:
                remove_session_dir(self.session_dir)
            if role_environment:
                self._host.environment_ended(role_environment)
            self._host.seats.release(self)
            await self.websocket.close()

    async def _wait_for_end(self) -> str:
        assert self.app is not None and self.app.running is not None
        return await first_ended({
            "exited": self._app_ended(),
            "disconnected": self._read_visitor(),
            "idle": idle_expired(lambda: self._last_input_s, self._host.config.idle_timeout_s),
            "shutdown": self._shutdown.wait(),
        })

    async def _on_app_exit(self) -> None:
        self._app_said_exit.set()

    async def _app_ended(self) -> None:
        """Until the app said it quits, or its output ended."""
        assert self.app is not None and self.app.running is not None
        said = asyncio.ensure_future(self._app_said_exit.wait())
        try:
            await asyncio.wait([said, asyncio.shield(self.app.running)], return_when=asyncio.FIRST_COMPLETED)
        finally:
            said.cancel()

    async def _end(self, reason: str) -> None:
        assert self.app is not None and self.app.process is not None
        config = self._host.config
        if reason == "exited":
            try:  # it quit on its own (or crashed): its exit status says which
                await asyncio.wait_for(self.app.process.wait(), config.grace_s)
            except TimeoutError:
                pass
        status = await self.app.end(config.grace_s)
        pid, lived_s = self.app.process.pid, time.monotonic() - self.started_s
        if reason == "exited" and status not in (0, None):  # None: unknown (the preloader died)
            log.error("%s: app crashed (pid %d, status %s); its standard error:\n%s", self.peer, pid, status,
                      self.app.stderr_text().rstrip() or "(nothing)")
            await self._say(MSG_CRASH)
            return
        log.info("%s: app ended (%s, pid %d, status %s, %.0f s)", self.peer, reason, pid, status, lived_s)
        if reason == "idle":
            await self._say(msg_idle(config.idle_timeout_s))
        elif reason == "shutdown":
            await self._say(MSG_SHUTDOWN)

    async def _read_visitor(self) -> None:
        """The browser's messages (textual.js): keys, size, focus, ping; until it leaves."""
        assert self.app is not None
        async for message in self.websocket:
            if message.type != WSMsgType.TEXT:
                continue
            try:
                envelope = json.loads(message.data)
            except ValueError:
                continue
            if not isinstance(envelope, list) or not envelope:
                continue
            kind, data = envelope[0], envelope[1] if len(envelope) > 1 else None
            if kind == "stdin" and isinstance(data, str):
                self._last_input_s = time.monotonic()
                await self.app.send_bytes(data.encode("utf-8", errors="replace"))
            elif kind == "resize" and isinstance(data, dict):
                columns, rows = clamp_terminal_size(_int(data.get("width")), _int(data.get("height")))
                await self.app.set_terminal_size(columns, rows)
            elif kind == "ping" and isinstance(data, str):
                await self._send_str(json.dumps(["pong", data[:32]]))
            elif kind == "focus":
                await self.app.focus()
            elif kind == "blur":
                await self.app.blur()

    async def _send_bytes(self, data: bytes) -> None:
        try:
            await self.websocket.send_bytes(data)
        except (ConnectionError, RuntimeError):
            pass  # the visitor left; the session ends through _read_visitor

    async def _send_str(self, text: str) -> None:
        try:
            await self.websocket.send_str(text)
        except (ConnectionError, RuntimeError):
            pass

    async def _say(self, message: str) -> None:
        """A last message on the visitor's terminal, on a cleared screen."""
        await self._send_bytes(_SCREEN_RESET + f"\r\n  {message}\r\n".encode())


def _int(value: object) -> int:
    try:
        return int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return 0
