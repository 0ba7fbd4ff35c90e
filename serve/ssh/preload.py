"""Start visitors' apps from a preloaded process: import the app once, fork one per visitor.

A new app process spends most of its first second importing Python modules (Textual,
numpy, pydantic, the engine). With 20 visitors arriving at once on 2 cores that made the
last first screen wait ~15 s. The preloader is a child of the server that imports the app,
then forks a copy for each visitor: the copy starts with everything imported (and shares
those pages with its siblings until it writes to them).

What it imports and runs is handed to it, never named here: the server starts it as
`python -m whatif.serve.ssh.preload FD MODULE:FUNCTION [MODULE...]` from an `AppEntry`
(serve/entry.py); it compiles the app's own packages, imports the modules, and each fork
calls `FUNCTION(args)`.

Protocol, over a SOCK_SEQPACKET socket pair (one JSON message per packet):
- preloader -> server: {"ready": true} once the imports are done;
- server -> preloader: {"id", "args", "env", "cwd"} with the PTY's slave end attached (or
  three pipes: the app's stdin, stdout and stderr);
- preloader -> server: {"id", "pid"} (or {"id", "error"}), later {"exited": pid, "status"}.
The preloader forks only; it never reads what visitors type. It exits when the server
closes its end of the socket.

Visitors' apps do not depend on the preloader once forked: each leads its own session,
and the server watches it through a pidfd (`ForkedProcess`), not through the socket. If
the preloader dies, running apps go on (the system's init adopts and later reaps them;
their exit status is then unknown to the server, which says so with None), the server
starts a new preloader (server.py), and meanwhile starts apps as processes of their own
(child.AppChild.spawn).
"""

from __future__ import annotations

import asyncio
import compileall
import fcntl
import gc
import importlib
import importlib.util
import json
import logging
import os
import select
import signal
import socket
import sys
import tempfile
import termios
import traceback
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from whatif.serve.entry import AppEntry

log = logging.getLogger("whatif.ssh")

MAX_MESSAGE_BYTES = 1 << 16
READY_TIMEOUT_S = 60.0


# ------------------------------------------------------------------ preloader process
def _send(sock: socket.socket, message: dict[str, Any]) -> None:
    sock.send(json.dumps(message).encode())


def _report_exits(sock: socket.socket) -> None:
    while True:
        try:
            pid, status = os.waitpid(-1, os.WNOHANG)
        except ChildProcessError:
            return
        if pid == 0:
            return
        _send(sock, {"exited": pid, "status": os.waitstatus_to_exitcode(status)})


def compile_packages(function: str, modules: Sequence[str]) -> None:
    """Compile the app's own packages (those under the entry's top-level package) once,
    before any visitor comes: a visitor's app writes no bytecode (PYTHONDONTWRITEBYTECODE,
    or a read-only install), so each one compiled what it imported later again (~100 ms of
    CPU). Up-to-date files are skipped; a tree that cannot be written is left as it is."""
    entry_module = function.partition(":")[0]
    top = entry_module.split(".")[0]
    folders: set[str] = set()
    for name in (entry_module, *modules):
        parts = name.split(".")
        if parts[0] != top:
            continue
        for depth in range(1, len(parts) + 1):
            spec = importlib.util.find_spec(".".join(parts[:depth]))
            if spec is not None and spec.submodule_search_locations:
                folders.update(spec.submodule_search_locations)
    for folder in sorted(folders):
        if not any(folder.startswith(other + os.sep) for other in folders):  # compile_dir recurses
            compileall.compile_dir(folder, quiet=2)


def load(function: str, modules: Sequence[str]) -> Callable[[list[str]], int | None]:
    """Import `modules`, then the function named "module:function"."""
    for name in modules:
        importlib.import_module(name)
    module_name, _, name = function.partition(":")
    return getattr(importlib.import_module(module_name), name)


def _run_app(request: dict[str, Any], fds: list[int], inherited: list[int],
             function: Callable[[list[str]], int | None], argv0: str) -> None:
    """In the forked child: become a session led by this process, on the visitor's PTY (one
    fd, also the controlling terminal) or pipes (three: stdin, stdout, stderr), then call
    the app's function with the visitor's arguments. Never returns."""
    code = 1
    try:
        signal.set_wakeup_fd(-1)
        for fd in inherited:
            os.close(fd)
        os.setsid()
        if len(fds) == 1:
            fcntl.ioctl(fds[0], termios.TIOCSCTTY, 0)
        for target, fd in enumerate(fds * 3 if len(fds) == 1 else fds):
            os.dup2(fd, target)
        for fd in set(fds):
            if fd > 2:
                os.close(fd)
        os.chdir(request["cwd"])
        os.environ.clear()
        os.environ.update(request["env"])
        if "tempfile" in sys.modules:
            sys.modules["tempfile"].tempdir = None  # a cached temp folder would be the preloader's
        for sig in (signal.SIGINT, signal.SIGTERM, signal.SIGHUP, signal.SIGCHLD):
            signal.signal(sig, signal.SIG_DFL)
        args = list(request["args"])
        sys.argv = [argv0, *args]
        code = function(args) or 0
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else 1
    except BaseException:
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:
                pass
        os._exit(code)


def serve(sock: socket.socket, function_spec: str, modules: Sequence[str]) -> None:
    """The preloader's loop: import, say ready, then fork on request and report exits."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the server stops it by closing the socket
    compile_packages(function_spec, modules)
    function = load(function_spec, modules)
    module = sys.modules[function_spec.partition(":")[0]]
    argv0 = getattr(module, "__file__", None) or module.__name__  # what `python -m MODULE` would set
    gc.collect()
    gc.freeze()  # preloaded objects stay out of the children's collections: fewer pages copied
    # A child's exit wakes the loop at once (the server waits for it to reap the app).
    wake_read, wake_write = os.pipe()
    os.set_blocking(wake_read, False)
    os.set_blocking(wake_write, False)
    signal.signal(signal.SIGCHLD, lambda _sig, _frame: None)
    signal.set_wakeup_fd(wake_write)
    _send(sock, {"ready": True})
    while True:
        readable, _, _ = select.select([sock, wake_read], [], [])
        if wake_read in readable:
            while True:
                try:
                    if not os.read(wake_read, 512):
                        break
                except BlockingIOError:
                    break
        _report_exits(sock)
        if sock not in readable:
            continue
        try:
            data, fds, _flags, _addr = socket.recv_fds(sock, MAX_MESSAGE_BYTES, 3)
        except OSError:
            return
        if not data:
            return  # the server is gone
        request = json.loads(data)
        if len(fds) not in (1, 3):
            for fd in fds:
                os.close(fd)
            _send(sock, {"id": request.get("id"), "error": "no terminal or standard streams attached"})
            continue
        try:
            pid = os.fork()
        except OSError as exc:
            pid = -1
            _send(sock, {"id": request["id"], "error": str(exc)})
        if pid == 0:
            _run_app(request, fds, [sock.fileno(), wake_read, wake_write], function, argv0)
        for fd in fds:
            os.close(fd)
        if pid > 0:
            _send(sock, {"id": request["id"], "pid": pid})


def main(argv: Sequence[str]) -> int:
    """`python -m whatif.serve.ssh.preload FD MODULE:FUNCTION [MODULE...]`. What the app
    needs set before it is imported (AppEntry.environment) is in this process's environment."""
    fd, function_spec, *modules = argv
    sock = socket.socket(fileno=int(fd))
    try:
        serve(sock, function_spec, modules)
    finally:
        sock.close()
    return 0


# ----------------------------------------------------------------------- server side
# After a forked app's pidfd says it ended, how long to wait for the preloader's report of
# its exit status (it reaps at once; this only bounds a preloader that is stuck or dying).
_STATUS_REPORT_WAIT_S = 1.0


class ForkedProcess:
    """What AppChild needs of a process the preloader forked: pid, returncode, exited, wait().

    Its end is seen through a pidfd, whoever its parent is by then (the preloader, or init
    once the preloader is gone); its exit status comes from the preloader's report, or is
    None (unknown) when no report comes."""

    def __init__(self, pid: int, preloader: Preloader) -> None:
        self.pid = pid
        self.returncode: int | None = None
        self.exited = False
        self._preloader = preloader
        self._done: asyncio.Future[int | None] = asyncio.get_running_loop().create_future()
        self._report_timer: asyncio.TimerHandle | None = None
        self._pidfd = -1
        try:
            self._pidfd = os.pidfd_open(pid)
        except ProcessLookupError:  # already ended and reaped: its report is on the way or lost
            self._ended()
            return
        asyncio.get_running_loop().add_reader(self._pidfd, self._ended)

    def _close_pidfd(self) -> None:
        if self._pidfd >= 0:
            asyncio.get_running_loop().remove_reader(self._pidfd)
            os.close(self._pidfd)
            self._pidfd = -1

    def _ended(self) -> None:
        """The process is gone; its status follows from the preloader, if it is alive."""
        self._close_pidfd()
        if self._done.done() or self._report_timer is not None:
            return
        if self._preloader.alive:
            self._report_timer = asyncio.get_running_loop().call_later(_STATUS_REPORT_WAIT_S, self._set_exit, None)
        else:
            self._set_exit(None)

    def _preloader_gone(self) -> None:
        if self._report_timer is not None:  # ended, and the report will not come now
            self._set_exit(None)

    def _set_exit(self, status: int | None) -> None:
        if self._done.done():
            return
        if self._report_timer is not None:
            self._report_timer.cancel()
            self._report_timer = None
        self._close_pidfd()
        self.returncode = status
        self.exited = True
        self._done.set_result(status)

    async def wait(self) -> int | None:
        return await asyncio.shield(self._done)


class Preloader:
    """The server's handle on the preloader process."""

    def __init__(self, process: asyncio.subprocess.Process, sock: socket.socket) -> None:
        self.process = process
        self._sock = sock
        self._next_id = 0
        self._starting: dict[int, asyncio.Future[int]] = {}
        self._children: dict[int, ForkedProcess] = {}
        self._early_exits: dict[int, int] = {}
        self._reader: asyncio.Task[None] | None = None
        self.started_s = asyncio.get_running_loop().time()

    @classmethod
    async def start(cls, app: AppEntry, cwd: str, env: dict[str, str]) -> Preloader | None:
        """Start it for `app` (which has a function) and wait until it has imported the app;
        None (logged) if it cannot."""
        assert app.function is not None, "the preloader runs an AppEntry's function"
        ours, theirs = socket.socketpair(socket.AF_UNIX, socket.SOCK_SEQPACKET)
        try:
            process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", __spec__.name, str(theirs.fileno()), app.function, *app.preload,
                pass_fds=[theirs.fileno()], cwd=cwd, env=env, stdin=asyncio.subprocess.DEVNULL,
                start_new_session=True)
        except OSError as exc:
            log.warning("preloader not started (%s); apps start on their own", exc)
            ours.close()
            return None
        finally:
            theirs.close()
        ours.setblocking(False)
        loop = asyncio.get_running_loop()
        try:
            ready = json.loads(await asyncio.wait_for(loop.sock_recv(ours, MAX_MESSAGE_BYTES), READY_TIMEOUT_S))
        except (TimeoutError, OSError, ValueError):
            ready = None
        except BaseException:  # cancelled (the server is closing): leave nothing behind
            ours.close()
            process.kill()
            raise
        if not ready or not ready.get("ready"):
            log.warning("preloader did not come up; apps start on their own")
            ours.close()
            await _stop_process(process)
            return None
        preloader = cls(process, ours)
        preloader._reader = asyncio.ensure_future(preloader._read())
        return preloader

    @property
    def alive(self) -> bool:
        return self._reader is not None and not self._reader.done()

    async def spawn(self, args: list[str], env: dict[str, str], cwd: str, fds: Sequence[int]) -> ForkedProcess:
        """Fork an app that runs the entry's function with `args` on `fds`: a PTY's slave
        end (serve-ssh), or its standard input, output and error (serve-web's pipes)."""
        self._next_id += 1
        request_id = self._next_id
        started: asyncio.Future[int] = asyncio.get_running_loop().create_future()
        self._starting[request_id] = started
        message = json.dumps({"id": request_id, "args": args, "env": env, "cwd": cwd}).encode()
        try:
            socket.send_fds(self._sock, [message], list(fds))
            pid = await asyncio.wait_for(started, READY_TIMEOUT_S)
        finally:
            self._starting.pop(request_id, None)
        child = ForkedProcess(pid, self)
        if pid in self._early_exits:
            child._set_exit(self._early_exits.pop(pid))
        elif not child.exited:
            self._children[pid] = child
        return child

    async def _read(self) -> None:
        loop = asyncio.get_running_loop()
        try:
            while True:
                data = await loop.sock_recv(self._sock, MAX_MESSAGE_BYTES)
                if not data:
                    break
                self._dispatch(json.loads(data))
        except (OSError, ValueError):
            log.exception("preloader connection failed")
        finally:
            error = ConnectionError("the preloader stopped")
            for future in self._starting.values():
                if not future.done():
                    future.set_exception(error)
            for child in list(self._children.values()):
                child._preloader_gone()  # running apps go on; their pidfds tell when they end
            self._children.clear()

    async def wait_stopped(self) -> int | None:
        """Wait until the preloader is gone (its socket closed); its exit status, if it exited."""
        if self._reader is not None:
            await asyncio.shield(self._reader)
        try:
            return await asyncio.wait_for(self.process.wait(), 5)
        except TimeoutError:
            return None

    def _dispatch(self, message: dict[str, Any]) -> None:
        if "exited" in message:
            child = self._children.pop(message["exited"], None)
            if child is None:
                if len(self._early_exits) < 1000:
                    self._early_exits[message["exited"]] = message["status"]
            else:
                child._set_exit(message["status"])
            return
        future = self._starting.get(message.get("id"))
        if future is None or future.done():
            return
        if "pid" in message:
            future.set_result(message["pid"])
        else:
            future.set_exception(OSError(message.get("error", "preloader refused")))

    async def close(self) -> None:
        self._sock.close()
        if self._reader is not None:
            self._reader.cancel()
        await _stop_process(self.process)


async def _stop_process(process: asyncio.subprocess.Process) -> None:
    if process.returncode is None:
        try:
            process.terminate()
        except ProcessLookupError:
            pass
        try:
            await asyncio.wait_for(process.wait(), 5)
        except TimeoutError:
            process.kill()
            await process.wait()


# A preloader that died within this long of its start is restarted after a delay that
# doubles (1 s, 2 s, ... at most this long); one that lived longer, at once.
_PRELOADER_STEADY_S = 60.0


class PreloaderKeeper:
    """A server's preloader for `app`, kept running: `preloader` is the live one or None
    (then apps start on their own). Both servers (SSH and web) keep one."""

    def __init__(self, app: AppEntry) -> None:
        self.app = app
        self.preloader: Preloader | None = None
        self.folder: Path | None = None
        self.closing = False
        self._watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        """The preloader imports the app under the demo rule like a visitor's app, in a
        folder of its own that is read-only: a path the app keeps from its imports is one
        that its forks, every visitor's app, cannot write to."""
        self.folder = Path(tempfile.mkdtemp(prefix="whatif-preload-"))
        self.folder.chmod(0o500)
        await self._launch()

    async def _launch(self, restart_delay_s: float = 0.0) -> Preloader | None:
        """Start a preloader and watch it; None (logged) if it does not come up."""
        # Imported here: the preloader process imports this module before it compiles the app.
        from whatif.serve.demo import visitor_environment

        assert self.folder is not None
        env = visitor_environment(self.folder, self.app.environment)
        preloader = await Preloader.start(self.app, str(self.folder), env)
        if preloader is not None:
            self.preloader = preloader
            self._watch = asyncio.ensure_future(self._watch_preloader(preloader, restart_delay_s))
        return preloader

    async def _watch_preloader(self, preloader: Preloader, restart_delay_s: float = 0.0) -> None:
        """When the preloader dies, its running apps go on (ForkedProcess); new visitors
        get apps started on their own until a new preloader is ready."""
        loop = asyncio.get_running_loop()
        status = await preloader.wait_stopped()
        await preloader.close()
        if self.closing:
            return
        lived_s = loop.time() - preloader.started_s
        delay_s = 0.0 if lived_s >= _PRELOADER_STEADY_S else min(max(1.0, 2 * restart_delay_s), _PRELOADER_STEADY_S)
        log.warning("preloader stopped (pid %d, status %s, after %.0f s); running apps go on; "
                    "a new one starts in %g s", preloader.process.pid, status, lived_s, delay_s)
        await asyncio.sleep(delay_s)
        if self.closing:
            return
        fresh = await self._launch(delay_s)
        if fresh is not None:  # else logged: apps start on their own from now on
            log.info("preloader restarted (pid %d)", fresh.process.pid)

    async def close(self) -> None:
        from whatif.serve.demo import remove_session_dir

        self.closing = True
        if self._watch is not None:
            self._watch.cancel()
        if self.preloader is not None:
            await self.preloader.close()
        if self.folder is not None:
            remove_session_dir(self.folder)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
