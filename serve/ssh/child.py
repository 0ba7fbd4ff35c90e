"""The app as a child process on its own PTY, which is also its controlling terminal.

The controlling terminal is what makes the kernel deliver SIGWINCH on a resize and SIGHUP
when the terminal goes away; a PTY merely connected to stdin/stdout does neither. The app
is forked by the preloader (preload.py) when there is one, else started as a process; its
environment is the demo rule (serve/demo.py) plus the visitor's terminal.
"""

from __future__ import annotations

import asyncio
import fcntl
import logging
import os
import re
import struct
import termios
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from whatif.serve.demo import stop_process_group, visitor_environment
from whatif.serve.limits import clamp_terminal_size

if TYPE_CHECKING:
    from whatif.serve.entry import AppEntry
    from whatif.serve.ssh.preload import ForkedProcess, Preloader

log = logging.getLogger("whatif.ssh")

_SAFE_TERM = re.compile(r"^[A-Za-z0-9._+-]{1,64}$")


@dataclass(frozen=True)
class TermSize:
    columns: int
    rows: int
    pixel_width: int = 0
    pixel_height: int = 0

    @classmethod
    def from_client(cls, columns: int, rows: int, pixel_width: int = 0, pixel_height: int = 0) -> TermSize:
        columns, rows = clamp_terminal_size(columns, rows)
        return cls(columns, rows, max(0, min(pixel_width, 65535)), max(0, min(pixel_height, 65535)))

    def packed(self) -> bytes:
        """`struct winsize` for TIOCSWINSZ."""
        return struct.pack("HHHH", self.rows, self.columns, self.pixel_width, self.pixel_height)


def safe_term_type(term_type: str | None) -> str:
    """The client's TERM if it is a plain terminal name, else a common default."""
    if term_type and _SAFE_TERM.match(term_type):
        return term_type
    return "xterm-256color"


def child_environment(term_type: str | None, session_dir: Path,
                      app_environment: Mapping[str, str] | None = None) -> dict[str, str]:
    """One visitor's app: the demo rule (serve/demo.py) plus their terminal.

    COLUMNS and LINES are never set: they would override the PTY size and break resizing.
    """
    return {
        **visitor_environment(session_dir, app_environment),
        "TERM": safe_term_type(term_type),
        "COLORTERM": "truecolor",  # OpenSSH does not forward it; without it Textual drops colours
    }


def _take_controlling_terminal() -> None:
    """Runs in the child after setsid(): make the PTY on fd 0 its controlling terminal."""
    fcntl.ioctl(0, termios.TIOCSCTTY, 0)


class AppChild:
    """One app process, the master side of its PTY, and how to stop it."""

    def __init__(self, process: asyncio.subprocess.Process | ForkedProcess, master_fd: int) -> None:
        self.process = process
        self.master_fd = master_fd
        self.preloaded = not isinstance(process, asyncio.subprocess.Process)  # forked by the preloader

    @property
    def pid(self) -> int:
        return self.process.pid

    @classmethod
    async def spawn(cls, app: AppEntry, term_type: str | None, size: TermSize, session_dir: Path,
                    preloader: Preloader | None = None, extra_env: Mapping[str, str] | None = None) -> AppChild:
        """Start the app on a new PTY: forked by `preloader` while it is alive (it runs
        `app.function`), else `app.argv` as a new process. `extra_env`: this visitor's own
        variables (the presenter relay's)."""
        master_fd, slave_fd = os.openpty()
        try:
            fcntl.ioctl(slave_fd, termios.TIOCSWINSZ, size.packed())
            os.set_blocking(master_fd, False)
            env = {**child_environment(term_type, session_dir, app.environment), **(extra_env or {})}
            process = None
            if preloader is not None and preloader.alive:
                try:
                    process = await preloader.spawn(list(app.args), env, str(session_dir), [slave_fd])
                except (OSError, TimeoutError) as exc:
                    log.warning("preloader could not start an app (%s); starting it on its own", exc)
            if process is None:
                process = await asyncio.create_subprocess_exec(
                    *app.argv,
                    stdin=slave_fd,
                    stdout=slave_fd,
                    stderr=slave_fd,
                    cwd=session_dir,
                    env=env,
                    start_new_session=True,  # own session and process group: one signal reaches all of it
                    preexec_fn=_take_controlling_terminal,
                    close_fds=True,
                )
        except BaseException:
            os.close(master_fd)
            raise
        finally:
            os.close(slave_fd)  # only the child keeps it: its exit then reads as EOF/EIO on the master
        return cls(process, master_fd)

    def resize(self, size: TermSize) -> None:
        """Apply the visitor's window size; the kernel sends SIGWINCH to the app."""
        if self.master_fd >= 0:
            fcntl.ioctl(self.master_fd, termios.TIOCSWINSZ, size.packed())

    @property
    def exited(self) -> bool:
        if isinstance(self.process, asyncio.subprocess.Process):
            return self.process.returncode is not None
        return self.process.exited

    async def stop(self, grace_s: float) -> int | None:
        """Stop the app's whole process group and wait for its end (serve/demo.py).
        Returns the exit status, or None when it is unknown (a fork of a preloader that died)."""
        return await stop_process_group(self.process, grace_s, lambda: self.exited)

    def close_master(self) -> None:
        if self.master_fd >= 0:
            os.close(self.master_fd)
            self.master_fd = -1
